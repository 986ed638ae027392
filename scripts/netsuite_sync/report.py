"""The reconciliation report: one self-contained HTML page that finance opens.

Everything is counted and summed in the warehouse; only the aggregates and the first
rows of each action list reach Python, so memory does not grow with the marts. Amounts
stay `Decimal` from the warehouse to the page and are shown as exact decimal text; only
the charts get floats. The page embeds plotly.js, so it works offline and loads nothing.
Every number shown carries `data-testid` / `data-field` and `data-value` attributes, so
a test (or a person with the browser's inspector) can trace it back to the marts.
"""

# SQL here is assembled from identifiers quoted by Dialect and this module's own status
# names and column lists; values are bound.
# ruff: noqa: S608

from __future__ import annotations

import html
import json
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from netsuite_sync.settings import SettingsError
from netsuite_sync.values import as_date, as_decimal
from netsuite_sync.warehouse import Warehouse

INVOICES_MART = "reconciliation_invoices"
SUMMARY_MART = "reconciliation_summary"
EXCEPTIONS_MART = "netsuite_invoice_exceptions"
DEFAULT_LIST_LIMIT = 500
DEFAULT_TOP_DIFFERENCES = 15
TEMPLATE = "report_template.html"


@dataclass(frozen=True)
class StatusInfo:
    label: str
    group: str  # matched, missing, mismatched, held or excluded
    action: str
    color: str


# In the order of reconciliation_invoices' precedence, matched last.
# fmt: off
STATUSES: dict[str, StatusInfo] = {
    status: StatusInfo(label, group, action, color)
    for status, label, group, color, action in (
        ("duplicate_in_netsuite", "Duplicate in NetSuite", "mismatched", "#5e35b1",
         "Void or delete the extra NetSuite invoice."),
        ("missing_in_metronome", "Missing in Metronome", "missing", "#8e24aa",
         "Check who created it in NetSuite; void it if it is not real."),
        ("void_in_metronome", "Void in Metronome", "mismatched", "#3949ab",
         "It is still open in NetSuite: void it there."),
        ("excluded_in_metronome", "Excluded (not for NetSuite)", "excluded", "#b0bec5",
         "Nothing, unless NetSuite has it anyway (listed under Mismatched)."),
        ("held_in_metronome", "Held in Metronome", "held", "#f9a825",
         "Fix the problem listed under Held; the next dbt build and push send it."),
        ("push_failed", "Push failed", "missing", "#ad1457",
         "Read the NetSuite error, fix it, push again."),
        ("missing_in_netsuite", "Missing in NetSuite", "missing", "#d32f2f",
         "Run netsuite-sync push."),
        ("customer_mismatch", "Customer differs", "mismatched", "#ef6c00",
         "Correct the customer mapping or the NetSuite invoice."),
        ("currency_mismatch", "Currency differs", "mismatched", "#8d6e63",
         "Correct the currency in NetSuite or seed netsuite_currencies."),
        ("amount_mismatch", "Amount differs", "mismatched", "#1e88e5",
         "Compare the lines in reconciliation_invoice_lines."),
        ("line_mismatch", "Lines differ", "mismatched", "#546e7a",
         "Compare the lines in reconciliation_invoice_lines."),
        ("date_mismatch", "Dates differ", "mismatched", "#00838f",
         "Correct the dates in NetSuite."),
        ("matched", "Matched", "matched", "#2e7d32", "Nothing."),
    )
}
# fmt: on

MISSING_STATUSES = tuple(s for s, info in STATUSES.items() if info.group == "missing")
MISMATCHED_STATUSES = tuple(s for s, info in STATUSES.items() if info.group == "mismatched")
# Statuses whose invoices are not (yet) where they should be: everything but these.
SETTLED_STATUSES = ("matched", "excluded_in_metronome")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class StatusCount:
    status: str
    invoices: int


@dataclass(frozen=True)
class MonthStatusCount:
    billing_month: date | None
    status: str
    invoices: int


@dataclass(frozen=True)
class CurrencyAmounts:
    """Per currency: the amount (Metronome's, else NetSuite's) by where invoices stand."""

    currency: str | None
    matched: Decimal
    matched_invoices: int
    outstanding: Decimal
    outstanding_invoices: int
    outstanding_without_amount: int
    excluded: Decimal
    excluded_invoices: int


@dataclass(frozen=True)
class Difference:
    external_id: str
    status: str
    currency: str | None
    metronome_total: Decimal | None
    netsuite_total: Decimal | None
    difference: Decimal


@dataclass(frozen=True)
class Column:
    field: str
    heading: str
    kind: str = "text"  # text, id, amount, status, compare or wrap


