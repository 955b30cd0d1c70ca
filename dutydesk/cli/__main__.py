"""``python -m dutydesk.cli``: the same as the ``dutydesk`` command."""

import sys

from . import main

sys.exit(main())
