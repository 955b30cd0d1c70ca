"""``dutydesk run``: the window."""

from __future__ import annotations

import argparse

from .. import app


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "rest", nargs=argparse.REMAINDER, help="options for the window (see python main.py --help)"
    )


def run(args: argparse.Namespace) -> int:
    return app.main(args.rest)
