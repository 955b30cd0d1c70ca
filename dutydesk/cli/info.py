"""``dutydesk info``: counts, so an administrator can see what a store holds."""

from __future__ import annotations

import argparse
import json

from ..store.queries import Queries
from .common import add_store_argument, open_store, store_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_argument(parser)


def run(args: argparse.Namespace) -> int:
    store = open_store(args)
    print(json.dumps({"store": str(store_path(args)), "events": store.event_count(),
                      "contacts_by_status": Queries(store.engine).counts()}, indent=2))
    return 0
