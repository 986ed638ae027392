"""The reconciliation report: exact, escaped, capped, and what the browser shows is the marts.

The fast tests build the report from a few hand-written mart rows. The browser tests run the
README's main job (the demo loop) once, write the report from its warehouse the way
`netsuite-sync report` does, open it in headless Chromium and compare every number on the
page with the marts. Without Chromium they skip, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest
from netsuite_sync.profiles import load_project, load_target
from netsuite_sync.report import describe_summary, exact_value, format_amount, write_report
from netsuite_sync.settings import SettingsError
from netsuite_sync.warehouse import DuckDBWarehouse, Warehouse, open_warehouse

GENERATED_AT = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
CHART_KEYS = ("status-by-month", "amounts-by-currency", "differences")

# --------------------------------------------------------------------------- small marts

INVOICE_COLUMNS = """
    external_id varchar, status varchar, metronome_total decimal(38, 4),
    netsuite_total decimal(38, 4), amount_difference decimal(38, 4), currency varchar,
    metronome_customer_id varchar, expected_netsuite_customer_id varchar,
    netsuite_customer_id varchar, netsuite_document_number varchar, billing_month date,
    metronome_reason_code varchar, last_push_error_code varchar, last_push_error_detail varchar,
    netsuite_invoice_count integer, metronome_line_count integer, netsuite_line_count integer,
    unmatched_line_count integer, is_in_netsuite boolean, expected_netsuite_currency_id varchar,
    netsuite_currency_id varchar, expected_tran_date date, netsuite_tran_date date
"""
EXCEPTION_COLUMNS = """
    external_id varchar, line_external_id varchar, reason_code varchar, detail varchar,
    metronome_customer_id varchar, currency varchar, total_amount decimal(38, 4),
    tran_date date, billing_month date
"""
SEPT, OCT = date(2026, 9, 1), date(2026, 10, 1)
HOSTILE = '<script>alert("x")</script> & "quotes"'


def invoice(
    external_id: str, status: str, metronome: str | None, netsuite: str | None, **extra: Any
) -> dict[str, Any]:
    m = None if metronome is None else Decimal(metronome)
    n = None if netsuite is None else Decimal(netsuite)
    row: dict[str, Any] = {
        "external_id": external_id,
        "status": status,
        "metronome_total": m,
        "netsuite_total": n,
        "amount_difference": None if m is None or n is None else n - m,
        "currency": "USD",
        "billing_month": SEPT,
        "is_in_netsuite": n is not None,
        "netsuite_invoice_count": 0 if n is None else 1,
    }
    row.update(extra)
    return row


SMALL_INVOICES = [
    invoice("INV-M1", "matched", "1000.1000", "1000.1000"),
    invoice("INV-M2", "matched", "0.0050", "0.0050", currency="EUR", billing_month=OCT),
    invoice("INV-A1", "amount_mismatch", "10.00", "12.50", netsuite_document_number="D1"),
    invoice("INV-N1", "missing_in_netsuite", "7.25", None),
    invoice(
        "INV-P1",
        "push_failed",
        "99.99",
        None,
        last_push_error_code="INVALID_CONTENT",
        last_push_error_detail=HOSTILE,
    ),
    invoice("INV-X1", "missing_in_metronome", None, "5.00", netsuite_customer_id="77"),
    invoice("INV-H1", "held_in_metronome", "300.00", None),
    invoice("INV-H2", "held_in_metronome", None, None, currency=None),
    invoice("INV-E1", "excluded_in_metronome", "40.00", None),
]
SMALL_EXCEPTIONS = [
    ("INV-H1", None, "missing_customer_mapping", HOSTILE, "c1", "USD", Decimal("300.00"), SEPT),
    ("INV-H2", None, "unsupported_credit_type", "Compute Credits.", "c2", None, None, SEPT),
    ("INV-H2", "li-1", "missing_item_mapping", "Line 1 has no item.", "c2", None, None, SEPT),
]


def write_small_marts(execute: Callable[[str, list[Any]], Any], schema: str) -> None:
    """The three marts, through any connection whose parameters are `?`."""
    execute(f"create table {schema}.reconciliation_invoices ({INVOICE_COLUMNS})", [])
    for row in SMALL_INVOICES:
        execute(
            f"insert into {schema}.reconciliation_invoices ({', '.join(row)})"
            f" values ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
    execute(f"create table {schema}.netsuite_invoice_exceptions ({EXCEPTION_COLUMNS})", [])
    for exception in SMALL_EXCEPTIONS:
        execute(
            f"insert into {schema}.netsuite_invoice_exceptions"
            " values (?, ?, ?, ?, ?, ?, ?, null, ?)",
            list(exception),
        )
    # As models/marts/reconciliation/reconciliation_summary.sql builds it.
    execute(
        f"""
        create table {schema}.reconciliation_summary as
        select billing_month, status, currency, cast(count(*) as integer) as invoice_count,
            coalesce(sum(metronome_total), 0) as metronome_total,
            coalesce(sum(netsuite_total), 0) as netsuite_total,
            coalesce(sum(amount_difference), 0) as amount_difference
        from {schema}.reconciliation_invoices
        group by billing_month, status, currency
        """,
        [],
    )


@pytest.fixture
def small_warehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(str(tmp_path / "small.duckdb"))
    write_small_marts(warehouse.execute, "main")
    yield warehouse
    warehouse.close()


def small_report(warehouse: Warehouse, path: Path, marts_schema: str = "main") -> str:
    write_report(
        warehouse,
        path,
        marts_schema=marts_schema,
        source="profile 'p', target 't' (duckdb)",
        generated_at=GENERATED_AT,
    )
    return path.read_text(encoding="utf-8")


VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}
)


class PageIndex(HTMLParser):
    """Every data-testid element's data-value and text, every data-field, and every URL."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str | None] = {}
        self.texts: dict[str, str] = {}
        self.fields: list[tuple[str, str | None]] = []
        self.urls: list[str] = []
        self._open: list[tuple[str, int]] = []  # data-testid and its depth
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.urls.extend(
            str(attributes[name]) for name in ("src", "href", "action") if attributes.get(name)
        )
        if attributes.get("data-field"):
            self.fields.append((str(attributes["data-field"]), attributes.get("data-value")))
        if tag in VOID_ELEMENTS:
            return
        self._depth += 1
        key = attributes.get("data-testid")
        if key and key != "row":
            self.values[key] = attributes.get("data-value")
            self.texts[key] = ""
            self._open.append((key, self._depth))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        if self._open and self._open[-1][1] == self._depth:
            self._open.pop()
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        for key, _ in self._open:
            self.texts[key] += data


