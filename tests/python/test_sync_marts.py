"""Reading the marts: what each invoice needs (create, update, skip), streamed in batches."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from netsuite_sync import push_log
from netsuite_sync.marts import Relations, Selection, count_selection, stream_candidates
from netsuite_sync.push_log import PushLogRow, PushLogWriter
from netsuite_sync.warehouse import DuckDBWarehouse

T0 = datetime(2024, 5, 1, 12, 0, 0)


@pytest.fixture
def warehouse(sync_project, mart_types):
    invoice, line = mart_types
    sync_project.write_marts(
        [
            invoice(
                f"INV-{n}",
                "101",
                "USD",
                tuple(line("201", "1", "1", "1.00", f"line {k}") for k in range(n)),
                currency_id="1",
            )
            for n in range(1, 6)
        ]
    )
    opened = DuckDBWarehouse(str(sync_project.database))
    yield opened
    opened.close()


def log_row(eid, payload_hash, outcome, *, minutes, attempt=1, final=True, internal_id="9"):
    at = T0 + timedelta(minutes=minutes)
    return PushLogRow(
        run_id=f"run-{minutes}",
        external_id=eid,
        payload_hash=payload_hash,
        attempt=attempt,
        started_at=at,
        finished_at=at,
        http_status=204 if outcome in ("created", "updated") else None,
        outcome=outcome,
        is_final_attempt=final,
        netsuite_internal_id=internal_id if outcome != "failed" else None,
        error_code=None,
        error_path=None,
        error_detail=None,
    )


def relations(warehouse):
    log = push_log.ensure_table(warehouse, "netsuite_sync")
    return Relations('"main"."netsuite_invoices"', '"main"."netsuite_invoice_lines"', log)


def hashes(warehouse):
    return dict(warehouse.query("select external_id, payload_hash from main.netsuite_invoices"))


@pytest.mark.parametrize("page_size", [1, 2, 5, 1000])
def test_every_invoice_comes_once_with_all_its_lines_whatever_the_page_size(warehouse, page_size):
    candidates = list(
        stream_candidates(warehouse, relations(warehouse), Selection(), page_size=page_size)
    )
    assert [(c.header.external_id, len(c.lines), c.action) for c in candidates] == [
        (f"INV-{n}", n, "create") for n in range(1, 6)
    ]
    assert [line.line_number for line in candidates[4].lines] == [1, 2, 3, 4, 5]


def test_decision_follows_the_last_final_attempt_and_the_payload_hash(warehouse):
    rel = relations(warehouse)
    h = hashes(warehouse)
    writer = PushLogWriter(warehouse, rel.push_log)
    for row in [
        # INV-1: pushed with the current hash -> skip (the later skipped row changes nothing)
        log_row("INV-1", h["INV-1"], "created", minutes=1, internal_id="11"),
        log_row("INV-1", h["INV-1"], "skipped", minutes=2, attempt=0, internal_id="11"),
        # INV-2: pushed with an older hash -> update
        log_row("INV-2", "old", "created", minutes=1, internal_id="12"),
        # INV-3: pushed, then the same payload failed on a later run -> send again
        log_row("INV-3", h["INV-3"], "created", minutes=1, internal_id="13"),
        log_row("INV-3", h["INV-3"], "failed", minutes=2),
        # INV-4: only a retried (non-final) failure -> never succeeded -> create
        log_row("INV-4", h["INV-4"], "failed", minutes=1, final=False),
    ]:
        writer.append(row)
    writer.flush()
    candidates = {c.header.external_id: c for c in stream_candidates(warehouse, rel, Selection())}
    assert {eid: c.action for eid, c in candidates.items()} == {
        "INV-1": "skip",
        "INV-2": "update",
        "INV-3": "update",
        "INV-4": "create",
        "INV-5": "create",
    }
    assert candidates["INV-1"].lines == ()  # lines are not read for skipped invoices
    assert candidates["INV-1"].last_internal_id == "11"
    assert candidates["INV-2"].last_internal_id == "12"
    forced = stream_candidates(warehouse, rel, Selection(include_unchanged=True))
    assert {c.header.external_id: c.action for c in forced}["INV-1"] == "update"


def test_limit_counts_only_invoices_to_send(warehouse):
    rel = relations(warehouse)
    writer = PushLogWriter(warehouse, rel.push_log)
    writer.append(log_row("INV-1", hashes(warehouse)["INV-1"], "created", minutes=1))
    writer.flush()
    selection = Selection(limit=2)
    for page_size in (1, 2, 1000):
        assert [
            (c.header.external_id, c.action)
            for c in stream_candidates(warehouse, rel, selection, page_size=page_size)
        ] == [("INV-1", "skip"), ("INV-2", "create"), ("INV-3", "create")]
    counts = count_selection(warehouse, rel, selection)
    assert (counts.total, counts.to_send) == (3, 2)
    only = Selection(invoice_ids=("INV-4", "INV-9"))
    assert [c.header.external_id for c in stream_candidates(warehouse, rel, only)] == ["INV-4"]


def test_push_log_writer_flushes_by_size_and_by_time(warehouse):
    rel = relations(warehouse)
    now = [0.0]
    writer = PushLogWriter(
        warehouse, rel.push_log, flush_every_s=2.0, max_rows=3, clock=lambda: now[0]
    )

    def stored():
        return warehouse.query(f"select count(*) from {rel.push_log}")[0][0]

    writer.append(log_row("INV-1", "h", "created", minutes=1))
    writer.append(log_row("INV-2", "h", "created", minutes=1))
    writer.flush_if_due()
    assert stored() == 0
    now[0] = 2.5
    writer.flush_if_due()
    assert stored() == 2
    for n in range(3):
        writer.append(log_row(f"INV-{n}", "h", "created", minutes=2))
    assert stored() == 5
