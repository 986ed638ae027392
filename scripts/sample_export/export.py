"""Generate a whole export under a root folder, or append a delta to one.

Both go one bounded phase at a time; see sample_export.deltas for what a delta contains.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import pyarrow.parquet as pq

from sample_export.catalog import credit_type_rows, customer_row, product_rows
from sample_export.delta_rows import delta_rows
from sample_export.deltas import check_delta_number, delta_plan, new_period
from sample_export.ids import stable_fraction
from sample_export.invoices import build_context, build_invoice
from sample_export.plan import (
    ExportConfig,
    customer_profiles,
    period_invoice_count,
    period_invoices,
)
from sample_export.records import TABLE_NAMES, InvoiceRow, Row
from sample_export.schedule import (
    Period,
    Slot,
    catalog_delivery,
    delta_delivery,
    delta_start,
    invoice_delivery,
)
from sample_export.writer import ExportWriter, delivery_files, latest_transfer, reset_tables

CUSTOMER_REDELIVERY_SHARE = 0.10


@dataclass(frozen=True)
class ExportSummary:
    root: Path
    rows_per_table: dict[str, int]
    # 0 for a whole export.
    delta: int = 0

    def one_line(self) -> str:
        counts = " ".join(f"{table}={self.rows_per_table.get(table, 0)}" for table in TABLE_NAMES)
        what = f"delta {self.delta}: " if self.delta else ""
        return f"wrote {what}{counts} rows under {self.root}"


def generate_export(root: Path, config: ExportConfig, jobs: int = 1) -> ExportSummary:
    """Replace the five table folders under `root` with a fresh export.

    Billing periods write disjoint files, so `jobs` worker processes can write one period
    each; the files are the same whatever `jobs` is.
    """
    reset_tables(root)
    totals: Counter[str] = Counter()
    periods = config.periods
    # One writer per phase, so only that phase's files are ever open.
    with ExportWriter(root) as writer:
        for slot, row in _catalog_rows(config, periods[0]):
            writer.write(catalog_delivery(periods[0], slot), row)
    totals.update(writer.rows_per_table)

    if jobs == 1:
        for period in periods:
            totals.update(_write_period(root, config, period))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for counts in pool.map(_write_period, repeat(root), repeat(config), periods):
                totals.update(counts)
    return ExportSummary(root=root, rows_per_table=dict(totals))


def _write_period(root: Path, config: ExportConfig, period: Period) -> Counter[str]:
    """The invoices and line items of one billing period; returns rows written per table."""
    context = build_context(config.seed, config.lines_per_invoice)
    deliveries = {slot: invoice_delivery(period, slot) for slot in Slot}
    with ExportWriter(root) as writer:
        for planned in period_invoices(config, period):
            bundle = build_invoice(context, planned)
            for slot, invoice in bundle.invoices:
                writer.write(deliveries[slot], invoice)
            for slot, line in bundle.lines:
                writer.write(deliveries[slot], line)
    return writer.rows_per_table


def _catalog_rows(config: ExportConfig, first_period: Period) -> Iterator[tuple[Slot, Row]]:
    for credit_type in credit_type_rows(config.seed, first_period):
        yield Slot.MAIN, credit_type
        yield Slot.REDELIVERY, credit_type
    yield from product_rows(config.seed, first_period)
    for profile in customer_profiles(config):
        row = customer_row(config.seed, profile, first_period)
        yield Slot.MAIN, row
        redelivered = stable_fraction(config.seed, "customer-redelivery", profile.index)
        if redelivered < CUSTOMER_REDELIVERY_SHARE:
            yield Slot.REDELIVERY, row


def append_delta(root: Path, config: ExportConfig, number: int) -> ExportSummary:
    """Add delta `number` to the export under `root`, as new files only.

    Call `delta_problem` first: the delta assumes the base export and deltas 1..number-1
    were generated under `root` with the same config.
    """
    plan = delta_plan(config, number)
    context = build_context(config.seed, config.lines_per_invoice)
    with ExportWriter(root) as writer:
        for delivery, row in delta_rows(config, context, plan):
            writer.write(delivery, row)
    return ExportSummary(root=root, rows_per_table=dict(writer.rows_per_table), delta=number)


def delta_problem(root: Path, config: ExportConfig, number: int) -> str | None:
    """Why delta `number` cannot be appended under `root` (None when it can)."""
    try:
        check_delta_number(config, number)
    except ValueError as error:
        return str(error)
    last = config.periods[-1]
    base_files = delivery_files(root, InvoiceRow.TABLE, invoice_delivery(last, Slot.MAIN))
    if not base_files or not _holds_period_invoices(base_files, config, last):
        return (
            f"no export generated with these options under {root}: generate it first with the "
            "same --seed, --customers, --months, --lines-per-invoice and --start-month"
        )
    first_new = new_period(config)
    if number > 1:
        previous = delta_delivery(first_new, number - 1, Slot.MAIN)
        if not delivery_files(root, InvoiceRow.TABLE, previous):
            return f"delta {number - 1} is not in the export under {root}: append it first"
    start = delta_start(first_new, number)
    latest = latest_transfer(root)
    if latest is not None and latest >= start:
        return (
            f"the export under {root} has files transferred at {latest:%Y-%m-%d %H:%M}, not "
            f"before delta {number}'s day {start:%Y-%m-%d}: is the delta already in it, or was "
            "it generated with other options? A delta only ever adds newer files"
        )
    return None


def _holds_period_invoices(files: list[Path], config: ExportConfig, period: Period) -> bool:
    """The main invoice transfer of `period` has its planned invoices, first one first."""
    rows = sum(pq.ParquetFile(path).metadata.num_rows for path in files)
    if rows != period_invoice_count(config, period):
        return False
    first_id = pq.ParquetFile(files[0]).read_row_group(0, columns=["id"]).column("id")[0]
    return first_id.as_py() == next(period_invoices(config, period)).invoice_id
