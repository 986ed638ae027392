"""Incremental runs give exactly the rows of a full refresh, and touch only what changed.

One warehouse is built on the base sample export and then run incrementally after each of
two delta exports (corrections, voids, identical re-deliveries, a stale line version
delivered late, new invoices, a customer gaining its NetSuite id). A second warehouse is
built from scratch on the final export. Every model table must be equal row for row, and
the dispositions must be the generator's expected outcome after both deltas.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from dbt_project import append_delta, generate_export, run_dbt_or_fail
from run_demo import PROJECT_DIR, demo_vars
from sample_export.writer import transfer_time

DELTAS = (1, 2)
# The models that recompute whole invoices, each recording a watermark.
INVOICE_GRAIN_MODELS = (
    "int_invoice_lines_enriched",
    "int_invoices_enriched",
    "int_invoice_exceptions",
    "invoice_dispositions",
    "netsuite_invoice_lines",
    "netsuite_invoices",
)
INCREMENTAL_MODELS = (
    "stg_metronome__invoices",
    "stg_metronome__line_items",
    "int_customers_mapped",
    *INVOICE_GRAIN_MODELS,
)
# Written into every line of one copy before the first delta: an incremental run leaves
# it on the invoices it does not recompute.
UNTOUCHED = "[not recomputed]"
LOOKBACK_HOURS = 6


@dataclass(frozen=True)
class IncrementalRuns:
    incremental: Path
    full_refresh: Path
    marked: Path
    expected_dispositions: Path
    first_delta_ids: frozenset[str]
    base_exported_through: object
    base_staged_through: object
    incremental_output: str
    separate_invocation: Path
    export_root: Path
    downstream_behind: Path
    # The SQL the last incremental run executed, by model name.
    incremental_sql: dict[str, str]
    # The export's files before the last delta, and the files the last delta added.
    files_before_last_delta: frozenset[Path]
    last_delta_files: frozenset[Path]


def dbt(warehouse: Path, export_root: Path, command: str, *arguments: str) -> str:
    variables = {**demo_vars(export_root), "metronome_incremental_lookback_hours": LOOKBACK_HOURS}
    return run_dbt_or_fail(warehouse, command, variables, *arguments)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IncrementalRuns]:
    directory = tmp_path_factory.mktemp("incremental")
    export_root, _, _ = generate_export(directory)
    incremental = directory / "incremental.duckdb"
    dbt(incremental, export_root, "build")

    marked = directory / "marked.duckdb"
    shutil.copyfile(incremental, marked)
    separate_invocation = directory / "separate_invocation.duckdb"
    shutil.copyfile(incremental, separate_invocation)
    downstream_behind = directory / "downstream_behind.duckdb"
    shutil.copyfile(incremental, downstream_behind)
    with duckdb.connect(str(marked)) as connection:
        connection.execute(
            "update main.netsuite_invoice_lines set description = description || ?", [UNTOUCHED]
        )

    [(base_exported_through, base_staged_through)] = query(
        marked,
        "select max(exported_through), max(staged_through)"
        " from main.metronome_netsuite_incremental_watermarks",
    )

    expected = directory / "expected_after_deltas.csv"
    first_delta_ids = append_delta(export_root, DELTAS[0], expected)
    dbt(marked, export_root, "run", "--select", "+netsuite_invoice_lines")
    # Staging first, then the marts in another invocation without int_invoices_changed:
    # the marts must find the changed invoices themselves.
    dbt(separate_invocation, export_root, "run", "--select", "path:models/staging/metronome")
    dbt(
        separate_invocation, export_root, "run", "--select", "+netsuite_invoice_lines",
        "--exclude", "path:models/staging/metronome", "int_invoices_changed",
    )  # fmt: skip
    # Only the lines after delta 1: the models built from them stay at the base build.
    dbt(downstream_behind, export_root, "run", "--select", "+int_invoice_lines_enriched")
    output = dbt(incremental, export_root, "build")
    for number in DELTAS[1:]:
        files_before_last_delta = frozenset(export_root.rglob("*.parquet"))
        append_delta(export_root, number, expected)
        output = dbt(incremental, export_root, "build")
    last_delta_files = frozenset(export_root.rglob("*.parquet")) - files_before_last_delta
    incremental_sql = executed_sql()
    dbt(downstream_behind, export_root, "run", "--select", "+netsuite_invoices")

    full_refresh = directory / "full_refresh.duckdb"
    dbt(full_refresh, export_root, "build")
    yield IncrementalRuns(
        incremental,
        full_refresh,
        marked,
        expected,
        first_delta_ids,
        base_exported_through,
        base_staged_through,
        output,
        separate_invocation,
        export_root,
        downstream_behind,
        incremental_sql,
        files_before_last_delta,
        last_delta_files,
    )


def executed_sql() -> dict[str, str]:
    """The compiled SQL of each model in the last dbt invocation's run results."""
    results = json.loads((PROJECT_DIR / "target" / "run_results.json").read_text())
    return {
        result["unique_id"].split(".")[-1]: result.get("compiled_code") or ""
        for result in results["results"]
        if result["unique_id"].startswith("model.")
    }


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def comparable_columns(model: str) -> str:
    # When a row was written differs between two warehouses by design.
    if model.startswith("stg_"):
        return "* exclude (staged_at)"
    if model in ("int_invoice_lines_enriched", "netsuite_invoice_lines"):
        return "* exclude (recomputed_at)"
    return "*"


