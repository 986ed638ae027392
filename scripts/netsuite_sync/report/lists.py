"""The three action lists, Missing, Mismatched and Held: their columns, and a row as cells."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from netsuite_sync.report.cells import (
    amount_cell,
    date_cell,
    month_cell,
    status_cell,
    text_cell,
)
from netsuite_sync.report.data import ActionList, Cell, Column, status_info

Row = dict[str, Any]

MISSING_COLUMNS = (
    Column("status", "Status", "status"),
    Column("external_id", "Invoice (external id)", "id"),
    Column("billing_month", "Billing month", "month"),
    Column("customer", "Customer", "id"),
    Column("currency", "Currency"),
    Column("metronome_total", "Metronome amount", "amount"),
    Column("netsuite_total", "NetSuite amount", "amount"),
    Column("netsuite_document_number", "NetSuite doc"),
    Column("push_error", "NetSuite error / next step", "wrap"),
)

MISMATCHED_COLUMNS = (
    Column("status", "Status", "status"),
    Column("external_id", "Invoice (external id)", "id"),
    Column("billing_month", "Billing month", "month"),
    Column("currency", "Currency"),
    Column("metronome_total", "Metronome amount", "amount"),
    Column("netsuite_total", "NetSuite amount", "amount"),
    Column("amount_difference", "Difference", "amount"),
    Column("differs", "What differs", "compare"),
    Column("netsuite_document_number", "NetSuite doc"),
)

HELD_COLUMNS = (
    Column("external_id", "Invoice (external id)", "id"),
    Column("billing_month", "Billing month", "month"),
    Column("currency", "Currency"),
    Column("total_amount", "Amount", "amount"),
    Column("reason_code", "Reason"),
    Column("detail", "What to fix", "wrap"),
)

_CELL_OF_KIND: dict[str, Callable[[Any], Cell]] = {
    "status": status_cell,
    "month": month_cell,
    "amount": amount_cell,
    "compare": lambda cell: cell,  # built whole from the row, by _what_differs
}


def _cells(columns: Sequence[Column], row: Row) -> tuple[Cell, ...]:
    return tuple(_CELL_OF_KIND.get(c.kind, text_cell)(row[c.field]) for c in columns)


def missing_list(rows: Sequence[Row], total: int) -> ActionList:
    return ActionList(
        key="missing",
        title="Missing",
        intro="Invoices on one side only: not in NetSuite although ready (or the push "
        "failed), or in NetSuite with an external id Metronome does not know.",
        columns=MISSING_COLUMNS,
        rows=tuple(
            _cells(
                MISSING_COLUMNS,
                {**row, "customer": _customer(row), "push_error": _next_step(row)},
            )
            for row in rows
        ),
        total=total,
    )


def _customer(row: Row) -> str | None:
    return row["metronome_customer_id"] or (
        f"NetSuite {row['netsuite_customer_id']}" if row["netsuite_customer_id"] else None
    )


def _next_step(row: Row) -> str:
    if row["last_push_error_code"] or row["last_push_error_detail"]:
        code = row["last_push_error_code"] or "error"
        return f"{code}: {row['last_push_error_detail'] or ''}".strip()
    return status_info(row["status"]).action


def mismatched_list(rows: Sequence[Row], total: int) -> ActionList:
    return ActionList(
        key="mismatched",
        title="Mismatched",
        intro="Invoices on both sides that disagree, and excluded invoices NetSuite has "
        "anyway. Difference is NetSuite minus Metronome: positive means NetSuite bills more.",
        columns=MISMATCHED_COLUMNS,
        rows=tuple(
            _cells(MISMATCHED_COLUMNS, {**row, "differs": _what_differs(row)}) for row in rows
        ),
        total=total,
    )


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _what_differs(row: Row) -> Cell:
    status = row["status"]
    if status == "amount_mismatch":
        pair = (amount_cell(row["metronome_total"]), amount_cell(row["netsuite_total"]))
        return Cell("total", "total", pair)
    if status == "customer_mismatch":
        pair = (
            text_cell(row["expected_netsuite_customer_id"]),
            text_cell(row["netsuite_customer_id"]),
        )
        return Cell("NetSuite customer id", "customer", pair)
    if status == "currency_mismatch":
        pair = (
            text_cell(row["expected_netsuite_currency_id"]),
            text_cell(row["netsuite_currency_id"]),
        )
        return Cell("NetSuite currency id", "currency", pair)
    if status == "line_mismatch":
        metronome, netsuite = row["metronome_line_count"], row["netsuite_line_count"]
        pair = (
            Cell(f"{metronome} lines", _str(metronome)),
            Cell(
                f"{netsuite} lines, {row['unmatched_line_count'] or 0} not matching", _str(netsuite)
            ),
        )
        return Cell("lines", "lines", pair)
    if status == "date_mismatch":
        if row["expected_tran_date"] == row["netsuite_tran_date"]:
            return Cell("billing period start or end date", "period")
        pair = (date_cell(row["expected_tran_date"]), date_cell(row["netsuite_tran_date"]))
        return Cell("invoice date", "tran_date", pair)
    if status == "duplicate_in_netsuite":
        count = row["netsuite_invoice_count"]
        pair = (Cell("1 invoice", "1"), Cell(f"{count} invoices", _str(count)))
        return Cell("invoices with this external id", "invoice_count", pair)
    if status == "void_in_metronome":
        return Cell("status", "void", (Cell("void", "void"), Cell("open", "open")))
    reason = row["metronome_reason_code"]
    pair = (Cell(f"excluded: {reason or 'by a rule'}", reason), Cell("invoiced", "invoiced"))
    return Cell("whether to invoice", "excluded", pair)


def held_list(rows: Sequence[Row], total: int) -> ActionList:
    return ActionList(
        key="held",
        title="Held",
        intro="Invoices not sent to NetSuite until a problem is fixed, one row per problem "
        "(from netsuite_invoice_exceptions). Fix it where the sentence says; the next "
        "dbt build and push send the invoice.",
        columns=HELD_COLUMNS,
        rows=tuple(_cells(HELD_COLUMNS, row) for row in rows),
        total=total,
        unit="problems",
    )
