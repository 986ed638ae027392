"""Build the dbt project on the `snowflake` target in process under fakesnow, and on DuckDB.

fakesnow patches `snowflake.connector.connect`, so dbt-snowflake and the sync tool talk to
an in-process DuckDB that speaks Snowflake SQL. Patching only reaches this process: dbt
runs through `dbtRunner`, never a subprocess.

A Snowflake account receives Metronome's export as tables, so the generated sample export
is landed as tables (every transfer's rows appended, duplicates and all) through the
connector, with JSON columns as VARIANT in `customer` and `line_item` and as text in
`invoice` and `product`. The DuckDB build that the marts are compared with reads the same
rows landed as tables too: both builds then see the same input shape, and any difference
in the marts is an adapter difference.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import run_demo
from dbt_project import PROJECT_DIR, dbt_environment

DATABASE = "ANALYTICS"
EXPORT_SCHEMA = "METRONOME"
MODEL_SCHEMA = "METRONOME_NETSUITE"
EXPORT_TABLES = ("customer", "invoice", "line_item", "product", "credit_type")

# Which JSON columns land as VARIANT; every other JSON column lands as text.
VARIANT_COLUMNS: dict[str, frozenset[str]] = {
    "customer": frozenset({"custom_fields", "ingest_aliases"}),
    "line_item": frozenset({"pricing_group_values", "metadata"}),
}

# What a fakesnow run needs; the snowflake target in profiles/profiles.yml takes
# everything else (placeholder account, user, password) from its env_var defaults.
FAKESNOW_ENV = {
    "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    # Turns on the overrides in macros/fakesnow/ (see README, "Running on Snowflake").
    "METRONOME_NETSUITE_FAKESNOW": "1",
    "SNOWFLAKE_DATABASE": DATABASE,
    "SNOWFLAKE_SCHEMA": MODEL_SCHEMA,
}

_INSERT_BATCH_ROWS = 250


# --------------------------------------------------------------------------- the export


def export_files(export_root: Path, table: str) -> list[Path]:
    return sorted((export_root / table).glob("dt=*/*.parquet"))


def read_export_table(export_root: Path, table: str) -> tuple[pa.Schema, list[tuple[Any, ...]]]:
    """Every row of every transfer of one table, in file order."""
    tables = [pq.read_table(path) for path in export_files(export_root, table)]
    schema = tables[0].schema
    rows: list[tuple[Any, ...]] = []
    for part in tables:
        columns = [part.column(name).to_pylist() for name in schema.names]
        rows.extend(tuple(_utc_naive(value) for value in row) for row in zip(*columns, strict=True))
    return schema, rows


def _utc_naive(value: Any) -> Any:
    # The export's timestamps are UTC; a warehouse destination stores them without offset.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def snowflake_type(field: pa.Field, table: str) -> str:
    if field.name in VARIANT_COLUMNS.get(table, ()):
        return "variant"
    kind = field.type
    if pa.types.is_decimal(kind):
        return f"number({kind.precision}, {kind.scale})"
    if pa.types.is_timestamp(kind):
        return "timestamp_ntz"
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_string(kind):
        return "varchar"
    raise TypeError(f"{table}.{field.name}: no Snowflake type for {kind}")


def _select_expression(position: int, column_type: str) -> str:
    column = f"column{position}"
    if column_type == "variant":
        # Well-formed JSON lands as an object; malformed text cannot be a VARIANT
        # document, so it lands as a VARIANT string, as a loader that keeps the
        # row would store it. Staging reads that string back as the bad text.
        return f"coalesce(try_parse_json({column}), to_variant({column}))"
    return f"cast({column} as {column_type})"


def land_export_in_snowflake(
    connection: Any, export_root: Path, schema: str = EXPORT_SCHEMA
) -> dict[str, int]:
    """Create the five export tables in `schema` and append every transfer's rows."""
    counts: dict[str, int] = {}
    with contextlib.closing(connection.cursor()) as cursor:
        cursor.execute(f"create schema if not exists {schema}")
        for table in EXPORT_TABLES:
            arrow_schema, rows = read_export_table(export_root, table)
            types = [snowflake_type(field, table) for field in arrow_schema]
            names = arrow_schema.names
            definition = ", ".join(f"{n} {t}" for n, t in zip(names, types, strict=True))
            cursor.execute(f"create or replace table {schema}.{table} ({definition})")
            # INSERT ... VALUES cannot call parse_json, so rows go through SELECT ... FROM VALUES.
            selected = ", ".join(_select_expression(i, t) for i, t in enumerate(types, start=1))
            marks = "(" + ", ".join("?" for _ in types) + ")"
            for start in range(0, len(rows), _INSERT_BATCH_ROWS):
                batch = rows[start : start + _INSERT_BATCH_ROWS]
                cursor.execute(
                    f"insert into {schema}.{table} ({', '.join(names)})"
                    f" select {selected} from values {', '.join(marks for _ in batch)}",
                    [value for row in batch for value in row],
                )
            counts[table] = len(rows)
    return counts


def land_export_in_duckdb(duckdb_path: Path, export_root: Path) -> None:
    """The same rows as land_export_in_snowflake, as DuckDB tables (JSON as text)."""
    with duckdb.connect(str(duckdb_path)) as connection:
        connection.execute(f"create schema if not exists {EXPORT_SCHEMA.lower()}")
        for table in EXPORT_TABLES:
            files = [str(path) for path in export_files(export_root, table)]
            connection.execute(
                f"create or replace table {EXPORT_SCHEMA.lower()}.{table} as"
                " select * from read_parquet(?, union_by_name = true, hive_partitioning = false)",
                [files],
            )


