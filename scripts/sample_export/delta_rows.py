"""Turn a delta plan into the rows it delivers, each with the transfer that carries it.

A touched invoice starts from its base version, rebuilt from the seed (every invoice is a
pure function of its plan), so a delta never reads the export it extends.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sample_export.catalog import PRODUCTS, customer_row
from sample_export.deltas import DeltaPlan
from sample_export.ids import stable_rng
from sample_export.invoices import BuildContext, build_invoice
from sample_export.plan import ExportConfig, PlannedInvoice
from sample_export.records import InvoiceRow, LineItemRow, Row
from sample_export.schedule import (
    Delivery,
    Slot,
    delta_catalog_delivery,
    delta_correction_updated_at,
    delta_customer_updated_at,
    delta_delivery,
    delta_start,
    invoice_delivery,
)

# Late usage adds this many whole multiples of the rate's denominator (see _late_usage).
_LATE_USAGE_MULTIPLES = (1, 20)
# A platform fee corrected upwards by 1 to 50 currency units, in cents.
_FEE_CORRECTION_CENTS = (100, 5_000)

_RowT = TypeVar("_RowT", InvoiceRow, LineItemRow)


def delta_rows(
    config: ExportConfig, ctx: BuildContext, plan: DeltaPlan
) -> Iterator[tuple[Delivery, Row]]:
    """Every row of delta `plan.number`."""
    yield from _customer_update(config, plan)
    yield from _new_invoices(ctx, plan)
    yield from _corrections(ctx, plan)
    yield from _redeliveries(ctx, plan)


def current_version(
    ctx: BuildContext, planned: PlannedInvoice
) -> tuple[InvoiceRow, list[LineItemRow]]:
    """The base export's invoice as a correct consumer keeps it: the newest row per id."""
    bundle = build_invoice(ctx, planned)
    (invoice,) = _newest_per_id(planned, bundle.invoices)
    return invoice, _newest_per_id(planned, bundle.lines)


def stale_line(ctx: BuildContext, planned: PlannedInvoice) -> LineItemRow:
    """The superseded version of the one line the base export corrected on this invoice."""
    newest = {line.id: line.updated_at for line in current_version(ctx, planned)[1]}
    (stale,) = (
        line for _, line in build_invoice(ctx, planned).lines if line.updated_at < newest[line.id]
    )
    return stale


def _customer_update(config: ExportConfig, plan: DeltaPlan) -> Iterator[tuple[Delivery, Row]]:
    if plan.mapping is None:
        return
    base = customer_row(config.seed, plan.mapping.before, config.periods[0])
    mapped = replace(
        base,
        custom_fields=plan.mapping.after.custom_fields,
        updated_at=delta_customer_updated_at(plan.new_period, plan.number),
    )
    yield delta_catalog_delivery(plan.new_period, plan.number), mapped


def _new_invoices(ctx: BuildContext, plan: DeltaPlan) -> Iterator[tuple[Delivery, Row]]:
    """Month M's invoices are finalized in daily batches: batch k is issued on delta k's day.

    So they are newer than anything earlier deltas delivered, and only the re-deliveries of a
    delta carry an updated_at older than what a consumer has already seen.
    """
    delivery = delta_delivery(plan.new_period, plan.number, Slot.MAIN)
    delay = delta_start(plan.new_period, plan.number) - plan.new_period.end
    for planned in plan.new_invoices:
        # Delivered once: re-delivery is the redelivered invoices' job, so it counts exactly.
        invoice, lines = current_version(ctx, planned)
        assert invoice.issued_at is not None
        issued_at, updated_at = invoice.issued_at + delay, invoice.updated_at + delay
        yield delivery, replace(invoice, issued_at=issued_at, updated_at=updated_at)
        yield from ((delivery, replace(line, updated_at=line.updated_at + delay)) for line in lines)


def _corrections(ctx: BuildContext, plan: DeltaPlan) -> Iterator[tuple[Delivery, Row]]:
    delivery = delta_delivery(plan.new_period, plan.number, Slot.CORRECTION)
    for sequence, planned in enumerate(plan.updated):
        updated_at = delta_correction_updated_at(plan.new_period, plan.number, sequence)
        rng = stable_rng(ctx.seed, "delta-correction", plan.number, planned.invoice_id)
        invoice, line = _corrected(ctx, planned, rng)
        yield delivery, replace(invoice, updated_at=updated_at)
        yield delivery, replace(line, updated_at=updated_at)
    for sequence, planned in enumerate(plan.voided, start=len(plan.updated)):
        invoice, _ = current_version(ctx, planned)
        updated_at = delta_correction_updated_at(plan.new_period, plan.number, sequence)
        yield delivery, replace(invoice, status="VOID", updated_at=updated_at)


def _redeliveries(ctx: BuildContext, plan: DeltaPlan) -> Iterator[tuple[Delivery, Row]]:
    delivery = delta_delivery(plan.new_period, plan.number, Slot.REDELIVERY)
    for planned in plan.redelivered:
        invoice, lines = current_version(ctx, planned)
        yield delivery, invoice
        yield from ((delivery, line) for line in lines)
    yield delivery, stale_line(ctx, plan.stale_line_invoice)


def _newest_per_id(planned: PlannedInvoice, versions: list[tuple[Slot, _RowT]]) -> list[_RowT]:
    """Max updated_at, then the later transfer; ids stay in the order first delivered."""
    newest: dict[str, tuple[tuple[datetime, datetime], _RowT]] = {}
    for slot, row in versions:
        rank = (row.updated_at, invoice_delivery(planned.period, slot).transfer_at)
        kept = newest.get(row.id)
        if kept is None or rank > kept[0]:
            newest[row.id] = (rank, row)
    return [row for _, row in newest.values()]


def _corrected(
    ctx: BuildContext, planned: PlannedInvoice, rng: random.Random
) -> tuple[InvoiceRow, LineItemRow]:
    """Late usage on the first metered line with a rate, or else a higher platform fee.

    The line and the invoice total change by the same whole number of credit units, so the
    invoice ties to its lines exactly as well as before.
    """
    invoice, lines = current_version(ctx, planned)
    assert invoice.total is not None
    metered_ids = {ctx.product_ids[product.key] for product in PRODUCTS if product.is_metered}
    metered = [
        line for line in lines if line.unit_price is not None and line.product_id in metered_ids
    ]
    # Plain invoices always start with the platform fee, the fallback.
    line = metered[0] if metered else lines[0]
    corrected = _late_usage(line, rng) if metered else _fee_correction(line, rng)
    return replace(invoice, total=invoice.total + corrected.total - line.total), corrected


def _late_usage(line: LineItemRow, rng: random.Random) -> LineItemRow:
    """More quantity at the same rate: a multiple of the rate's denominator costs whole units."""
    assert line.unit_price is not None
    _, denominator = line.unit_price.as_integer_ratio()
    extra = Decimal(denominator * rng.randint(*_LATE_USAGE_MULTIPLES))
    return replace(line, quantity=line.quantity + extra, total=line.total + extra * line.unit_price)


def _fee_correction(line: LineItemRow, rng: random.Random) -> LineItemRow:
    """A prorated fee has no rate: only its total moves."""
    amount = Decimal(rng.randint(*_FEE_CORRECTION_CENTS))
    unit_price = None if line.unit_price is None else line.unit_price + amount
    return replace(line, unit_price=unit_price, total=line.total + amount)
