"""Read invoices back from NetSuite with SuiteQL and land them as Fivetran would.

Tables `transaction` and `transactionline` keep NetSuite's column names and raw values
(item lines negative, 'T'/'F' flags), typed sensibly, plus `_netsuite_sync_pulled_at`.
The pull is incremental on transaction.lastmodifieddate: every transaction modified
since the high-water mark (minus a lookback) is re-read with ALL its lines, then
transactions are upserted by id and their lines replaced (delete + insert).
"""

# SQL here is assembled from identifiers quoted by Dialect; values are always bound.
# ruff: noqa: S608

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from netsuite_sync.http_client import NetSuiteClient, call_with_retries, utc_now
from netsuite_sync.retry import AdaptiveLimiter, Disposition, RetryPolicy
from netsuite_sync.warehouse import Warehouse

DEFAULT_SCHEMA = "netsuite"
TRANSACTION_TABLE = "transaction"
LINE_TABLE = "transactionline"
PULLED_AT_COLUMN = "_netsuite_sync_pulled_at"
PAGE_SIZE = 1000
# NetSuite returns at most 100k rows for one query, whatever the paging.
MAX_ROWS_PER_QUERY = 100_000
_TIMESTAMP_FORMAT = "YYYY-MM-DD HH24:MI:SS"
_DATE_FORMAT = "YYYY-MM-DD"


class PullError(RuntimeError):
    """A SuiteQL page could not be read; carries NetSuite's error code and detail."""

    def __init__(self, error_code: str | None, detail: str | None, http_status: int | None):
        super().__init__(f"SuiteQL failed: {error_code or 'error'} {detail or ''}".strip())
        self.error_code = error_code
        self.detail = detail
        self.http_status = http_status


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # id | text | flag | int | date | timestamp | amount | decimal


TRANSACTION_COLUMNS: tuple[Column, ...] = (
    Column("id", "id"),
    Column("tranid", "text"),
    Column("externalid", "text"),
    Column("type", "text"),
    Column("trandate", "date"),
    Column("startdate", "date"),
    Column("enddate", "date"),
    Column("entity", "id"),
    Column("currency", "id"),
    Column("foreigntotal", "amount"),
    Column("status", "text"),
    Column("voided", "flag"),
    Column("memo", "text"),
    Column("createddate", "timestamp"),
    Column("lastmodifieddate", "timestamp"),
    Column("subsidiary", "id"),
    Column("customform", "id"),
)

LINE_COLUMNS: tuple[Column, ...] = (
    Column("id", "id"),
    Column("transaction", "id"),
    Column("linesequencenumber", "int"),
    Column("mainline", "flag"),
    Column("taxline", "flag"),
    Column("item", "id"),
    Column("quantity", "decimal"),
    Column("rate", "decimal"),
    Column("foreignamount", "amount"),
    Column("netamount", "amount"),
    Column("memo", "text"),
)


def line_columns(line_id_field: str | None) -> tuple[Column, ...]:
    if not line_id_field:
        return LINE_COLUMNS
    return (*LINE_COLUMNS, Column(line_id_field.lower(), "text"))


def warehouse_type(kind: str, timestamp_type: str) -> str:
    return {
        "id": "varchar",
        "text": "varchar",
        "flag": "varchar",
        "int": "integer",
        "date": "date",
        "timestamp": timestamp_type,
        "amount": "decimal(38, 6)",
        "decimal": "decimal(38, 10)",
    }[kind]


def _select_expression(alias: str, column: Column) -> str:
    source = f"{alias}.{column.name}"
    if column.kind == "date":
        return f"TO_CHAR({source}, '{_DATE_FORMAT}') AS {column.name}"
    if column.kind == "timestamp":
        return f"TO_CHAR({source}, '{_TIMESTAMP_FORMAT}') AS {column.name}"
    return f"{source} AS {column.name}"


def _since_clause(since: datetime | None) -> str:
    if since is None:
        return ""
    return (
        f" AND t.lastmodifieddate >= TO_TIMESTAMP("
        f"'{since:%Y-%m-%d %H:%M:%S}', '{_TIMESTAMP_FORMAT}')"
    )


def _id_literal(value: str) -> str:
    if value.isdigit():
        return value
    return "'" + value.replace("'", "''") + "'"


def transaction_query(since: datetime | None, after: Sequence[str] | None = None) -> str:
    """Invoices modified since `since`, ordered by the unique key t.id."""
    selected = ", ".join(_select_expression("t", c) for c in TRANSACTION_COLUMNS)
    keyset = f" AND t.id > {_id_literal(after[0])}" if after else ""
    return (
        f"SELECT {selected} FROM transaction t"
        f" WHERE t.type = 'CustInvc'{_since_clause(since)}{keyset}"
        " ORDER BY t.id"
    )


