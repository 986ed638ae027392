"""The planted scenarios and the outcome the dbt project must give each of them.

Every planted invoice carries exactly one scenario, so its disposition and reason code are
unambiguous under the project's precedence (environment > void > destination > zero total >
missing field > invalid JSON > customer mapping > credit type > item mapping > line sum).
The planted set is fixed: at any --customers >= MIN_CUSTOMERS and any --months, scaling adds
only plain ready invoices.

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
SCENARIOS_BY_NAME = MappingProxyType(
    {scenario.name: scenario for scenario in PLANTED_SCENARIOS + PLAIN_SCENARIOS}
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


def customer_kind(index: int) -> CustomerKind:
    if index < len(SPECIAL_CUSTOMER_KINDS):
        return SPECIAL_CUSTOMER_KINDS[index]
    return CustomerKind.NORMAL


def plain_invoice_count(customers: int, months: int) -> int:
    """Every ordinary customer gets one invoice per billing period."""
    return (customers - len(SPECIAL_CUSTOMER_KINDS)) * months


def expected_counts(customers: int = 40, months: int = 3) -> dict[tuple[str, str], int]:
    """Invoices per (disposition, reason_code); reason_code is "" for ready."""
    if customers < MIN_CUSTOMERS or months < 1:
        raise ValueError(f"need customers >= {MIN_CUSTOMERS} and months >= 1")
    counts: Counter[tuple[str, str]] = Counter()
    for scenario in PLANTED_SCENARIOS:
        counts[(scenario.disposition.value, scenario.reason_code)] += scenario.count
    counts[(Disposition.READY.value, "")] += plain_invoice_count(customers, months)
    return dict(counts)


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
