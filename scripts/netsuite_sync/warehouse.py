"""Warehouse I/O behind a small protocol, with DuckDB and Snowflake implementations.

All calls happen on the thread that opened the warehouse. Reads stream in batches
(fetchmany) so memory does not grow with the number of invoices. DuckDB allows one
writer per file, so a process keeps exactly one DuckDB connection and reads through
cursors of it.
"""

# SQL here is assembled from identifiers quoted by Dialect; values are always bound.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from netsuite_sync.profiles import WarehouseTarget
from netsuite_sync.settings import SettingsError


@dataclass(frozen=True)
class Dialect:
    name: str
    timestamp_type: str
    upper_case_identifiers: bool

    def quote(self, identifier: str) -> str:
        name = identifier.upper() if self.upper_case_identifiers else identifier
        return '"' + name.replace('"', '""') + '"'

    def relation(self, schema: str, table: str) -> str:
        return f"{self.quote(schema)}.{self.quote(table)}"


DUCKDB = Dialect(name="duckdb", timestamp_type="timestamp", upper_case_identifiers=False)
SNOWFLAKE = Dialect(name="snowflake", timestamp_type="timestamp_ntz", upper_case_identifiers=True)


class Warehouse(Protocol):
    """The few operations the sync needs; parameters use the qmark (`?`) style."""

    dialect: Dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def stream(
        self, sql: str, params: Sequence[Any] = (), batch_size: int = 1000
    ) -> Iterator[tuple[Any, ...]]: ...

    def insert_rows(
        self, relation: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None: ...

    def table_exists(self, schema: str, table: str) -> bool: ...

    def ensure_schema(self, schema: str) -> None: ...

    def transaction(self) -> contextlib.AbstractContextManager[None]: ...

    def close(self) -> None: ...


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a DuckDB setting name: {name!r}")
    return name


class DuckDBWarehouse:
    dialect = DUCKDB

    def __init__(self, path: str, settings: dict[str, Any] | None = None) -> None:
        import duckdb

        self._connection = duckdb.connect(path)
        # Applied like dbt-duckdb applies a profile's settings: with SET after
        # connecting. Some (TimeZone) are refused as connect-time config.
        for name, value in (settings or {}).items():
            if value is not None:
                literal = str(value).replace("'", "''")
                self._connection.execute(f"set {_identifier(name)} = '{literal}'")
        self.path = path

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._connection.execute(sql, list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._connection.execute(sql, list(params)).fetchall()

    def stream(
        self, sql: str, params: Sequence[Any] = (), batch_size: int = 1000
    ) -> Iterator[tuple[Any, ...]]:
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, list(params))
            while batch := cursor.fetchmany(batch_size):
                yield from batch
        finally:
            cursor.close()

    def insert_rows(
        self, relation: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        if not rows:
            return
        import pyarrow as pa

        # An Arrow scan is ~100x faster than executemany for DuckDB.
        table = pa.table({f"c{i}": [row[i] for row in rows] for i in range(len(columns))})
        cursor = self._connection.cursor()
        try:
            cursor.register("_netsuite_sync_rows", table)
            names = ", ".join(self.dialect.quote(c) for c in columns)
            selected = ", ".join(f"c{i}" for i in range(len(columns)))
            cursor.execute(
                f"insert into {relation} ({names}) select {selected} from _netsuite_sync_rows"
            )
        finally:
            cursor.unregister("_netsuite_sync_rows")
            cursor.close()

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.query(
            "select count(*) from information_schema.tables"
            " where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [schema, table],
        )
        return bool(rows[0][0])

    def ensure_schema(self, schema: str) -> None:
        self.execute(f"create schema if not exists {self.dialect.quote(schema)}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self._connection.begin()
        try:
            yield
        except BaseException:
            self._connection.rollback()
            raise
        self._connection.commit()

    def close(self) -> None:
        self._connection.close()


class SnowflakeWarehouse:
    dialect = SNOWFLAKE

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    @classmethod
    def connect(cls, config: dict[str, Any]) -> SnowflakeWarehouse:
        import snowflake.connector

        return cls(snowflake.connector.connect(**snowflake_connect_args(config)))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._connection.cursor() as cursor:
            cursor.execute(sql, list(params) or None)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._connection.cursor() as cursor:
            cursor.execute(sql, list(params) or None)
            return [tuple(row) for row in cursor.fetchall()]

    def stream(
        self, sql: str, params: Sequence[Any] = (), batch_size: int = 1000
    ) -> Iterator[tuple[Any, ...]]:
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, list(params) or None)
            while batch := cursor.fetchmany(batch_size):
                yield from (tuple(row) for row in batch)
        finally:
            cursor.close()

    def insert_rows(
        self, relation: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        if not rows:
            return
        names = ", ".join(self.dialect.quote(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        with self._connection.cursor() as cursor:
            cursor.executemany(
                f"insert into {relation} ({names}) values ({marks})", [list(r) for r in rows]
            )

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.query(
            "select count(*) from information_schema.tables"
            " where table_schema = ? and table_name = ?",
            [schema.upper(), table.upper()],
        )
        return bool(rows[0][0])

    def ensure_schema(self, schema: str) -> None:
        self.execute(f"create schema if not exists {self.dialect.quote(schema)}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("begin")
        try:
            yield
        except BaseException:
            self.execute("rollback")
            raise
        self.execute("commit")

    def close(self) -> None:
        self._connection.close()


_SNOWFLAKE_KEYS = {
    # dbt-snowflake profile key -> snowflake.connector.connect argument
    "account": "account",
    "user": "user",
    "password": "password",
    "role": "role",
    "warehouse": "warehouse",
    "database": "database",
    "schema": "schema",
    "authenticator": "authenticator",
    "private_key_path": "private_key_file",
    "private_key_passphrase": "private_key_file_pwd",
    "token": "token",
    "host": "host",
    "port": "port",
    "protocol": "protocol",
    "login_timeout": "login_timeout",
    "connect_timeout": "login_timeout",
    "client_session_keep_alive": "client_session_keep_alive",
}


def snowflake_connect_args(config: dict[str, Any]) -> dict[str, Any]:
    """Map a dbt-snowflake output to connector arguments; empty strings mean unset."""
    args: dict[str, Any] = {
        "paramstyle": "qmark",
        "arrow_number_to_decimal": True,
        "application": "metronome_netsuite_sync",
    }
    for profile_key, connect_key in _SNOWFLAKE_KEYS.items():
        value = config.get(profile_key)
        if value is None or value == "":
            continue
        args[connect_key] = value
    for required in ("account", "user"):
        if required not in args:
            raise SettingsError(f"snowflake target is missing {required!r}")
    return args


def open_warehouse(target: WarehouseTarget) -> Warehouse:
    config = dict(target.config)
    if target.adapter_type == "duckdb":
        path = str(config.get("path") or ":memory:")
        if path != ":memory:" and not path.startswith(("md:", "motherduck:")):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return DuckDBWarehouse(path, dict(config.get("settings") or {}))
    if target.adapter_type == "snowflake":
        return SnowflakeWarehouse.connect(config)
    raise SettingsError(
        f"unsupported warehouse type {target.adapter_type!r} (duckdb and snowflake are)"
    )
