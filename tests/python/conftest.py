"""Shared fixtures: fake NetSuite credentials, a running emulator, a tiny dbt project on DuckDB."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

# Distinctive values so a test can prove none of them leaks into output or tables.
NETSUITE_TEST_ENV = {
    "NETSUITE_ACCOUNT_ID": "1234567_SB1",
    "NETSUITE_CONSUMER_KEY": "ck-4c1a7e-known-consumer-key",
    "NETSUITE_CONSUMER_SECRET": "cs-9f2b61-known-consumer-secret",
    "NETSUITE_TOKEN_ID": "ti-73d0aa-known-token-id",
    "NETSUITE_TOKEN_SECRET": "ts-e58c12-known-token-secret",
}


@pytest.fixture
def netsuite_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """NETSUITE_* credentials in os.environ (and returned) for the emulator and the CLI."""
    for name in ("NETSUITE_BASE_URL", "NETSUITE_LINE_ID_FIELD", "DBT_PROFILES_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in NETSUITE_TEST_ENV.items():
        monkeypatch.setenv(name, value)
    return dict(NETSUITE_TEST_ENV)


@pytest.fixture
def start_emulator(
    netsuite_env: dict[str, str],
) -> Callable[..., AbstractContextManager[Any]]:
    """start_emulator(**EmulatorConfig overrides) -> context manager of a running emulator."""
    from netsuite_sync.emulator import EmulatorConfig, running_emulator

    def start(**overrides: Any) -> AbstractContextManager[Any]:
        return running_emulator(EmulatorConfig.from_environment(**overrides))

    return start


MART_INVOICE_COLUMNS = (
    ("external_id", "varchar"),
    ("netsuite_customer_id", "varchar"),
    ("tran_date", "date"),
    ("start_date", "date"),
    ("end_date", "date"),
    ("currency", "varchar"),
    ("currency_minor_unit_digits", "integer"),
    ("netsuite_currency_id", "varchar"),
    ("netsuite_custom_form_id", "varchar"),
    ("netsuite_subsidiary_id", "varchar"),
    ("total_amount", "decimal(38, 4)"),
    ("line_count", "integer"),
    ("payload_hash", "varchar"),
    ("metronome_customer_id", "varchar"),
    ("billing_month", "date"),
)

MART_LINE_COLUMNS = (
    ("external_id", "varchar"),
    ("line_external_id", "varchar"),
    ("line_number", "integer"),
    ("netsuite_customer_id", "varchar"),
    ("netsuite_item_id", "varchar"),
    ("tran_date", "date"),
    ("start_date", "date"),
    ("end_date", "date"),
    ("currency", "varchar"),
    ("quantity", "decimal(38, 6)"),
    ("rate", "decimal(38, 8)"),
    ("amount", "decimal(38, 4)"),
    ("description", "varchar"),
    ("metronome_customer_id", "varchar"),
    ("metronome_product_id", "varchar"),
)


@dataclass(frozen=True)
class MartLine:
    item_id: str
    quantity: str
    rate: str | None
    amount: str
    description: str


@dataclass(frozen=True)
class MartInvoice:
    external_id: str
    customer_id: str
    currency: str
    lines: tuple[MartLine, ...]
    currency_id: str | None = None
    digits: int = 2
    tran_date: date = date(2024, 2, 1)
    form_id: str | None = None
    subsidiary_id: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((Decimal(line.amount) for line in self.lines), Decimal(0))

    def payload_hash(self) -> str:
        canonical = repr(
            (
                self.customer_id,
                self.currency,
                self.currency_id,
                self.tran_date,
                self.form_id,
                self.subsidiary_id,
                [
                    (
                        Decimal(x.quantity),
                        x.rate and Decimal(x.rate),
                        Decimal(x.amount),
                        x.item_id,
                        x.description,
                    )
                    for x in self.lines
                ],
            )
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def mart_tables(
    invoices: Sequence[MartInvoice],
) -> list[tuple[str, tuple[tuple[str, str], ...], list[tuple[Any, ...]]]]:
    """(table, columns, rows) of the two marts for these invoices, for any warehouse."""
    invoice_rows = []
    line_rows = []
    for invoice in invoices:
        start, end = invoice.tran_date.replace(day=1), invoice.tran_date.replace(day=28)
        invoice_rows.append(
            (
                invoice.external_id,
                invoice.customer_id,
                invoice.tran_date,
                start,
                end,
                invoice.currency,
                invoice.digits,
                invoice.currency_id,
                invoice.form_id,
                invoice.subsidiary_id,
                invoice.total,
                len(invoice.lines),
                invoice.payload_hash(),
                f"mc-{invoice.customer_id}",
                start,
            )
        )
        for number, line in enumerate(invoice.lines, start=1):
            line_rows.append(
                (
                    invoice.external_id,
                    f"{invoice.external_id}-li{number}",
                    number,
                    invoice.customer_id,
                    line.item_id,
                    invoice.tran_date,
                    start,
                    end,
                    invoice.currency,
                    Decimal(line.quantity),
                    None if line.rate is None else Decimal(line.rate),
                    Decimal(line.amount),
                    line.description,
                    f"mc-{invoice.customer_id}",
                    f"prod-{line.item_id}",
                )
            )
    return [
        ("netsuite_invoices", MART_INVOICE_COLUMNS, invoice_rows),
        ("netsuite_invoice_lines", MART_LINE_COLUMNS, line_rows),
    ]


@dataclass(frozen=True)
class SyncProject:
    """A dbt project folder whose duckdb target holds hand-written marts."""

    project_dir: Path
    profiles_dir: Path
    database: Path

    def cli_args(self) -> list[str]:
        return ["--project-dir", str(self.project_dir), "--profiles-dir", str(self.profiles_dir)]

    def write_marts(self, invoices: Sequence[MartInvoice]) -> None:
        with duckdb.connect(str(self.database)) as connection:
            for table, columns, rows in mart_tables(invoices):
                definition = ", ".join(f"{name} {kind}" for name, kind in columns)
                connection.execute(f"create or replace table main.{table} ({definition})")
                marks = ", ".join("?" for _ in columns)
                for row in rows:
                    connection.execute(f"insert into main.{table} values ({marks})", list(row))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.database)) as connection:
            return connection.execute(sql, list(params)).fetchall()


@pytest.fixture
def sync_project(tmp_path: Path) -> Iterator[SyncProject]:
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    (project_dir / "dbt_project.yml").write_text(
        "name: sync_test\nversion: '1.0'\nprofile: sync_test\n", encoding="utf-8"
    )
    database = tmp_path / "warehouse.duckdb"
    (project_dir / "profiles.yml").write_text(
        "sync_test:\n"
        "  target: dev\n"
        "  outputs:\n"
        "    dev:\n"
        "      type: duckdb\n"
        f"      path: \"{{{{ env_var('SYNC_TEST_DUCKDB', '{database}') }}}}\"\n"
        "      schema: main\n"
        "      threads: 1\n",
        encoding="utf-8",
    )
    yield SyncProject(project_dir=project_dir, profiles_dir=project_dir, database=database)


@pytest.fixture
def mart_types() -> tuple[type[MartInvoice], type[MartLine]]:
    """The mart row builders, for tests that write their own invoices."""
    return MartInvoice, MartLine


@pytest.fixture
def build_mart_tables() -> Callable[[Sequence[MartInvoice]], list[Any]]:
    """mart_tables(invoices): the marts as (table, columns, rows), to load anywhere."""
    return mart_tables


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The sample export built by dbt once per session (slow; treat it as read-only).

    Tests that write to it (pushes, pulls) copy `duckdb_path` first.
    """
    from dbt_project import build_demo_warehouse

    return build_demo_warehouse(tmp_path_factory.mktemp("demo_warehouse"))


@pytest.fixture(scope="session")
def demo_loop(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The README's main job run once per session: (Demo, reconciliation counts).

    Its warehouse is read-only for tests.
    """
    from run_demo import Demo

    demo = Demo(tmp_path_factory.mktemp("demo_loop"))
    return demo, demo.loop()