@dataclass(frozen=True)
class Cell:
    text: str
    value: str | None = None  # the exact value behind the text
    # For "what differs": Metronome's value and NetSuite's, shown under `text`.
    compare: tuple[Cell, Cell] | None = None


@dataclass(frozen=True)
class ActionList:
    key: str
    title: str
    intro: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: int
    unit: str = "invoices"


@dataclass(frozen=True)
class ReportData:
    statuses: tuple[StatusCount, ...]
    months: tuple[MonthStatusCount, ...]
    currencies: tuple[CurrencyAmounts, ...]
    differences: tuple[Difference, ...]
    lists: tuple[ActionList, ...]

    @property
    def invoices(self) -> int:
        return sum(s.invoices for s in self.statuses)

    def count(self, *groups: str) -> int:
        return sum(s.invoices for s in self.statuses if _info(s.status).group in groups)


GROUPS = ("matched", "missing", "mismatched", "held", "excluded")


@dataclass(frozen=True)
class ReportSummary:
    path: Path
    invoices: dict[str, int]  # per group of statuses, in GROUPS order
    list_totals: dict[str, int]  # rows of each action list
    list_shown: dict[str, int]  # of which on the page
    size_bytes: int


@dataclass(frozen=True)
class Relations:
    invoices: str
    summary: str
    exceptions: str


# --------------------------------------------------------------------------- reading


def mart_relations(warehouse: Warehouse, marts_schema: str) -> Relations:
    missing = [
        name
        for name in (INVOICES_MART, SUMMARY_MART, EXCEPTIONS_MART)
        if not warehouse.table_exists(marts_schema, name)
    ]
    if missing:
        raise SettingsError(
            f"{', '.join(missing)} not found in schema {marts_schema!r}: build the marts "
            "first (`dbt build`, and after a pull `dbt build --selector reconciliation`), "
            "or pass --marts-schema"
        )
    relation = warehouse.dialect.relation
    return Relations(
        invoices=relation(marts_schema, INVOICES_MART),
        summary=relation(marts_schema, SUMMARY_MART),
        exceptions=relation(marts_schema, EXCEPTIONS_MART),
    )


def read_report_data(
    warehouse: Warehouse,
    relations: Relations,
    *,
    list_limit: int = DEFAULT_LIST_LIMIT,
    top_differences: int = DEFAULT_TOP_DIFFERENCES,
) -> ReportData:
    return ReportData(
        statuses=_read_statuses(warehouse, relations),
        months=_read_months(warehouse, relations),
        currencies=_read_currencies(warehouse, relations),
        differences=_read_differences(warehouse, relations, top_differences),
        lists=(
            _read_missing(warehouse, relations, list_limit),
            _read_mismatched(warehouse, relations, list_limit),
            _read_held(warehouse, relations, list_limit),
        ),
    )


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def _read_statuses(warehouse: Warehouse, relations: Relations) -> tuple[StatusCount, ...]:
    rows = warehouse.query(
        f"select cast(status as varchar), sum(invoice_count) from {relations.summary}"
        " group by status"
    )
    counts = {status: int(invoices) for status, invoices in rows}
    ordered = sorted(counts, key=_status_order)
    return tuple(StatusCount(status, counts[status]) for status in ordered)


def _read_months(warehouse: Warehouse, relations: Relations) -> tuple[MonthStatusCount, ...]:
    rows = warehouse.query(
        f"select billing_month, cast(status as varchar), sum(invoice_count)"
        f" from {relations.summary} group by billing_month, status"
        " order by billing_month nulls last, status"
    )
    return tuple(
        MonthStatusCount(as_date(month), status, int(invoices)) for month, status, invoices in rows
    )


def _read_currencies(warehouse: Warehouse, relations: Relations) -> tuple[CurrencyAmounts, ...]:
    settled = _marks(SETTLED_STATUSES)
    rows = warehouse.query(
        f"""
        select
            cast(currency as varchar),
            sum(case when status = 'matched' then amount end),
            sum(case when status = 'matched' then 1 else 0 end),
            sum(case when status not in ({settled}) then amount end),
            sum(case when status not in ({settled}) then 1 else 0 end),
            sum(case when status not in ({settled}) and amount is null then 1 else 0 end),
            sum(case when status = 'excluded_in_metronome' then amount end),
            sum(case when status = 'excluded_in_metronome' then 1 else 0 end)
        from (
            select status, currency, coalesce(metronome_total, netsuite_total) as amount
            from {relations.invoices}
        ) as invoices
        group by currency
        order by currency nulls last
        """,
        [*SETTLED_STATUSES, *SETTLED_STATUSES, *SETTLED_STATUSES],
    )
    return tuple(
        CurrencyAmounts(
            currency=row[0],
            matched=as_decimal(row[1]) or Decimal(0),
            matched_invoices=int(row[2]),
            outstanding=as_decimal(row[3]) or Decimal(0),
            outstanding_invoices=int(row[4]),
            outstanding_without_amount=int(row[5]),
            excluded=as_decimal(row[6]) or Decimal(0),
            excluded_invoices=int(row[7]),
        )
        for row in rows
    )