# --------------------------------------------------------------------------- fakesnow


def _numeric_aggregates_unchanged(expression: Any) -> Any:
    return expression


@contextlib.contextmanager
def fakesnow_environment(db_path: Path) -> Iterator[None]:
    """fakesnow patched in, its databases kept under db_path, and FAKESNOW_ENV set.

    fakesnow rewrites every SUM/AVG of an uncast argument to SUM(TRY_CAST(x AS DOUBLE)),
    to mimic Snowflake summing text. On Snowflake a NUMBER sums exactly and this project
    never sums text, so that rewrite is switched off here: with it, money would go through
    floating point under fakesnow only.
    """
    import fakesnow

    db_path.mkdir(parents=True, exist_ok=True)
    saved = {name: os.environ.get(name) for name in FAKESNOW_ENV}
    os.environ.update(FAKESNOW_ENV)
    try:
        with (
            fakesnow.patch(db_path=str(db_path)),
            mock.patch(
                "fakesnow.transforms.numeric_agg_implicit_cast", _numeric_aggregates_unchanged
            ),
        ):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def connect(schema: str = MODEL_SCHEMA) -> Any:
    """A connector connection to the fakesnow account (placeholder credentials)."""
    import snowflake.connector

    return snowflake.connector.connect(
        account="fakesnow",
        user="fakesnow",
        password="fakesnow",
        database=DATABASE,
        schema=schema,
        paramstyle="qmark",
    )


@dataclass(frozen=True)
class DbtResult:
    success: bool
    output: str
    unit_tests_passed: int


def run_dbt_on_snowflake(work_dir: Path, *arguments: str) -> DbtResult:
    """`dbt <arguments> --target snowflake` in this process; fakesnow must be patched in.

    Artifacts and logs go under work_dir, never into the project's target/.
    """
    from dbt.cli.main import dbtRunner

    messages: list[str] = []

    def collect(event: Any) -> None:
        if event.info.level in ("info", "warn", "error"):
            messages.append(str(event.info.msg))

    result = dbtRunner(callbacks=[collect]).invoke(
        [
            *arguments,
            "--target",
            "snowflake",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR / "profiles"),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
        ]
    )
    unit_tests = [
        node
        for node in getattr(result.result, "results", None) or []
        if node.node.resource_type == "unit_test" and str(node.status) == "pass"
    ]
    return DbtResult(bool(result.success), "\n".join(messages), len(unit_tests))


def warehouse_vars() -> dict[str, object]:
    """The demo's vars, reading the export from warehouse tables instead of files."""
    return {**run_demo.DEMO_VARS, "metronome_export_path": None}


# --------------------------------------------------------------------------- DuckDB


def start_duckdb_build(work_dir: Path, duckdb_path: Path, *arguments: str) -> subprocess.Popen[str]:
    """`dbt <arguments>` (default `build`) on the duckdb target in a subprocess, so it runs
    beside the fakesnow one."""
    dbt = str(Path(sys.executable).parent / "dbt")
    return subprocess.Popen(
        [
            dbt,
            *(arguments or ("build",)),
            "--target",
            "duckdb",
            "--vars",
            json.dumps(warehouse_vars()),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
        ],
        cwd=PROJECT_DIR,
        env=dbt_environment(duckdb_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


# --------------------------------------------------------------------------- marts


def mart_names() -> list[str]:
    """Every model under models/marts, whichever consumer folder it sits in."""
    return sorted(path.stem for path in (PROJECT_DIR / "models" / "marts").rglob("*.sql"))


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


# When a row was written (the dbt invocation that recomputed it) differs between two
# builds by design; everything else must match.
WRITE_TIME_COLUMNS = ("recomputed_at",)


def without_write_times(columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> Table:
    kept = [position for position, name in enumerate(columns) if name not in WRITE_TIME_COLUMNS]
    return Table(
        tuple(columns[position] for position in kept),
        [tuple(row[position] for position in kept) for row in rows],
    )


def fetch_snowflake_table(connection: Any, name: str) -> Table:
    with contextlib.closing(connection.cursor()) as cursor:
        cursor.execute(f"select * from {DATABASE}.{MODEL_SCHEMA}.{name}")
        columns = tuple(column[0].lower() for column in cursor.description)
        return without_write_times(columns, cursor.fetchall())


def fetch_duckdb_table(duckdb_path: Path, name: str) -> Table:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        cursor = connection.execute(f"select * from main.{name}")
        columns = tuple(column[0].lower() for column in cursor.description)
        return without_write_times(columns, cursor.fetchall())


def comparable(value: Any) -> tuple[str, Any]:
    """A value tagged with its kind, with only the drivers' legitimate differences removed.

    Both connectors return exact decimals, but not always with the column's scale (and an
    integer column may come back as int or as a scale-0 Decimal), so numbers compare by
    value. Everything else must match in kind and value: a float where the other side has
    a Decimal, or a datetime where it has a date, is a difference.
    """
    if value is None:
        return ("null", "")
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | Decimal):
        return ("number", format(Decimal(value).normalize(), "f"))
    if isinstance(value, datetime):
        return ("timestamp", value.isoformat())
    if isinstance(value, date):
        return ("date", value.isoformat())
    return (type(value).__name__, value)


def comparable_rows(table: Table, key: Sequence[str]) -> list[tuple[tuple[str, Any], ...]]:
    """Rows in comparable form, sorted by the key columns and then by the whole row."""
    positions = [table.columns.index(column) for column in key]
    rows = [tuple(comparable(value) for value in row) for row in table.rows]
    return sorted(rows, key=lambda row: (tuple(row[p] for p in positions), row))
