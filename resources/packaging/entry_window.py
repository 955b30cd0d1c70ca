"""Frozen bundle entry point: the duty window without a console (``dutydesk-window``)."""

import sys

from dutydesk.app import main

if __name__ == "__main__":
    sys.exit(main())