def _read_differences(
    warehouse: Warehouse, relations: Relations, limit: int
) -> tuple[Difference, ...]:
    # A side that is missing counts as zero: an invoice NetSuite lacks is a gap of
    # its whole amount. Held and excluded invoices are not expected in NetSuite.
    excluded = ("matched", "held_in_metronome", "excluded_in_metronome")
    rows = warehouse.query(
        f"""
        select external_id, status, currency, metronome_total, netsuite_total, difference
        from (
            select
                cast(external_id as varchar) as external_id,
                cast(status as varchar) as status,
                cast(currency as varchar) as currency,
                metronome_total,
                netsuite_total,
                coalesce(netsuite_total, 0) - coalesce(metronome_total, 0) as difference
            from {relations.invoices}
            where status not in ({_marks(excluded)})
        ) as gaps
        where difference <> 0
        order by abs(difference) desc, external_id
        limit {int(limit)}
        """,
        list(excluded),
    )
    return tuple(
        Difference(
            external_id=row[0],
            status=row[1],
            currency=row[2],
            metronome_total=as_decimal(row[3]),
            netsuite_total=as_decimal(row[4]),
            difference=as_decimal(row[5]) or Decimal(0),
        )
        for row in rows
    )


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _status_rank_sql(statuses: Sequence[str]) -> str:
    # Literals, not binds, so that no warehouse has to accept a bind in ORDER BY; the
    # names are this module's constants.
    whens = " ".join(f"when {_sql_string(s)} then {rank}" for rank, s in enumerate(statuses))
    return f"case status {whens} else {len(statuses)} end"


def _capped(
    warehouse: Warehouse,
    *,
    columns: str,
    relation: str,
    where: str,
    order_by: str,
    where_params: Sequence[Any],
    limit: int,
) -> tuple[list[tuple[Any, ...]], int]:
    total = warehouse.query(f"select count(*) from {relation} where {where}", where_params)
    rows = warehouse.query(
        f"select {columns} from {relation} where {where} order by {order_by} limit {int(limit)}",
        where_params,
    )
    return rows, int(total[0][0])


# The columns of reconciliation_invoices the lists show, in this order.
# fmt: off
_INVOICE_FIELDS = (
    "external_id", "status", "billing_month", "currency", "metronome_customer_id",
    "expected_netsuite_customer_id", "netsuite_customer_id", "netsuite_document_number",
    "metronome_total", "netsuite_total", "amount_difference", "last_push_error_code",
    "last_push_error_detail", "expected_netsuite_currency_id", "netsuite_currency_id",
    "expected_tran_date", "netsuite_tran_date", "metronome_line_count", "netsuite_line_count",
    "unmatched_line_count", "netsuite_invoice_count", "metronome_reason_code",
)
_NOT_TEXT = frozenset({
    "billing_month", "metronome_total", "netsuite_total", "amount_difference",
    "expected_tran_date", "netsuite_tran_date", "metronome_line_count", "netsuite_line_count",
    "unmatched_line_count", "netsuite_invoice_count",
})
# fmt: on


def _select_list(fields: Sequence[str]) -> str:
    # Ids and codes arrive as str on every warehouse, whatever type a build gave them.
    return ", ".join(f if f in _NOT_TEXT else f"cast({f} as varchar)" for f in fields)


