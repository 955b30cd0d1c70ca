"""Frozen bundle entry point: the ``dutydesk`` command (``dutydesk run`` opens the window)."""

import sys

from dutydesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
