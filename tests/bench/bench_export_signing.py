"""Cost of signing a data export (detached CMS, ``FILE.p7s``) and of checking it.

    .venv/bin/python -m tests.bench.bench_export_signing [MB ...]   (default: 1 50)

Prints, per size: time to sign, time to verify, the signature's size, and peak RSS.
"""

from __future__ import annotations

import os
import resource
import sys
import time

from dutydesk.reports import pki
from dutydesk.reports.detached import inspect_detached, sign_detached


def main(sizes: list[int]) -> None:
    ca = pki.new_authority("Bench County Council")
    person = pki.issue(ca, display_name="Bench Person", login="bench.person")
    for mb in sizes:
        data = os.urandom(mb * 1024 * 1024)
        start = time.perf_counter()
        signature = sign_detached(data, person)
        signed = time.perf_counter() - start
        start = time.perf_counter()
        check = inspect_detached(data, signature, [ca.certificate])
        checked = time.perf_counter() - start
        assert check.intact and check.valid and check.trusted
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{mb} MB export: sign {signed:.2f} s, verify {checked:.2f} s, "
            f".p7s {len(signature)} bytes, peak RSS {peak:.0f} MB"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 50])