def _invoice_rows(
    warehouse: Warehouse,
    relations: Relations,
    *,
    where: str,
    where_params: Sequence[Any],
    ranked: Sequence[str],
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    rows, total = _capped(
        warehouse,
        columns=_select_list(_INVOICE_FIELDS),
        relation=relations.invoices,
        where=where,
        order_by=f"{_status_rank_sql(ranked)},"
        " abs(coalesce(metronome_total, netsuite_total, 0)) desc, external_id",
        where_params=where_params,
        limit=limit,
    )
    return [dict(zip(_INVOICE_FIELDS, row, strict=True)) for row in rows], total


MISSING_COLUMNS = (
    Column("status", "Status", "status"),
    Column("external_id", "Invoice (external id)", "id"),
    Column("billing_month", "Billing month"),
    Column("customer", "Customer", "id"),
    Column("currency", "Currency"),
    Column("metronome_total", "Metronome amount", "amount"),
    Column("netsuite_total", "NetSuite amount", "amount"),
    Column("netsuite_document_number", "NetSuite doc"),
    Column("push_error", "NetSuite error / next step", "wrap"),
)


def _read_missing(warehouse: Warehouse, relations: Relations, limit: int) -> ActionList:
    rows, total = _invoice_rows(
        warehouse,
        relations,
        where=f"status in ({_marks(MISSING_STATUSES)})",
        where_params=MISSING_STATUSES,
        ranked=MISSING_STATUSES,
        limit=limit,
    )
    return ActionList(
        key="missing",
        title="Missing",
        intro="Invoices on one side only: not in NetSuite although ready (or the push "
        "failed), or in NetSuite with an external id Metronome does not know.",
        columns=MISSING_COLUMNS,
        rows=tuple(_missing_cells(row) for row in rows),
        total=total,
    )


def _missing_cells(row: dict[str, Any]) -> tuple[Cell, ...]:
    if row["last_push_error_code"] or row["last_push_error_detail"]:
        code = row["last_push_error_code"] or "error"
        next_step = f"{code}: {row['last_push_error_detail'] or ''}".strip()
    else:
        next_step = _info(row["status"]).action
    customer = row["metronome_customer_id"] or (
        f"NetSuite {row['netsuite_customer_id']}" if row["netsuite_customer_id"] else None
    )
    return (
        _status_cell(row["status"]),
        _text_cell(row["external_id"]),
        _month_cell(row["billing_month"]),
        _text_cell(customer),
        _text_cell(row["currency"]),
        _amount_cell(row["metronome_total"]),
        _amount_cell(row["netsuite_total"]),
        _text_cell(row["netsuite_document_number"]),
        _text_cell(next_step),
    )


MISMATCHED_COLUMNS = (
    Column("status", "Status", "status"),
    Column("external_id", "Invoice (external id)", "id"),
    Column("billing_month", "Billing month"),
    Column("currency", "Currency"),
    Column("metronome_total", "Metronome amount", "amount"),
    Column("netsuite_total", "NetSuite amount", "amount"),
    Column("amount_difference", "Difference", "amount"),
    Column("differs", "What differs", "compare"),
    Column("netsuite_document_number", "NetSuite doc"),
)


def _read_mismatched(warehouse: Warehouse, relations: Relations, limit: int) -> ActionList:
    # An excluded invoice that NetSuite has anyway needs a person as much as a mismatch.
    where = (
        f"(status in ({_marks(MISMATCHED_STATUSES)})"
        " or (status = 'excluded_in_metronome' and is_in_netsuite))"
    )
    rows, total = _invoice_rows(
        warehouse,
        relations,
        where=where,
        where_params=MISMATCHED_STATUSES,
        ranked=MISMATCHED_STATUSES,
        limit=limit,
    )
    return ActionList(
        key="mismatched",
        title="Mismatched",
        intro="Invoices on both sides that disagree, and excluded invoices NetSuite has "
        "anyway. Difference is NetSuite minus Metronome: positive means NetSuite bills more.",
        columns=MISMATCHED_COLUMNS,
        rows=tuple(_mismatched_cells(row) for row in rows),
        total=total,
    )


def _what_differs(row: dict[str, Any]) -> Cell:
    status = row["status"]
    if status == "amount_mismatch":
        pair = (_amount_cell(row["metronome_total"]), _amount_cell(row["netsuite_total"]))
        return Cell("total", "total", pair)
    if status == "customer_mismatch":
        pair = (
            _text_cell(row["expected_netsuite_customer_id"]),
            _text_cell(row["netsuite_customer_id"]),
        )
        return Cell("NetSuite customer id", "customer", pair)
    if status == "currency_mismatch":
        pair = (
            _text_cell(row["expected_netsuite_currency_id"]),
            _text_cell(row["netsuite_currency_id"]),
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
        pair = (_date_cell(row["expected_tran_date"]), _date_cell(row["netsuite_tran_date"]))
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


def _mismatched_cells(row: dict[str, Any]) -> tuple[Cell, ...]:
    return (
        _status_cell(row["status"]),
        _text_cell(row["external_id"]),
        _month_cell(row["billing_month"]),
        _text_cell(row["currency"]),
        _amount_cell(row["metronome_total"]),
        _amount_cell(row["netsuite_total"]),
        _amount_cell(row["amount_difference"]),
        _what_differs(row),
        _text_cell(row["netsuite_document_number"]),
    )


HELD_COLUMNS = (
    Column("external_id", "Invoice (external id)", "id"),
    Column("billing_month", "Billing month"),
    Column("currency", "Currency"),
    Column("total_amount", "Amount", "amount"),
    Column("reason_code", "Reason"),
    Column("detail", "What to fix", "wrap"),
)


def _read_held(warehouse: Warehouse, relations: Relations, limit: int) -> ActionList:
    rows, total = _capped(
        warehouse,
        columns="cast(external_id as varchar), billing_month, cast(currency as varchar),"
        " total_amount, cast(reason_code as varchar), cast(detail as varchar)",
        relation=relations.exceptions,
        where="true",
        order_by="billing_month nulls last, external_id, reason_code, line_external_id",
        where_params=(),
        limit=limit,
    )
    cells = (_text_cell, _month_cell, _text_cell, _amount_cell, _text_cell, _text_cell)
    return ActionList(
        key="held",
        title="Held",
        intro="Invoices not sent to NetSuite until a problem is fixed, one row per problem "
        "(from netsuite_invoice_exceptions). Fix it where the sentence says; the next "
        "dbt build and push send the invoice.",
        columns=HELD_COLUMNS,
        rows=tuple(
            tuple(cell(value) for cell, value in zip(cells, row, strict=True)) for row in rows
        ),
        total=total,
        unit="problems",
    )


# --------------------------------------------------------------------------- values


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def format_amount(value: Decimal) -> str:
    """Exact text with thousands separators: never rounds, trims zeros past two decimals."""
    if value == 0:
        value = abs(value)  # no "-0.00"
    whole, _, fraction = f"{value:,f}".partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{whole}.{fraction}"


def exact_value(value: Decimal) -> str:
    """The data-value of an amount: the same text for equal amounts on every warehouse."""
    return "0" if value == 0 else f"{value.normalize():f}"


def _month_label(month: date | None) -> str:
    return "no month" if month is None else month.strftime("%Y-%m")


def _currency_label(currency: str | None) -> str:
    return currency or "no currency"


def _info(status: str) -> StatusInfo:
    return STATUSES.get(status, StatusInfo(status, "mismatched", "", "#616161"))


def _status_order(status: str) -> int:
    order = list(STATUSES)
    return order.index(status) if status in order else len(order)


def _text_cell(value: str | None) -> Cell:
    return Cell("" if value is None else value, value)


def _amount_text(amount: Decimal | None) -> str:
    return "—" if amount is None else format_amount(amount)


def _amount_cell(value: Any) -> Cell:
    amount = as_decimal(value)
    return Cell("—") if amount is None else Cell(format_amount(amount), exact_value(amount))


def _date_cell(value: Any) -> Cell:
    day = as_date(value)
    return Cell("—", None) if day is None else Cell(day.isoformat(), day.isoformat())


def _month_cell(value: Any) -> Cell:
    month = as_date(value)
    return Cell(_month_label(month), None if month is None else month.isoformat())


def _status_cell(status: str) -> Cell:
    return Cell(_info(status).label, status)


# --------------------------------------------------------------------------- charts


def _chart_json(figure: dict[str, Any]) -> str:
    # Inside <script type="application/json">: no "</script>" can close it early.
    text = json.dumps(figure, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _layout(**overrides: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 60, "r": 20, "t": 10, "b": 50},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.2},
        "hoverlabel": {"font": {"family": "ui-monospace, monospace"}},
    }
    layout.update(overrides)
    return layout


def _chart_order(status: str) -> tuple[int, int]:
    # Stacks read bottom-up: matched, then excluded and held, then what needs action.
    groups = ("matched", "excluded", "held", "missing", "mismatched")
    return groups.index(_info(status).group), _status_order(status)


def status_by_month_figure(months: Sequence[MonthStatusCount]) -> dict[str, Any]:
    labels = sorted({m.billing_month for m in months}, key=lambda d: (d is None, d or date.min))
    traces = []
    for status in sorted({m.status for m in months}, key=_chart_order):
        counts = {m.billing_month: m.invoices for m in months if m.status == status}
        traces.append(
            {
                "type": "bar",
                "name": _info(status).label,
                "meta": status,
                "x": [_month_label(month) for month in labels],
                "y": [counts.get(month, 0) for month in labels],
                "marker": {"color": _info(status).color},
                "hovertemplate": "%{x}: %{y} invoices<extra>%{fullData.name}</extra>",
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            barmode="stack",
            legend={"orientation": "v", "traceorder": "reversed", "x": 1.02, "y": 1},
            xaxis={"type": "category", "title": {"text": "Billing month"}},
            yaxis={"title": {"text": "Invoices"}, "rangemode": "tozero", "automargin": True},
        ),
    }


def amounts_by_currency_figure(currencies: Sequence[CurrencyAmounts]) -> dict[str, Any]:
    shown = [c for c in currencies if c.currency is not None or c.matched or c.outstanding]

    def trace(name: str, color: str, amounts: list[Decimal], counts: list[int]) -> dict[str, Any]:
        return {
            "type": "bar",
            "name": name,
            "x": [_currency_label(c.currency) for c in shown],
            "y": [float(a) for a in amounts],
            "text": [format_amount(a) for a in amounts],
            "customdata": counts,
            "textposition": "outside",
            "cliponaxis": False,
            "marker": {"color": color},
            "hovertemplate": "%{x} %{text} (%{customdata} invoices)<extra>" + name + "</extra>",
        }

    matched_color, outstanding_color = STATUSES["matched"].color, "#d32f2f"
    return {
        "data": [
            trace(
                "Matched",
                matched_color,
                [c.matched for c in shown],
                [c.matched_invoices for c in shown],
            ),
            trace(
                "Outstanding",
                outstanding_color,
                [c.outstanding for c in shown],
                [c.outstanding_invoices for c in shown],
            ),
        ],
        "layout": _layout(
            barmode="group",
            margin={"l": 60, "r": 20, "t": 24, "b": 50},
            xaxis={"type": "category", "title": {"text": "Currency"}},
            yaxis={"rangemode": "tozero", "tickformat": ",.0f", "automargin": True},
        ),
    }


def differences_figure(differences: Sequence[Difference]) -> dict[str, Any]:
    order = [d.external_id for d in reversed(differences)]  # largest at the top
    traces = []
    for status in sorted({d.status for d in differences}, key=_status_order):
        rows = [d for d in differences if d.status == status]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": _info(status).label,
                "meta": status,
                "y": [d.external_id for d in rows],
                "x": [float(d.difference) for d in rows],
                "text": [
                    f"{format_amount(d.difference)} {_currency_label(d.currency)}" for d in rows
                ],
                "customdata": [
                    f"Metronome {_amount_text(d.metronome_total)},"
                    f" NetSuite {_amount_text(d.netsuite_total)}"
                    for d in rows
                ],
                "textposition": "auto",
                "cliponaxis": False,
                "marker": {"color": _info(status).color},
                "hovertemplate": "%{y}<br>%{text}<br>%{customdata}<extra>%{fullData.name}</extra>",
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            barmode="relative",
            margin={"l": 20, "r": 110, "t": 30, "b": 50},
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            height=max(240, 34 * len(order) + 120),
            xaxis={
                "title": {"text": "NetSuite minus Metronome"},
                "tickformat": ",.2f",
                "zeroline": True,
                "zerolinecolor": "#9aa5b1",
                "automargin": True,
            },
            yaxis={
                "type": "category",
                "categoryorder": "array",
                "categoryarray": order,
                "automargin": True,
                "tickfont": {"family": "ui-monospace, monospace"},
            },
        ),
    }


