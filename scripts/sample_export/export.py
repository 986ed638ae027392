"""Generate a whole export under a root folder, one bounded phase at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sample_export.catalog import credit_type_rows, customer_row, product_rows
from sample_export.ids import stable_fraction
from sample_export.invoices import build_context, build_invoice
from sample_export.plan import ExportConfig, customer_profiles, period_invoices
from sample_export.records import TABLE_NAMES, Row
from sample_export.schedule import Period, Slot, catalog_delivery, invoice_delivery
from sample_export.writer import ExportWriter, reset_tables

CUSTOMER_REDELIVERY_SHARE = 0.10


@dataclass(frozen=True)
class ExportSummary:
    root: Path
    rows_per_table: dict[str, int]

    def one_line(self) -> str:
        counts = " ".join(f"{table}={self.rows_per_table.get(table, 0)}" for table in TABLE_NAMES)
        return f"wrote {counts} rows under {self.root}"


def generate_export(root: Path, config: ExportConfig) -> ExportSummary:
    """Replace the five table folders under `root` with a fresh export."""
    reset_tables(root)
    totals: Counter[str] = Counter()
    periods = config.periods
    # One writer per phase, so only that phase's files are ever open.
    with ExportWriter(root) as writer:
        for slot, row in _catalog_rows(config, periods[0]):
            writer.write(catalog_delivery(periods[0], slot), row)
    totals.update(writer.rows_per_table)

    context = build_context(config.seed, config.lines_per_invoice)
    for period in periods:
        deliveries = {slot: invoice_delivery(period, slot) for slot in Slot}
        with ExportWriter(root) as writer:
            for planned in period_invoices(config, period):
                bundle = build_invoice(context, planned)
                for slot, invoice in bundle.invoices:
                    writer.write(deliveries[slot], invoice)
                for slot, line in bundle.lines:
                    writer.write(deliveries[slot], line)
        totals.update(writer.rows_per_table)
    return ExportSummary(root=root, rows_per_table=dict(totals))


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
