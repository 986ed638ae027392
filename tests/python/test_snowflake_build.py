"""The same project on Snowflake: `dbt build` under fakesnow gives DuckDB's marts, row for row.

One generated sample export is landed as warehouse tables twice: in a fakesnow Snowflake
account (JSON as VARIANT for some tables, as text for others) and in a DuckDB file. The
full `dbt build` (seeds, models, data tests, unit tests) runs on both targets at once, and
every mart must come out identical. The sync tool then pushes and pulls through the same
`snowflake` target.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import snowflake_project as sf
from dbt_project import PROJECT_DIR, append_delta, generate_export
from netsuite_sync.cli import main as netsuite_sync

pytestmark = [
    pytest.mark.slow,
    # fakesnow hands every result set over as Arrow and says so, once per query.
    pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning"),
]

# Sort keys of the NetSuite marts; any other mart (reconciliation) sorts by whole row.
MART_KEYS = {
    "netsuite_invoices": ("external_id",),
    "netsuite_invoice_lines": ("external_id", "line_number"),
    "netsuite_invoice_exceptions": ("external_id", "line_external_id", "reason_code"),
    "invoice_dispositions": ("external_id",),
}


@dataclass(frozen=True)
class Builds:
    work_dir: Path
    export_root: Path
    expected_dispositions: Path
    netsuite_reference: Path
    snowflake: sf.DbtResult
    duckdb_returncode: int
    duckdb_output: str
    snowflake_marts: dict[str, sf.Table]
    duckdb_marts: dict[str, sf.Table]
    loaded_column_types: dict[tuple[str, str], str]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    work_dir = tmp_path_factory.mktemp("snowflake_build")
    export_root, expected, reference = generate_export(work_dir)
    duckdb_path = work_dir / "warehouse.duckdb"
    sf.land_export_in_duckdb(duckdb_path, export_root)
    duckdb_build = sf.start_duckdb_build(work_dir / "duckdb", duckdb_path)
    try:
        with sf.fakesnow_environment(work_dir / "fakesnow"):
            with contextlib.closing(sf.connect()) as connection:
                sf.land_export_in_snowflake(connection, export_root)
            result = sf.run_dbt_on_snowflake(
                work_dir / "snowflake", "build", "--vars", json.dumps(sf.warehouse_vars())
            )
            with contextlib.closing(sf.connect()) as connection:
                column_types = loaded_column_types(connection)
                snowflake_marts = (
                    {name: sf.fetch_snowflake_table(connection, name) for name in sf.mart_names()}
                    if result.success
                    else {}
                )
    finally:
        duckdb_output, _ = duckdb_build.communicate()
    duckdb_marts = (
        {name: sf.fetch_duckdb_table(duckdb_path, name) for name in sf.mart_names()}
        if duckdb_build.returncode == 0
        else {}
    )
    return Builds(
        work_dir=work_dir,
        export_root=export_root,
        expected_dispositions=expected,
        netsuite_reference=reference,
        snowflake=result,
        duckdb_returncode=duckdb_build.returncode,
        duckdb_output=duckdb_output,
        snowflake_marts=snowflake_marts,
        duckdb_marts=duckdb_marts,
        loaded_column_types=column_types,
    )


def loaded_column_types(connection) -> dict[tuple[str, str], str]:
    with contextlib.closing(connection.cursor()) as cursor:
        cursor.execute(
            "select lower(table_name), lower(column_name), data_type"
            " from information_schema.columns where table_schema = ?",
            [sf.EXPORT_SCHEMA],
        )
        return {(table, column): kind for table, column, kind in cursor.fetchall()}


def summary(output: str) -> str:
    return next(line for line in reversed(output.splitlines()) if "PASS=" in line)


def unit_tests_run(output: str) -> int:
    found = re.search(r"(\d+) unit tests", output)
    return int(found.group(1)) if found else 0


def dispositions(table: sf.Table) -> dict[str, tuple[str, str]]:
    external_id = table.columns.index("external_id")
    disposition = table.columns.index("disposition")
    reason = table.columns.index("reason_code")
    return {row[external_id]: (row[disposition], row[reason] or "") for row in table.rows}


def test_snowflake_build_passes_every_seed_model_data_test_and_unit_test(
    builds: Builds,
) -> None:
    assert builds.snowflake.success, builds.snowflake.output[-6000:]
    line = summary(builds.snowflake.output)
    assert "ERROR=0" in line
    assert "WARN=0" in line
    assert "SKIP=0" in line
    assert builds.snowflake.unit_tests_passed > 0
    assert builds.snowflake.unit_tests_passed == unit_tests_run(builds.snowflake.output)


def test_duckdb_build_of_the_same_tables_passes_the_same_tests(builds: Builds) -> None:
    assert builds.duckdb_returncode == 0, builds.duckdb_output[-6000:]
    line = summary(builds.duckdb_output)
    assert "ERROR=0" in line
    assert "WARN=0" in line
    assert "SKIP=0" in line
    assert unit_tests_run(builds.duckdb_output) == builds.snowflake.unit_tests_passed


@pytest.mark.parametrize("mart", sf.mart_names())
def test_mart_is_identical_row_for_row_on_duckdb_and_snowflake(builds: Builds, mart: str) -> None:
    assert builds.duckdb_marts, "the DuckDB build failed"
    assert builds.snowflake_marts, "the Snowflake build failed"
    assert_same_rows(mart, builds.duckdb_marts[mart], builds.snowflake_marts[mart])


def assert_same_rows(mart: str, duckdb_table: sf.Table, snowflake_table: sf.Table) -> None:
    assert snowflake_table.columns == duckdb_table.columns
    key = MART_KEYS.get(mart, ())
    duckdb_rows = sf.comparable_rows(duckdb_table, key)
    snowflake_rows = sf.comparable_rows(snowflake_table, key)
    assert duckdb_rows, f"{mart} is empty: the comparison would prove nothing"
    only_duckdb = [row for row in duckdb_rows if row not in snowflake_rows]
    only_snowflake = [row for row in snowflake_rows if row not in duckdb_rows]
    assert (only_duckdb[:3], only_snowflake[:3]) == ([], [])
    assert snowflake_rows == duckdb_rows


def test_payload_hashes_agree_for_every_ready_invoice(builds: Builds) -> None:
    def hashes(table: sf.Table) -> dict[str, str]:
        external_id = table.columns.index("external_id")
        payload_hash = table.columns.index("payload_hash")
        return {row[external_id]: row[payload_hash] for row in table.rows}

    duckdb_hashes = hashes(builds.duckdb_marts["netsuite_invoices"])
    assert len(duckdb_hashes) > 100
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in duckdb_hashes.values())
    assert hashes(builds.snowflake_marts["netsuite_invoices"]) == duckdb_hashes


def test_json_columns_arrive_as_variant_or_text_and_malformed_json_is_held_either_way(
    builds: Builds,
) -> None:
    types = builds.loaded_column_types
    assert types[("customer", "custom_fields")] == "VARIANT"
    assert types[("line_item", "pricing_group_values")] == "VARIANT"
    assert types[("product", "custom_fields")] == "TEXT"
    assert types[("invoice", "metadata")] == "TEXT"

    with builds.expected_dispositions.open(newline="") as handle:
        scenario_of = {row["invoice_id"]: row["scenario"] for row in csv.DictReader(handle)}
    exceptions = builds.snowflake_marts["netsuite_invoice_exceptions"]
    columns = exceptions.columns
    malformed = sorted(
        (
            scenario_of[row[columns.index("external_id")]],
            row[columns.index("line_external_id")] is not None,
        )
        for row in exceptions.rows
        if row[columns.index("reason_code")] == "invalid_custom_fields_json"
    )
    # The customer's fields came as a VARIANT (invoice-level problem), the product's as
    # text (line-level problem).
    assert malformed == [("customer_malformed_json", False), ("product_malformed_json", True)]


def test_snowflake_dispositions_are_the_planted_ones_except_transfer_time_ties(
    builds: Builds,
) -> None:
    # Warehouse tables carry no transfer timestamp, so two versions of an invoice with
    # the same updated_at and different content are told apart by a row fingerprint,
    # not by which transfer came later (README, "Deduplication"). Every other planted
    # outcome must hold on Snowflake exactly as it does for the files on DuckDB.
    with builds.expected_dispositions.open(newline="") as handle:
        expected = list(csv.DictReader(handle))
    actual = dispositions(builds.snowflake_marts["invoice_dispositions"])
    assert len(actual) == len(expected) == 140
    mismatched = {
        row["scenario"]
        for row in expected
        if actual[row["invoice_id"]]
        != (row["expected_disposition"], row["expected_reason_code"] or "")
    }
    assert mismatched <= {"updated_at_tie"}


def test_netsuite_sync_pushes_and_pulls_through_the_snowflake_target(
    builds: Builds, start_emulator, netsuite_env: dict[str, str]
) -> None:
    assert builds.snowflake.success
    reference = json.loads(builds.netsuite_reference.read_text(encoding="utf-8"))
    chosen = sendable_invoices(builds, reference)[:3]
    assert len(chosen) == 3
    warehouse = [
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR / "profiles"),
        "--target",
        "snowflake",
    ]
    selection = [argument for external_id in chosen for argument in ("--invoice", external_id)]
    fast = ["--backoff-base", "0.02"]
    with (
        start_emulator(reference=reference) as server,
        sf.fakesnow_environment(builds.work_dir / "fakesnow"),
    ):
        env = {**os.environ, **netsuite_env, "NETSUITE_BASE_URL": server.base_url}
        push = ["push", *warehouse, *selection, *fast, "--no-progress"]
        assert netsuite_sync([*push, "--log-flush-seconds", "0.2"], env=env) == 0
        assert netsuite_sync(["pull", *warehouse, *fast], env=env) == 0
        in_netsuite = sorted(record.external_id for record in server.store.all_invoices())
        # The reconciliation models read what pull landed; their unit tests already ran
        # in the full build, and its target path makes this a partial parse.
        result = sf.run_dbt_on_snowflake(
            builds.work_dir / "snowflake",
            "build",
            "--selector",
            "reconciliation",
            "--exclude-resource-type",
            "unit_test",
            "--vars",
            json.dumps(sf.warehouse_vars()),
        )
        assert result.success, result.output[-6000:]
        with contextlib.closing(sf.connect()) as connection:
            pushed = query(
                connection,
                "select external_id, outcome from netsuite_sync.netsuite_push_log"
                " where is_final_attempt order by external_id",
            )
            pulled = query(
                connection, 'select externalid from netsuite."TRANSACTION" order by externalid'
            )
            reconciled = query(
                connection,
                "select external_id, status from reconciliation_invoices"
                " where status = 'matched' order by external_id",
            )

    assert in_netsuite == chosen
    assert pushed == [(external_id, "created") for external_id in chosen]
    assert pulled == [(external_id,) for external_id in chosen]
    assert reconciled == [(external_id, "matched") for external_id in chosen]


def sendable_invoices(builds: Builds, reference: dict) -> list[str]:
    """Ready invoices whose customer, currency and items all exist in the NetSuite account."""
    invoices = builds.snowflake_marts["netsuite_invoices"]
    lines = builds.snowflake_marts["netsuite_invoice_lines"]
    items_of: dict[str, set[str]] = {}
    for row in lines.rows:
        items_of.setdefault(row[lines.columns.index("external_id")], set()).add(
            row[lines.columns.index("netsuite_item_id")]
        )
    currencies = set(reference["currencies"].values())
    sendable = [
        row[invoices.columns.index("external_id")]
        for row in invoices.rows
        if row[invoices.columns.index("netsuite_customer_id")] in reference["customers"]
        and row[invoices.columns.index("netsuite_currency_id")] in currencies
        and items_of[row[invoices.columns.index("external_id")]] <= set(reference["items"])
    ]
    return sorted(sendable)


def query(connection, sql: str) -> list[tuple]:
    with contextlib.closing(connection.cursor()) as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


def test_incremental_run_on_snowflake_after_a_delta_equals_a_full_build(builds: Builds) -> None:
    """dbt-snowflake's merge plus the project's hooks, after the loader appended a delta.

    Runs last: it changes the export the other tests read. The export tables are landed
    again with the delta's rows added, as a loader appends them; DuckDB rebuilds the
    invoice marts in full from the same tables, Snowflake runs them incrementally.
    """
    assert builds.snowflake.success
    append_delta(builds.export_root, 1, builds.work_dir / "expected_after_delta.csv")
    duckdb_path = builds.work_dir / "warehouse.duckdb"
    sf.land_export_in_duckdb(duckdb_path, builds.export_root)
    variables = json.dumps(sf.warehouse_vars())
    duckdb_run = sf.start_duckdb_build(
        builds.work_dir / "duckdb_full_refresh", duckdb_path,
        "run", "--selector", "invoice_marts", "--full-refresh", "--vars", variables,
    )  # fmt: skip
    snowflake_dir = builds.work_dir / "snowflake_incremental"
    try:
        with sf.fakesnow_environment(builds.work_dir / "fakesnow"):
            with contextlib.closing(sf.connect()) as connection:
                sf.land_export_in_snowflake(connection, builds.export_root)
            result = sf.run_dbt_on_snowflake(
                snowflake_dir, "run", "--selector", "invoice_marts", "--vars", variables
            )
            with contextlib.closing(sf.connect()) as connection:
                snowflake_marts = {
                    name: sf.fetch_snowflake_table(connection, name) for name in MART_KEYS
                }
                watermarks = query(
                    connection,
                    "select count(*), count(exported_through), count(staged_through)"
                    " from metronome_netsuite_incremental_watermarks",
                )
    finally:
        duckdb_output, _ = duckdb_run.communicate()
    assert result.success, result.output[-6000:]
    assert duckdb_run.returncode == 0, duckdb_output[-6000:]

    # The run was incremental: each mart read only the invoices of the run's change list
    # staged or delivered since its watermark (one watermark row per incremental model
    # below staging, and one for int_invoices_changed).
    compiled = next((snowflake_dir / "target" / "compiled").rglob("netsuite_invoices.sql"))
    assert (
        "select invoice_id from ANALYTICS.METRONOME_NETSUITE.int_invoices_changed\n"
        "            where last_staged_at > cast("
    ) in compiled.read_text(encoding="utf-8")
    # ... and the ready lines read only the enriched lines written in the same run.
    compiled_lines = next(
        (snowflake_dir / "target" / "compiled").rglob("netsuite_invoice_lines.sql")
    )
    assert "and recomputed_at = cast(" in compiled_lines.read_text(encoding="utf-8")
    assert watermarks == [(7, 7, 7)]
    for mart in MART_KEYS:
        assert_same_rows(mart, sf.fetch_duckdb_table(duckdb_path, mart), snowflake_marts[mart])
