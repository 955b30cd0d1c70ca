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
    "sync": "send and receive events with the shared server once",
    "server": "administer the shared PostgreSQL database (init, upgrade, add-user)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dutydesk", description=(
        "DutyDesk: the duty desk for a children's social care front door."))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in COMMANDS.items():
        module = import_module(f"{__name__}.{name.replace('-', '_')}")
        p = sub.add_parser(name, help=summary, description=summary)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
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
