"""Turn a planned invoice into its exported invoice and line item rows, version by version.

Most invoices are delivered once (plus an occasional identical re-delivery). The update, void
and tie scenarios deliver several versions whose wrong pick would change the outcome: a stale
total no longer equals the sum of the lines, so a consumer that deduplicates badly holds an
invoice that should be ready.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from sample_export.catalog import (
    CAD,
    COMPUTE_CREDITS,
    CREDIT_TYPES,
    PLATFORM_FEE,
    PRODUCTS,
    PRODUCTS_BY_KEY,
    CreditTypeSpec,
    ProductSpec,
    QuantityKind,
    credit_type_id,
    product_id,
)
from sample_export.ids import stable_rng, stable_uuid, uuid4_text
from sample_export.plan import PlannedInvoice
from sample_export.records import InvoiceRow, LineItemRow
from sample_export.scenarios import PLAIN_SCENARIOS, ScenarioName
from sample_export.schedule import Slot, correction_updated_at

_S = ScenarioName
REDELIVERY_SHARE = 0.10
ZERO_LINE_SHARE = 0.08
ONE = Decimal(1)
_PLANS = ("Starter", "Growth", "Enterprise")
_PLAIN = frozenset(scenario.name for scenario in PLAIN_SCENARIOS)
# Scenarios that add one line of a product reserved for them.
_RESERVED_PRODUCT = MappingProxyType(
    {
        _S.PRODUCT_MALFORMED_JSON: "webhooks",
        _S.PRODUCT_UNMAPPED: "warehouse_sync",
        _S.PRODUCT_OVERRIDE: "gpu_hours",
        _S.PRODUCT_OVERRIDE_CONTRADICTS: "data_transfer",
        _S.ARCHIVED_PRODUCT: "legacy_api_calls",
        _S.PUSH_REJECTED_ITEM: "premium_support",
    }
)
_CREDIT_TYPE_OF_SCENARIO = MappingProxyType(
    {_S.COMPUTE_CREDITS: COMPUTE_CREDITS, _S.CAD_NOT_IN_SEED: CAD}
)


@dataclass(frozen=True)
class LineSlot:
    """One billable dimension of a product: a product, or a product within one group."""

    product: ProductSpec
    group_value: str | None = None
    pricing_group_values: str | None = None
    rate_index: int | None = None


@dataclass(slots=True)
class LineSpec:
    """A line's content before it gets ids and timestamps.

    Not frozen, like the rows (see sample_export.records): one is built per line item.
    """

    product: ProductSpec | None
    name: str
    quantity: Decimal
    unit_price: Decimal | None
    total: Decimal
    group_key: str | None = None
    group_value: str | None = None
    pricing_group_values: str | None = None
    is_prorated: bool = False
    commit_id: str | None = None
    starting_at: datetime | None = None


@dataclass(frozen=True)
class BuildContext:
    seed: int
    lines_per_invoice: int
    product_ids: Mapping[str, str]
    credit_type_ids: Mapping[str, str]
    usage_slots: tuple[LineSlot, ...]


@dataclass(frozen=True)
class InvoiceBundle:
    """Every row version of one invoice and its lines, tagged with the transfer carrying it."""

    invoices: list[tuple[Slot, InvoiceRow]]
    lines: list[tuple[Slot, LineItemRow]]


def build_context(seed: int, lines_per_invoice: int) -> BuildContext:
    return BuildContext(
        seed=seed,
        lines_per_invoice=lines_per_invoice,
        product_ids=MappingProxyType({p.key: product_id(seed, p) for p in PRODUCTS}),
        credit_type_ids=MappingProxyType({c.key: credit_type_id(seed, c) for c in CREDIT_TYPES}),
        usage_slots=_usage_slots(),
    )


def _usage_slots() -> tuple[LineSlot, ...]:
    slots: list[LineSlot] = []
    for product in PRODUCTS:
        if not product.is_general or product is PLATFORM_FEE:
            continue
        if product.group_values:
            slots.extend(LineSlot(product, group_value=value) for value in product.group_values)
        elif product.pricing_group_values:
            slots.extend(
                LineSlot(product, pricing_group_values=groups, rate_index=position)
                for position, groups in enumerate(product.pricing_group_values)
            )
        else:
            slots.append(LineSlot(product))
    return tuple(slots)


def build_invoice(ctx: BuildContext, planned: PlannedInvoice) -> InvoiceBundle:
    rng = stable_rng(ctx.seed, "invoice-content", planned.invoice_id)
    credit_type = _CREDIT_TYPE_OF_SCENARIO.get(planned.scenario.name, planned.host.credit_type)
    specs = _line_specs(ctx, planned, rng)
    total = sum((spec.total for spec in specs), Decimal(0))
    invoice = _invoice_row(ctx, planned, credit_type, total, rng)
    lines = [_line_row(ctx, planned, credit_type, spec, rng, invoice.updated_at) for spec in specs]
    return _versions(planned, invoice, lines, rng)


# --- Line content ----------------------------------------------------------------------


def _line_specs(ctx: BuildContext, planned: PlannedInvoice, rng: random.Random) -> list[LineSpec]:
    name = planned.scenario.name
    if name is _S.ZERO_TOTAL:
        return _zero_lines()
    if name is _S.FRACTIONAL_CENTS:
        return _FRACTIONAL_RECIPES[planned.ordinal % len(_FRACTIONAL_RECIPES)]()
    if name is _S.LINES_MISMATCH:
        return _mismatch_base_lines()
    lines = _general_lines(ctx, planned, rng)
    if name is _S.ADJUSTMENT_LINE:
        lines.append(_adjustment(sum((line.total for line in lines), Decimal(0)), rng))
    elif name in _RESERVED_PRODUCT:
        reserved = LineSlot(PRODUCTS_BY_KEY[_RESERVED_PRODUCT[name]])
        lines.append(_priced(reserved, planned.host.tier, rng, allow_zero=False))
    return lines


def _general_lines(
    ctx: BuildContext, planned: PlannedInvoice, rng: random.Random
) -> list[LineSpec]:
    lines = [_platform_fee(planned)]
    count = _usage_line_count(ctx.lines_per_invoice, rng)
    lines.extend(
        _priced(slot, planned.host.tier, rng, allow_zero=True)
        for slot in _choose_slots(ctx.usage_slots, count, rng)
    )
    return lines


def _usage_line_count(lines_per_invoice: int, rng: random.Random) -> int:
    """Uniform around lines_per_invoice - 1, so with the platform fee the mean is as asked."""
    low = max(1, lines_per_invoice - 3)
    high = max(low, 2 * (lines_per_invoice - 1) - low)
    return rng.randint(low, high)


def _choose_slots(slots: tuple[LineSlot, ...], count: int, rng: random.Random) -> list[LineSlot]:
    if count <= len(slots):
        return [slots[position] for position in sorted(rng.sample(range(len(slots)), count))]
    # More lines than dimensions: bill further projects, as large accounts do.
    api_calls = PRODUCTS_BY_KEY["api_calls"]
    extra = (LineSlot(api_calls, group_value=f"project-{n:03d}") for n in range(count - len(slots)))
    return [*slots, *extra]


def _platform_fee(planned: PlannedInvoice) -> LineSpec:
    rate = PLATFORM_FEE.rates[planned.host.tier % len(PLATFORM_FEE.rates)]
    index = planned.host.customer_index
    joined_mid_period = (
        planned.scenario.name in _PLAIN
        and planned.period.index == 0
        and index is not None
        and index % 11 == 5
    )
    if not joined_mid_period:
        return LineSpec(PLATFORM_FEE, PLATFORM_FEE.name, ONE, rate, rate)
    # Customers who started mid-period pay a prorated fee, exported without a rate.
    period_days = (planned.period.end - planned.period.start).days
    joined_day = 1 + (index or 0) % 20
    prorated = (rate * (period_days - joined_day) / period_days).quantize(Decimal("0.0001"))
    return LineSpec(
        PLATFORM_FEE,
        PLATFORM_FEE.name,
        ONE,
        None,
        prorated,
        is_prorated=True,
        starting_at=planned.period.start + timedelta(days=joined_day),
    )


def _priced(slot: LineSlot, tier: int, rng: random.Random, *, allow_zero: bool) -> LineSpec:
    product = slot.product
    position = tier if slot.rate_index is None else slot.rate_index
    rate = product.rates[position % len(product.rates)]
    if product.has_unit_price:
        quantity = _quantity(product, rng, allow_zero=allow_zero)
        unit_price, total = rate, quantity * rate
    else:
        quantity, unit_price, total = ONE, None, rate
    return LineSpec(
        product,
        product.name,
        quantity,
        unit_price,
        total,
        group_key=product.group_key if slot.group_value else None,
        group_value=slot.group_value,
        pricing_group_values=slot.pricing_group_values,
    )


def _quantity(product: ProductSpec, rng: random.Random, *, allow_zero: bool) -> Decimal:
    if allow_zero and product.is_metered and rng.random() < ZERO_LINE_SHARE:
        return Decimal(0)
    low, high = product.min_quantity, product.max_quantity
    match product.quantity_kind:
        case QuantityKind.COUNT:
            return Decimal(rng.randint(low, high))
        case QuantityKind.THREE_DECIMALS:
            return Decimal(rng.randint(low * 1000, high * 1000)).scaleb(-3)
        case QuantityKind.TWO_DECIMALS:
            return Decimal(rng.randint(low * 100, high * 100)).scaleb(-2)
        case QuantityKind.ONE:
            return ONE


def _adjustment(subtotal: Decimal, rng: random.Random) -> LineSpec:
    """A negative product-less line in whole cents, small enough to keep the invoice positive."""
    share = Decimal(rng.randint(2, 15)) / 100
    amount = -max(ONE, (subtotal * share).to_integral_value(ROUND_HALF_UP))
    if rng.random() < 0.5:
        return LineSpec(None, "Invoice adjustment", ONE, amount, amount)
    commit_id = uuid4_text(rng.getrandbits(128))
    return LineSpec(None, "Applied credit", ONE, None, amount, commit_id=commit_id)


def _rate_line(key: str, quantity: str, group_value: str | None = None) -> LineSpec:
    product = PRODUCTS_BY_KEY[key]
    rate = product.rates[0]
    amount = Decimal(quantity)
    group_key = product.group_key if group_value else None
    return LineSpec(product, product.name, amount, rate, amount * rate, group_key, group_value)


def _flat_line(key: str, total: str) -> LineSpec:
    product = PRODUCTS_BY_KEY[key]
    return LineSpec(product, product.name, ONE, None, Decimal(total))


def _fee(total: str) -> LineSpec:
    return LineSpec(PLATFORM_FEE, PLATFORM_FEE.name, ONE, Decimal(total), Decimal(total))


def _zero_lines() -> list[LineSpec]:
    """A free-plan month without usage: every line is zero."""
    return [_fee("0"), _rate_line("api_calls", "0", "alpha"), _rate_line("storage", "0.000")]


def _mismatch_base_lines() -> list[LineSpec]:
    """Whole-cent lines summing to 67300; the invoice row adds 5 cents on top."""
    return [_fee("50000"), _rate_line("seats", "10"), _rate_line("storage", "1000.000")]


def _half_cents_on_three_lines() -> list[LineSpec]:
    """Lines 10000.5 + 5000.5 + 2000.5: each rounds up, the total once; 1 cent apart."""
    return [
        _fee("50000"),
        _rate_line("api_calls", "800040", "alpha"),
        _rate_line("api_calls", "400040", "beta"),
        _rate_line("api_calls", "160040", "gamma"),
    ]


def _half_cents_on_five_lines() -> list[LineSpec]:
    """Five lines ending in .5 (one a flat 1234.5): rounded lines exceed the total by 2."""
    return [
        _fee("150000"),
        _rate_line("api_calls", "800040", "alpha"),
        _rate_line("api_calls", "80040", "beta"),
        _rate_line("api_calls", "8040", "gamma"),
        _rate_line("api_calls", "840", "delta"),
        _flat_line("support", "1234.5"),
    ]


def _sub_cent_fractions() -> list[LineSpec]:
    """1234.4997 and 12345.125 round down while their sum's fraction rounds up."""
    return [
        _fee("50000"),
        _rate_line("storage", "536.739"),
        _rate_line("api_calls", "987610", "alpha"),
        _rate_line("seats", "3"),
    ]


