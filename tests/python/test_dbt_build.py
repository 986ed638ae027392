"""`dbt build` on the generated sample export gives exactly the planted outcomes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_project import BuiltWarehouse, build_demo_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture
def warehouse(demo_warehouse: BuiltWarehouse) -> BuiltWarehouse:
    return demo_warehouse


def query(warehouse: BuiltWarehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        connection.execute(
            f"create temp view expected as select * from read_csv("
            f"'{warehouse.expected_dispositions}', all_varchar = true)"
        )
        return connection.execute(sql).fetchall()


def test_build_passes_every_unit_and_data_test(warehouse: BuiltWarehouse) -> None:
    summary = warehouse.dbt_output.strip().splitlines()[-1]
    assert "ERROR=0" in summary
    assert "WARN=0" in summary
    assert "SKIP=0" in summary


def test_dispositions_have_exact_counts_per_reason(warehouse: BuiltWarehouse) -> None:
    counts = query(
        warehouse,
        """
        select disposition, coalesce(reason_code, ''), count(*)
        from main.invoice_dispositions group by all order by 1, 2
        """,
    )
    assert counts == [
        ("excluded", "environment_not_selected", 1),
        ("excluded", "not_netsuite_destination", 2),
        ("excluded", "void", 4),
        ("excluded", "zero_total", 3),
        ("held", "invalid_custom_fields_json", 2),
        ("held", "lines_do_not_sum_to_total", 1),
        ("held", "missing_customer_mapping", 3),
        ("held", "missing_item_mapping", 2),
        ("held", "missing_required_field", 1),
        ("held", "unsupported_credit_type", 3),
        ("ready", "", 118),
    ]


def test_every_export_invoice_gets_its_planted_disposition(warehouse: BuiltWarehouse) -> None:
    mismatches = query(
        warehouse,
        """
        select expected.invoice_id, expected.scenario, expected.expected_disposition,
               expected.expected_reason_code, d.disposition, d.reason_code
        from expected
        full outer join main.invoice_dispositions as d
            on expected.invoice_id = d.external_id
        where expected.expected_disposition is distinct from d.disposition
           or coalesce(expected.expected_reason_code, '') <> coalesce(d.reason_code, '')
        """,
    )
    assert mismatches == []
    assert query(warehouse, "select count(*) from expected") == [(140,)]


def test_ready_marts_tie_out(warehouse: BuiltWarehouse) -> None:
    invoices = query(
        warehouse,
        "select count(*), sum(line_count), sum(total_amount) from main.netsuite_invoices",
    )
    lines = query(warehouse, "select count(*), sum(amount) from main.netsuite_invoice_lines")
    assert invoices == [(118, 673, Decimal("565998.6500"))]
    assert lines == [(673, Decimal("565998.6500"))]


def test_exceptions_explain_every_held_invoice(warehouse: BuiltWarehouse) -> None:
    rows = query(
        warehouse,
        """
        select reason_code, count(*), count(line_external_id)
        from main.netsuite_invoice_exceptions group by 1 order by 1
        """,
    )
    assert rows == [
        ("invalid_custom_fields_json", 2, 1),
        ("lines_do_not_sum_to_total", 1, 0),
        ("missing_customer_mapping", 3, 0),
        ("missing_item_mapping", 2, 2),
        ("missing_required_field", 1, 0),
        ("unsupported_credit_type", 3, 0),
    ]


def test_payload_hash_is_stable_across_rebuilds(warehouse: BuiltWarehouse, tmp_path: Path) -> None:
    rebuilt = build_demo_warehouse(tmp_path)
    sql = "select external_id, payload_hash from main.netsuite_invoices order by 1"
    assert query(rebuilt, sql) == query(warehouse, sql)


def test_reconciliation_before_the_first_sync_expects_every_ready_invoice(
    warehouse: BuiltWarehouse,
) -> None:
    # No NetSuite tables and no push log exist yet: the build still succeeds
    # and every ready invoice is missing_in_netsuite.
    rows = query(
        warehouse,
        """
        select status, disposition, count(*), sum(metronome_total)
        from main.reconciliation_invoices group by all order by 1
        """,
    )
    assert rows == [
        ("excluded_in_metronome", "excluded", 10, Decimal("33907.1400")),
        ("held_in_metronome", "held", 12, Decimal("37322.0900")),
        ("missing_in_netsuite", "ready", 118, Decimal("565998.6500")),
    ]
