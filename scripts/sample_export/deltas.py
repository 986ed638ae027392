"""Delta exports: which invoices and customers the k-th delta after a base export touches.

A delta is what later export refreshes add to an existing export root, as new files only.
Delta k (k = 1, 2, ... up to `max_deltas`) contains, all derived from the seed and k:

- the k-th batch of invoices for billing month M, the month after the base's last one,
  issued on the delta's day (month M is finalized in daily batches);
- corrections of plain base invoices: late usage on one line, the invoice total to match,
  both with a newer updated_at;
- voids of plain base invoices (FINALIZED -> VOID, newer updated_at);
- re-deliveries of plain base invoices and all their lines, unchanged;
- the superseded version of a line_updated invoice's corrected line, re-delivered with its
  older updated_at, which must not win;
- in deltas 1 and 2, a NetSuite id added to a customer that had none, so its held invoice
  becomes ready.

Each plain base invoice is touched by at most one delta, in one way, so its current version
is always the base one and the outcome of every invoice is known by construction. The plain
invoices a delta touches are picked through a bijection of their positions, which spreads
them over customers and months without listing them.

Like the plan, this is cheap (no line items): the manifest and the writer walk it separately.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

from sample_export.catalog import (
    CUSTOMER_ID_FIELD,
    CustomerProfile,
    assigned_netsuite_customer_id,
)
from sample_export.ids import stable_int
from sample_export.plan import (
    ExportConfig,
    PlannedInvoice,
    customer_profile,
    ordinary_customer_indices,
    plain_invoice,
    planted_invoice,
)
from sample_export.scenarios import (
    DELTA_MAPPED_CUSTOMER_KINDS,
    PLANTED_SCENARIOS,
    SCENARIOS_BY_NAME,
    SPECIAL_CUSTOMER_KINDS,
    DeltaSizes,
    Host,
    Scenario,
    ScenarioName,
    delta_sizes,
    max_deltas,
    new_invoice_count,
)
from sample_export.schedule import Period, billing_periods

_S = ScenarioName
# The planted invoices whose corrected line a delta re-delivers in its superseded version.
STALE_LINE_SCENARIO = _S.LINE_UPDATED
_GOLDEN_RATIO_CONJUGATE = 0.6180339887498949


@dataclass(frozen=True)
class CustomerMapping:
    """A customer that had no NetSuite id, the version of it that has one, and its invoice."""

    before: CustomerProfile
    after: CustomerProfile
    invoice_id: str


@dataclass(frozen=True)
class DeltaPlan:
    number: int
    new_period: Period
    new_invoices: tuple[PlannedInvoice, ...]
    updated: tuple[PlannedInvoice, ...]
    voided: tuple[PlannedInvoice, ...]
    redelivered: tuple[PlannedInvoice, ...]
    stale_line_invoice: PlannedInvoice
    mapping: CustomerMapping | None


@dataclass(frozen=True)
class _Shuffle:
    """x -> (stride * x + offset) mod size, a bijection of range(size) when gcd(stride, size)=1."""

    size: int
    stride: int
    offset: int

    def __call__(self, position: int) -> int:
        return (self.stride * position + self.offset) % self.size


def new_period(config: ExportConfig) -> Period:
    """The billing month after the base export's last: the deltas' new invoices bill it."""
    return billing_periods(config.start_month, config.months + 1)[config.months]


def check_delta_number(config: ExportConfig, number: int) -> None:
    limit = max_deltas(config.customers, config.months)
    if not 1 <= number <= limit:
        raise ValueError(
            f"delta must be between 1 and {limit} for {config.customers} customers and "
            f"{config.months} months"
        )


def delta_plan(config: ExportConfig, number: int) -> DeltaPlan:
    check_delta_number(config, number)
    sizes = delta_sizes(config.customers, config.months)
    touched = tuple(_touched_base_invoices(config, sizes, number))
    voided_from = sizes.updated
    redelivered_from = voided_from + sizes.voided
    stale_ordinal = (number - 1) % SCENARIOS_BY_NAME[STALE_LINE_SCENARIO].count
    return DeltaPlan(
        number=number,
        new_period=new_period(config),
        new_invoices=tuple(_new_invoices(config, sizes, number)),
        updated=touched[:voided_from],
        voided=touched[voided_from:redelivered_from],
        redelivered=touched[redelivered_from:],
        stale_line_invoice=planted_invoice(config, STALE_LINE_SCENARIO, stale_ordinal),
        mapping=_customer_mapping(config, number),
    )


def outcome_changes(config: ExportConfig, deltas: int) -> dict[str, Scenario]:
    """The delta scenario of each base invoice whose outcome deltas 1..`deltas` decide."""
    changes: dict[str, Scenario] = {}
    for number in range(1, deltas + 1):
        plan = delta_plan(config, number)
        for name, invoices in (
            (_S.DELTA_INVOICE_UPDATED, plan.updated),
            (_S.DELTA_INVOICE_VOIDED, plan.voided),
            (_S.DELTA_REDELIVERED, plan.redelivered),
            (_S.DELTA_STALE_LINE_REDELIVERED, (plan.stale_line_invoice,)),
        ):
            changes.update((planned.invoice_id, SCENARIOS_BY_NAME[name]) for planned in invoices)
        if plan.mapping is not None:
            changes[plan.mapping.invoice_id] = SCENARIOS_BY_NAME[_S.DELTA_CUSTOMER_MAPPED]
    return changes


def new_invoice_ids(config: ExportConfig, deltas: int) -> Iterator[str]:
    """Ids of the invoices deltas 1..`deltas` add, in delivery order."""
    sizes = delta_sizes(config.customers, config.months)
    for number in range(1, deltas + 1):
        for planned in _new_invoices(config, sizes, number):
            yield planned.invoice_id


def mapped_customers(config: ExportConfig, deltas: int) -> list[CustomerProfile]:
    """Customers that deltas 1..`deltas` gave a NetSuite id, as they are afterwards."""
    mappings = (_customer_mapping(config, number) for number in range(1, deltas + 1))
    return [mapping.after for mapping in mappings if mapping is not None]


def _new_invoices(config: ExportConfig, sizes: DeltaSizes, number: int) -> Iterator[PlannedInvoice]:
    customers = ordinary_customer_indices(config)
    first = customers.start + (number - 1) * sizes.new
    count = new_invoice_count(config.customers, config.months, number)
    period = new_period(config)
    for index in range(first, first + count):
        yield plain_invoice(config, index, period)


def _touched_base_invoices(
    config: ExportConfig, sizes: DeltaSizes, number: int
) -> Iterator[PlannedInvoice]:
    """Delta k's window of the shuffled plain base invoices: disjoint from every other delta's."""
    customers = ordinary_customer_indices(config)
    shuffle = _shuffle(config.seed, len(customers) * config.months)
    per_delta = sizes.base_invoices_per_delta
    for position in range((number - 1) * per_delta, number * per_delta):
        period_index, offset = divmod(shuffle(position), len(customers))
        yield plain_invoice(config, customers.start + offset, config.periods[period_index])


def _shuffle(seed: int, size: int) -> _Shuffle:
    # A stride near size / golden ratio sends consecutive positions far apart.
    stride = max(1, round(size * _GOLDEN_RATIO_CONJUGATE))
    while math.gcd(stride, size) != 1:
        stride += 1
    return _Shuffle(size=size, stride=stride, offset=stable_int(seed, "delta-shuffle") % size)


def _customer_mapping(config: ExportConfig, number: int) -> CustomerMapping | None:
    if number > len(DELTA_MAPPED_CUSTOMER_KINDS):
        return None
    kind = DELTA_MAPPED_CUSTOMER_KINDS[number - 1]
    before = customer_profile(config.seed, SPECIAL_CUSTOMER_KINDS.index(kind))
    fields = json.loads(before.custom_fields or "{}")
    fields[CUSTOMER_ID_FIELD] = assigned_netsuite_customer_id(before.index)
    (scenario,) = (
        s for s in PLANTED_SCENARIOS if s.host is Host.OWN_CUSTOMER and s.customer_kind is kind
    )
    return CustomerMapping(
        before=before,
        after=replace(before, custom_fields=json.dumps(fields)),
        invoice_id=planted_invoice(config, scenario.name, 0).invoice_id,
    )
