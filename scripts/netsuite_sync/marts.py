"""Stream the invoice marts, each invoice with its lines and what the sync should do.

One query joins the marts with the push log so that the decision (create, update,
skip) is made in the warehouse and rows arrive ordered by external_id, line_number:
Python holds one invoice at a time, whatever the number of invoices.
"""

# SQL here is assembled from identifiers quoted by Dialect; values are always bound.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from netsuite_sync.payloads import InvoiceHeader, InvoiceLine
from netsuite_sync.values import as_date, as_decimal
from netsuite_sync.warehouse import Warehouse

INVOICES_MART = "netsuite_invoices"
LINES_MART = "netsuite_invoice_lines"

Action = Literal["create", "update", "skip"]


@dataclass(frozen=True)
class Selection:
    """Which invoices a command works on.

    `limit` caps the invoices to send (new or changed); unchanged invoices are not
    counted. `include_unchanged` treats every selected invoice as to be sent.
    """

    invoice_ids: tuple[str, ...] = ()
    limit: int | None = None
    include_unchanged: bool = False


@dataclass(frozen=True)
class Candidate:
    header: InvoiceHeader
    lines: tuple[InvoiceLine, ...]
    action: Action
    last_internal_id: str | None


@dataclass(frozen=True)
class Relations:
    invoices: str
    lines: str
    push_log: str  # a table, or empty_relation_sql() when it does not exist yet


@dataclass(frozen=True)
class SelectionCounts:
    total: int
    to_send: int


def _candidates_sql(
    relations: Relations,
    selection: Selection,
    *,
    after: str | None = None,
    page_size: int | None = None,
) -> tuple[str, list[Any]]:
    """CTEs ending in `candidates`: the selected invoices and what each needs.

    With `page_size`, only the next page of invoices (external_id > `after`) is
    considered, so the warehouse works on one page at a time.
    """
    params: list[Any] = []
    conditions = []
    if selection.invoice_ids:
        conditions.append(f"external_id in ({', '.join('?' for _ in selection.invoice_ids)})")
        params.extend(selection.invoice_ids)
    if after is not None:
        conditions.append("external_id > ?")
        params.append(after)
    where = f"where {' and '.join(conditions)}" if conditions else ""
    page = ""
    if page_size is not None:
        page = "order by external_id limit ?"
        params.append(page_size)
    force = "true" if selection.include_unchanged else "false"
    sql = f"""
with invoices as (
    select * from {relations.invoices}
    {where}
    {page}
),

attempts as (
    select *
    from {relations.push_log}
    where external_id in (select external_id from invoices)
),

last_final as (
    select external_id, payload_hash, outcome
    from attempts
    where is_final_attempt and outcome <> 'skipped'
    qualify row_number() over (
        partition by external_id order by finished_at desc, attempt desc
    ) = 1
),

last_success as (
    select external_id, netsuite_internal_id
    from attempts
    where outcome in ('created', 'updated')
    qualify row_number() over (
        partition by external_id order by finished_at desc, attempt desc
    ) = 1
),

candidates as (
    select
        invoices.*,
        case
            when last_success.external_id is null then 'create'
            when not {force}
                and last_final.outcome in ('created', 'updated')
                and last_final.payload_hash = invoices.payload_hash then 'skip'
            else 'update'
        end as push_action,
        last_success.netsuite_internal_id as last_netsuite_internal_id
    from invoices
    left join last_final on last_final.external_id = invoices.external_id
    left join last_success on last_success.external_id = invoices.external_id
)
"""
    return sql, params


def count_selection(
    warehouse: Warehouse, relations: Relations, selection: Selection
) -> SelectionCounts:
    sql, params = _candidates_sql(relations, selection)
    rows = warehouse.query(
        sql + "select count(*), coalesce(sum(case when push_action = 'skip' then 0 else 1 end), 0)"
        " from candidates",
        params,
    )
    total, to_send = int(rows[0][0]), int(rows[0][1])
    if selection.limit is not None and to_send > selection.limit:
        total, to_send = total - to_send + selection.limit, selection.limit
    return SelectionCounts(total=total, to_send=to_send)


