"""Command line: `generate-sample-export --root PATH [options]` or `python -m sample_export`.

Without --delta it (re)writes a whole export; `--delta N` appends delta N to the export
already under --root, generated with the same options and followed by deltas 1..N-1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from sample_export.export import append_delta, delta_problem, generate_export
from sample_export.manifest import write_expected_outcomes, write_netsuite_reference
from sample_export.plan import ExportConfig
from sample_export.scenarios import DEFAULT_SEED, MIN_CUSTOMERS


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    config = ExportConfig(
        seed=args.seed,
        customers=args.customers,
        months=args.months,
        lines_per_invoice=args.lines_per_invoice,
        start_month=args.start_month,
    )
    deltas = args.delta or 0
    if deltas:
        problem = delta_problem(args.root, config, deltas)
        if problem is not None:
            print(f"{parser.prog}: error: {problem}", file=sys.stderr)
            return 2
        summary = append_delta(args.root, config, deltas)
    else:
        summary = generate_export(args.root, config, jobs=args.jobs)
    if args.expected_out is not None:
        write_expected_outcomes(args.expected_out, config, deltas)
    if args.netsuite_reference_out is not None:
        write_netsuite_reference(args.netsuite_reference_out, config, deltas)
    print(summary.one_line())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="generate-sample-export",
        description=(
            "Write a deterministic Metronome data export (object-storage layout) with planted "
            "edge cases. Replaces the customer, invoice, line_item, product and credit_type "
            "folders under --root, unless --delta is given."
        ),
    )
    parser.add_argument("--root", type=Path, required=True, help="export root folder")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default: %(default)s")
    parser.add_argument(
        "--customers",
        type=_at_least(MIN_CUSTOMERS),
        default=40,
        help=f"number of customers (at least {MIN_CUSTOMERS}); default: %(default)s",
    )
    parser.add_argument(
        "--months", type=_at_least(1), default=3, help="billing periods; default: %(default)s"
    )
    parser.add_argument(
        "--lines-per-invoice",
        type=_at_least(1),
        default=6,
        help="average line items per invoice; default: %(default)s",
    )
    parser.add_argument(
        "--start-month",
        type=_month,
        default=date(2026, 8, 1),
        help="first billing month, YYYY-MM; default: 2026-08",
    )
    parser.add_argument(
        "--jobs",
        type=_at_least(1),
        default=1,
        help=(
            "worker processes writing billing months in parallel (the files are the same "
            "whatever the number; each worker holds about 150 MB); default: %(default)s"
        ),
    )
    parser.add_argument(
        "--delta",
        type=_at_least(1),
        metavar="N",
        help=(
            "append delta N (1, 2, ...) to the export under --root, as new files only: it must "
            "have been generated with the same options and already hold deltas 1..N-1"
        ),
    )
    parser.add_argument(
        "--expected-out",
        type=Path,
        help="write the expected outcome per invoice (CSV), after delta N if --delta is given",
    )
    parser.add_argument(
        "--netsuite-reference-out",
        type=Path,
        help="write the NetSuite ids that exist in the target account (JSON)",
    )
    return parser


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse


def _month(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError as error:
        raise argparse.ArgumentTypeError("expected YYYY-MM") from error
