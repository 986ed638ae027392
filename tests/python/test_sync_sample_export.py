"""The real marts, built by dbt on the generated sample export, pushed with faults and pulled.

Marked slow: it generates the export and runs `dbt build` first (about 40 s, once per
session through the `demo_warehouse` fixture).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from decimal import Decimal

import duckdb
import pytest
from dbt_project import PROJECT_DIR, BuiltWarehouse
from netsuite_sync.cli import main
from netsuite_sync.emulator import FaultSettings, load_reference_file

pytestmark = pytest.mark.slow


@pytest.fixture
def built(demo_warehouse: BuiltWarehouse, tmp_path) -> BuiltWarehouse:
    """A private copy of the session's built warehouse: this test writes to it."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse.duckdb_path, copy)
    return replace(demo_warehouse, duckdb_path=copy)


def query(path, sql, params=()):
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def upserts(server) -> int:
    return sum(server.stats()["requests"].get("record.upsert", {}).values())


def test_sample_export_marts_reach_netsuite_exactly_once_and_come_back(
    built, start_emulator, netsuite_env, capsys
):
    reference = load_reference_file(built.netsuite_reference)
    rejected = set(json.loads(built.netsuite_reference.read_text())["push_rejected_invoice_ids"])
    ready = dict(
        query(built.duckdb_path, "select external_id, total_amount from main.netsuite_invoices")
    )
    assert rejected and rejected <= set(ready)
    expected_lines: dict[str, list[tuple]] = {}
    for eid, item, quantity, rate, amount, line_id in query(
        built.duckdb_path,
        "select external_id, netsuite_item_id, quantity, rate, amount, line_external_id"
        " from main.netsuite_invoice_lines order by external_id, line_number",
    ):
        expected_lines.setdefault(eid, []).append((item, quantity, rate, amount, line_id))

    cli = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR / "profiles")]
    faults = FaultSettings(
        latency_ms=5, error_rate_5xx=0.1, drop_after_commit_rate=0.05, timeout_sleep_ms=500, seed=3
    )
    with start_emulator(concurrency_limit=3, faults=faults, reference=reference) as server:
        env = {
            **netsuite_env,
            "NETSUITE_BASE_URL": server.base_url,
            "METRONOME_NETSUITE_DUCKDB_PATH": str(built.duckdb_path),
        }
        fast = ["--backoff-base", "0.02", "--max-retries", "10", "--no-progress"]
        assert main(["push", *cli, *fast, "--concurrency", "5"], env=env) == 1

        records = server.store.all_invoices()
        eids = [r.external_id for r in records]
        assert len(eids) == len(set(eids))  # no duplicates despite dropped responses
        assert set(eids) == set(ready) - rejected
        for record in records:
            assert record.total == ready[record.external_id]
            assert [
                (
                    line.item_id,
                    line.quantity,
                    line.rate,
                    line.amount,
                    line.custom.get("custcol_metronome_line_id"),
                )
                for line in record.lines
            ] == [
                (item, Decimal(quantity), rate, Decimal(amount), line_id)
                for item, quantity, rate, amount, line_id in expected_lines[record.external_id]
            ]
        log = query(
            built.duckdb_path,
            "select external_id, attempt, outcome, is_final_attempt, error_code"
            " from netsuite_sync.netsuite_push_log",
        )
        assert sum(1 for row in log if row[1] > 0) == upserts(server)
        finals = {row[0]: (row[2], row[4]) for row in log if row[3]}
        assert len([row for row in log if row[3]]) == len(ready)
        assert {eid for eid, (outcome, _) in finals.items() if outcome == "failed"} == rejected
        assert {code for outcome, code in finals.values() if outcome == "failed"} == {
            "INVALID_CONTENT"
        }

        # Rerun without faults: only the rejected invoices are tried again.
        server.set_faults(FaultSettings())
        before = upserts(server)
        assert main(["push", *cli, "--no-progress"], env=env) == 1
        assert upserts(server) == before + len(rejected)
        assert f"skipped {len(ready) - len(rejected)}, failed {len(rejected)}" in (
            capsys.readouterr().out
        )

        assert main(["pull", *cli], env=env) == 0
    pulled = dict(
        query(
            built.duckdb_path,
            "select externalid, foreigntotal from netsuite.transaction where type = 'CustInvc'",
        )
    )
    assert pulled == {eid: ready[eid] for eid in set(ready) - rejected}
    line_counts = dict(
        query(
            built.duckdb_path,
            "select t.externalid, count(*) from netsuite.transactionline as l"
            " join netsuite.transaction as t on t.id = l.transaction"
            " where l.mainline = 'F' group by 1",
        )
    )
    assert line_counts == {eid: len(expected_lines[eid]) for eid in pulled}
