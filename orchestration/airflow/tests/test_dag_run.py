"""One `airflow dags test` run end to end: DuckDB, the generated export, the NetSuite emulator.

The sample export has 118 ready invoices, one of which NetSuite rejects (its item does not
exist in the account). So the run must: build the marts, push 117 and fail the push task
without retrying it, pull anyway, rebuild the reconciliation (117 matched, 1 push_failed, the
held and excluded invoices), alert on what does not reconcile, and end failed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    EMULATOR_CREDENTIALS,
    PROJECT_DIR,
    TIMINGS,
    Webhook,
    Workspace,
    airflow_bin,
    project_bin,
    query_warehouse,
    run,
)

pytestmark = pytest.mark.e2e

DAG_ID = "metronome_netsuite"
LOGICAL_DATE = "2026-11-21"
DAGS_TEST_TIMEOUT_S = 25 * 60
EMULATOR_START_TIMEOUT_S = 60


@pytest.fixture
def emulator(sample_export: Workspace) -> Iterator[str]:
    """The project's NetSuite emulator on a free loopback port; its base URL."""
    process = subprocess.Popen(
        [
            str(project_bin("netsuite-sync")),
            "emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--reference-data",
            str(sample_export.netsuite_reference),
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, **EMULATOR_CREDENTIALS},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + EMULATOR_START_TIMEOUT_S
        banner = ""
        while "listening on " not in banner and time.monotonic() < deadline:
            banner = process.stdout.readline()
            if not banner and process.poll() is not None:
                break
        if "listening on " not in banner:
            pytest.fail(f"the NetSuite emulator did not start: {banner!r}", pytrace=False)
        yield banner.strip().rsplit(" ", 1)[-1]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def dag_run(
    manifest: Path, airflow_db: Path, emulator: str, webhook: Webhook, workspace: Workspace
) -> tuple[subprocess.CompletedProcess[str], Path]:
    connection = {
        "conn_type": "generic",
        "login": EMULATOR_CREDENTIALS["NETSUITE_CONSUMER_KEY"],
        "password": EMULATOR_CREDENTIALS["NETSUITE_CONSUMER_SECRET"],
        "extra": {
            "account_id": EMULATOR_CREDENTIALS["NETSUITE_ACCOUNT_ID"],
            "token_id": EMULATOR_CREDENTIALS["NETSUITE_TOKEN_ID"],
            "token_secret": EMULATOR_CREDENTIALS["NETSUITE_TOKEN_SECRET"],
            "base_url": emulator,
        },
    }
    log = workspace.work_dir / "dags_test.log"
    started = time.monotonic()
    completed = run(
        [airflow_bin(), "dags", "test", DAG_ID, LOGICAL_DATE],
        timeout_s=DAGS_TEST_TIMEOUT_S,
        environment={
            "AIRFLOW_CONN_NETSUITE_DEFAULT": json.dumps(connection),
            "AIRFLOW_VAR_METRONOME_NETSUITE_ALERT_WEBHOOK_URL": webhook.url,
        },
        log=log,
    )
    TIMINGS["airflow dags test (one run, 34 tasks)"] = time.monotonic() - started
    return completed, log


def task_states(airflow_home: Path) -> dict[str, tuple[str, int]]:
    with sqlite3.connect(airflow_home / "airflow.db") as connection:
        (run_id, state) = connection.execute(
            "select run_id, state from dag_run where dag_id = ? order by id desc limit 1",
            (DAG_ID,),
        ).fetchone()
        rows = connection.execute(
            "select task_id, state, try_number from task_instance where run_id = ?", (run_id,)
        ).fetchall()
    return {"<dag_run>": (state, 0), **{task: (s, tries) for task, s, tries in rows}}


def test_dag_run_pushes_pulls_reconciles_and_alerts(
    dag_run: tuple[subprocess.CompletedProcess[str], Path],
    workspace: Workspace,
    webhook: Webhook,
) -> None:
    completed, log = dag_run
    states = task_states(workspace.airflow_home)
    failed = {task for task, (state, _) in states.items() if state != "success"}
    tail = log.read_text(errors="replace")[-3000:]
    assert failed == {"<dag_run>", "netsuite_push", "fail_run_if_any_task_failed"}, tail
    assert states["<dag_run>"][0] == "failed"
    # One try: a rejected invoice is not retried by Airflow, though retries are on.
    assert states["netsuite_push"] == ("failed", 1)
    assert completed.returncode != 0  # `airflow dags test` reports the failed run
    assert len(states) == 1 + 5 + 21 + 7

    assert query_warehouse(
        workspace.warehouse,
        "select outcome, count(*) from netsuite_sync.netsuite_push_log group by 1 order by 1",
    ) == [["created", 117], ["failed", 1]]
    assert query_warehouse(
        workspace.warehouse,
        "select count(*) from netsuite.transaction",
    ) == [[117]]
    assert query_warehouse(
        workspace.warehouse,
        "select status, count(*) from main.reconciliation_invoices group by 1 order by 1",
    ) == [
        ["excluded_in_metronome", 10],
        ["held_in_metronome", 12],
        ["matched", 117],
        ["push_failed", 1],
    ]
    assert query_warehouse(
        workspace.warehouse,
        "select sum(invoice_count) from main.reconciliation_summary",
    ) == [[140]]

    texts = webhook.texts()
    assert len(texts) == 3, texts
    stale, push_failed, reconciliation = texts
    assert stale.startswith("[warning] metronome_netsuite / export_fresh: the Metronome export")
    assert push_failed.startswith(
        "[error] metronome_netsuite / netsuite_push: task failed: netsuite-sync push: "
        "1 invoice(s) failed, 117 sent"
    )
    assert reconciliation.splitlines() == [
        reconciliation.splitlines()[0],
        "held_in_metronome: 12",
        "push_failed: 1",
    ]
    assert reconciliation.startswith(
        "[warning] metronome_netsuite / alert_on_reconciliation_issues: "
        "13 invoices do not reconcile"
    )
    # The NetSuite secrets never reach the log in clear.
    full_log = log.read_text(errors="replace")
    for name in ("NETSUITE_CONSUMER_SECRET", "NETSUITE_TOKEN_SECRET", "NETSUITE_TOKEN_ID"):
        assert EMULATOR_CREDENTIALS[name] not in full_log, name
