"""Reading the reconciliation marts: every count and sum is done by the warehouse.

Only aggregates and the first rows of each action list reach Python, so memory does not
grow with the marts.
"""

# SQL here is assembled from identifiers quoted by Dialect and this package's own status
# names and column lists; values are bound.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from netsuite_sync.report.data import (
    MISMATCHED_STATUSES,
    MISSING_STATUSES,
    SETTLED_STATUSES,
    CurrencyAmounts,
    Difference,
    MonthStatusCount,
    ReportData,
    StatusCount,
    status_order,
)
from netsuite_sync.report.lists import held_list, mismatched_list, missing_list
from netsuite_sync.settings import SettingsError
from netsuite_sync.values import as_date, as_decimal
from netsuite_sync.warehouse import Warehouse

INVOICES_MART = "reconciliation_invoices"
SUMMARY_MART = "reconciliation_summary"
EXCEPTIONS_MART = "netsuite_invoice_exceptions"
DEFAULT_LIST_LIMIT = 500
DEFAULT_TOP_DIFFERENCES = 15


@dataclass(frozen=True)
class Relations:
    invoices: str
    summary: str
    exceptions: str


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
            missing_list(*_invoice_rows(warehouse, relations, MISSING_STATUSES, list_limit)),
            # An excluded invoice that NetSuite has anyway needs a person as much as a
            # mismatch.
            mismatched_list(
                *_invoice_rows(
                    warehouse,
                    relations,
                    MISMATCHED_STATUSES,
                    list_limit,
                    also="status = 'excluded_in_metronome' and is_in_netsuite",
                )
            ),
            held_list(*_held_rows(warehouse, relations, list_limit)),
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
    ordered = sorted(counts, key=status_order)
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


# The columns each action list reads, in this order: of reconciliation_invoices ...
# fmt: off
_INVOICE_FIELDS = (
    "external_id", "status", "billing_month", "currency", "metronome_customer_id",
    "expected_netsuite_customer_id", "netsuite_customer_id", "netsuite_document_number",
    "metronome_total", "netsuite_total", "amount_difference", "last_push_error_code",
    "last_push_error_detail", "expected_netsuite_currency_id", "netsuite_currency_id",
    "expected_tran_date", "netsuite_tran_date", "metronome_line_count", "netsuite_line_count",
    "unmatched_line_count", "netsuite_invoice_count", "metronome_reason_code",
)
# ... and of netsuite_invoice_exceptions.
_HELD_FIELDS = (
    "external_id", "billing_month", "currency", "total_amount", "reason_code", "detail",
)
_NOT_TEXT = frozenset({
    "billing_month", "metronome_total", "netsuite_total", "amount_difference",
    "expected_tran_date", "netsuite_tran_date", "metronome_line_count", "netsuite_line_count",
    "unmatched_line_count", "netsuite_invoice_count", "total_amount",
})
# fmt: on


def _select_list(fields: Sequence[str]) -> str:
    # Ids and codes arrive as str on every warehouse, whatever type a build gave them.
    return ", ".join(f if f in _NOT_TEXT else f"cast({f} as varchar)" for f in fields)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _status_rank_sql(statuses: Sequence[str]) -> str:
    # Literals, not binds, so that no warehouse has to accept a bind in ORDER BY; the
    # names are this package's constants.
    whens = " ".join(f"when {_sql_string(s)} then {rank}" for rank, s in enumerate(statuses))
    return f"case status {whens} else {len(statuses)} end"


def _capped(
    warehouse: Warehouse,
    *,
    fields: Sequence[str],
    relation: str,
    where: str,
    order_by: str,
    where_params: Sequence[Any],
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """The first `limit` rows, by field name, and how many there are in all."""
    total = warehouse.query(f"select count(*) from {relation} where {where}", where_params)
    rows = warehouse.query(
        f"select {_select_list(fields)} from {relation} where {where}"
        f" order by {order_by} limit {int(limit)}",
        where_params,
    )
    return [dict(zip(fields, row, strict=True)) for row in rows], int(total[0][0])


def _invoice_rows(
    warehouse: Warehouse,
    relations: Relations,
    statuses: Sequence[str],
    limit: int,
    *,
    also: str = "",
) -> tuple[list[dict[str, Any]], int]:
    """Invoices with one of `statuses` (or matching `also`), in the order of `statuses`."""
    where = f"status in ({_marks(statuses)})"
    return _capped(
        warehouse,
        fields=_INVOICE_FIELDS,
        relation=relations.invoices,
        where=f"({where} or ({also}))" if also else where,
        order_by=f"{_status_rank_sql(statuses)},"
        " abs(coalesce(metronome_total, netsuite_total, 0)) desc, external_id",
        where_params=statuses,
        limit=limit,
    )


def _held_rows(
    warehouse: Warehouse, relations: Relations, limit: int
) -> tuple[list[dict[str, Any]], int]:
    return _capped(
        warehouse,
        fields=_HELD_FIELDS,
        relation=relations.exceptions,
        where="true",
        order_by="billing_month nulls last, external_id, reason_code, line_external_id",
        where_params=(),
        limit=limit,
    )