def assert_same_rows(model: str, warehouse: Path, reference: Path) -> None:
    columns = comparable_columns(model)
    with duckdb.connect() as connection:
        connection.execute(f"attach '{warehouse}' as warehouse (read_only)")
        connection.execute(f"attach '{reference}' as reference (read_only)")
        counts = connection.execute(
            f"select (select count(*) from warehouse.main.{model}),"
            f" (select count(*) from reference.main.{model})"
        ).fetchone()
        only_warehouse = connection.execute(
            f"select {columns} from warehouse.main.{model}"
            f" except all select {columns} from reference.main.{model}"
        ).fetchall()
        only_reference = connection.execute(
            f"select {columns} from reference.main.{model}"
            f" except all select {columns} from warehouse.main.{model}"
        ).fetchall()
    assert counts is not None
    assert counts[0] == counts[1] > 0
    assert only_warehouse == []
    assert only_reference == []


@pytest.mark.parametrize("model", INCREMENTAL_MODELS)
def test_incremental_model_equals_full_refresh(runs: IncrementalRuns, model: str) -> None:
    assert_same_rows(model, runs.incremental, runs.full_refresh)


@pytest.mark.parametrize("model", INCREMENTAL_MODELS)
def test_models_behind_their_upstream_catch_up_to_full_refresh(
    runs: IncrementalRuns, model: str
) -> None:
    # The lines were built after delta 1 without the models read from them; the next run
    # must recompute delta 1's invoices in the lines again, since those models read only
    # the lines it writes.
    assert_same_rows(model, runs.downstream_behind, runs.full_refresh)


def test_models_read_only_the_lines_written_in_their_invocation(runs: IncrementalRuns) -> None:
    [(invocations,)] = query(
        runs.incremental,
        "select count(distinct recomputed_at) from main.int_invoice_lines_enriched",
    )
    assert invocations == 1 + len(DELTAS)
    stamp_filter = re.compile(r"and recomputed_at = cast\('[0-9: .-]+' as timestamp\)")
    for model in (
        "int_invoices_enriched",
        "int_invoice_exceptions",
        "netsuite_invoice_lines",
        "netsuite_invoices",
    ):
        assert stamp_filter.search(runs.incremental_sql[model]), model


@pytest.mark.parametrize(
    ("model", "table"),
    [("stg_metronome__invoices", "invoice"), ("stg_metronome__line_items", "line_item")],
)
def test_staging_opens_only_the_files_of_its_window_it_holds_no_row_of(
    runs: IncrementalRuns, model: str, table: str
) -> None:
    earlier = [path for path in runs.files_before_last_delta if path.parts[-3] == table]
    new = {str(path) for path in runs.last_delta_files if path.parts[-3] == table}
    window_start = max(map(transfer_time, earlier)) - timedelta(hours=LOOKBACK_HOURS)
    staged_before = {str(path) for path in earlier if transfer_time(path) >= window_start}
    # The last run's lookback window covers files the run before it staged ...
    assert staged_before
    assert new
    # ... and of its window it opens only the files the last delta added.
    opened = set(re.findall(r"'([^']+[.]parquet)'", runs.incremental_sql[model]))
    assert opened == new