# --------------------------------------------------------------------------- html


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _attrs(**attributes: str | int | None) -> str:
    """` name="value"` per attribute that is set; `class_` -> class, `data_x` -> data-x."""
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{_e(value)}"'
        for name, value in attributes.items()
        if value is not None
    )


def _el(tag: str, content: str = "", **attributes: str | int | None) -> str:
    """An element; `content` is HTML already (escape text with _e first)."""
    return f"<{tag}{_attrs(**attributes)}>{content}</{tag}>"


def _card(label: str, testid: str, value: int, note: str, tone: str = "") -> str:
    return _el(
        "div",
        _el("div", _e(label), class_="card-label")
        + _el("div", f"{value:,}", class_="card-value", data_testid=testid, data_value=value)
        + _el("div", _e(note), class_="card-note"),
        class_=f"card {tone}".strip(),
    )


def render_headline(data: ReportData) -> str:
    missing, mismatched, held = (data.count(g) for g in ("missing", "mismatched", "held"))
    return "".join(
        (
            _card("Invoices", "count-total", data.invoices, "seen in Metronome or NetSuite"),
            _card("Matched", "count-matched", data.count("matched"), "NetSuite agrees", "ok"),
            _card(
                "Missing", "count-missing", missing, "on one side only", "bad" if missing else ""
            ),
            _card(
                "Mismatched",
                "count-mismatched",
                mismatched,
                "on both sides, disagreeing",
                "bad" if mismatched else "",
            ),
            _card("Held", "count-held", held, "waiting for a fix", "warn" if held else ""),
            _card("Excluded", "count-excluded", data.count("excluded"), "not for NetSuite"),
        )
    )


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def _money_line(label: str, testid: str, amount: Decimal, invoices: int) -> str:
    return _el(
        "div",
        _el("span", _e(label), class_="money-label")
        + _el(
            "span",
            format_amount(amount),
            class_="money",
            data_testid=testid,
            data_value=exact_value(amount),
        )
        + _el(
            "span",
            _plural(invoices, "invoice"),
            class_="money-count",
            data_testid=f"{testid}-invoices",
            data_value=invoices,
        ),
        class_="money-line",
    )


