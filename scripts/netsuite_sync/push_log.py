"""The push log: one row per attempt (and per skipped invoice), appended in batches.

It is both the audit trail and the state of the sync: the last final attempt of each
external id says whether the invoice still has to be sent (see marts.candidate_sql).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from typing import Literal

from netsuite_sync.warehouse import Warehouse

DEFAULT_SCHEMA = "netsuite_sync"
TABLE = "netsuite_push_log"

Outcome = Literal["created", "updated", "failed", "skipped"]
SUCCESS_OUTCOMES: tuple[Outcome, ...] = ("created", "updated")


@dataclass(frozen=True)
class PushLogRow:
    """One attempt. attempt = 0 and http_status = None for skipped invoices and for
    invoices refused by local validation (nothing was sent). A retried attempt has
    outcome 'failed' and is_final_attempt false; the invoice's outcome is on the row
    with is_final_attempt true."""

    run_id: str
    external_id: str
    payload_hash: str
    attempt: int
    started_at: datetime
    finished_at: datetime
    http_status: int | None
    outcome: Outcome
    is_final_attempt: bool
    netsuite_internal_id: str | None
    error_code: str | None
    error_path: str | None
    error_detail: str | None


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(PushLogRow))


def _column_types(timestamp_type: str) -> dict[str, str]:
    return {
        "run_id": "varchar",
        "external_id": "varchar",
        "payload_hash": "varchar",
        "attempt": "integer",
        "started_at": timestamp_type,
        "finished_at": timestamp_type,
        "http_status": "integer",
        "outcome": "varchar",
        "is_final_attempt": "boolean",
        "netsuite_internal_id": "varchar",
        "error_code": "varchar",
        "error_path": "varchar",
        "error_detail": "varchar",
    }


def ensure_table(warehouse: Warehouse, schema: str) -> str:
    """Create the schema and table when missing; returns the quoted relation."""
    warehouse.ensure_schema(schema)
    relation = warehouse.dialect.relation(schema, TABLE)
    types = _column_types(warehouse.dialect.timestamp_type)
    columns = ",\n    ".join(f"{warehouse.dialect.quote(c)} {types[c]}" for c in COLUMNS)
    warehouse.execute(f"create table if not exists {relation} (\n    {columns}\n)")
    return relation


def empty_relation_sql(warehouse: Warehouse) -> str:
    """A push log with no rows, for a dry run against a warehouse that has none yet."""
    types = _column_types(warehouse.dialect.timestamp_type)
    selected = ", ".join(f"cast(null as {types[c]}) as {c}" for c in COLUMNS)
    return f"(select {selected} where 1 = 0)"


class PushLogWriter:
    """Buffers rows and appends them every `flush_every_s` seconds or `max_rows` rows.

    Not thread-safe by design: only the thread that owns the warehouse calls it.
    """

    def __init__(
        self,
        warehouse: Warehouse,
        relation: str,
        *,
        flush_every_s: float = 2.0,
        max_rows: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._warehouse = warehouse
        self._relation = relation
        self._flush_every_s = flush_every_s
        self._max_rows = max_rows
        self._clock = clock
        self._buffer: list[PushLogRow] = []
        self._last_flush = clock()
        self.rows_written = 0

    def append(self, row: PushLogRow) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self._max_rows:
            self.flush()

    def flush_if_due(self) -> None:
        if self._buffer and self._clock() - self._last_flush >= self._flush_every_s:
            self.flush()

    def flush(self) -> None:
        self._last_flush = self._clock()
        if not self._buffer:
            return
        rows = [astuple(row) for row in self._buffer]
        self._warehouse.insert_rows(self._relation, COLUMNS, rows)
        self.rows_written += len(rows)
        self._buffer.clear()