_FRACTIONAL_RECIPES = (_half_cents_on_three_lines, _half_cents_on_five_lines, _sub_cent_fractions)


# --- Rows ------------------------------------------------------------------------------


def _invoice_row(
    ctx: BuildContext,
    planned: PlannedInvoice,
    credit_type: CreditTypeSpec,
    total: Decimal,
    rng: random.Random,
) -> InvoiceRow:
    host = planned.host
    issued_at = planned.period.end + timedelta(seconds=rng.randint(60, 3_600))
    on_plan = planned.scenario.name in _PLAIN and (host.customer_index or 0) % 2 == 1
    plan_name = _PLANS[host.tier % len(_PLANS)]
    contract_key = host.customer_id if planned.scenario.name in _PLAIN else planned.invoice_id
    is_stripe = host.billing_provider_type == "stripe"
    pushed_at = issued_at + timedelta(seconds=30) if is_stripe else None
    return InvoiceRow(
        id=planned.invoice_id,
        environment_type=host.environment_type,
        status="FINALIZED",
        total=total,
        credit_type_id=ctx.credit_type_ids[credit_type.key],
        credit_type_name=credit_type.name,
        customer_id=host.customer_id,
        plan_id=stable_uuid(ctx.seed, "plan", plan_name) if on_plan else None,
        plan_name=plan_name if on_plan else None,
        contract_id=None if on_plan else stable_uuid(ctx.seed, "contract", contract_key),
        billing_provider_invoice_id=f"in_{rng.getrandbits(96):024x}" if is_stripe else None,
        billing_provider_type=host.billing_provider_type,
        billing_provider_invoice_created_at=pushed_at,
        billing_provider_invoice_external_status="paid" if is_stripe else None,
        invoice_label="Usage invoice",
        metadata=_invoice_metadata(rng),
        start_timestamp=planned.period.start,
        end_timestamp=planned.period.end,
        issued_at=issued_at,
        updated_at=issued_at + timedelta(minutes=2),
    )