def test_downstream_marts_equal_full_refresh(runs: IncrementalRuns) -> None:
    for model in (
        "netsuite_invoice_exceptions",
        "reconciliation_invoices",
        "reconciliation_summary",
    ):
        sql = f"select * from main.{model} order by all"
        assert query(runs.incremental, sql) == query(runs.full_refresh, sql)


def test_incremental_run_reaches_the_expected_dispositions(runs: IncrementalRuns) -> None:
    mismatches = query(
        runs.incremental,
        f"""
        select expected.invoice_id, expected.scenario, d.disposition, d.reason_code
        from read_csv('{runs.expected_dispositions}', all_varchar = true) as expected
        full outer join main.invoice_dispositions as d
            on expected.invoice_id = d.external_id
        where expected.expected_disposition is distinct from d.disposition
           or coalesce(expected.expected_reason_code, '') <> coalesce(d.reason_code, '')
        """,
    )
    assert mismatches == []
    assert query(runs.incremental, "select count(*) from main.invoice_dispositions") == [(146,)]


def test_incremental_run_recomputes_only_changed_invoices(runs: IncrementalRuns) -> None:
    recomputed = {
        row[0]
        for row in query(
            runs.marked,
            f"select distinct external_id from main.netsuite_invoice_lines"
            f" where not ends_with(description, '{UNTOUCHED}')",
        )
    }
    ready_lines = query(
        runs.marked,
        "select distinct external_id, metronome_customer_id from main.netsuite_invoice_lines",
    )
    ready = {invoice for invoice, _ in ready_lines}
    delta_customers = {
        invoice for invoice, customer in ready_lines if customer in runs.first_delta_ids
    }
    # Every ready invoice the delta carries, or whose customer it carries, is rebuilt.
    ready_in_delta = (runs.first_delta_ids & ready) | delta_customers
    # The invoices whose invoice or line row the run staged (the delta's new versions:
    # a re-read row no newer than the one held is not staged again), whose customer
    # was delivered from the run's window on (the base export's newest delivery less
    # the lookback), or whose customer or product is in a mapping override seed. The
    # delta's stale line version loses to the kept one, so its invoice is not among
    # them; nor are the invoices of the base export's last deliveries, which are in
    # the lookback window (staging does not open their files again).
    window_start = runs.base_exported_through - timedelta(hours=LOOKBACK_HOURS)
    staged_after = runs.base_staged_through
    expected = {
        row[0]
        for row in query(
            runs.marked,
            f"""
            with changed as (
                select invoice_id from main.stg_metronome__invoices
                where staged_at > '{staged_after}'
                union
                select invoice_id from main.stg_metronome__line_items
                where staged_at > '{staged_after}'
                union
                select invoice_id from main.stg_metronome__invoices
                where customer_id in (
                    select customer_id from main.stg_metronome__customers
                    where exported_at >= '{window_start}'
                    union
                    select metronome_customer_id from main.netsuite_customer_mapping_overrides)
                union
                select invoice_id from main.stg_metronome__line_items
                where product_id in (
                    select metronome_product_id from main.netsuite_item_mapping_overrides)
            )
            select invoice_id from changed
            where invoice_id in (select external_id from main.netsuite_invoice_lines)
            """,
        )
    }
    re_read_only = {
        row[0]
        for row in query(
            runs.marked,
            f"select invoice_id from main.stg_metronome__line_items"
            f" where exported_at >= '{window_start}' and staged_at <= '{staged_after}'"
            f" and invoice_id in (select external_id from main.netsuite_invoice_lines)",
        )
    }
    assert recomputed == expected
    assert re_read_only - expected
    assert not (re_read_only - expected) & recomputed
    # Only the invoice of the delta's stale line version is not rebuilt.
    assert len(ready_in_delta - recomputed) == 1
    assert len(recomputed) < len(ready) / 3


