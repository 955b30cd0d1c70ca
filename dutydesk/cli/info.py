"""``dutydesk info``: counts, so an administrator can see what a store holds."""

from __future__ import annotations

import argparse
import json

from ..store.queries import Queries
from .common import add_store_argument, store_path
from .signin import add_sign_in_arguments, open_signed_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_argument(parser)
    add_sign_in_arguments(parser)


def run(args: argparse.Namespace) -> int:
    signed = open_signed_in(args)
    try:
        store = signed.store
        print(
            json.dumps(
                {
                    "store": str(store_path(args)),
                    "signed_in": signed.actor.login,
                    "events": store.event_count(),
                    "contacts_by_status": Queries(store.engine).counts(),
                },
                indent=2,
            )
        )
    finally:
        signed.close()
    return 0