def _invoice_metadata(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return json.dumps({"po_number": f"PO-{rng.randint(10_000, 99_999)}"})
    return "{}"


def _line_row(
    ctx: BuildContext,
    planned: PlannedInvoice,
    credit_type: CreditTypeSpec,
    spec: LineSpec,
    rng: random.Random,
    updated_at: datetime,
) -> LineItemRow:
    product = spec.product
    subscription_id = (
        stable_uuid(ctx.seed, "subscription", planned.host.customer_id, product.key)
        if product is not None and product.is_subscription
        else None
    )
    return LineItemRow(
        id=uuid4_text(rng.getrandbits(128)),
        environment_type=planned.host.environment_type,
        invoice_id=planned.invoice_id,
        credit_grant_id=None,
        credit_type_id=ctx.credit_type_ids[credit_type.key],
        credit_type_name=credit_type.name,
        name=spec.name,
        quantity=spec.quantity,
        total=spec.total,
        commit_id=spec.commit_id,
        product_id=None if product is None else ctx.product_ids[product.key],
        group_key=spec.group_key,
        group_value=spec.group_value,
        unit_price=spec.unit_price,
        pricing_group_values=spec.pricing_group_values,
        metadata="{}",
        subscription_id=subscription_id,
        is_prorated=spec.is_prorated,
        starting_at=spec.starting_at or planned.period.start,
        ending_before=planned.period.end,
        updated_at=updated_at,
    )


# --- Versions and deliveries -----------------------------------------------------------


def _versions(
    planned: PlannedInvoice,
    invoice: InvoiceRow,
    lines: list[LineItemRow],
    rng: random.Random,
) -> InvoiceBundle:
    corrected_at = correction_updated_at(planned.period, planned.ordinal)
    assert invoice.total is not None and invoice.issued_at is not None
    match planned.scenario.name:
        case _S.VOID_FROM_START:
            return _delivered_once(replace(invoice, status="VOID"), lines, rng)
        case _S.TOTAL_NULL:
            return _delivered_once(replace(invoice, total=None), lines, rng)
        case _S.LINES_MISMATCH:
            return _delivered_once(replace(invoice, total=invoice.total + 5), lines, rng)
        case _S.ISSUED_AT_NULL:
            return _delivered_once(replace(invoice, issued_at=None), lines, rng)
        case _S.INVOICE_UPDATED:
            first = replace(
                invoice, total=invoice.total + 1000, issued_at=invoice.issued_at - timedelta(days=1)
            )
            corrected = replace(invoice, updated_at=corrected_at)
            return InvoiceBundle(
                [(Slot.MAIN, first), (Slot.CORRECTION, corrected)],
                [(Slot.MAIN, line) for line in lines],
            )
        case _S.VOIDED_LATER:
            voided = replace(invoice, status="VOID", updated_at=corrected_at)
            return InvoiceBundle(
                [(Slot.MAIN, invoice), (Slot.CORRECTION, voided)],
                [(Slot.MAIN, line) for line in lines],
            )
        case _S.UPDATED_AT_TIE:
            # Same updated_at, different content: only the transfer timestamp can decide.
            preliminary = replace(
                invoice, total=invoice.total + 700, invoice_label="Usage invoice (preliminary)"
            )
            return InvoiceBundle(
                [(Slot.MAIN, preliminary), (Slot.TIE_LATE, invoice)],
                [(Slot.MAIN, line) for line in lines],
            )
        case _S.LINE_UPDATED:
            return _line_corrected(invoice, lines, corrected_at)
        case _:
            return _delivered_once(invoice, lines, rng)


def _line_corrected(
    invoice: InvoiceRow, lines: list[LineItemRow], corrected_at: datetime
) -> InvoiceBundle:
    """The platform fee was first billed 2500 too high, then corrected with the invoice."""
    fee, *others = lines
    assert invoice.total is not None and fee.unit_price is not None
    first_fee = replace(fee, unit_price=fee.unit_price + 2500, total=fee.total + 2500)
    first_invoice = replace(invoice, total=invoice.total + 2500)
    return InvoiceBundle(
        [(Slot.MAIN, first_invoice), (Slot.CORRECTION, replace(invoice, updated_at=corrected_at))],
        [
            (Slot.MAIN, first_fee),
            (Slot.CORRECTION, replace(fee, updated_at=corrected_at)),
            *((Slot.MAIN, line) for line in others),
        ],
    )


def _delivered_once(
    invoice: InvoiceRow, lines: list[LineItemRow], rng: random.Random
) -> InvoiceBundle:
    """One version, with the at-least-once export re-sending some rows identically."""
    invoices = [(Slot.MAIN, invoice)]
    if rng.random() < REDELIVERY_SHARE:
        invoices.append((Slot.REDELIVERY, invoice))
    delivered: list[tuple[Slot, LineItemRow]] = []
    for line in lines:
        delivered.append((Slot.MAIN, line))
        if rng.random() < REDELIVERY_SHARE:
            delivered.append((Slot.REDELIVERY, line))
    return InvoiceBundle(invoices, delivered)
