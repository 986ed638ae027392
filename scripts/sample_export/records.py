"""Rows of the five exported tables, one dataclass per table.

Field names are the export's column names, in file order, and the Parquet schema is derived
from the annotations so the two cannot drift. JSON columns are `str` holding JSON text,
exactly as Metronome writes them (which is why a malformed value can exist at all).

Rows are values, but not frozen dataclasses: a frozen one sets every field through
object.__setattr__, which made building ten million line items about four times slower. New
versions of a row are made with dataclasses.replace, never by assignment.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

import pyarrow as pa

DECIMAL_TYPE = pa.decimal128(38, 10)
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")
_ARROW_TYPES: dict[type, pa.DataType] = {
    str: pa.string(),
    Decimal: DECIMAL_TYPE,
    datetime: TIMESTAMP_TYPE,
    bool: pa.bool_(),
}


@dataclass(slots=True)
class CreditTypeRow:
    TABLE: ClassVar[str] = "credit_type"

    id: str
    environment_type: str
    name: str
    is_currency: bool
    updated_at: datetime


@dataclass(slots=True)
class ProductRow:
    TABLE: ClassVar[str] = "product"

    id: str
    environment_type: str
    name: str
    custom_fields: str | None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


@dataclass(slots=True)
class CustomerRow:
    TABLE: ClassVar[str] = "customer"

    id: str
    environment_type: str
    name: str
    ingest_aliases: str
    salesforce_account_id: str | None
    billing_provider_type: str
    billing_provider_customer_id: str | None
    custom_fields: str | None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


@dataclass(slots=True)
class InvoiceRow:
    TABLE: ClassVar[str] = "invoice"

    id: str
    environment_type: str
    status: str
    total: Decimal | None
    credit_type_id: str
    credit_type_name: str
    customer_id: str
    plan_id: str | None
    plan_name: str | None
    contract_id: str | None
    billing_provider_invoice_id: str | None
    billing_provider_type: str
    billing_provider_invoice_created_at: datetime | None
    billing_provider_invoice_external_status: str | None
    invoice_label: str
    metadata: str
    start_timestamp: datetime
    end_timestamp: datetime
    issued_at: datetime | None
    updated_at: datetime


@dataclass(slots=True)
class LineItemRow:
    TABLE: ClassVar[str] = "line_item"

    id: str
    environment_type: str
    invoice_id: str
    credit_grant_id: str | None
    credit_type_id: str
    credit_type_name: str
    name: str
    quantity: Decimal
    total: Decimal
    commit_id: str | None
    product_id: str | None
    group_key: str | None
    group_value: str | None
    unit_price: Decimal | None
    pricing_group_values: str | None
    metadata: str
    subscription_id: str | None
    is_prorated: bool
    starting_at: datetime
    ending_before: datetime
    updated_at: datetime


Row = CreditTypeRow | ProductRow | CustomerRow | InvoiceRow | LineItemRow
ROW_TYPES: tuple[type[Row], ...] = (CustomerRow, InvoiceRow, LineItemRow, ProductRow, CreditTypeRow)
TABLE_NAMES: tuple[str, ...] = tuple(row_type.TABLE for row_type in ROW_TYPES)


def column_names(row_type: type[Row]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(row_type))


def arrow_schema(row_type: type[Row]) -> pa.Schema:
    """Every column nullable: the export promises nothing else."""
    hints = typing.get_type_hints(row_type)
    return pa.schema(
        [
            pa.field(name, _ARROW_TYPES[_without_none(hints[name])], nullable=True)
            for name in column_names(row_type)
        ]
    )


def _without_none(annotation: object) -> type:
    if isinstance(annotation, types.UnionType):
        (present,) = (arg for arg in typing.get_args(annotation) if arg is not type(None))
        return present
    assert isinstance(annotation, type)
    return annotation
