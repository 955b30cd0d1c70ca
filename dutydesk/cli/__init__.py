"""The ``dutydesk`` command. Each sub-command lives in its own module in this package and
registers itself in ``COMMANDS`` below; ``main`` only dispatches.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from importlib import import_module

# module name -> one-line help. Each module defines ``add_arguments(parser)`` and
# ``run(args) -> int``.
COMMANDS: dict[str, str] = {
    "run": "open the duty window (same as python main.py)",
    "demo": "fill a store with synthetic demo data",
    "rebuild": "rebuild the projections from the event log",
    "info": "show what the local store holds",
    "print": "print a case decision log, duty log or outcome letter to a PDF file",
    "verify": "check a printed DutyDesk PDF or a signed data export against the record",
    "triage": "rank contacts in an intake file, or evaluate the ratings in a store",
    "admin": "first-run set-up and standalone accounts",
    "audit": "verify the audit hash chain; list or export the audit trail",
    "import": "import contacts or history from a file (JSON, police CSV, Annex A, CIN XML)",
    "mi": "management information: the dashboard's figures as text or CSV",
    "export": "statutory exports (Ofsted Annex A List 1 and List 3)",
    "sync": "send and receive events with the shared server once",
    "server": "administer the shared PostgreSQL database (init, upgrade, add-user)",
    "signing": "keys that sign printed documents: authority, issue, import, trust, revoke",
}


# Commands whose name is a Python keyword or built-in live in a module with a trailing "_".
MODULES: dict[str, str] = {"print": "print_", "import": "import_"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dutydesk",
        description=("DutyDesk: the duty desk for a children's social care front door."),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in COMMANDS.items():
        module = import_module(f"{__name__}.{MODULES.get(name, name.replace('-', '_'))}")
        p = sub.add_parser(name, help=summary, description=summary)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    given = sys.argv[1:] if argv is None else list(argv)
    if given[:1] == ["run"]:
        # The window's own options (--demo, --data-dir...) go to it untouched: argparse's
        # REMAINDER refuses a remainder that starts with an option.
        from .. import app

        return app.main(given[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return 2
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
