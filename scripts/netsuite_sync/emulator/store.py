"""The emulated account's data: invoices in sqlite tables named and shaped like NetSuite's.

`transaction` and `transactionline` use NetSuite's lower-case column names and sign
conventions (item lines negative on the income side, the mainline row positive), so the
same SuiteQL works against the emulator and a real account. One connection guarded by a
lock: sqlite serialises writes anyway and the emulator is never the bottleneck.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .errors import NetSuiteError, user_error
from .invoice_payload import (
    CUSTOM_FIELD,
    CustomValue,
    HeaderValue,
    InvoiceEdit,
    InvoiceInput,
    LineEdit,
    LineInput,
)
from .sql_functions import now_internal, parse_internal, register_functions, to_internal

INVOICE_TYPE = "CustInvc"
FIRST_TRANSACTION_ID = 1001
QUERYABLE_TABLES = frozenset({"transaction", "transactionline"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS "transaction" (
    id INTEGER PRIMARY KEY,
    tranid TEXT,
    externalid TEXT,
    type TEXT NOT NULL,
    trandate BLOB,
    startdate BLOB,
    enddate BLOB,
    entity INTEGER,
    currency INTEGER,
    foreigntotal NUMERIC,
    status TEXT,
    voided TEXT,
    memo TEXT,
    otherrefnum TEXT,
    createddate BLOB,
    lastmodifieddate BLOB,
    subsidiary INTEGER,
    customform INTEGER
);
CREATE INDEX IF NOT EXISTS transaction_externalid ON "transaction" (externalid);
CREATE TABLE IF NOT EXISTS transactionline (
    id INTEGER NOT NULL,
    "transaction" INTEGER NOT NULL,
    linesequencenumber INTEGER,
    mainline TEXT,
    taxline TEXT,
    item INTEGER,
    quantity NUMERIC,
    rate NUMERIC,
    foreignamount NUMERIC,
    netamount NUMERIC,
    memo TEXT,
    custcol_metronome_line_id TEXT,
    PRIMARY KEY ("transaction", id)
);
CREATE TABLE IF NOT EXISTS emulator_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

# Query guard: a runaway SuiteQL (an accidental cross join) is stopped after this long.
QUERY_TIME_LIMIT_S = 20.0


@dataclass(frozen=True)
class InvoiceLine:
    line_id: int
    sequence: int
    item_id: str | None
    amount: Decimal | None  # record-API sign: positive for a normal sale
    quantity: Decimal | None
    rate: Decimal | None
    description: str | None
    custom: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InvoiceRecord:
    internal_id: int
    tran_id: str
    external_id: str | None
    entity_id: str | None
    tran_date: str | None  # YYYY-MM-DD
    start_date: str | None
    end_date: str | None
    currency_id: str | None
    subsidiary_id: str | None
    custom_form_id: str | None
    memo: str | None
    other_ref_num: str | None
    total: Decimal
    status: str
    voided: bool
    created_at: str  # ISO 8601 UTC, e.g. 2024-02-01T10:15:00.123456Z
    last_modified_at: str
    custom: dict[str, Any]
    lines: tuple[InvoiceLine, ...]


@dataclass(frozen=True)
class WriteResult:
    internal_id: int
    created: bool


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    total: int


class InvoiceStore:
    def __init__(self, path: str | None = None, default_currency: str = "1") -> None:
        self._lock = threading.RLock()
        self._default_currency = default_currency
        self._conn = sqlite3.connect(path or ":memory:", check_same_thread=False)
        # Column names per table, read once: custom fields add columns, nothing drops one.
        self._columns: dict[str, set[str]] = {}
        register_functions(self._conn)
        with self._conn:
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with self._conn:
                    yield self._conn
            except BaseException:
                # A rolled-back ALTER TABLE takes its column with it: forget the columns.
                self._columns.clear()
                raise

    # ----------------------------------------------------------------- writes

    def upsert(
        self, external_id: str, invoice: InvoiceInput, *, replace_lines: bool
    ) -> WriteResult:
        """PUT invoice/eid:<external_id>: create, or update the existing invoice in place."""
        with self._transaction() as conn:
            row = conn.execute(
                'SELECT id FROM "transaction" WHERE externalid = ? AND type = ? '
                "ORDER BY id LIMIT 1",
                (external_id, INVOICE_TYPE),
            ).fetchone()
            header = {**invoice.header, "externalid": external_id}
            if row is None:
                return WriteResult(self._insert(conn, header, invoice.lines), created=True)
            self._update(conn, row[0], header, invoice.lines, replace_lines=replace_lines)
            return WriteResult(row[0], created=False)

    def create(self, invoice: InvoiceInput, *, allow_duplicate_external_id: bool) -> int:
        """POST invoice (or a UI / CSV-import create when duplicates are allowed)."""
        with self._transaction() as conn:
            external_id = invoice.header.get("externalid")
            if external_id is not None and not allow_duplicate_external_id:
                exists = conn.execute(
                    'SELECT 1 FROM "transaction" WHERE externalid = ? AND type = ?',
                    (external_id, INVOICE_TYPE),
                ).fetchone()
                if exists:
                    raise NetSuiteError.single(
                        400,
                        "DUP_RCRD",
                        "A record with this external ID already exists. "
                        "Use the eid: upsert to update it.",
                        "externalId",
                    )
            return self._insert(conn, dict(invoice.header), invoice.lines)

    def edit(self, internal_id: int, edit: InvoiceEdit) -> bool:
        """Apply an edit made "in the NetSuite UI"; False when the invoice does not exist."""
        with self._transaction() as conn:
            if not self._exists(conn, internal_id):
                return False
            self._write_header(conn, internal_id, edit.header)
            for sequence, change in sorted(edit.lines.items()):
                self._edit_line(conn, internal_id, sequence, change)
            if edit.void:
                # A direct void keeps the lines but zeroes every amount, like NetSuite.
                conn.execute(
                    "UPDATE transactionline SET foreignamount = 0, netamount = 0 "
                    'WHERE "transaction" = ?',
                    (internal_id,),
                )
                conn.execute(
                    "UPDATE \"transaction\" SET status = 'V', voided = 'T' WHERE id = ?",
                    (internal_id,),
                )
            self._refresh_totals(conn, internal_id)
            self._require_complete(conn, internal_id)
            self._touch(conn, internal_id, _parse_override(edit.last_modified))
            return True

    def delete(self, internal_id: int) -> bool:
        with self._transaction() as conn:
            conn.execute('DELETE FROM transactionline WHERE "transaction" = ?', (internal_id,))
            cursor = conn.execute('DELETE FROM "transaction" WHERE id = ?', (internal_id,))
            return cursor.rowcount > 0

    def reset(self) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM transactionline")
            conn.execute('DELETE FROM "transaction"')
            conn.execute("DELETE FROM emulator_meta")

    # ------------------------------------------------------------------ reads

    def get(self, internal_id: int) -> InvoiceRecord | None:
        with self._lock:
            rows = self._fetch_dicts(
                'SELECT * FROM "transaction" WHERE id = ? AND type = ?',
                (internal_id, INVOICE_TYPE),
            )
            return self._record(rows[0]) if rows else None

    def invoices_by_external_id(self, external_id: str) -> list[InvoiceRecord]:
        return self._select_records("externalid = ?", (external_id,))

    def all_invoices(self) -> list[InvoiceRecord]:
        return self._select_records("1 = 1", ())

    def run_query(self, sql: str, *, limit: int, offset: int, max_rows: int) -> QueryResult:
        """Run a translated, read-only SELECT and return one page plus the total row count."""
        with self._lock:
            deadline = time.monotonic() + QUERY_TIME_LIMIT_S
            self._conn.set_authorizer(_read_only_authorizer)
            self._conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            try:
                total = self._conn.execute(f"SELECT COUNT(*) FROM ({sql}\n)").fetchone()[0]  # noqa: S608
                total = min(total, max_rows)
                page_size = max(0, min(limit, total - offset))
                # A newline keeps a trailing "-- comment" in the query from hiding the LIMIT.
                cursor = self._conn.execute(f"{sql}\nLIMIT {page_size} OFFSET {offset}")
                columns = [description[0] for description in cursor.description or ()]
                rows = cursor.fetchall()
            finally:
                self._conn.set_authorizer(None)
                self._conn.set_progress_handler(None, 0)
            return QueryResult(columns=columns, rows=rows, total=total)

    # -------------------------------------------------------------- internals

    def _select_records(self, where: str, params: tuple[Any, ...]) -> list[InvoiceRecord]:
        with self._lock:
            rows = self._fetch_dicts(
                f'SELECT * FROM "transaction" WHERE type = ? AND {where} ORDER BY id',  # noqa: S608
                (INVOICE_TYPE, *params),
            )
            return [self._record(row) for row in rows]

    def _insert(
        self,
        conn: sqlite3.Connection,
        header: dict[str, HeaderValue],
        lines: tuple[LineInput, ...] | None,
    ) -> int:
        if header.get("entity") is None:
            raise user_error("Please enter value(s) for: Customer", "entity")
        if header.get("trandate") is None:
            raise user_error("Please enter value(s) for: Date", "tranDate")
        if not lines:
            raise user_error("You must enter at least one line item for this transaction.", "item")
        internal_id = self._next_transaction_id(conn)
        now = now_internal()
        conn.execute(
            'INSERT INTO "transaction" (id, tranid, type, status, voided, currency, createddate, '
            "lastmodifieddate) VALUES (?, ?, ?, 'A', 'F', ?, ?, ?)",
            (internal_id, f"INV{internal_id}", INVOICE_TYPE, self._default_currency, now, now),
        )
        conn.execute(
            'INSERT INTO transactionline (id, "transaction", linesequencenumber, mainline, '
            "taxline) VALUES (0, ?, 0, 'T', 'F')",
            (internal_id,),
        )
        self._write_header(conn, internal_id, header)
        self._add_lines(conn, internal_id, lines, first_line_id=1)
        self._refresh_totals(conn, internal_id)
        return internal_id

    def _update(
        self,
        conn: sqlite3.Connection,
        internal_id: int,
        header: dict[str, HeaderValue],
        lines: tuple[LineInput, ...] | None,
        *,
        replace_lines: bool,
    ) -> None:
        self._write_header(conn, internal_id, header)
        if lines is not None:
            if replace_lines:
                conn.execute(
                    "DELETE FROM transactionline WHERE \"transaction\" = ? AND mainline = 'F'",
                    (internal_id,),
                )
            # Without replace=item NetSuite appends to a non-keyed sublist: a re-sent
            # invoice gains a second copy of every line.
            last = conn.execute(
                'SELECT COALESCE(MAX(id), 0) FROM transactionline WHERE "transaction" = ?',
                (internal_id,),
            ).fetchone()[0]
            self._add_lines(conn, internal_id, lines, first_line_id=last + 1)
        self._refresh_totals(conn, internal_id)
        self._require_complete(conn, internal_id)
        self._touch(conn, internal_id, None)

    def _require_complete(self, conn: sqlite3.Connection, internal_id: int) -> None:
        entity, trandate = conn.execute(
            'SELECT entity, trandate FROM "transaction" WHERE id = ?', (internal_id,)
        ).fetchone()
        if entity is None:
            raise user_error("Please enter value(s) for: Customer", "entity")
        if trandate is None:
            raise user_error("Please enter value(s) for: Date", "tranDate")
        count = conn.execute(
            "SELECT COUNT(*) FROM transactionline WHERE \"transaction\" = ? AND mainline = 'F'",
            (internal_id,),
        ).fetchone()[0]
        if count == 0:
            raise user_error("You must enter at least one line item for this transaction.", "item")

    def _write_header(
        self, conn: sqlite3.Connection, internal_id: int, header: dict[str, HeaderValue]
    ) -> None:
        if not header:
            return
        self._ensure_columns(conn, "transaction", header)
        assignments = ", ".join(f"{_quote(column)} = ?" for column in header)
        conn.execute(
            f'UPDATE "transaction" SET {assignments} WHERE id = ?',  # noqa: S608
            (*(_to_sql(value) for value in header.values()), internal_id),
        )
        if "memo" in header:
            conn.execute(
                "UPDATE transactionline SET memo = ? WHERE \"transaction\" = ? AND mainline = 'T'",
                (header["memo"], internal_id),
            )

    def _add_lines(
        self,
        conn: sqlite3.Connection,
        internal_id: int,
        lines: tuple[LineInput, ...],
        *,
        first_line_id: int,
    ) -> None:
        rows: list[tuple[tuple[str, ...], list[Any]]] = []
        for offset, line in enumerate(lines):
            line_id = first_line_id + offset
            custom: dict[str, CustomValue] = dict(line.custom)
            self._ensure_columns(conn, "transactionline", custom)
            columns = (
                "id",
                '"transaction"',
                "linesequencenumber",
                "mainline",
                "taxline",
                "item",
                "quantity",
                "rate",
                "foreignamount",
                "netamount",
                "memo",
                *(_quote(name) for name in custom),
            )
            # Income-side sign convention: amounts and quantities negative, rate positive.
            values = [
                line_id,
                internal_id,
                line_id,
                "F",
                "F",
                line.item_id,
                _to_sql(_negate(line.quantity)),
                _to_sql(line.rate),
                _to_sql(-line.amount),
                _to_sql(-line.amount),
                line.description,
                *(_to_sql(value) for value in custom.values()),
            ]
            rows.append((columns, values))
        # One statement per run of lines with the same columns (usually all of them).
        for columns, group in itertools.groupby(rows, key=lambda row: row[0]):
            placeholders = ", ".join("?" for _ in columns)
            conn.executemany(
                f"INSERT INTO transactionline ({', '.join(columns)}) "  # noqa: S608
                f"VALUES ({placeholders})",
                [values for _, values in group],
            )

    def _edit_line(
        self, conn: sqlite3.Connection, internal_id: int, sequence: int, change: LineEdit
    ) -> None:
        exists = conn.execute(
            'SELECT 1 FROM transactionline WHERE "transaction" = ? AND linesequencenumber = ? '
            "AND mainline = 'F'",
            (internal_id, sequence),
        ).fetchone()
        if exists is None:
            raise user_error(
                f"Invoice {internal_id} has no item line {sequence}.", f"lines.{sequence}"
            )
        updates: dict[str, Any] = {}
        if change.amount is not None:
            updates["foreignamount"] = updates["netamount"] = _to_sql(-change.amount)
        if change.quantity is not None:
            updates["quantity"] = _to_sql(-change.quantity)
        if change.rate is not None:
            updates["rate"] = _to_sql(change.rate)
        if change.description is not None:
            updates["memo"] = change.description
        if change.item_id is not None:
            updates["item"] = change.item_id
        if updates:
            assignments = ", ".join(f"{column} = ?" for column in updates)
            conn.execute(
                f"UPDATE transactionline SET {assignments} "  # noqa: S608
                'WHERE "transaction" = ? AND linesequencenumber = ?',
                (*updates.values(), internal_id, sequence),
            )

    def _refresh_totals(self, conn: sqlite3.Connection, internal_id: int) -> None:
        """Total = sum of item-line amounts, summed as exact decimals (not sqlite floats)."""
        amounts = conn.execute(
            'SELECT foreignamount FROM transactionline WHERE "transaction" = ? '
            "AND mainline = 'F'",
            (internal_id,),
        ).fetchall()
        total = -sum((_to_decimal(amount) or Decimal(0) for (amount,) in amounts), Decimal(0))
        conn.execute(
            'UPDATE "transaction" SET foreigntotal = ? WHERE id = ?',
            (_to_sql(total), internal_id),
        )
        conn.execute(
            "UPDATE transactionline SET foreignamount = ?, netamount = ? "
            "WHERE \"transaction\" = ? AND mainline = 'T'",
            (_to_sql(total), _to_sql(total), internal_id),
        )

    def _touch(self, conn: sqlite3.Connection, internal_id: int, at: bytes | None) -> None:
        previous = conn.execute(
            'SELECT lastmodifieddate FROM "transaction" WHERE id = ?', (internal_id,)
        ).fetchone()[0]
        stamp = at or now_internal()
        if at is None and previous is not None and stamp <= previous:
            # Two edits within one clock tick must still move lastmodifieddate forward.
            moment = parse_internal(previous)
            if moment is not None:
                stamp = to_internal(moment + timedelta(microseconds=1))
        conn.execute(
            'UPDATE "transaction" SET lastmodifieddate = ? WHERE id = ?', (stamp, internal_id)
        )

    def _next_transaction_id(self, conn: sqlite3.Connection) -> int:
        # Kept in a counter rather than MAX(id) + 1 so a deleted invoice's id is never reused.
        row = conn.execute("SELECT value FROM emulator_meta WHERE key = 'next_id'").fetchone()
        current_max = conn.execute('SELECT MAX(id) FROM "transaction"').fetchone()[0] or 0
        next_id = max(row[0] if row else FIRST_TRANSACTION_ID, current_max + 1)
        conn.execute(
            "INSERT INTO emulator_meta (key, value) VALUES ('next_id', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (next_id + 1,),
        )
        return next_id

    def _exists(self, conn: sqlite3.Connection, internal_id: int) -> bool:
        return (
            conn.execute(
                'SELECT 1 FROM "transaction" WHERE id = ? AND type = ?', (internal_id, INVOICE_TYPE)
            ).fetchone()
            is not None
        )

    def _ensure_columns(self, conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> None:
        """Custom fields (custbody_* / custcol_*) become columns on first use, as in SuiteQL."""
        custom = [name for name in values if CUSTOM_FIELD.match(name)]
        if not custom:
            return
        existing = self._columns.get(table)
        if existing is None:
            existing = {row[1] for row in conn.execute(f"PRAGMA table_info({_quote(table)})")}
            self._columns[table] = existing
        for name in custom:
            if name not in existing:
                conn.execute(f"ALTER TABLE {_quote(table)} ADD COLUMN {_quote(name)} TEXT")
                existing.add(name)

    def _fetch_dicts(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        cursor = self._conn.execute(sql, params)
        columns = [description[0] for description in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def _record(self, row: dict[str, Any]) -> InvoiceRecord:
        line_rows = self._fetch_dicts(
            "SELECT * FROM transactionline WHERE \"transaction\" = ? AND mainline = 'F' "
            "ORDER BY linesequencenumber",
            (row["id"],),
        )
        lines = tuple(self._line(line) for line in line_rows)
        return InvoiceRecord(
            internal_id=row["id"],
            tran_id=row["tranid"],
            external_id=row["externalid"],
            entity_id=_id_text(row["entity"]),
            tran_date=_date_text(row["trandate"]),
            start_date=_date_text(row["startdate"]),
            end_date=_date_text(row["enddate"]),
            currency_id=_id_text(row["currency"]),
            subsidiary_id=_id_text(row["subsidiary"]),
            custom_form_id=_id_text(row["customform"]),
            memo=row["memo"],
            other_ref_num=row["otherrefnum"],
            total=_to_decimal(row["foreigntotal"]) or Decimal(0),
            status=row["status"],
            voided=row["voided"] == "T",
            created_at=_timestamp_text(row["createddate"]),
            last_modified_at=_timestamp_text(row["lastmodifieddate"]),
            custom={k: v for k, v in row.items() if k.startswith("custbody") and v is not None},
            lines=lines,
        )

    @staticmethod
    def _line(row: dict[str, Any]) -> InvoiceLine:
        return InvoiceLine(
            line_id=row["id"],
            sequence=row["linesequencenumber"],
            item_id=_id_text(row["item"]),
            amount=_negate(_to_decimal(row["foreignamount"])),
            quantity=_negate(_to_decimal(row["quantity"])),
            rate=_to_decimal(row["rate"]),
            description=row["memo"],
            custom={k: v for k, v in row.items() if k.startswith("custcol") and v is not None},
        )


def _read_only_authorizer(action: int, arg1: str | None, *_: object) -> int:
    """Let SuiteQL read the two NetSuite tables and nothing else (no writes, no pragmas)."""
    if action == sqlite3.SQLITE_READ:
        return sqlite3.SQLITE_OK if arg1 in QUERYABLE_TABLES else sqlite3.SQLITE_DENY
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _negate(value: Decimal | None) -> Decimal | None:
    return None if value is None else -value


def _to_sql(value: Any) -> Any:
    """Bind values: decimals as plain text (NUMERIC columns store them as numbers)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return to_internal(value)
    return value


def _to_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _id_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _date_text(value: bytes | None) -> str | None:
    moment = parse_internal(value)
    return None if moment is None else moment.date().isoformat()


def _timestamp_text(value: bytes | None) -> str:
    moment = parse_internal(value)
    return "" if moment is None else moment.isoformat(timespec="microseconds") + "Z"


def _parse_override(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise user_error(f"Invalid timestamp {value!r}.", "lastModifiedDate") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return to_internal(moment)
