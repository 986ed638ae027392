"""Pull: SuiteQL back into `transaction` / `transactionline` with raw values, incrementally."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
import requests
from netsuite_sync.cli import main

MODIFIED = {
    "INV-001": "2024-03-01T10:00:00Z",
    "INV-002": "2024-03-02T10:00:00Z",
    "INV-003": "2024-03-03T10:00:00Z",
}


@pytest.fixture
def pushed(sync_project, start_emulator, netsuite_env, mart_types):
    """Three invoices pushed to a running emulator, with known lastmodifieddate values."""
    invoice, line = mart_types
    invoices = [
        invoice(
            "INV-001",
            "101",
            "USD",
            (line("201", "3", "5", "15.00", "Usage"), line("202", "1", None, "-4.00", "Credit")),
            currency_id="1",
        ),
        invoice(
            "INV-002",
            "102",
            "EUR",
            (line("201", "1", "7", "7.00", "a"), line("202", "1", "1", "1.00", "b")),
        ),
        invoice(
            "INV-003",
            "103",
            "JPY",
            (line("203", "2", "600", "1200", "Yen"),),
            currency_id="3",
            digits=0,
        ),
    ]
    sync_project.write_marts(invoices)
    with start_emulator() as server:
        env = {**netsuite_env, "NETSUITE_BASE_URL": server.base_url}
        assert main(["push", *sync_project.cli_args(), "--no-progress"], env=env) == 0
        ids = {r.external_id: r.internal_id for r in server.store.all_invoices()}
        for external_id, stamp in MODIFIED.items():
            admin_edit(server, ids[external_id], {"lastModifiedDate": stamp})
        yield server, env, ids, invoices


def admin_edit(server, internal_id, body):
    response = requests.patch(
        f"{server.base_url}/_emulator/invoices/{internal_id}", json=body, timeout=5
    )
    assert response.status_code == 200, response.text


def pull(project, env, capsys, *extra):
    capsys.readouterr()
    assert main(["pull", *project.cli_args(), *extra], env=env) == 0
    return capsys.readouterr().out


def transactions(project):
    # By external id: internal ids follow the order concurrent pushes completed in.
    return project.query(
        "select externalid, id, type, trandate, entity, currency, foreigntotal, voided,"
        " lastmodifieddate, _netsuite_sync_pulled_at from netsuite.transaction"
        " order by externalid"
    )


def lines_of(project, transaction_id):
    return project.query(
        "select linesequencenumber, mainline, taxline, item, quantity, rate, foreignamount,"
        " netamount, memo, custcol_metronome_line_id from netsuite.transactionline"
        " where transaction = ? order by linesequencenumber",
        [transaction_id],
    )


def test_pull_lands_raw_netsuite_columns_signs_and_types(sync_project, pushed, capsys):
    _, env, ids, _ = pushed
    out = pull(sync_project, env, capsys)
    assert "3 invoices and 8 lines (everything)" in out

    rows = transactions(sync_project)
    assert [row[:8] for row in rows] == [
        (
            "INV-001",
            str(ids["INV-001"]),
            "CustInvc",
            dt.date(2024, 2, 1),
            "101",
            "1",
            Decimal("11"),
            "F",
        ),
        (
            "INV-002",
            str(ids["INV-002"]),
            "CustInvc",
            dt.date(2024, 2, 1),
            "102",
            "1",
            Decimal("8"),
            "F",
        ),
        (
            "INV-003",
            str(ids["INV-003"]),
            "CustInvc",
            dt.date(2024, 2, 1),
            "103",
            "3",
            Decimal("1200"),
            "F",
        ),
    ]
    assert [row[8] for row in rows] == [
        dt.datetime(2024, 3, 1, 10),
        dt.datetime(2024, 3, 2, 10),
        dt.datetime(2024, 3, 3, 10),
    ]
    # Raw signs: the mainline carries the receivable, item lines are negative (income),
    # so the credit line (a negative amount on the invoice) is positive here.
    assert lines_of(sync_project, str(ids["INV-001"])) == [
        (0, "T", "F", None, None, None, Decimal("11"), Decimal("11"), None, None),
        (
            1,
            "F",
            "F",
            "201",
            Decimal("-3"),
            Decimal("5"),
            Decimal("-15"),
            Decimal("-15"),
            "Usage",
            "INV-001-li1",
        ),
        (
            2,
            "F",
            "F",
            "202",
            Decimal("-1"),
            None,
            Decimal("4"),
            Decimal("4"),
            "Credit",
            "INV-001-li2",
        ),
    ]
    types = dict(
        sync_project.query(
            "select table_name || '.' || column_name, data_type from information_schema.columns"
            " where table_schema = 'netsuite'"
        )
    )
    assert types["transaction.id"] == "VARCHAR"
    assert types["transaction.trandate"] == "DATE"
    assert types["transaction.lastmodifieddate"] == "TIMESTAMP"
    assert types["transaction.foreigntotal"].startswith("DECIMAL")
    assert types["transactionline.transaction"] == "VARCHAR"
    assert types["transactionline.linesequencenumber"] == "INTEGER"
    assert types["transactionline._netsuite_sync_pulled_at"] == "TIMESTAMP"


def test_incremental_pull_rereads_only_transactions_changed_since_the_mark(
    sync_project, pushed, capsys
):
    server, env, ids, _ = pushed
    pull(sync_project, env, capsys)
    first_pulled_at = {row[0]: row[9] for row in transactions(sync_project)}

    # Changed "in NetSuite" after the first pull.
    admin_edit(
        server,
        ids["INV-001"],
        {"lines": {"1": {"amount": "20.00"}}, "lastModifiedDate": "2024-03-05T00:00:00Z"},
    )
    # Without lookback the mark itself (INV-003, 2024-03-03 10:00) is re-read too: >= is
    # what keeps a same-second change from being missed.
    out = pull(sync_project, env, capsys, "--lookback-minutes", "0")
    assert "2 invoices and 5 lines (modified since 2024-03-03 10:00:00)" in out
    rows = {row[0]: row for row in transactions(sync_project)}
    assert rows["INV-002"][9] == first_pulled_at["INV-002"]
    assert rows["INV-001"][9] > first_pulled_at["INV-001"]
    assert rows["INV-001"][6] == Decimal("16")
    assert [line[6] for line in lines_of(sync_project, str(ids["INV-001"]))] == [
        Decimal("16"),
        Decimal("-20"),
        Decimal("4"),
    ]

    # With the default 60-minute lookback, only the invoice modified last is re-read.
    out = pull(sync_project, env, capsys)
    assert "1 invoices and 3 lines (modified since 2024-03-04 23:00:00)" in out
    assert sync_project.query("select count(*) from netsuite.transaction") == [(3,)]
    assert sync_project.query("select count(*) from netsuite.transactionline") == [(8,)]


def test_repulled_transaction_has_its_lines_replaced_not_appended(
    sync_project, pushed, capsys, netsuite_env
):
    _, env, ids, invoices = pushed
    pull(sync_project, env, capsys)
    invoices[1] = replace(invoices[1], lines=invoices[1].lines[:1])
    sync_project.write_marts(invoices)
    assert main(["push", *sync_project.cli_args(), "--no-progress"], env=env) == 0
    pull(sync_project, env, capsys, "--full-refresh")
    assert [line[:2] for line in lines_of(sync_project, str(ids["INV-002"]))] == [
        (0, "T"),
        (1, "F"),
    ]
    assert sync_project.query("select count(*) from netsuite.transactionline") == [(7,)]


def test_line_id_column_is_not_selected_when_disabled(sync_project, pushed, capsys):
    env = pushed[1]
    pull(sync_project, env, capsys, "--line-id-field", "", "--netsuite-schema", "ns_plain")
    columns = [
        row[0]
        for row in sync_project.query(
            "select column_name from information_schema.columns"
            " where table_schema = 'ns_plain' and table_name = 'transactionline'"
        )
    ]
    assert "custcol_metronome_line_id" not in columns
    assert sync_project.query("select count(*) from ns_plain.transactionline") == [(8,)]