def test_marts_run_apart_from_the_change_list_find_the_changes_themselves(
    runs: IncrementalRuns,
) -> None:
    # int_invoices_changed was last built by the base build, before the delta; using
    # it would leave the delta's invoices as they were.
    sql = (
        "select * exclude (recomputed_at)"
        f" replace (replace(description, '{UNTOUCHED}', '') as description)"
        " from main.netsuite_invoice_lines order by all"
    )
    assert query(runs.separate_invocation, sql) == query(runs.marked, sql)
    assert query(runs.separate_invocation, "select count(*) from main.int_invoices_changed") == [
        (0,)
    ]


def largest_deleted_share(database: Path) -> float:
    """What the on-run-start hook measures: rows in storage against live rows."""
    shares = [
        1 - live / stored
        for model in INCREMENTAL_MODELS
        for live, stored in query(
            database,
            f"select (select count(*) from main.{model}), estimated_size from duckdb_tables()"
            f" where schema_name = 'main' and table_name = '{model}'",
        )
    ]
    return max(shares)


def test_compaction_waits_for_a_share_of_deleted_rows(
    runs: IncrementalRuns, tmp_path: Path
) -> None:
    warehouse = tmp_path / "compaction.duckdb"
    shutil.copyfile(runs.incremental, warehouse)
    share = largest_deleted_share(warehouse)
    # The deltas' recomputed invoices left their old rows deleted but still stored.
    assert 0 < share < 1
    decisions = {}
    for threshold in (1.0, share / 2):
        variables = {
            **demo_vars(runs.export_root),
            "metronome_incremental_lookback_hours": LOOKBACK_HOURS,
            "duckdb_compaction_deleted_share": threshold,
        }
        output = run_dbt_or_fail(
            warehouse, "run", variables, "--debug", "--select", "stg_metronome__products"
        )
        [decision] = re.findall(r"Largest deleted share of an incremental table: (.*)", output)
        decisions[threshold] = decision
    measured = f"{100 * share:.1f}%"
    assert decisions == {
        1.0: f"{measured}; compaction deferred",
        share / 2: f"{measured}; compaction on",
    }


def test_every_model_records_the_newest_delivery_and_staging_it_read(
    runs: IncrementalRuns,
) -> None:
    [(newest_delivery, newest_staging)] = query(
        runs.incremental,
        "select max(exported_at), max(staged_at) from ("
        " select exported_at, staged_at from main.stg_metronome__invoices"
        " union all select exported_at, staged_at from main.stg_metronome__line_items"
        " union all select exported_at, null from main.stg_metronome__customers"
        " union all select exported_at, null from main.stg_metronome__products"
        " union all select exported_at, null from main.stg_metronome__credit_types)",
    )
    recorded = query(
        runs.incremental,
        "select model_name, exported_through, staged_through, dbt_invocation_id"
        " from main.metronome_netsuite_incremental_watermarks order by model_name",
    )
    [(invocation,)] = {(row[3],) for row in recorded}
    assert invocation is not None
    assert newest_staging > runs.base_staged_through
    assert [row[:3] for row in recorded] == [
        (name, newest_delivery, newest_staging)
        for name in sorted(["int_invoices_changed", *INVOICE_GRAIN_MODELS])
    ]


def test_a_watermark_table_without_staging_times_recomputes_every_invoice(
    runs: IncrementalRuns, tmp_path: Path
) -> None:
    """A watermark table written before staged_through existed: no model has a window."""
    warehouse = tmp_path / "upgraded.duckdb"
    shutil.copyfile(runs.marked, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "alter table main.metronome_netsuite_incremental_watermarks drop column staged_through"
        )
    dbt(warehouse, runs.export_root, "run", "--selector", "invoice_marts")
    untouched = query(
        warehouse,
        f"select count(*) from main.netsuite_invoice_lines"
        f" where ends_with(description, '{UNTOUCHED}')",
    )
    recorded = query(
        warehouse,
        "select count(*), count(staged_through)"
        " from main.metronome_netsuite_incremental_watermarks",
    )
    assert untouched == [(0,)]
    assert recorded == [(7, 7)]