def line_query(
    since: datetime | None, line_id_field: str | None, after: Sequence[str] | None = None
) -> str:
    """All lines of the invoices modified since `since`, ordered by (transaction, id)."""
    selected = ", ".join(_select_expression("tl", c) for c in line_columns(line_id_field))
    keyset = ""
    if after:
        tx, line = _id_literal(after[0]), _id_literal(after[1])
        keyset = f" AND (tl.transaction > {tx} OR (tl.transaction = {tx} AND tl.id > {line}))"
    return (
        f"SELECT {selected} FROM transactionline tl"
        " JOIN transaction t ON t.id = tl.transaction"
        f" WHERE t.type = 'CustInvc'{_since_clause(since)}{keyset}"
        " ORDER BY tl.transaction, tl.id"
    )


@dataclass(frozen=True)
class PullConfig:
    schema: str = DEFAULT_SCHEMA
    line_id_field: str | None = "custcol_metronome_line_id"
    lookback: timedelta = timedelta(minutes=60)
    full_refresh: bool = False
    page_size: int = PAGE_SIZE
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    seed: int | None = None


@dataclass(frozen=True)
class PullResult:
    since: datetime | None
    transactions: int
    lines: int
    pulled_at: datetime
    pages: int


def fetch_pages(
    client: NetSuiteClient,
    build_query: Callable[[Sequence[str] | None], str],
    key: Callable[[dict[str, Any]], Sequence[str]],
    *,
    page_size: int,
    policy: RetryPolicy,
    rng: random.Random,
) -> Iterator[list[dict[str, Any]]]:
    """Yield pages of items; past NetSuite's 100k-rows-per-query cap, restart the query
    after the last key seen (keyset), since offset paging cannot go further."""
    limiter = AdaptiveLimiter(1)
    after: Sequence[str] | None = None
    while True:
        query = build_query(after)
        offset = 0
        last_item: dict[str, Any] | None = None
        while True:
            outcome = call_with_retries(
                lambda q=query, o=offset: client.suiteql(q, limit=page_size, offset=o),
                policy=policy,
                limiter=limiter,
                rng=rng,
            )
            result = outcome.final
            if result.disposition is not Disposition.SUCCESS or not isinstance(result.body, dict):
                raise PullError(result.error_code, result.error_detail, result.http_status)
            items = [item for item in result.body.get("items", []) if isinstance(item, dict)]
            if items:
                last_item = items[-1]
                yield items
            if not result.body.get("hasMore") or not items:
                return
            offset += page_size
            if offset + page_size > MAX_ROWS_PER_QUERY:
                break
        if last_item is None:
            return
        after = key(last_item)


def _stage_name(table: str) -> str:
    return f"_netsuite_sync_stage_{table}"


def _create_stage(warehouse: Warehouse, schema: str, table: str, columns: Sequence[Column]) -> str:
    relation = warehouse.dialect.relation(schema, _stage_name(table))
    definition = ", ".join(f"{warehouse.dialect.quote(c.name)} varchar" for c in columns)
    warehouse.execute(f"create or replace table {relation} ({definition})")
    return relation


def _ensure_target(warehouse: Warehouse, schema: str, table: str, columns: Sequence[Column]) -> str:
    relation = warehouse.dialect.relation(schema, table)
    timestamp_type = warehouse.dialect.timestamp_type
    definition = ", ".join(
        f"{warehouse.dialect.quote(c.name)} {warehouse_type(c.kind, timestamp_type)}"
        for c in columns
    )
    warehouse.execute(
        f"create table if not exists {relation} ({definition},"
        f" {warehouse.dialect.quote(PULLED_AT_COLUMN)} {timestamp_type})"
    )
    if columns is not TRANSACTION_COLUMNS:
        _add_missing_columns(warehouse, schema, table, relation, columns)
    return relation


def _add_missing_columns(
    warehouse: Warehouse, schema: str, table: str, relation: str, columns: Sequence[Column]
) -> None:
    """A line-id field configured after the first pull becomes a new column."""
    existing = {
        str(row[0]).lower()
        for row in warehouse.query(
            "select column_name from information_schema.columns"
            " where lower(table_schema) = lower(?) and lower(table_name) = lower(?)",
            [schema, table],
        )
    }
    for column in columns:
        if column.name.lower() not in existing:
            column_type = warehouse_type(column.kind, warehouse.dialect.timestamp_type)
            warehouse.execute(
                f"alter table {relation} add column {warehouse.dialect.quote(column.name)}"
                f" {column_type}"
            )


