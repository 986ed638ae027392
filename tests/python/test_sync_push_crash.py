"""A push killed mid-run (SIGKILL) loses nothing: the rerun sends exactly what is not logged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from netsuite_sync.cli import main
from netsuite_sync.emulator import FaultSettings


def test_rerun_after_a_hard_kill_sends_exactly_the_invoices_not_yet_pushed(
    sync_project, start_emulator, netsuite_env, mart_types
):
    invoice, line = mart_types
    invoices = [
        invoice(
            f"INV-{n:03d}", "101", "USD", (line("201", "1", "2", "2.00", "x"),), currency_id="1"
        )
        for n in range(40)
    ]
    sync_project.write_marts(invoices)
    with start_emulator(faults=FaultSettings(latency_ms=100)) as server:
        env = {**os.environ, **netsuite_env, "NETSUITE_BASE_URL": server.base_url}
        command = [
            sys.executable,
            "-m",
            "netsuite_sync",
            "push",
            *sync_project.cli_args(),
            "--concurrency",
            "2",
            "--log-flush-seconds",
            "0.1",
        ]
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 30
            while server.stats()["upserts"]["created"] < 15 and time.monotonic() < deadline:
                assert process.poll() is None, "push finished before it could be killed"
                time.sleep(0.02)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        time.sleep(0.3)  # let the emulator finish the requests the dead process left behind
        created_before_kill = server.stats()["upserts"]["created"]
        assert 15 <= created_before_kill < len(invoices)

        logged = {
            row[0]
            for row in sync_project.query(
                "select external_id from netsuite_sync.netsuite_push_log"
                " where outcome in ('created', 'updated')"
            )
        }
        # At most the last flush window is lost, and nothing logged is not in NetSuite.
        in_netsuite = {r.external_id for r in server.store.all_invoices()}
        assert logged <= in_netsuite
        assert len(logged) >= 10

        assert main(["push", *sync_project.cli_args(), "--no-progress"], env=env) == 0
        rerun = sync_project.query(
            "select external_id, outcome from netsuite_sync.netsuite_push_log"
            " where run_id = (select run_id from netsuite_sync.netsuite_push_log"
            " group by run_id order by min(started_at) desc limit 1)"
        )
        all_ids = {i.external_id for i in invoices}
        assert {eid for eid, outcome in rerun if outcome == "skipped"} == logged
        assert {eid for eid, outcome in rerun if outcome == "created"} == all_ids - logged
        records = server.store.all_invoices()
        assert sorted(r.external_id for r in records) == sorted(all_ids)
        assert server.stats()["upserts"]["created"] == len(invoices)
