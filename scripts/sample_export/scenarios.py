"""The planted scenarios and the outcome the dbt project must give each of them.

Every planted invoice carries exactly one scenario, so its disposition and reason code are
unambiguous under the project's precedence (environment > void > destination > zero total >
missing field > invalid JSON > customer mapping > credit type > item mapping > line sum).
The planted set is fixed: at any --customers >= MIN_CUSTOMERS and any --months, scaling adds
only plain ready invoices. Deltas (sample_export.deltas) then touch plain invoices and four
planted ones as DELTA_SCENARIOS say, in numbers that `delta_sizes` derives from the base.

The project's override seeds (seeds/netsuite_customer_mapping_overrides.csv and
seeds/netsuite_item_mapping_overrides.csv) hold `override_seed_rows(42)`: ids derive from the
seed, so those files match exports generated with the default seed 42 only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from sample_export.catalog import (
    OVERRIDE_NETSUITE_CUSTOMER_ID,
    PRODUCTS,
    CustomerKind,
    customer_id,
    product_id,
)

DEFAULT_SEED = 42


class Disposition(StrEnum):
    READY = "ready"
    HELD = "held"
    EXCLUDED = "excluded"


class ScenarioName(StrEnum):
    PLAIN = "plain"
    EUR_CURRENCY = "eur_currency"
    ADJUSTMENT_LINE = "adjustment_line"
    DESTINATION_FIELD_ABSENT = "destination_field_absent"
    SANDBOX_ENVIRONMENT = "sandbox_environment"
    VOIDED_LATER = "voided_later"
    VOID_FROM_START = "void_from_start"
    DESTINATION_STRIPE = "destination_stripe"
    ZERO_TOTAL = "zero_total"
    TOTAL_NULL = "total_null"
    CUSTOMER_MALFORMED_JSON = "customer_malformed_json"
    PRODUCT_MALFORMED_JSON = "product_malformed_json"
    CUSTOMER_UNMAPPED = "customer_unmapped"
    CUSTOMER_CUSTOM_FIELDS_NULL = "customer_custom_fields_null"
    CUSTOMER_NOT_IN_EXPORT = "customer_not_in_export"
    COMPUTE_CREDITS = "compute_credits"
    CAD_NOT_IN_SEED = "cad_not_in_seed"
    PRODUCT_UNMAPPED = "product_unmapped"
    LINES_MISMATCH = "lines_mismatch"
    INVOICE_UPDATED = "invoice_updated"
    LINE_UPDATED = "line_updated"
    UPDATED_AT_TIE = "updated_at_tie"
    FRACTIONAL_CENTS = "fractional_cents_within_tolerance"
    CUSTOMER_OVERRIDE = "customer_override"
    PRODUCT_OVERRIDE = "product_override"
    PRODUCT_OVERRIDE_CONTRADICTS = "product_override_contradicts_custom_field"
    ISSUED_AT_NULL = "issued_at_null"
    ARCHIVED_PRODUCT = "archived_product"
    PUSH_REJECTED_ITEM = "push_rejected_item"
    # What delta exports do to an invoice (see sample_export.deltas).
    DELTA_NEW_INVOICE = "delta_new_invoice"
    DELTA_INVOICE_UPDATED = "delta_invoice_updated"
    DELTA_INVOICE_VOIDED = "delta_invoice_voided"
    DELTA_REDELIVERED = "delta_redelivered"
    DELTA_STALE_LINE_REDELIVERED = "delta_stale_line_redelivered"
    DELTA_CUSTOMER_MAPPED = "delta_customer_mapped"


class Host(StrEnum):
    """Whose invoice a scenario is."""

    # Spread round-robin over ordinary USD customers, alongside their monthly invoices.
    USD_CUSTOMER = "usd_customer"
    # A customer id that is absent from the customer table.
    NO_CUSTOMER = "no_customer"
    # A dedicated customer with this problem and exactly this one invoice.
    OWN_CUSTOMER = "own_customer"


@dataclass(frozen=True)
class Scenario:
    name: ScenarioName
    count: int
    disposition: Disposition
    reason_code: str = ""
    host: Host = Host.USD_CUSTOMER
    customer_kind: CustomerKind = CustomerKind.NORMAL


_R, _H, _X = Disposition.READY, Disposition.HELD, Disposition.EXCLUDED
_OWN = Host.OWN_CUSTOMER
_S = ScenarioName
PLANTED_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(_S.SANDBOX_ENVIRONMENT, 1, _X, "environment_not_selected", _OWN, CustomerKind.SANDBOX),
    Scenario(_S.VOIDED_LATER, 3, _X, "void"),
    Scenario(_S.VOID_FROM_START, 1, _X, "void"),
    Scenario(_S.DESTINATION_STRIPE, 2, _X, "not_netsuite_destination", _OWN, CustomerKind.STRIPE),
    Scenario(_S.ZERO_TOTAL, 3, _X, "zero_total"),
    Scenario(_S.TOTAL_NULL, 1, _H, "missing_required_field"),
    Scenario(
        _S.CUSTOMER_MALFORMED_JSON, 1, _H, "invalid_custom_fields_json", _OWN,
        CustomerKind.MALFORMED_JSON,
    ),
    Scenario(_S.PRODUCT_MALFORMED_JSON, 1, _H, "invalid_custom_fields_json"),
    Scenario(_S.CUSTOMER_UNMAPPED, 1, _H, "missing_customer_mapping", _OWN, CustomerKind.UNMAPPED),
    Scenario(
        _S.CUSTOMER_CUSTOM_FIELDS_NULL, 1, _H, "missing_customer_mapping", _OWN,
        CustomerKind.NULL_CUSTOM_FIELDS,
    ),
    Scenario(_S.CUSTOMER_NOT_IN_EXPORT, 1, _H, "missing_customer_mapping", Host.NO_CUSTOMER),
    Scenario(_S.COMPUTE_CREDITS, 2, _H, "unsupported_credit_type"),
    Scenario(_S.CAD_NOT_IN_SEED, 1, _H, "unsupported_credit_type"),
    Scenario(_S.PRODUCT_UNMAPPED, 2, _H, "missing_item_mapping"),
    Scenario(_S.LINES_MISMATCH, 1, _H, "lines_do_not_sum_to_total"),
    Scenario(_S.INVOICE_UPDATED, 3, _R),
    Scenario(_S.LINE_UPDATED, 2, _R),
    Scenario(_S.UPDATED_AT_TIE, 1, _R),
    Scenario(_S.FRACTIONAL_CENTS, 3, _R),
    Scenario(_S.CUSTOMER_OVERRIDE, 1, _R, "", _OWN, CustomerKind.OVERRIDE),
    Scenario(_S.PRODUCT_OVERRIDE, 2, _R),
    Scenario(_S.PRODUCT_OVERRIDE_CONTRADICTS, 2, _R),
    Scenario(_S.ISSUED_AT_NULL, 2, _R),
    Scenario(_S.ARCHIVED_PRODUCT, 2, _R),
    Scenario(_S.PUSH_REJECTED_ITEM, 1, _R),
)  # fmt: skip
# Ordinary invoices; their count scales with --customers and --months.
PLAIN_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(_S.PLAIN, 0, _R),
    Scenario(_S.EUR_CURRENCY, 0, _R),
    Scenario(_S.ADJUSTMENT_LINE, 0, _R),
    # The customer's custom fields lack billing_provider_destination: not filtered out.
    Scenario(_S.DESTINATION_FIELD_ABSENT, 0, _R),
)
# The outcome an invoice has after the delta that touched it last; counts vary per delta.
DELTA_SCENARIOS: tuple[Scenario, ...] = (
    # The next batch of the billing month after the base: ordinary invoices.
    Scenario(_S.DELTA_NEW_INVOICE, 0, _R),
    # A plain invoice corrected (late usage on one line, the total to match): still ready.
    Scenario(_S.DELTA_INVOICE_UPDATED, 0, _R),
    Scenario(_S.DELTA_INVOICE_VOIDED, 0, _X, "void"),
    # A plain invoice and its lines delivered again, unchanged.
    Scenario(_S.DELTA_REDELIVERED, 0, _R),
    # A line_updated invoice whose superseded line arrives again: the newer line must win.
    Scenario(_S.DELTA_STALE_LINE_REDELIVERED, 0, _R),
    # The invoice of a customer that gained its NetSuite id: no longer held.
    Scenario(_S.DELTA_CUSTOMER_MAPPED, 0, _R),
)
SCENARIOS_BY_NAME = MappingProxyType(
    {scenario.name: scenario for scenario in PLANTED_SCENARIOS + PLAIN_SCENARIOS + DELTA_SCENARIOS}
)

# Customers 0..N-1 of the customer table are the dedicated ones, in scenario order.
SPECIAL_CUSTOMER_KINDS: tuple[CustomerKind, ...] = tuple(
    scenario.customer_kind
    for scenario in PLANTED_SCENARIOS
    if scenario.host is Host.OWN_CUSTOMER
    for _ in range(scenario.count)
)
# Enough ordinary customers that the USD ones can host every planted invoice.
MIN_CUSTOMERS = 20
# Delta k gives the k-th of these customers a NetSuite id (deltas 1 and 2 only).
DELTA_MAPPED_CUSTOMER_KINDS: tuple[CustomerKind, ...] = (
    CustomerKind.UNMAPPED,
    CustomerKind.NULL_CUSTOM_FIELDS,
)


def customer_kind(index: int) -> CustomerKind:
    if index < len(SPECIAL_CUSTOMER_KINDS):
        return SPECIAL_CUSTOMER_KINDS[index]
    return CustomerKind.NORMAL


def plain_invoice_count(customers: int, months: int) -> int:
    """Every ordinary customer gets one invoice per billing period."""
    return (customers - len(SPECIAL_CUSTOMER_KINDS)) * months


def base_invoice_count(customers: int, months: int) -> int:
    """Distinct invoices in an export without deltas."""
    planted = sum(scenario.count for scenario in PLANTED_SCENARIOS)
    return planted + plain_invoice_count(customers, months)


@dataclass(frozen=True)
class DeltaSizes:
    """Invoices each delta touches, from the base export's size.

    new + updated + voided is about 1% of the base invoices at scale: the delta the
    incremental benchmark applies. Re-deliveries change nothing, so they do not count.
    """

    new: int
    updated: int
    voided: int
    redelivered: int

    @property
    def base_invoices_per_delta(self) -> int:
        """Plain base invoices one delta uses up: no delta touches an invoice another did."""
        return self.updated + self.voided + self.redelivered


# (share of the base invoice count, minimum) per delta; the minimums set the default scale.
_NEW_SIZE = (0.004, 3)
_UPDATED_SIZE = (0.005, 3)
_VOIDED_SIZE = (0.001, 2)
_REDELIVERED_SIZE = (0.002, 2)


def delta_sizes(customers: int, months: int) -> DeltaSizes:
    base = base_invoice_count(customers, months)

    def size(share_and_minimum: tuple[float, int]) -> int:
        share, minimum = share_and_minimum
        return max(minimum, round(base * share))

    ordinary = customers - len(SPECIAL_CUSTOMER_KINDS)
    return DeltaSizes(
        new=min(ordinary, size(_NEW_SIZE)),
        updated=size(_UPDATED_SIZE),
        voided=size(_VOIDED_SIZE),
        redelivered=size(_REDELIVERED_SIZE),
    )


def max_deltas(customers: int, months: int) -> int:
    """Deltas until the new month's customers or the untouched plain invoices run out."""
    sizes = delta_sizes(customers, months)
    ordinary = customers - len(SPECIAL_CUSTOMER_KINDS)
    new_batches = -(-ordinary // sizes.new)
    return min(new_batches, plain_invoice_count(customers, months) // sizes.base_invoices_per_delta)


def new_invoice_count(customers: int, months: int, number: int) -> int:
    """New invoices in delta `number`: full batches, then whatever customers remain."""
    sizes = delta_sizes(customers, months)
    ordinary = customers - len(SPECIAL_CUSTOMER_KINDS)
    return max(0, min(sizes.new, ordinary - (number - 1) * sizes.new))


def expected_counts(
    customers: int = 40, months: int = 3, deltas: int = 0
) -> dict[tuple[str, str], int]:
    """Invoices per (disposition, reason_code) after `deltas` deltas; "" for ready."""
    if customers < MIN_CUSTOMERS or months < 1:
        raise ValueError(f"need customers >= {MIN_CUSTOMERS} and months >= 1")
    if not 0 <= deltas <= max_deltas(customers, months):
        raise ValueError(f"deltas must be between 0 and {max_deltas(customers, months)}")
    counts: Counter[tuple[str, str]] = Counter()
    for scenario in PLANTED_SCENARIOS:
        counts[(scenario.disposition.value, scenario.reason_code)] += scenario.count
    ready = (Disposition.READY.value, "")
    counts[ready] += plain_invoice_count(customers, months)
    sizes = delta_sizes(customers, months)
    for number in range(1, deltas + 1):
        counts[ready] += new_invoice_count(customers, months, number) - sizes.voided
        counts[(Disposition.EXCLUDED.value, "void")] += sizes.voided
    for kind in DELTA_MAPPED_CUSTOMER_KINDS[:deltas]:
        counts[_own_customer_outcome(kind)] -= 1
        counts[ready] += 1
    return {outcome: count for outcome, count in counts.items() if count}


def _own_customer_outcome(kind: CustomerKind) -> tuple[str, str]:
    (scenario,) = (
        s for s in PLANTED_SCENARIOS if s.host is Host.OWN_CUSTOMER and s.customer_kind is kind
    )
    return scenario.disposition.value, scenario.reason_code


def override_seed_rows(seed: int = DEFAULT_SEED) -> dict[str, list[tuple[str, str]]]:
    """Rows of the project's two override seeds, for exports generated with `seed`."""
    override_customers = [
        (customer_id(seed, index), OVERRIDE_NETSUITE_CUSTOMER_ID)
        for index, kind in enumerate(SPECIAL_CUSTOMER_KINDS)
        if kind is CustomerKind.OVERRIDE
    ]
    override_products = [
        (product_id(seed, product), product.override_item_id)
        for product in PRODUCTS
        if product.override_item_id is not None
    ]
    return {"customers": override_customers, "products": override_products}
