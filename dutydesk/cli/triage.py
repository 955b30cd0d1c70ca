"""``dutydesk triage FILE``: rank intake contacts; ``dutydesk triage evaluate``: check
the ratings in a store against what was decided.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain.clock import LONDON, SystemClock
from ..domain.errors import ValidationError
from ..domain.queue import order_key
from ..domain.triage.evaluation import evaluate, report_text
from ..domain.triage.evaluation import write_csv as write_evaluation_csv
from ..domain.triage.factors import danger_answer
from ..domain.triage.records import parse_records, validate_records
from ..domain.triage.scoring import TriageResult, score_contact
from ..services.triage import policy_from
from .common import add_store_argument, fail, store_path
from .signin import add_sign_in_arguments, may_read_mi, open_signed_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        metavar="FILE|evaluate",
        help="intake file (JSON, JSON array or JSON lines) to rank, or the "
        "word 'evaluate' to evaluate the ratings in a store",
    )
    parser.add_argument(
        "--policy",
        type=Path,
        default=None,
        help="triage policy TOML (default: resources/policy/default.toml)",
    )
    parser.add_argument(
        "--now", default=None, help="the time to rate at, ISO 8601 with a time zone (default: now)"
    )
    parser.add_argument(
        "--csv", type=Path, default=None, help="evaluate: also write the figures to this CSV file"
    )
    parser.add_argument(
        "--vignettes",
        type=Path,
        default=None,
        metavar="DIR",
        help="evaluate: rate the practice vignettes in DIR (*.json, e.g. "
        "tests/data/vignettes) and report them; with --data-dir, the "
        "store is reported too",
    )
    add_store_argument(parser)
    add_sign_in_arguments(parser)  # evaluate reads the store: signed in


def run(args: argparse.Namespace) -> int:
    try:
        policy = policy_from(args.policy)
        if args.file == "evaluate":
            return _evaluate(args)
        now = _now(args.now)
        return _rank(Path(args.file), policy, now)
    except ValidationError as err:
        return fail(str(err), 2)


def _now(text: str | None) -> datetime:
    if text is None:
        return SystemClock().now()
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a date and time (ISO 8601)", "--now") from None
    if at.tzinfo is None:
        raise ValidationError(f"{text!r} has no time zone (add +00:00 or Z)", "--now")
    return at.astimezone(LONDON)


def _rank(path: Path, policy: Any, now: datetime) -> int:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return fail(f"{path}: cannot read: {getattr(err, 'strerror', None) or err}", 2)
    payloads = validate_records(parse_records(text, str(path)), str(path), now.date())
    results = [(p, score_contact(p, [], policy, now)) for p in payloads]
    results.sort(key=lambda pr: order_key(_Queued(pr[0], pr[1])))
    print(
        json.dumps(
            {
                "policy": {"name": policy.name, "version": policy.version, "file": policy.source},
                "rated_at": now.isoformat(),
                "history": "none: contacts from a file are rated without linked records",
                "ranking": [_ranked(i, p, r) for i, (p, r) in enumerate(results, 1)],
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


class _Queued:
    """A scored file record in the shape the queue order reads."""

    def __init__(self, payload: dict[str, Any], result: TriageResult) -> None:
        self.contact_id = result.contact_id
        self.rating: str | None = result.rating.value
        self.due_at = result.due_at.isoformat() if result.due_at else None
        self.score: int | None = result.score
        self.received_at = payload["received_at"]
        self.immediate_danger = danger_answer(payload) is True


def _ranked(rank: int, payload: dict[str, Any], r: TriageResult) -> dict[str, Any]:
    return {
        "rank": rank,
        "contact_id": r.contact_id,
        "external_ref": payload.get("external_ref"),
        "received_at": payload["received_at"],
        "rating": r.rating.value,
        "score": r.score,
        "due_at": r.due_at.isoformat() if r.due_at else None,
        "decision_due_at": r.decision_due_at.isoformat(),
        "hard_rules": list(r.hard_rules),
        "reasons": [dict(x) for x in r.reasons],
    }


def _evaluate(args: argparse.Namespace) -> int:
    if args.vignettes is not None:
        code = _evaluate_vignettes(args.vignettes, policy_from(args.policy))
        if code or getattr(args, "data_dir", None) is None:
            return code
        print()
    return _evaluate_store(args)


def _evaluate_vignettes(folder: Path, policy: Any) -> int:
    from ..domain.triage import vignettes as vg

    if not folder.is_dir():
        return fail(f"{folder}: not a folder of vignette files", 2)
    files = sorted(folder.glob("*.json"))
    try:
        texts = [(str(f), f.read_text(encoding="utf-8")) for f in files]
    except (OSError, UnicodeDecodeError) as err:
        return fail(f"cannot read the vignettes: {err}", 2)
    results = vg.run(vg.load_texts(texts), policy)
    sys.stdout.write(vg.report_text(results, policy, str(folder)))
    print()
    sys.stdout.write(
        report_text(
            evaluate(vg.as_eval_contacts(results)),
            source=f"{folder} (a vignette whose acceptable ratings are "
            "only Red or Amber counts as serious)",
        )
    )
    summary = vg.summarise(results)
    return 0 if summary.within == summary.total else 1


def _evaluate_store(args: argparse.Namespace) -> int:
    from ..store.history_queries import evaluation_contacts

    signed = open_signed_in(args)
    try:
        if not may_read_mi(signed.actor.role):
            return fail(
                f"{signed.actor.login} ({signed.actor.role.value}) may not read the "
                "triage evaluation (senior practitioners, duty managers, auditors)",
                2,
            )
        ev = evaluate(evaluation_contacts(signed.store.engine))
    finally:
        signed.close()
    sys.stdout.write(report_text(ev, source=str(store_path(args))))
    if args.csv:
        try:
            with args.csv.open("w", newline="", encoding="utf-8") as fh:
                write_evaluation_csv(fh, ev)
        except OSError as err:
            return fail(f"{args.csv}: cannot write: {err.strerror}", 2)
        print(f"CSV written to {args.csv}")
    return 0