_PAGE_SELECT = """
select
    cast(s.external_id as varchar),
    cast(s.netsuite_customer_id as varchar),
    s.tran_date,
    s.start_date,
    s.end_date,
    cast(s.currency as varchar),
    s.currency_minor_unit_digits,
    cast(s.netsuite_currency_id as varchar),
    cast(s.netsuite_custom_form_id as varchar),
    cast(s.netsuite_subsidiary_id as varchar),
    cast(s.total_amount as varchar),
    s.line_count,
    cast(s.payload_hash as varchar),
    s.push_action,
    s.last_netsuite_internal_id,
    cast(l.line_external_id as varchar),
    l.line_number,
    cast(l.netsuite_item_id as varchar),
    cast(l.quantity as varchar),
    cast(l.rate as varchar),
    cast(l.amount as varchar),
    cast(l.description as varchar)
from candidates as s
left join {lines} as l
    on l.external_id = s.external_id
    and s.push_action <> 'skip'
    and {read_lines}
order by s.external_id, l.line_number
"""


def stream_candidates(
    warehouse: Warehouse,
    relations: Relations,
    selection: Selection,
    *,
    page_size: int = 1000,
) -> Generator[Candidate, None, None]:
    """Yield invoices in external_id order; skipped ones come without their lines.

    Keyset pagination (external_id > last seen, `page_size` invoices per query) keeps
    both Python and the warehouse working on one page at a time: no query sorts or
    materialises the whole mart, however many invoices it holds. `selection.limit`
    caps the invoices yielded for sending; unchanged (skipped) ones are always yielded.
    """
    remaining = selection.limit
    after: str | None = None
    while True:
        sql, params = _candidates_sql(relations, selection, after=after, page_size=page_size)
        read_lines = "true" if remaining is None or remaining > 0 else "false"
        sql += _PAGE_SELECT.format(lines=relations.lines, read_lines=read_lines)
        invoices_in_page = 0
        for candidate in _group_lines(warehouse.stream(sql, params, batch_size=page_size)):
            invoices_in_page += 1
            after = candidate.header.external_id
            if candidate.action != "skip" and remaining is not None:
                if remaining <= 0:
                    continue
                remaining -= 1
            yield candidate
        if invoices_in_page < page_size:
            return


def _group_lines(rows: Iterator[tuple[Any, ...]]) -> Iterator[Candidate]:
    current: tuple[Any, ...] | None = None
    lines: list[InvoiceLine] = []
    for row in rows:
        if current is not None and row[0] != current[0]:
            yield _candidate(current, lines)
            lines = []
        current = row
        if row[16] is not None:
            lines.append(
                InvoiceLine(
                    line_external_id=row[15],
                    line_number=int(row[16]),
                    netsuite_item_id=row[17],
                    quantity=as_decimal(row[18]),
                    rate=as_decimal(row[19]),
                    amount=as_decimal(row[20]) or Decimal(0),
                    description=row[21],
                )
            )
    if current is not None:
        yield _candidate(current, lines)


def _candidate(row: tuple[Any, ...], lines: list[InvoiceLine]) -> Candidate:
    header = InvoiceHeader(
        external_id=row[0],
        netsuite_customer_id=row[1],
        tran_date=as_date(row[2]),
        start_date=as_date(row[3]),
        end_date=as_date(row[4]),
        currency=row[5],
        currency_minor_unit_digits=None if row[6] is None else int(row[6]),
        netsuite_currency_id=row[7],
        netsuite_custom_form_id=row[8],
        netsuite_subsidiary_id=row[9],
        total_amount=as_decimal(row[10]) or Decimal(0),
        line_count=int(row[11] or 0),
        payload_hash=row[12] or "",
    )
    return Candidate(header=header, lines=tuple(lines), action=row[13], last_internal_id=row[14])
