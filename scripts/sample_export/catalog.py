"""Reference data: credit types, products and customers, with their exported rows.

Amounts are in credit-type units (cents for fiat). Rates are chosen so every non-zero line is
at least one cent: a sub-cent line would round to 0.00 and blur "zero-amount line" with
"rounding remainder".
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from sample_export.ids import stable_rng, stable_uuid
from sample_export.records import CreditTypeRow, CustomerRow, ProductRow
from sample_export.schedule import Period, Slot

PRODUCTION = "PRODUCTION"
SANDBOX = "SANDBOX"
DESTINATION_FIELD = "billing_provider_destination"
CUSTOMER_ID_FIELD = "netsuite_internal_customer_id"
ITEM_ID_FIELD = "netsuite_internal_item_id"
ADJUSTMENT_ITEM_ID = "9001"
OVERRIDE_NETSUITE_CUSTOMER_ID = "20001"
FIRST_NETSUITE_CUSTOMER_ID = 10001


# --- Credit types ----------------------------------------------------------------------


@dataclass(frozen=True)
class CreditTypeSpec:
    key: str
    name: str
    is_currency: bool


USD = CreditTypeSpec("usd", "USD (cents)", is_currency=True)
EUR = CreditTypeSpec("eur", "EUR (cents)", is_currency=True)
# A custom pricing unit: not money, so never invoiceable in NetSuite.
COMPUTE_CREDITS = CreditTypeSpec("compute_credits", "Compute Credits", is_currency=False)
# Real money, but deliberately absent from the project's credit_type_currencies seed.
CAD = CreditTypeSpec("cad", "CAD (cents)", is_currency=True)
CREDIT_TYPES: tuple[CreditTypeSpec, ...] = (USD, EUR, COMPUTE_CREDITS, CAD)


def credit_type_id(seed: int, credit_type: CreditTypeSpec) -> str:
    return stable_uuid(seed, "credit_type", credit_type.key)


def credit_type_rows(seed: int, first_period: Period) -> list[CreditTypeRow]:
    updated_at = first_period.start - timedelta(days=500)
    return [
        CreditTypeRow(
            id=credit_type_id(seed, credit_type),
            environment_type=PRODUCTION,
            name=credit_type.name,
            is_currency=credit_type.is_currency,
            updated_at=updated_at,
        )
        for credit_type in CREDIT_TYPES
    ]


# --- Products --------------------------------------------------------------------------


class QuantityKind(StrEnum):
    COUNT = "count"
    THREE_DECIMALS = "three_decimals"
    TWO_DECIMALS = "two_decimals"
    ONE = "one"


@dataclass(frozen=True)
class ProductSpec:
    key: str
    name: str
    custom_fields: str
    quantity_kind: QuantityKind
    rates: tuple[Decimal, ...]
    min_quantity: int = 1
    max_quantity: int = 1
    # False for flat fees exported without a rate (unit_price null).
    has_unit_price: bool = True
    # General products appear on plain invoices; the others only where a scenario puts them,
    # so each planted problem touches exactly the invoices it is meant to.
    is_general: bool = True
    is_archived: bool = False
    # Billed through a subscription (recurring charge), which the line references.
    is_subscription: bool = False
    group_key: str | None = None
    group_values: tuple[str, ...] = ()
    pricing_group_values: tuple[str, ...] = ()
    # What the project's netsuite_item_mapping_overrides seed maps this product to.
    override_item_id: str | None = None

    @property
    def is_metered(self) -> bool:
        return self.quantity_kind is not QuantityKind.ONE

    @property
    def netsuite_item_id(self) -> str | None:
        """The item id a correct JSON reader finds in the custom fields."""
        return _json_text_field(self.custom_fields, ITEM_ID_FIELD)


def _item_fields(item_id: str, **extra: str) -> str:
    return json.dumps({ITEM_ID_FIELD: item_id, **extra})


def _d(text: str) -> Decimal:
    return Decimal(text)


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        "api_calls",
        "API calls",
        _item_fields("500", revenue_category="usage"),
        QuantityKind.COUNT,
        rates=(_d("0.0125"),),
        min_quantity=80,
        max_quantity=2_000_000,
        group_key="project",
        group_values=("alpha", "beta", "gamma", "delta"),
    ),
    ProductSpec(
        "data_transfer",
        "Data transfer GB",
        _item_fields("501", revenue_category="usage"),
        QuantityKind.THREE_DECIMALS,
        rates=(_d("9"),),
        max_quantity=20_000,
        is_general=False,
        override_item_id="777",
    ),
    ProductSpec(
        "storage",
        "Storage GB-month",
        _item_fields("502", revenue_category="usage"),
        QuantityKind.THREE_DECIMALS,
        rates=(_d("2.3"),),
        max_quantity=50_000,
    ),
    ProductSpec(
        "compute_hours",
        "Compute hours",
        _item_fields("503", revenue_category="usage"),
        QuantityKind.TWO_DECIMALS,
        rates=(_d("4.8"), _d("9.6")),
        max_quantity=20_000,
        pricing_group_values=(
            '{"region": "us-east-1", "tier": "standard"}',
            '{"region": "us-east-1", "tier": "premium"}',
            '{"region": "eu-west-1", "tier": "standard"}',
            '{"region": "eu-west-1", "tier": "premium"}',
        ),
    ),
    ProductSpec(
        "platform_fee",
        "Platform fee",
        _item_fields("504", revenue_category="subscription"),
        QuantityKind.ONE,
        rates=(_d("50000"), _d("150000"), _d("500000")),
        is_subscription=True,
    ),
    ProductSpec(
        "seats",
        "Seats",
        _item_fields("505", revenue_category="subscription"),
        QuantityKind.COUNT,
        rates=(_d("1500"),),
        max_quantity=250,
        is_subscription=True,
    ),
    ProductSpec(
        "support",
        "Support plan",
        _item_fields("506", revenue_category="services"),
        QuantityKind.ONE,
        rates=(_d("25000"), _d("100000")),
        has_unit_price=False,
        is_subscription=True,
    ),
    ProductSpec(
        "legacy_api_calls",
        "Legacy API calls",
        _item_fields("507", revenue_category="usage"),
        QuantityKind.COUNT,
        rates=(_d("0.02"),),
        min_quantity=80,
        max_quantity=500_000,
        is_general=False,
        is_archived=True,
    ),
    ProductSpec(
        "premium_support",
        "Premium support",
        _item_fields("508", revenue_category="services"),
        QuantityKind.ONE,
        rates=(_d("200000"),),
        is_general=False,
        is_subscription=True,
    ),
    ProductSpec(
        "warehouse_sync",
        "Data warehouse sync",
        json.dumps({"revenue_category": "usage"}),
        QuantityKind.COUNT,
        rates=(_d("4900"),),
        max_quantity=12,
        is_general=False,
    ),
    ProductSpec(
        "gpu_hours",
        "GPU hours",
        "{}",
        QuantityKind.TWO_DECIMALS,
        rates=(_d("250"),),
        max_quantity=2_000,
        is_general=False,
        override_item_id="778",
    ),
    ProductSpec(
        "webhooks",
        "Webhook deliveries",
        # Cut off mid-object, as a truncated write would leave it.
        '{"netsuite_internal_item_id": "511", "revenue_category": ',
        QuantityKind.COUNT,
        rates=(_d("0.001"),),
        min_quantity=10_000,
        max_quantity=5_000_000,
        is_general=False,
    ),
)
PRODUCTS_BY_KEY = MappingProxyType({product.key: product for product in PRODUCTS})
PLATFORM_FEE = PRODUCTS_BY_KEY["platform_fee"]
# Its NetSuite item is left out of the NetSuite reference, so the push is rejected.
PUSH_REJECTED_PRODUCT = PRODUCTS_BY_KEY["premium_support"]


def product_id(seed: int, product: ProductSpec) -> str:
    return stable_uuid(seed, "product", product.key)


def product_rows(seed: int, first_period: Period) -> list[tuple[Slot, ProductRow]]:
    """Each product in the full load; a few re-delivered; the archived one archived later."""
    rows: list[tuple[Slot, ProductRow]] = []
    for position, product in enumerate(PRODUCTS):
        created_at = first_period.start - timedelta(days=400 - 20 * position, hours=position)
        row = ProductRow(
            id=product_id(seed, product),
            environment_type=PRODUCTION,
            name=product.name,
            custom_fields=product.custom_fields,
            created_at=created_at,
            updated_at=created_at + timedelta(days=3),
            archived_at=None,
        )
        rows.append((Slot.MAIN, row))
        if product.is_archived:
            # Archived during the first period, after its last usage was already metered.
            archived_at = first_period.start + timedelta(days=25, hours=10)
            rows.append(
                (Slot.CORRECTION, replace(row, archived_at=archived_at, updated_at=archived_at))
            )
        elif position % 4 == 0:
            rows.append((Slot.REDELIVERY, row))
    return rows


# --- Customers -------------------------------------------------------------------------


class CustomerKind(StrEnum):
    NORMAL = "normal"
    UNMAPPED = "unmapped"
    NULL_CUSTOM_FIELDS = "null_custom_fields"
    OVERRIDE = "override"
    MALFORMED_JSON = "malformed_json"
    STRIPE = "stripe"
    SANDBOX = "sandbox"


@dataclass(frozen=True)
class CustomerProfile:
    """What invoices need to know about their customer; a pure function of seed and index."""

    index: int
    kind: CustomerKind
    customer_id: str
    credit_type: CreditTypeSpec
    custom_fields: str | None
    environment_type: str
    billing_provider_type: str
    # 0..2: selects the plan and the platform fee.
    tier: int

    @property
    def netsuite_customer_id(self) -> str | None:
        """The customer id a correct JSON reader finds in the custom fields."""
        return _json_text_field(self.custom_fields, CUSTOMER_ID_FIELD)

    @property
    def destination(self) -> str | None:
        """The billing destination custom field; None when absent (or unreadable)."""
        return _json_text_field(self.custom_fields, DESTINATION_FIELD)


def customer_id(seed: int, index: int) -> str:
    return stable_uuid(seed, "customer", index)


def make_customer_profile(seed: int, index: int, kind: CustomerKind) -> CustomerProfile:
    is_eur = kind is CustomerKind.NORMAL and index % 5 == 4
    return CustomerProfile(
        index=index,
        kind=kind,
        customer_id=customer_id(seed, index),
        credit_type=EUR if is_eur else USD,
        custom_fields=_customer_custom_fields(index, kind),
        environment_type=SANDBOX if kind is CustomerKind.SANDBOX else PRODUCTION,
        billing_provider_type="stripe" if kind is CustomerKind.STRIPE else "netsuite",
        tier=index % 3,
    )


def assigned_netsuite_customer_id(index: int) -> str:
    """Customer `index`'s NetSuite id: in its custom fields, or added there by a delta."""
    return str(FIRST_NETSUITE_CUSTOMER_ID + index)