def _currency_card(c: CurrencyAmounts) -> str:
    key = c.currency or "none"
    note = ""
    if c.outstanding_without_amount:
        note = _el(
            "div",
            f"{_plural(c.outstanding_without_amount, 'outstanding invoice')} without an amount"
            " in Metronome (see Held)",
            class_="card-note",
            data_testid=f"amount-unknown-{key}-invoices",
            data_value=c.outstanding_without_amount,
        )
    return _el(
        "div",
        _el("div", _e(_currency_label(c.currency)), class_="card-label")
        + _money_line("Matched", f"amount-matched-{key}", c.matched, c.matched_invoices)
        + _money_line(
            "Outstanding", f"amount-outstanding-{key}", c.outstanding, c.outstanding_invoices
        )
        + _money_line("Excluded", f"amount-excluded-{key}", c.excluded, c.excluded_invoices)
        + note,
        class_="card currency",
        data_testid=f"currency-{key}",
    )


def render_currencies(currencies: Sequence[CurrencyAmounts]) -> str:
    return "".join(_currency_card(c) for c in currencies) or _el(
        "p", "No invoices.", class_="empty"
    )


def _badge(status: str) -> str:
    info = _info(status)
    badge = _el("span", _e(info.label), class_="badge", style=f"--c:{info.color}")
    return _el("td", badge, data_field="status", data_value=status)


