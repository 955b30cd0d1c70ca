"""Start DutyDesk: ``python main.py [--demo] [--data-dir DIR]``."""

import sys

from dutydesk.app import main

if __name__ == "__main__":
    sys.exit(main())