def index(page: str) -> PageIndex:
    parser = PageIndex()
    parser.feed(page)
    return parser


def test_amounts_are_exact_decimal_text_with_thousands_separators() -> None:
    assert exact_value(Decimal("40.0000")) == exact_value(Decimal("40")) == "40"
    assert exact_value(Decimal("-0.0000")) == "0"
    assert exact_value(Decimal("1E+3")) == "1000"
    assert format_amount(Decimal("528291.3400")) == "528,291.34"
    assert format_amount(Decimal("0.0050")) == "0.005"
    assert format_amount(Decimal("-4536.8900")) == "-4,536.89"
    assert format_amount(Decimal("1E+3")) == "1,000.00"
    assert format_amount(Decimal("-0.0000")) == "0.00"
    assert format_amount(Decimal("12345678901234567890.1234")) == (
        "12,345,678,901,234,567,890.1234"
    )


def test_headline_and_amounts_come_from_the_marts_exactly(
    small_warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    page = index(small_report(small_warehouse, tmp_path / "report.html"))
    counts = {
        key: page.values[f"count-{key}"]
        for key in ("total", "matched", "missing", "mismatched", "held", "excluded")
    }
    assert counts == {
        "total": "9",
        "matched": "2",
        "missing": "3",
        "mismatched": "1",
        "held": "2",
        "excluded": "1",
    }
    # Outstanding = every invoice neither matched nor excluded; a NetSuite-only invoice
    # counts with NetSuite's amount; held without an amount is counted, not summed.
    assert page.values["amount-matched-USD"] == "1000.1"
    assert page.values["amount-outstanding-USD"] == "422.24"
    assert page.texts["amount-outstanding-USD"] == "422.24"
    assert page.values["amount-outstanding-USD-invoices"] == "5"
    assert page.values["amount-excluded-USD"] == "40"
    assert page.values["amount-matched-EUR"] == "0.005"
    assert page.texts["amount-matched-EUR"] == "0.005"
    assert page.values["amount-outstanding-none-invoices"] == "1"
    assert page.values["amount-unknown-none-invoices"] == "1"
    assert page.texts["source"] == "profile 'p', target 't' (duckdb), schema main"
    assert page.values["list-missing-total"] == "3"
    assert page.values["list-mismatched-total"] == "1"
    assert page.values["list-held-total"] == "3"


def test_text_from_the_marts_is_escaped(small_warehouse: DuckDBWarehouse, tmp_path: Path) -> None:
    text = small_report(small_warehouse, tmp_path / "report.html")
    assert HOSTILE not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in text
    fields = index(text).fields
    assert ("detail", HOSTILE) in fields  # the parser unescapes: the value survives intact


def test_action_lists_are_capped_and_say_how_many_more(
    small_warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    path = tmp_path / "report.html"
    summary = write_report(
        small_warehouse, path, marts_schema="main", source="s", generated_at=GENERATED_AT,
        list_limit=1,
    )  # fmt: skip
    page = index(path.read_text(encoding="utf-8"))
    assert list(describe_summary(summary)) == [
        "netsuite-sync report: 9 invoices (2 matched, 3 missing, 1 mismatched, 2 held, 1 excluded)",
        f"report written to {path.resolve()} (open it in a browser; it needs no network)",
    ]
    assert not list(tmp_path.glob("*.partial"))
    assert summary.list_totals == {"missing": 3, "mismatched": 1, "held": 3}
    assert summary.list_shown == {"missing": 1, "mismatched": 1, "held": 1}
    assert page.values["list-missing-more"] == "2"
    assert page.values["list-held-more"] == "2"
    assert "list-mismatched-more" not in page.values
    # The first row shown is the most urgent: missing lists follow status precedence.
    assert [value for field, value in page.fields if field == "external_id"][:1] == ["INV-X1"]


def test_page_loads_nothing_from_the_network(
    small_warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    text = small_report(small_warehouse, tmp_path / "report.html")
    assert [url for url in index(text).urls if not url.startswith(("#", "data:"))] == []
    assert "Content-Security-Policy" in text
    assert "plotly.js v" in text  # the library is inside the page


def test_chart_specs_are_valid_plotly_figures(
    small_warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    import plotly.graph_objects as go

    text = small_report(small_warehouse, tmp_path / "report.html")
    for key in CHART_KEYS:
        start = text.index(f'id="chart-{key}-spec">') + len(f'id="chart-{key}-spec">')
        spec = json.loads(text[start : text.index("</script>", start)])
        go.Figure(spec)  # raises on any property plotly.js does not know


def test_missing_marts_are_named_with_the_command_that_builds_them(tmp_path: Path) -> None:
    warehouse = DuckDBWarehouse(str(tmp_path / "empty.duckdb"))
    try:
        with pytest.raises(SettingsError, match="reconciliation_invoices, reconciliation_summary"):
            write_report(warehouse, tmp_path / "r.html", marts_schema="main", source="s")
    finally:
        warehouse.close()
    assert not (tmp_path / "r.html").exists()


@pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")
def test_snowflake_report_shows_the_same_numbers_as_duckdb(
    small_warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    fakesnow = pytest.importorskip("fakesnow")
    from netsuite_sync.warehouse import SnowflakeWarehouse

    duckdb_page = index(small_report(small_warehouse, tmp_path / "duckdb.html"))
    with fakesnow.patch():
        warehouse = SnowflakeWarehouse.connect(
            {"account": "acme", "user": "u", "password": "p", "database": "ANALYTICS"}
        )
        try:
            warehouse.execute("create schema if not exists analytics.marts")
            write_small_marts(warehouse.execute, "marts")
            snowflake_page = index(
                small_report(warehouse, tmp_path / "snowflake.html", marts_schema="marts")
            )
        finally:
            warehouse.close()
    assert snowflake_page.values == duckdb_page.values
    assert snowflake_page.fields == duckdb_page.fields


# --------------------------------------------------------------------------- browser


@dataclass(frozen=True)
class Browser:
    chromium: str
    chromedriver: str


@pytest.fixture(scope="module")
def browser() -> Browser:
    """Debian's chromium and chromedriver; skip without them, but fail in CI."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    problem = None
    if not (chromium and chromedriver):
        problem = "headless Chromium is not installed (apt-get install chromium chromium-driver)"
    else:
        try:
            import selenium  # noqa: F401
        except ImportError:
            problem = "selenium is not installed (pip install -e '.[dev]')"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests: {problem}")
        pytest.skip(problem)
    assert chromium and chromedriver
    return Browser(chromium=chromium, chromedriver=chromedriver)


@dataclass(frozen=True)
class DemoReport:
    warehouse: Path
    path: Path
    source: str


@pytest.fixture(scope="module")
def demo_report(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory, demo_loop: Any
) -> DemoReport:
    """The demo loop's warehouse and the report written from it as the CLI would."""
    from run_demo import PROJECT_DIR

    demo, _ = demo_loop
    env = {**os.environ, "METRONOME_NETSUITE_DUCKDB_PATH": str(demo.warehouse)}
    project = load_project(PROJECT_DIR)
    target = load_target(
        project, profiles_dir=PROJECT_DIR / "profiles", target=None, env=env, cwd=PROJECT_DIR
    )
    path = tmp_path_factory.mktemp("report") / "reconciliation.html"
    warehouse = open_warehouse(target)
    try:
        write_report(warehouse, path, marts_schema=target.schema, source=target.describe())
    finally:
        warehouse.close()
    return DemoReport(warehouse=demo.warehouse, path=path, source=target.describe())


@dataclass(frozen=True)
class LoadedPage:
    driver: Any
    console: list[dict[str, Any]]

    def js(self, script: str) -> Any:
        return self.driver.execute_script(script)


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


@pytest.fixture(scope="module")
def page(
    browser: Browser, demo_report: DemoReport, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoadedPage]:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = browser.chromium
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        # Both paths are given, so Selenium Manager (which downloads drivers and
        # browsers) must never run: point it at nothing to prove it.
        patch.setenv("SE_MANAGER_PATH", str(profile / "no-selenium-manager"))
        driver = webdriver.Chrome(
            service=Service(executable_path=browser.chromedriver), options=options
        )
    try:
        driver.get(demo_report.path.resolve().as_uri())
        try:
            WebDriverWait(driver, 60).until(
                lambda d: d.execute_script(
                    "return Array.from(document.querySelectorAll('[data-chart]'))"
                    ".every(e => e.getAttribute('data-rendered') === 'true')"
                )
            )
        except TimeoutException:
            pytest.fail(f"the charts did not render; console: {driver.get_log('browser')}")
        yield LoadedPage(driver=driver, console=driver.get_log("browser"))
    finally:
        driver.quit()


def query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def shown_values(loaded: LoadedPage) -> dict[str, dict[str, str | None]]:
    return loaded.js(
        "const out = {};"
        "document.querySelectorAll('[data-testid][data-value]').forEach(e => {"
        " out[e.dataset.testid] = {value: e.dataset.value, text: e.textContent.trim()}; });"
        "return out;"
    )


def shown_list(loaded: LoadedPage, key: str) -> list[dict[str, dict[str, str | None]]]:
    """Each row of an action list: data-field -> its data-value and visible text."""
    return loaded.js(
        f"return Array.from(document.querySelectorAll('[data-testid=\"list-{key}\"] tbody tr'))"
        ".map(tr => { const row = {};"
        " tr.querySelectorAll('[data-field]').forEach(td => {"
        "  row[td.dataset.field] = {value: td.dataset.value ?? null,"
        "   text: td.textContent.trim()}; });"
        " return row; });"
    )


def amount_text(value: Decimal | None) -> str:
    return "—" if value is None else format_amount(value)


@pytest.mark.slow
def test_page_loads_without_console_errors(page: LoadedPage) -> None:
    problems = [entry for entry in page.console if entry["level"] in ("SEVERE", "WARNING")]
    assert problems == []
    assert page.js("return typeof Plotly") == "object"


@pytest.mark.slow
def test_every_chart_renders_bars(page: LoadedPage) -> None:
    for key in CHART_KEYS:
        rendered = page.js(
            f"const el = document.querySelector('[data-testid=\"chart-{key}\"]');"
            "return {svg: el.querySelectorAll('.main-svg').length,"
            " traces: el.querySelectorAll('.trace.bars').length,"
            " bars: el.querySelectorAll('.trace.bars .point path').length};"
        )
        assert rendered["svg"] > 0, key
        assert rendered["traces"] > 0, key
        assert rendered["bars"] > 0, key


@pytest.mark.slow
def test_headline_counts_equal_the_marts(page: LoadedPage, demo_report: DemoReport) -> None:
    shown = shown_values(page)
    by_status = dict(
        query(
            demo_report.warehouse,
            "select status, sum(invoice_count) from main.reconciliation_summary group by 1",
        )
    )
    for status, invoices in by_status.items():
        assert shown[f"status-count-{status}"] == {"value": str(invoices), "text": f"{invoices:,}"}
    groups = {
        "total": list(by_status),
        "matched": ["matched"],
        "missing": ["missing_in_netsuite", "missing_in_metronome", "push_failed"],
        "held": ["held_in_metronome"],
        "excluded": ["excluded_in_metronome"],
        "mismatched": [
            "amount_mismatch",
            "customer_mismatch",
            "currency_mismatch",
            "line_mismatch",
            "date_mismatch",
            "duplicate_in_netsuite",
            "void_in_metronome",
        ],
    }
    for key, statuses in groups.items():
        expected = sum(by_status.get(status, 0) for status in statuses)
        assert shown[f"count-{key}"]["value"] == str(expected), key
    # The demo's exact outcome, so a broken page cannot agree with a broken query.
    assert shown["count-total"]["value"] == "141"
    assert shown["count-matched"]["value"] == "110"


@pytest.mark.slow
def test_amounts_per_currency_equal_the_marts(page: LoadedPage, demo_report: DemoReport) -> None:
    shown = shown_values(page)
    rows = query(
        demo_report.warehouse,
        """
        select coalesce(currency, 'none'),
            sum(case when status = 'matched' then coalesce(metronome_total, netsuite_total) end),
            sum(case when status not in ('matched', 'excluded_in_metronome')
                then coalesce(metronome_total, netsuite_total) end),
            sum(case when status = 'excluded_in_metronome' then metronome_total end),
            count(*) filter (where status = 'matched'),
            count(*) filter (where status not in ('matched', 'excluded_in_metronome'))
        from main.reconciliation_invoices group by 1
        """,
    )
    assert {row[0] for row in rows} == {"USD", "EUR", "none"}
    for currency, matched, outstanding, excluded, n_matched, n_outstanding in rows:
        for kind, amount in (
            ("matched", matched),
            ("outstanding", outstanding),
            ("excluded", excluded),
        ):
            amount = amount or Decimal(0)
            cell = shown[f"amount-{kind}-{currency}"]
            assert Decimal(cell["value"]) == amount, (currency, kind)
            assert Decimal(cell["text"].replace(",", "")) == amount, (currency, kind)
        assert shown[f"amount-matched-{currency}-invoices"]["value"] == str(n_matched)
        assert shown[f"amount-outstanding-{currency}-invoices"]["value"] == str(n_outstanding)
    assert shown["amount-matched-USD"]["text"] == "414,147.83"


@pytest.mark.slow
def test_charts_plot_the_marts(page: LoadedPage, demo_report: DemoReport) -> None:
    traces = page.js(
        "return document.querySelector('[data-testid=\"chart-status-by-month\"]').data"
        ".map(t => [t.meta, t.x, t.y]);"
    )
    plotted = {
        (month, status): count
        for status, months, counts in traces
        for month, count in zip(months, counts, strict=True)
        if count
    }
    summary = query(
        demo_report.warehouse,
        "select strftime(billing_month, '%Y-%m'), status, sum(invoice_count)"
        " from main.reconciliation_summary group by all",
    )
    assert plotted == {(month, status): count for month, status, count in summary}

    bars = page.js(
        "return document.querySelector('[data-testid=\"chart-amounts-by-currency\"]').data"
        ".map(t => [t.name, t.x, t.text]);"
    )
    shown = shown_values(page)
    for name, currencies, texts in bars:
        for currency, text in zip(currencies, texts, strict=True):
            assert text == shown[f"amount-{name.lower()}-{currency}"]["text"]

    differences = page.js(
        "return document.querySelector('[data-testid=\"chart-differences\"]').data"
        ".flatMap(t => t.y.map((id, i) => [id, t.meta, t.text[i]]));"
    )
    expected = query(
        demo_report.warehouse,
        """
        select external_id, status,
            coalesce(netsuite_total, 0) - coalesce(metronome_total, 0) as gap, currency
        from main.reconciliation_invoices
        where status not in ('matched', 'held_in_metronome', 'excluded_in_metronome')
            and coalesce(netsuite_total, 0) <> coalesce(metronome_total, 0)
        order by abs(gap) desc, external_id limit 15
        """,
    )
    assert sorted(differences) == sorted(
        [external_id, status, f"{format_amount(gap)} {currency}"]
        for external_id, status, gap, currency in expected
    )
    assert len(differences) == 4


MISSING_WHERE = "status in ('missing_in_netsuite', 'missing_in_metronome', 'push_failed')"
MISMATCHED_WHERE = (
    "status in ('amount_mismatch', 'customer_mismatch', 'currency_mismatch', 'line_mismatch',"
    " 'date_mismatch', 'duplicate_in_netsuite', 'void_in_metronome')"
    " or (status = 'excluded_in_metronome' and is_in_netsuite)"
)


@pytest.mark.slow
def test_missing_and_mismatched_lists_equal_the_marts(
    page: LoadedPage, demo_report: DemoReport
) -> None:
    for key, where in (("missing", MISSING_WHERE), ("mismatched", MISMATCHED_WHERE)):
        expected = query(
            demo_report.warehouse,
            "select external_id, status, metronome_total, netsuite_total, last_push_error_code"
            f" from main.reconciliation_invoices where {where}",
        )
        shown = {
            row["external_id"]["value"]: (
                row["status"]["value"],
                row["metronome_total"]["text"],
                row["netsuite_total"]["text"],
                row.get("push_error", {}).get("text", ""),
            )
            for row in shown_list(page, key)
        }
        assert set(shown) == {external_id for external_id, *_ in expected}, key
        for external_id, status, metronome, netsuite, error_code in expected:
            s_status, s_metronome, s_netsuite, s_error = shown[external_id]
            assert (s_status, s_metronome, s_netsuite) == (
                status,
                amount_text(metronome),
                amount_text(netsuite),
            )
            if error_code:
                assert s_error.startswith(f"{error_code}: ")
        assert shown_values(page)[f"list-{key}-total"]["value"] == str(len(expected))

    mismatched = {row["external_id"]["value"]: row for row in shown_list(page, "mismatched")}
    customer = query(
        demo_report.warehouse,
        "select external_id, expected_netsuite_customer_id, netsuite_customer_id"
        " from main.reconciliation_invoices where status = 'customer_mismatch'",
    )
    for external_id, expected_customer, netsuite_customer in customer:
        row = mismatched[external_id]
        assert row["metronome_value"]["value"] == expected_customer
        assert row["netsuite_value"]["value"] == netsuite_customer


@pytest.mark.slow
def test_held_list_equals_the_exceptions_mart(page: LoadedPage, demo_report: DemoReport) -> None:
    expected = query(
        demo_report.warehouse,
        "select external_id, reason_code, detail, total_amount"
        " from main.netsuite_invoice_exceptions",
    )
    shown = [
        (
            row["external_id"]["value"],
            row["reason_code"]["value"],
            row["detail"]["text"],
            row["total_amount"]["text"],
        )
        for row in shown_list(page, "held")
    ]
    assert sorted(shown) == sorted(
        (external_id, reason, detail, amount_text(total))
        for external_id, reason, detail, total in expected
    )
    assert len(shown) == 12


@pytest.mark.slow
def test_page_names_the_target_and_when_it_was_generated(
    page: LoadedPage, demo_report: DemoReport
) -> None:
    source = page.js("return document.querySelector('[data-testid=\"source\"]').textContent")
    assert source == f"{demo_report.source}, schema main"
    assert "profile 'metronome_netsuite', target 'duckdb' (duckdb)" in source
    generated = page.js(
        "return document.querySelector('[data-testid=\"generated-at\"]').getAttribute('datetime')"
    )
    assert abs(datetime.fromisoformat(generated) - datetime.now(UTC)).total_seconds() < 900


@pytest.mark.slow
def test_full_page_screenshot(page: LoadedPage, tmp_path: Path) -> None:
    height = page.js("return document.documentElement.scrollHeight")
    shot = page.driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1400, "height": height, "scale": 1},
        },
    )
    png = base64.b64decode(shot["data"])
    (tmp_path / "report.png").write_bytes(png)
    assert png.startswith(b"\x89PNG") and len(png) > 50_000