def render_status_table(statuses: Sequence[StatusCount]) -> str:
    rows = "".join(
        _el(
            "tr",
            _badge(s.status)
            + _el("td", _e(_info(s.status).action))
            + _el(
                "td",
                f"{s.invoices:,}",
                class_="num",
                data_testid=f"status-count-{s.status}",
                data_value=s.invoices,
            ),
        )
        for s in statuses
    )
    head = '<tr><th>Status</th><th>What to do</th><th class="num">Invoices</th></tr>'
    return _el("table", _el("thead", head) + _el("tbody", rows), class_="statuses")


def _compare_html(column: Column, cell: Cell) -> str:
    sides = ""
    if cell.compare is not None:
        for side, field, value in zip(
            ("Metronome", "NetSuite"),
            ("metronome_value", "netsuite_value"),
            cell.compare,
            strict=True,
        ):
            shown = _el("span", _e(value.text), data_field=field, data_value=value.value)
            sides += _el("div", _el("span", side, class_="side") + " " + shown)
    content = _el("div", _e(cell.text), class_="what") + sides
    return _el("td", content, class_="compare", data_field=column.field, data_value=cell.value)


def _cell_html(column: Column, cell: Cell) -> str:
    if column.kind == "status":
        return _badge(cell.value or "")
    if column.kind == "compare":
        return _compare_html(column, cell)
    classes = {"amount": "num", "id": "id", "wrap": "wrap"}.get(column.kind)
    return _el("td", _e(cell.text), class_=classes, data_field=column.field, data_value=cell.value)


def render_action_list(action_list: ActionList) -> str:
    key, shown, total = action_list.key, len(action_list.rows), action_list.total
    more = total - shown
    header = "".join(
        _el("th", _e(c.heading), class_="num" if c.kind == "amount" else None)
        for c in action_list.columns
    )
    body = "".join(
        _el(
            "tr",
            "".join(_cell_html(c, cell) for c, cell in zip(action_list.columns, row, strict=True)),
            data_testid="row",
        )
        for row in action_list.rows
    )
    if shown:
        table = _el(
            "div",
            _el(
                "table",
                _el("thead", _el("tr", header)) + _el("tbody", body),
                data_testid=f"list-{key}",
            ),
            class_="table-wrap",
        )
    else:
        table = _el("p", f"Nothing {_e(action_list.title.lower())}.", class_="empty")
    counter = _el(
        "span", f"{total:,}", class_="count", data_testid=f"list-{key}-total", data_value=total
    )
    showing = f", showing the first {shown:,}" if more > 0 else ""
    intro = f"{_e(action_list.intro)} {total:,} {_e(action_list.unit)}{showing}."
    more_line = (
        _el(
            "p",
            f"{more:,} more not shown: query the marts for the full list.",
            class_="more",
            data_testid=f"list-{key}-more",
            data_value=more,
        )
        if more > 0
        else ""
    )
    return _el(
        "section",
        _el("h2", f"{_e(action_list.title)} {counter}")
        + _el("p", intro, class_="intro")
        + table
        + more_line,
        class_="list",
        id=key,
    )


