"""Invoice JSON building: field order, exact decimal text, optional references."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from netsuite_sync.payloads import (
    InvalidInvoice,
    InvoiceHeader,
    InvoiceLine,
    PayloadOptions,
    RenderedInvoice,
    invoice_body,
    plain_decimal_text,
    render_invoice,
    to_json,
)


def header(**overrides) -> InvoiceHeader:
    values = {
        "external_id": "INV-1",
        "netsuite_customer_id": "101",
        "tran_date": date(2024, 2, 1),
        "start_date": date(2024, 1, 1),
        "end_date": date(2024, 1, 31),
        "currency": "USD",
        "currency_minor_unit_digits": 2,
        "netsuite_currency_id": "1",
        "netsuite_custom_form_id": None,
        "netsuite_subsidiary_id": None,
        "total_amount": Decimal("113.0000"),
        "line_count": 2,
        "payload_hash": "h1",
    }
    values.update(overrides)
    return InvoiceHeader(**values)


def lines() -> list[InvoiceLine]:
    return [
        InvoiceLine(
            line_external_id="li-a",
            line_number=1,
            netsuite_item_id="201",
            quantity=Decimal("1500.000000"),
            rate=Decimal("0.00010000"),
            amount=Decimal("0.1500"),
            description="API calls",
        ),
        InvoiceLine(
            line_external_id="li-b",
            line_number=2,
            netsuite_item_id="202",
            quantity=Decimal("1.000000"),
            rate=None,
            amount=Decimal("112.8500"),
            description="Platform fee",
        ),
    ]


def rendered(head: InvoiceHeader, options: PayloadOptions | None = None) -> RenderedInvoice:
    result = render_invoice(head, lines(), options or PayloadOptions())
    assert isinstance(result, RenderedInvoice), result
    return result


def test_body_has_header_fields_then_lines_in_line_number_order_with_exact_decimals():
    options = PayloadOptions()
    text = to_json(invoice_body(rendered(header()), options))
    assert text == (
        '{"entity":{"id":"101"},"externalId":"INV-1","tranDate":"2024-02-01",'
        '"startDate":"2024-01-01","endDate":"2024-01-31","currency":{"id":"1"},'
        '"item":{"items":['
        '{"item":{"id":"201"},"quantity":1500,"rate":0.0001,"amount":0.15,'
        '"description":"API calls","custcol_metronome_line_id":"li-a"},'
        '{"item":{"id":"202"},"quantity":1,"amount":112.85,'
        '"description":"Platform fee","custcol_metronome_line_id":"li-b"}]}}'
    )
    parsed = json.loads(text, parse_float=Decimal)
    amounts = [line["amount"] for line in parsed["item"]["items"]]
    assert sum(amounts) == Decimal("113.00")


def test_lines_are_sent_in_line_number_order_even_if_read_out_of_order():
    result = render_invoice(header(), list(reversed(lines())), PayloadOptions())
    assert isinstance(result, RenderedInvoice)
    assert [line.line_external_id for line in result.lines] == ["li-a", "li-b"]


def test_gaps_in_line_numbers_are_refused():
    gapped = [replace(line, line_number=line.line_number * 2) for line in lines()]
    result = render_invoice(header(), gapped, PayloadOptions())
    assert isinstance(result, InvalidInvoice)
    assert result.problems == ("line_number is not 1..n",)


def test_currency_is_omitted_when_unmapped_so_the_customers_currency_applies():
    body = invoice_body(rendered(header(netsuite_currency_id=None)), PayloadOptions())
    assert "currency" not in body


def test_currency_map_option_overrides_the_mart():
    options = PayloadOptions(currency_ids={"USD": "7"})
    body = invoice_body(rendered(header(netsuite_currency_id=None), options), options)
    assert body["currency"] == {"id": "7"}


def test_form_and_subsidiary_only_when_configured():
    plain = invoice_body(rendered(header()), PayloadOptions())
    assert "customForm" not in plain and "subsidiary" not in plain
    from_mart = invoice_body(
        rendered(header(netsuite_custom_form_id="123", netsuite_subsidiary_id="4")),
        PayloadOptions(),
    )
    assert from_mart["customForm"] == {"id": "123"}
    assert from_mart["subsidiary"] == {"id": "4"}
    options = PayloadOptions(custom_form_id="999")
    overridden = invoice_body(rendered(header(netsuite_custom_form_id="123"), options), options)
    assert overridden["customForm"] == {"id": "999"}


def test_line_id_field_can_be_renamed_or_disabled():
    renamed = PayloadOptions(line_id_field="custcol_other")
    items = invoice_body(rendered(header(), renamed), renamed)["item"]["items"]
    assert [item["custcol_other"] for item in items] == ["li-a", "li-b"]
    disabled = PayloadOptions(line_id_field=None)
    items = invoice_body(rendered(header(), disabled), disabled)["item"]["items"]
    assert all(not key.startswith("custcol") for item in items for key in item)


def test_zero_decimal_currency_amounts_have_no_fraction():
    head = header(currency="JPY", currency_minor_unit_digits=0, total_amount=Decimal("1000.0000"))
    line = InvoiceLine("li", 1, "201", Decimal("2"), Decimal("500"), Decimal("1000.0000"), None)
    result = render_invoice(replace(head, line_count=1), [line], PayloadOptions())
    assert isinstance(result, RenderedInvoice)
    assert to_json(invoice_body(result, PayloadOptions(line_id_field=None))).endswith(
        '"items":[{"item":{"id":"201"},"quantity":2,"rate":500,"amount":1000}]}}'
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1500.000000", "1500"),
        ("1E+2", "100"),
        ("0.00012345", "0.00012345"),
        ("1.50000000", "1.5"),
        ("0.000000", "0"),
        ("-0.0", "0"),
        ("-2.500", "-2.5"),
    ],
)
def test_quantity_and_rate_are_exact_without_trailing_zeros_or_exponents(value, text):
    assert plain_decimal_text(Decimal(value)) == text


def test_negative_zero_amount_is_written_as_zero():
    head = header(total_amount=Decimal("0"), line_count=1)
    line = InvoiceLine("li", 1, "201", Decimal("1"), None, Decimal("-0.0000"), None)
    result = render_invoice(head, [line], PayloadOptions())
    assert isinstance(result, RenderedInvoice)
    assert result.lines[0].amount == "0.00"


def test_invalid_invoices_come_back_as_values_naming_every_problem():
    head = header(total_amount=Decimal("100.0000"), netsuite_customer_id=None)
    bad_lines = lines()
    bad_lines[1] = InvoiceLine("li-b", 2, None, Decimal(1), None, Decimal("112.855"), None)
    result = render_invoice(head, bad_lines, PayloadOptions())
    assert isinstance(result, InvalidInvoice)
    assert result.error_code == "LOCAL_VALIDATION"
    assert result.problems == (
        "netsuite_customer_id is missing",
        "lines sum to 113.0050 but total_amount is 100.0000",
        "line 2: netsuite_item_id is missing",
        "line 2: amount 112.855 has more than 2 decimals",
    )


def test_line_count_mismatch_is_refused():
    result = render_invoice(header(line_count=3), lines(), PayloadOptions())
    assert isinstance(result, InvalidInvoice)
    assert result.problems == ("line_count is 3 but 2 lines were found",)


def test_floats_never_reach_the_json():
    with pytest.raises(TypeError):
        to_json({"amount": 0.1})
    with pytest.raises(TypeError):
        to_json({"amount": Decimal("0.1")})
