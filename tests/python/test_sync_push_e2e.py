"""End to end on DuckDB: push the marts to the NetSuite emulator with faults on, rerun, audit.

Every assertion is exact: each invoice is in NetSuite once with its lines and amounts, every
HTTP attempt the emulator saw is in the push log, and reruns send only what changed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from decimal import Decimal

import pytest
from netsuite_sync.cli import main
from netsuite_sync.emulator import FaultSettings

REFERENCE = {
    "customers": ["101", "102", "103", "104"],
    "items": ["201", "202", "203", "204"],
    "currencies": {"USD": "1", "EUR": "2", "JPY": "3"},
}
SECRET_VARIABLES = (
    "NETSUITE_CONSUMER_KEY",
    "NETSUITE_CONSUMER_SECRET",
    "NETSUITE_TOKEN_ID",
    "NETSUITE_TOKEN_SECRET",
)
FAST_RETRIES = ["--backoff-base", "0.02", "--log-flush-seconds", "0.2", "--no-progress"]


@pytest.fixture
def invoices(mart_types):
    invoice, line = mart_types
    return [
        invoice(
            "INV-001",
            "101",
            "USD",
            (
                line("201", "1500", "0.01", "15.00", "API calls"),
                line("202", "1", "99", "99.00", "Platform"),
            ),
            currency_id="1",
        ),
        invoice(
            "INV-002",
            "102",
            "EUR",
            (line("203", "3", "2.5", "7.50", "Seats"), line("204", "1", None, "-2.25", "Credit")),
        ),
        invoice(
            "INV-003", "103", "USD", (line("201", "10", "1.1", "11.00", "Drop"),), currency_id="1"
        ),
        invoice("INV-004", "104", "USD", (line("202", "2", "3", "6.00", "Slow"),), currency_id="1"),
        invoice(
            "INV-005",
            "101",
            "JPY",
            (line("203", "4", "250", "1000", "Yen"),),
            currency_id="3",
            digits=0,
        ),
        invoice(
            "INV-006", "102", "USD", (line("204", "1", "5", "5.00", "Flaky"),), currency_id="1"
        ),
        invoice(
            "INV-007",
            "103",
            "USD",
            (line("201", "1", "12.345", "12.35", "Rounded rate"),),
            currency_id="1",
            form_id="123",
            subsidiary_id="2",
        ),
        invoice(
            "INV-008",
            "104",
            "USD",
            (
                line("201", "1", "1", "1.00", "a"),
                line("202", "2", "2", "4.00", "b"),
                line("203", "3", "3", "9.00", "c"),
            ),
            currency_id="1",
        ),
        invoice(
            "INV-BAD",
            "101",
            "USD",
            (line("999", "1", "1", "1.00", "Unknown item"),),
            currency_id="1",
        ),
    ]


def push(project, base_url, env, *extra):
    return main(
        ["push", *project.cli_args(), *FAST_RETRIES, *extra],
        env={**env, "NETSUITE_BASE_URL": base_url},
    )


def wait_idle(server, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while server.stats()["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.05)


def upsert_requests(server) -> int:
    return sum(server.stats()["requests"].get("record.upsert", {}).values())


def assert_in_netsuite_exactly(server, expected_invoices):
    records = server.store.all_invoices()
    assert sorted(r.external_id for r in records) == sorted(
        i.external_id for i in expected_invoices
    )
    by_eid = {r.external_id: r for r in records}
    for invoice in expected_invoices:
        record = by_eid[invoice.external_id]
        assert record.entity_id == invoice.customer_id
        assert record.total == invoice.total
        assert [
            (
                line.item_id,
                line.quantity,
                line.rate,
                line.amount,
                line.description,
                line.custom.get("custcol_metronome_line_id"),
            )
            for line in record.lines
        ] == [
            (
                line.item_id,
                Decimal(line.quantity),
                None if line.rate is None else Decimal(line.rate),
                Decimal(line.amount),
                line.description,
                f"{invoice.external_id}-li{number}",
            )
            for number, line in enumerate(invoice.lines, start=1)
        ]


def log_rows(project, run_id=None):
    where = "" if run_id is None else "where run_id = ?"
    rows = project.query(
        "select run_id, external_id, attempt, http_status, outcome, is_final_attempt,"
        " netsuite_internal_id, error_code, error_path, payload_hash"
        f" from netsuite_sync.netsuite_push_log {where}"
        " order by finished_at, external_id, attempt",
        [] if run_id is None else [run_id],
    )
    keys = [
        "run_id",
        "external_id",
        "attempt",
        "http_status",
        "outcome",
        "final",
        "internal_id",
        "error_code",
        "error_path",
        "payload_hash",
    ]
    return [dict(zip(keys, row, strict=True)) for row in rows]


def run_ids(project):
    return [
        r[0]
        for r in project.query(
            "select run_id from netsuite_sync.netsuite_push_log"
            " group by run_id order by min(started_at)"
        )
    ]


def test_push_with_faults_then_reruns_converge_without_duplicates(
    sync_project, start_emulator, netsuite_env, invoices, capsys, caplog
):
    caplog.set_level(logging.DEBUG)
    sync_project.write_marts(invoices)
    faults = FaultSettings(
        latency_ms=30,
        error_rate_5xx=0.15,
        timeout_sleep_ms=800,
        seed=7,
        fail_external_ids={
            "INV-003": ["drop_after_commit"],
            "INV-004": ["timeout"],
            "INV-005": ["invalid_login"],
            "INV-006": ["5xx", "5xx"],
        },
    )
    good = [i for i in invoices if i.external_id != "INV-BAD"]
    # The account allows 2 requests at a time; we are allowed 4: 429s must be absorbed.
    with start_emulator(concurrency_limit=2, faults=faults, reference=REFERENCE) as server:
        url = server.base_url
        args = ["--concurrency", "4", "--max-retries", "10", "--request-timeout", "0.4"]

        # Run 1: faults on. Everything but the invalid invoice lands exactly once.
        assert push(sync_project, url, netsuite_env, *args) == 1
        wait_idle(server)
        stats = server.stats()
        assert_in_netsuite_exactly(server, good)
        assert stats["requests"]["record.upsert"].get("429", 0) > 0
        assert {"drop_after_commit", "timeout", "invalid_login", "503"} <= set(
            stats["faults_injected"]
        )
        # The dropped-after-commit response was retried as an update, not a second invoice.
        assert stats["upserts"]["created"] == len(good)

        first_run = run_ids(sync_project)[0]
        rows = log_rows(sync_project, first_run)
        # Every HTTP attempt the emulator saw is in the log, and nothing else.
        assert sum(1 for r in rows if r["attempt"] > 0) == upsert_requests(server)
        for invoice in invoices:
            attempts = [r for r in rows if r["external_id"] == invoice.external_id]
            assert [r["attempt"] for r in attempts] == list(range(1, len(attempts) + 1))
            assert [r["final"] for r in attempts] == [False] * (len(attempts) - 1) + [True]
            assert all(r["outcome"] == "failed" for r in attempts[:-1])
            assert {r["payload_hash"] for r in attempts} == {invoice.payload_hash()}
        finals = {r["external_id"]: r for r in rows if r["final"]}
        internal_ids = {r.external_id: str(r.internal_id) for r in server.store.all_invoices()}
        for invoice in good:
            final = finals[invoice.external_id]
            assert (final["outcome"], final["http_status"]) == ("created", 204)
            assert final["internal_id"] == internal_ids[invoice.external_id]
        # The 400 is final at once (earlier attempts of it may have met 429 or 5xx).
        bad = [r for r in rows if r["external_id"] == "INV-BAD"]
        assert [r["http_status"] for r in bad].count(400) == 1
        assert (bad[-1]["outcome"], bad[-1]["http_status"]) == ("failed", 400)
        assert (bad[-1]["error_code"], bad[-1]["error_path"]) == (
            "INVALID_CONTENT",
            "item.items[0].item",
        )
        # Each scripted fault hit its invoice once (a 429 may come before it) and was retried.
        codes = {
            i.external_id: [r["error_code"] for r in rows if r["external_id"] == i.external_id]
            for i in invoices
        }
        assert codes["INV-003"].count("CONNECTION_ERROR") == 1
        assert codes["INV-004"].count("TIMEOUT") == 1
        assert codes["INV-005"].count("INVALID_LOGIN") == 1
        assert codes["INV-006"].count("SERVICE_UNAVAILABLE") >= 2
        summary = capsys.readouterr().out
        assert "created 8, updated 0), skipped 0, failed 1" in summary
        assert "INV-BAD: HTTP 400 INVALID_CONTENT at item.items[0].item" in summary

        # Run 2: faults off. Only the failed invoice is sent again; it fails again.
        server.set_faults(FaultSettings())
        before = upsert_requests(server)
        assert push(sync_project, url, netsuite_env) == 1
        assert upsert_requests(server) == before + 1
        second = log_rows(sync_project, run_ids(sync_project)[1])
        assert sorted((r["external_id"], r["outcome"], r["attempt"]) for r in second) == sorted(
            [(i.external_id, "skipped", 0) for i in good] + [("INV-BAD", "failed", 1)]
        )
        assert {
            r["external_id"]: r["internal_id"] for r in second if r["outcome"] == "skipped"
        } == {i.external_id: internal_ids[i.external_id] for i in good}

        # Run 3: the invoice is fixed in the marts; exactly it is sent, as a create.
        fixed_line = replace(invoices[-1].lines[0], item_id="201")
        invoices[-1] = replace(invoices[-1], lines=(fixed_line,))
        # Run 3 also carries a changed invoice: one line fewer, new amounts.
        changed = replace(invoices[7], lines=invoices[7].lines[:2])
        invoices[7] = changed
        sync_project.write_marts(invoices)
        before = upsert_requests(server)
        assert push(sync_project, url, netsuite_env) == 0
        assert upsert_requests(server) == before + 2
        third = log_rows(sync_project, run_ids(sync_project)[2])
        assert sorted((r["external_id"], r["outcome"]) for r in third if r["attempt"] > 0) == [
            ("INV-008", "updated"),
            ("INV-BAD", "created"),
        ]
        # ?replace=item: the changed invoice has exactly its new lines, not old + new.
        assert_in_netsuite_exactly(server, invoices)

        # Run 4: nothing changed, nothing is sent.
        before = upsert_requests(server)
        capsys.readouterr()
        assert push(sync_project, url, netsuite_env) == 0
        assert upsert_requests(server) == before
        assert "sent 0 (created 0, updated 0), skipped 9, failed 0" in capsys.readouterr().out

    everything = capsys.readouterr()
    log_text = "\n".join(record.getMessage() for record in caplog.records)
    table_text = repr(sync_project.query("select * from netsuite_sync.netsuite_push_log"))
    for name in SECRET_VARIABLES:
        secret = netsuite_env[name]
        assert secret not in everything.out + everything.err
        assert secret not in log_text
        assert secret not in table_text


def test_in_flight_requests_never_exceed_the_concurrency_option(
    sync_project, start_emulator, netsuite_env, mart_types
):
    invoice, line = mart_types
    sync_project.write_marts(
        [
            invoice(
                f"INV-{n:03d}", "101", "USD", (line("201", "1", "1", "1.00", "x"),), currency_id="1"
            )
            for n in range(16)
        ]
    )
    with start_emulator(concurrency_limit=10, faults=FaultSettings(latency_ms=60)) as server:
        assert push(sync_project, server.base_url, netsuite_env, "--concurrency", "3") == 0
        stats = server.stats()
    assert stats["max_in_flight"] == 3
    assert stats["requests"]["record.upsert"] == {"204": 16}


def test_dry_run_prints_payloads_and_sends_and_logs_nothing(
    sync_project, start_emulator, netsuite_env, invoices, capsys
):
    sync_project.write_marts(invoices[:2])
    with start_emulator() as server:
        assert push(sync_project, server.base_url, netsuite_env, "--dry-run") == 0
        assert server.stats()["requests_total"] == 0
    out = capsys.readouterr().out.splitlines()
    assert [line[:40] for line in out] == [
        '{"entity":{"id":"101"},"externalId":"INV',
        '{"entity":{"id":"102"},"externalId":"INV',
    ]
    assert '"amount":-2.25' in out[1] and '"currency"' not in out[1]
    tables = sync_project.query(
        "select count(*) from information_schema.tables where table_schema = 'netsuite_sync'"
    )
    assert tables == [(0,)]


def test_invoice_and_limit_select_what_is_sent(
    sync_project, start_emulator, netsuite_env, invoices
):
    sync_project.write_marts(invoices[:4])
    with start_emulator() as server:
        assert push(sync_project, server.base_url, netsuite_env, "--invoice", "INV-003") == 0
        assert [r.external_id for r in server.store.all_invoices()] == ["INV-003"]
        assert push(sync_project, server.base_url, netsuite_env, "--limit", "2") == 0
        assert sorted(r.external_id for r in server.store.all_invoices()) == [
            "INV-001",
            "INV-002",
            "INV-003",
        ]
        assert push(sync_project, server.base_url, netsuite_env, "--limit", "2") == 0
        assert upsert_requests(server) == 4