def _customer_custom_fields(index: int, kind: CustomerKind) -> str | None:
    netsuite_id = assigned_netsuite_customer_id(index)
    match kind:
        case CustomerKind.NULL_CUSTOM_FIELDS:
            return None
        case CustomerKind.UNMAPPED:
            return json.dumps({DESTINATION_FIELD: "netsuite", "account_tier": "growth"})
        case CustomerKind.OVERRIDE:
            return json.dumps({DESTINATION_FIELD: "netsuite"})
        case CustomerKind.MALFORMED_JSON:
            # Truncated: the closing brace never arrived.
            return f'{{"{CUSTOMER_ID_FIELD}": "{netsuite_id}", "{DESTINATION_FIELD}": "netsuite"'
        case CustomerKind.STRIPE:
            return json.dumps({CUSTOMER_ID_FIELD: netsuite_id, DESTINATION_FIELD: "stripe"})
        case _ if index % 7 == 3:
            # The destination field is optional: absent means "not filtered out".
            return json.dumps({CUSTOMER_ID_FIELD: netsuite_id})
        case _:
            return json.dumps({CUSTOMER_ID_FIELD: netsuite_id, DESTINATION_FIELD: "netsuite"})


_NAME_FIRST = (
    "Acme", "Blue", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Indigo",
    "Juniper", "Keystone", "Lumen", "Meridian", "Northwind", "Orbit", "Pioneer", "Quartz",
    "Redwood", "Summit", "Tidal", "Umbra", "Vertex", "Willow", "Zenith",
)  # fmt: skip
_NAME_SECOND = (
    "Analytics", "Bio", "Cloud", "Data", "Dynamics", "Energy", "Freight", "Health", "Labs",
    "Logistics", "Media", "Networks", "Payments", "Robotics", "Security", "Software",
    "Systems", "Telecom", "Ventures", "Works",
)  # fmt: skip
_NAME_SUFFIX = ("Inc.", "LLC", "Ltd", "GmbH", "SAS", "Corp.", "Co.", "AG")
_ALPHANUMERIC = string.ascii_letters + string.digits