def _cast(warehouse: Warehouse, column: Column) -> str:
    source = f"nullif({warehouse.dialect.quote(column.name)}, '')"
    return f"cast({source} as {warehouse_type(column.kind, warehouse.dialect.timestamp_type)})"


def _stage_rows(items: list[dict[str, Any]], columns: Sequence[Column]) -> list[tuple[Any, ...]]:
    # SuiteQL omits null fields and sends every value as a string.
    return [
        tuple(None if item.get(c.name) is None else str(item[c.name]) for c in columns)
        for item in items
    ]


def high_water_mark(warehouse: Warehouse, schema: str) -> datetime | None:
    if not warehouse.table_exists(schema, TRANSACTION_TABLE):
        return None
    relation = warehouse.dialect.relation(schema, TRANSACTION_TABLE)
    rows = warehouse.query(f"select max(lastmodifieddate) from {relation}")
    value = rows[0][0] if rows else None
    return value if isinstance(value, datetime) else None


def run_pull(warehouse: Warehouse, client: NetSuiteClient, config: PullConfig) -> PullResult:
    schema = config.schema
    quote = warehouse.dialect.quote
    warehouse.ensure_schema(schema)
    hwm = None if config.full_refresh else high_water_mark(warehouse, schema)
    since = hwm - config.lookback if hwm is not None else None
    pulled_at = utc_now()
    rng = random.Random(config.seed)
    lines_columns = line_columns(config.line_id_field)

    tx_stage = _create_stage(warehouse, schema, TRANSACTION_TABLE, TRANSACTION_COLUMNS)
    line_stage = _create_stage(warehouse, schema, LINE_TABLE, lines_columns)
    tx_count = line_count = pages = 0
    try:
        for items in fetch_pages(
            client,
            lambda after: transaction_query(since, after),
            lambda item: (str(item.get("id", "")),),
            page_size=config.page_size,
            policy=config.retry_policy,
            rng=rng,
        ):
            warehouse.insert_rows(
                tx_stage,
                [c.name for c in TRANSACTION_COLUMNS],
                _stage_rows(items, TRANSACTION_COLUMNS),
            )
            tx_count += len(items)
            pages += 1
        for items in fetch_pages(
            client,
            lambda after: line_query(since, config.line_id_field, after),
            lambda item: (str(item.get("transaction", "")), str(item.get("id", ""))),
            page_size=config.page_size,
            policy=config.retry_policy,
            rng=rng,
        ):
            warehouse.insert_rows(
                line_stage, [c.name for c in lines_columns], _stage_rows(items, lines_columns)
            )
            line_count += len(items)
            pages += 1

        tx_target = _ensure_target(warehouse, schema, TRANSACTION_TABLE, TRANSACTION_COLUMNS)
        line_target = _ensure_target(warehouse, schema, LINE_TABLE, lines_columns)
        tx_names = ", ".join(quote(c.name) for c in TRANSACTION_COLUMNS)
        tx_casts = ", ".join(_cast(warehouse, c) for c in TRANSACTION_COLUMNS)
        line_names = ", ".join(quote(c.name) for c in lines_columns)
        line_casts = ", ".join(_cast(warehouse, c) for c in lines_columns)
        pulled = quote(PULLED_AT_COLUMN)
        id_, tx_ = quote("id"), quote("transaction")
        lmd = quote("lastmodifieddate")
        with warehouse.transaction():
            warehouse.execute(
                f"delete from {tx_target} where {id_} in (select {id_} from {tx_stage})"
            )
            # Offset paging over a changing table can return a row twice: keep one.
            warehouse.execute(
                f"insert into {tx_target} ({tx_names}, {pulled})"
                f" select {tx_casts}, cast(? as {warehouse.dialect.timestamp_type})"
                f" from {tx_stage}"
                f" qualify row_number() over (partition by {id_} order by {lmd} desc) = 1",
                [pulled_at],
            )
            warehouse.execute(
                f"delete from {line_target} where {tx_} in ("
                f"select {id_} from {tx_stage} union select {tx_} from {line_stage})"
            )
            warehouse.execute(
                f"insert into {line_target} ({line_names}, {pulled})"
                f" select {line_casts}, cast(? as {warehouse.dialect.timestamp_type})"
                f" from {line_stage}"
                f" qualify row_number() over (partition by {tx_}, {id_} order by {id_}) = 1",
                [pulled_at],
            )
    finally:
        warehouse.execute(f"drop table if exists {tx_stage}")
        warehouse.execute(f"drop table if exists {line_stage}")
    return PullResult(
        since=since, transactions=tx_count, lines=line_count, pulled_at=pulled_at, pages=pages
    )