def _chart(key: str, title: str, note: str, figure: dict[str, Any] | None, empty: str) -> str:
    if figure is None:
        body = _el("p", _e(empty), class_="empty", data_testid=f"chart-{key}-empty")
    else:
        spec_id = f"chart-{key}-spec"
        body = _el("div", class_="chart", data_testid=f"chart-{key}", data_chart=spec_id) + _el(
            "script", _chart_json(figure), type="application/json", id=spec_id
        )
    return _el(
        "figure", _el("h3", _e(title)) + _el("p", _e(note), class_="note") + body, class_="panel"
    )


def render_charts(data: ReportData) -> str:
    return "".join(
        (
            _chart(
                "status-by-month",
                "Invoices by status and billing month",
                "Each bar is a billing month, split by reconciliation status.",
                status_by_month_figure(data.months) if data.months else None,
                "No invoices.",
            ),
            _chart(
                "amounts-by-currency",
                "Matched vs outstanding, per currency",
                "Outstanding: missing, mismatched and held invoices. Excluded ones are not "
                "expected in NetSuite.",
                amounts_by_currency_figure(data.currencies) if data.currencies else None,
                "No invoices.",
            ),
            _chart(
                "differences",
                "Largest differences",
                f"The {len(data.differences)} largest gaps, NetSuite minus Metronome per invoice; "
                "an invoice missing on one side counts in full. Held and excluded invoices are "
                "left out.",
                differences_figure(data.differences) if data.differences else None,
                "No differences: NetSuite's amounts agree with Metronome's.",
            ),
        )
    )


def _template() -> string.Template:
    text = resources.files("netsuite_sync").joinpath(TEMPLATE).read_text(encoding="utf-8")
    return string.Template(text)


def render_report(data: ReportData, *, source: str, generated_at: datetime) -> str:
    from plotly.offline import get_plotlyjs  # 4.8 MB of JavaScript, read only here

    generated = generated_at.astimezone(UTC)
    return _template().substitute(
        title="Metronome to NetSuite reconciliation",
        source=_e(source),
        generated_at=_e(generated.strftime("%Y-%m-%d %H:%M UTC")),
        generated_at_iso=_e(generated.isoformat(timespec="seconds")),
        headline=render_headline(data),
        currencies=render_currencies(data.currencies),
        charts=render_charts(data),
        statuses=render_status_table(data.statuses),
        lists="".join(render_action_list(action_list) for action_list in data.lists),
        plotly_js=get_plotlyjs(),
    )


def write_report(
    warehouse: Warehouse,
    path: Path,
    *,
    marts_schema: str,
    source: str,
    generated_at: datetime | None = None,
    list_limit: int = DEFAULT_LIST_LIMIT,
    top_differences: int = DEFAULT_TOP_DIFFERENCES,
) -> ReportSummary:
    """Read the reconciliation marts and write the report to `path` (one HTML file).

    `source` names the warehouse for the reader (e.g. `WarehouseTarget.describe()`);
    it must never hold credentials.
    """
    relations = mart_relations(warehouse, marts_schema)
    data = read_report_data(
        warehouse, relations, list_limit=list_limit, top_differences=top_differences
    )
    page = render_report(
        data,
        source=f"{source}, schema {marts_schema}",
        generated_at=generated_at or datetime.now(UTC),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Never leave a half-written report where the last good one was.
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)
    return ReportSummary(
        path=path.resolve(),
        invoices={group: data.count(group) for group in GROUPS},
        list_totals={a.key: a.total for a in data.lists},
        list_shown={a.key: len(a.rows) for a in data.lists},
        size_bytes=path.stat().st_size,
    )


def describe_summary(summary: ReportSummary) -> Iterator[str]:
    """The lines `netsuite-sync report` prints: what the page holds and where it is."""
    groups = ", ".join(f"{count} {group}" for group, count in summary.invoices.items())
    yield f"netsuite-sync report: {sum(summary.invoices.values())} invoices ({groups})"
    yield f"report written to {summary.path} (open it in a browser; it needs no network)"
