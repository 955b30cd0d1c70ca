"""Benchmark: score the same synthetic contact payloads (no history) with the default
policy; best of several rounds. Run it against two checkouts back to back, alternating, to
compare policies or scoring code on a loaded machine. Prints figures; asserts nothing.

    .venv/bin/python -m tests.bench.bench_scoring 20000 5
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from dutydesk.demo.synthetic import Generator
from dutydesk.domain.clock import LONDON
from dutydesk.domain.triage.scoring import score_contact
from dutydesk.services.triage import default_policy

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 20_000
    rounds = int(argv[1]) if len(argv) > 1 else 5
    payloads = [
        e.payload
        for e in Generator(11, now=NOW, open_contacts=count).events(count * 6)
        if e.type == "contact.received"
    ][-count:]
    policy = default_policy()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for payload in payloads:
            score_contact(payload, [], policy, NOW)
        best = min(best, time.perf_counter() - start)
    print(
        f"policy {policy.version}: {len(payloads)} contacts scored, best of {rounds} "
        f"{best:.3f} s ({best / len(payloads) * 1e6:.1f} us per contact)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
