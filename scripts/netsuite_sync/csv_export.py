"""The NetSuite CSV invoice import template (Import Assistant: Transactions / Invoice).

One row per invoice line; External ID repeated on every row groups the lines into one
invoice. Values are those the REST push would send: Customer, Item, Currency, Form and
Subsidiary are NetSuite internal ids (map them as "Internal ID" in the Import Assistant),
Date / Start Date / End Date are YYYY-MM-DD (pick that date format in the assistant's
advanced options), Amount is exact text at the currency's minor unit, Quantity and Rate
are exact with trailing zeros stripped. An empty Currency means the customer's currency.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from netsuite_sync.marts import Candidate
from netsuite_sync.payloads import InvalidInvoice, PayloadOptions, RenderedInvoice, render_invoice

HEADER: tuple[str, ...] = (
    "External ID",
    "Customer",
    "Date",
    "Start Date",
    "End Date",
    "Currency",
    "Item",
    "Quantity",
    "Rate",
    "Amount",
    "Description",
    "Line ID",
    "Form",
    "Subsidiary",
)


@dataclass
class ExportSummary:
    invoices: int = 0
    lines: int = 0
    skipped_unchanged: int = 0
    invalid: list[InvalidInvoice] = field(default_factory=list)


def invoice_rows(invoice: RenderedInvoice) -> Iterable[tuple[str, ...]]:
    header = invoice.header
    for line in invoice.lines:
        yield (
            header.external_id,
            invoice.customer_id,
            _date(header.tran_date),
            _date(header.start_date),
            _date(header.end_date),
            invoice.currency_id or "",
            line.item_id,
            line.quantity or "",
            line.rate or "",
            line.amount,
            line.description or "",
            line.line_external_id or "",
            invoice.custom_form_id or "",
            invoice.subsidiary_id or "",
        )


def write_csv(
    candidates: Iterable[Candidate], out: IO[str], options: PayloadOptions
) -> ExportSummary:
    """Write every sendable candidate; invalid invoices are left out and reported."""
    summary = ExportSummary()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for candidate in candidates:
        if candidate.action == "skip":
            summary.skipped_unchanged += 1
            continue
        rendered = render_invoice(candidate.header, candidate.lines, options)
        if isinstance(rendered, InvalidInvoice):
            summary.invalid.append(rendered)
            continue
        rows = list(invoice_rows(rendered))
        writer.writerows(rows)
        summary.invoices += 1
        summary.lines += len(rows)
    return summary


def _date(value: object) -> str:
    return "" if value is None else str(value)
