"""Invoice records read from the marts and the NetSuite JSON built from them.

Money never passes through float: amounts are Decimals quantized to the currency's minor
unit and written into the JSON as exact number text by our own serialiser.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class InvoiceHeader:
    """One row of the `netsuite_invoices` mart (the columns the push needs)."""

    external_id: str
    netsuite_customer_id: str | None
    tran_date: date | None
    start_date: date | None
    end_date: date | None
    currency: str | None
    currency_minor_unit_digits: int | None
    netsuite_currency_id: str | None
    netsuite_custom_form_id: str | None
    netsuite_subsidiary_id: str | None
    total_amount: Decimal
    line_count: int
    payload_hash: str


@dataclass(frozen=True)
class InvoiceLine:
    """One row of the `netsuite_invoice_lines` mart."""

    line_external_id: str | None
    line_number: int
    netsuite_item_id: str | None
    quantity: Decimal | None
    rate: Decimal | None
    amount: Decimal
    description: str | None


@dataclass(frozen=True)
class PayloadOptions:
    """Settings that shape every payload; overrides win over the mart's columns."""

    line_id_field: str | None = "custcol_metronome_line_id"
    custom_form_id: str | None = None
    subsidiary_id: str | None = None
    currency_ids: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InvalidInvoice:
    """Why an invoice cannot be sent; recorded like a NetSuite validation error."""

    external_id: str
    problems: tuple[str, ...]

    error_code = "LOCAL_VALIDATION"

    @property
    def detail(self) -> str:
        return "; ".join(self.problems)


@dataclass(frozen=True)
class RenderedLine:
    """One line with its money already as exact text (shared by JSON and CSV)."""

    line_external_id: str | None
    item_id: str
    quantity: str | None
    rate: str | None
    amount: str
    description: str | None


@dataclass(frozen=True)
class RenderedInvoice:
    """An invoice that passed validation, with every value NetSuite receives."""

    header: InvoiceHeader
    customer_id: str
    currency_id: str | None
    custom_form_id: str | None
    subsidiary_id: str | None
    lines: tuple[RenderedLine, ...]


class RawNumber(str):
    """Text the JSON serialiser writes unquoted, as a number."""

    __slots__ = ()


def quantize_money(amount: Decimal, digits: int) -> Decimal | None:
    """Amount at exactly `digits` decimals, or None if that would change its value."""
    quantum = Decimal(1).scaleb(-digits)
    quantized = amount.quantize(quantum)
    if quantized != amount:
        return None
    return quantized + 0 if quantized.is_zero() else quantized  # no "-0.00"


def money_text(amount: Decimal, digits: int) -> str:
    quantized = quantize_money(amount, digits)
    if quantized is None:
        raise ValueError(f"{amount} has more than {digits} decimals")
    return format(quantized, "f")


def plain_decimal_text(value: Decimal) -> str:
    """Exact value, trailing zeros stripped, never in exponent form (1E+2 -> 100)."""
    if value.is_zero():
        return "0"
    return format(value.normalize(), "f")


def render_invoice(
    header: InvoiceHeader, lines: Sequence[InvoiceLine], options: PayloadOptions
) -> RenderedInvoice | InvalidInvoice:
    """Validate an invoice and render its values; problems come back as a value."""
    problems: list[str] = []
    lines = sorted(lines, key=lambda line: line.line_number)
    digits = header.currency_minor_unit_digits
    if not header.netsuite_customer_id:
        problems.append("netsuite_customer_id is missing")
    if header.tran_date is None:
        problems.append("tran_date is missing")
    if digits is None or not 0 <= digits <= 6:
        problems.append(f"currency_minor_unit_digits is invalid ({digits!r})")
        digits = None
    if len(lines) != header.line_count:
        problems.append(f"line_count is {header.line_count} but {len(lines)} lines were found")
    if not lines:
        problems.append("invoice has no lines")
    expected_numbers = list(range(1, len(lines) + 1))
    if [line.line_number for line in lines] != expected_numbers:
        problems.append("line_number is not 1..n")
    total = sum((line.amount for line in lines), Decimal(0))
    if lines and total != header.total_amount:
        problems.append(f"lines sum to {total} but total_amount is {header.total_amount}")
    if digits is not None and quantize_money(header.total_amount, digits) is None:
        problems.append(f"total_amount {header.total_amount} has more than {digits} decimals")

    rendered_lines: list[RenderedLine] = []
    for line in lines:
        where = f"line {line.line_number}"
        if not line.netsuite_item_id:
            problems.append(f"{where}: netsuite_item_id is missing")
        if digits is not None and quantize_money(line.amount, digits) is None:
            problems.append(f"{where}: amount {line.amount} has more than {digits} decimals")
        if problems:
            continue
        rendered_lines.append(
            RenderedLine(
                line_external_id=line.line_external_id,
                item_id=str(line.netsuite_item_id),
                quantity=None if line.quantity is None else plain_decimal_text(line.quantity),
                rate=None if line.rate is None else plain_decimal_text(line.rate),
                amount=money_text(line.amount, digits or 0),
                description=line.description,
            )
        )
    if problems:
        return InvalidInvoice(header.external_id, tuple(problems))

    currency_id = (
        options.currency_ids.get(header.currency or "") or header.netsuite_currency_id or None
    )
    return RenderedInvoice(
        header=header,
        customer_id=str(header.netsuite_customer_id),
        currency_id=currency_id,
        custom_form_id=options.custom_form_id or header.netsuite_custom_form_id or None,
        subsidiary_id=options.subsidiary_id or header.netsuite_subsidiary_id or None,
        lines=tuple(rendered_lines),
    )


def invoice_body(invoice: RenderedInvoice, options: PayloadOptions) -> dict[str, Any]:
    """The JSON body of `PUT record/v1/invoice/eid:<externalId>?replace=item`."""
    header = invoice.header
    body: dict[str, Any] = {
        "entity": {"id": invoice.customer_id},
        "externalId": header.external_id,
        "tranDate": _iso(header.tran_date),
    }
    if header.start_date is not None:
        body["startDate"] = _iso(header.start_date)
    if header.end_date is not None:
        body["endDate"] = _iso(header.end_date)
    # Without a mapping the currency is left out so the customer's currency applies.
    if invoice.currency_id:
        body["currency"] = {"id": invoice.currency_id}
    if invoice.custom_form_id:
        body["customForm"] = {"id": invoice.custom_form_id}
    if invoice.subsidiary_id:
        body["subsidiary"] = {"id": invoice.subsidiary_id}
    items: list[dict[str, Any]] = []
    for line in invoice.lines:
        item: dict[str, Any] = {"item": {"id": line.item_id}}
        if line.quantity is not None:
            item["quantity"] = RawNumber(line.quantity)
        if line.rate is not None:
            item["rate"] = RawNumber(line.rate)
        item["amount"] = RawNumber(line.amount)
        if line.description is not None:
            item["description"] = line.description
        if options.line_id_field and line.line_external_id is not None:
            item[options.line_id_field] = line.line_external_id
        items.append(item)
    body["item"] = {"items": items}
    return body


def to_json(value: Any) -> str:
    """Compact JSON where RawNumber is written as a bare number (exact decimal text)."""
    if isinstance(value, RawNumber):
        return str.__str__(value)
    if isinstance(value, Decimal):
        raise TypeError("render Decimals to RawNumber first (exact, quantized text)")
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{json.dumps(str(key))}:{to_json(item)}" for key, item in value.items())
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(item) for item in value) + "]"
    if isinstance(value, float):
        raise TypeError("floats are not allowed in NetSuite payloads")
    return json.dumps(value, ensure_ascii=False)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