def customer_row(seed: int, profile: CustomerProfile, first_period: Period) -> CustomerRow:
    rng = stable_rng(seed, "customer-row", profile.index)
    created_at = first_period.start - timedelta(
        days=rng.randint(30, 720), seconds=rng.randint(0, 86_399)
    )
    is_stripe = profile.billing_provider_type == "stripe"
    return CustomerRow(
        id=profile.customer_id,
        environment_type=profile.environment_type,
        name=f"{rng.choice(_NAME_FIRST)} {rng.choice(_NAME_SECOND)} {rng.choice(_NAME_SUFFIX)}",
        ingest_aliases=json.dumps([f"acct_{profile.index:06d}"] if rng.random() < 0.8 else []),
        salesforce_account_id=(
            "001" + _random_text(rng, 15, _ALPHANUMERIC) if rng.random() < 0.7 else None
        ),
        billing_provider_type=profile.billing_provider_type,
        billing_provider_customer_id=(
            "cus_" + _random_text(rng, 14, _ALPHANUMERIC) if is_stripe else None
        ),
        custom_fields=profile.custom_fields,
        created_at=created_at,
        updated_at=_customer_updated_at(rng, created_at, first_period.start),
        archived_at=None,
    )


def _customer_updated_at(rng: random.Random, created_at: datetime, load_at: datetime) -> datetime:
    latest = load_at - timedelta(days=1)
    candidate = created_at + timedelta(days=rng.randint(0, 20), seconds=rng.randint(0, 86_399))
    return min(candidate, latest)


def _random_text(rng: random.Random, length: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _json_text_field(text: str | None, key: str) -> str | None:
    if text is None:
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return None
    value = document.get(key) if isinstance(document, dict) else None
    return None if value is None else str(value)
