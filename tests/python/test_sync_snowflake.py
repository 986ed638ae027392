"""The Snowflake warehouse path (dbt-snowflake profile), run in-process under fakesnow."""

from __future__ import annotations

import pytest
from netsuite_sync.cli import main

fakesnow = pytest.importorskip("fakesnow")

PROFILE = """\
sync_test:
  target: snowflake
  outputs:
    snowflake:
      type: snowflake
      account: "{{ env_var('SF_TEST_ACCOUNT') }}"
      user: loader
      password: "{{ env_var('SF_TEST_PASSWORD') }}"
      private_key_path: "{{ env_var('SF_TEST_KEY_PATH', '') }}"
      role: TRANSFORMER
      warehouse: TRANSFORMING
      database: ANALYTICS
      schema: MARTS
      threads: 4
"""


def test_push_and_pull_through_a_snowflake_profile(
    sync_project, start_emulator, netsuite_env, mart_types, build_mart_tables, tmp_path, capsys
):
    invoice, line = mart_types
    invoices = [
        invoice(
            "INV-1",
            "101",
            "USD",
            (line("201", "2", "2.5", "5.00", "a"), line("202", "1", None, "-1.00", "b")),
            currency_id="1",
        ),
        invoice("INV-2", "102", "EUR", (line("203", "1", "3", "3.00", "c"),)),
    ]
    profiles = tmp_path / "sf_profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text(PROFILE, encoding="utf-8")
    args = ["--project-dir", str(sync_project.project_dir), "--profiles-dir", str(profiles)]
    with fakesnow.patch(), start_emulator() as server:
        import snowflake.connector

        connection = snowflake.connector.connect(
            account="acme", user="loader", password="pw", database="ANALYTICS", schema="MARTS"
        )
        cursor = connection.cursor()
        cursor.execute("create database if not exists analytics")
        cursor.execute("create schema if not exists analytics.marts")
        for table, columns, rows in build_mart_tables(invoices):
            definition = ", ".join(f"{name} {kind}" for name, kind in columns)
            cursor.execute(f"create or replace table marts.{table} ({definition})")
            marks = ", ".join("%s" for _ in columns)
            cursor.executemany(f"insert into marts.{table} values ({marks})", rows)

        env = {
            **netsuite_env,
            "NETSUITE_BASE_URL": server.base_url,
            "SF_TEST_ACCOUNT": "acme",
            "SF_TEST_PASSWORD": "sf-password-must-not-leak",
        }
        assert main(["push", *args, "--no-progress"], env=env) == 0
        assert main(["push", *args, "--no-progress"], env=env) == 0
        assert main(["pull", *args], env=env) == 0

        assert sorted(r.external_id for r in server.store.all_invoices()) == ["INV-1", "INV-2"]
        cursor.execute(
            # The first run's attempts (created) before the second's (skipped); within a
            # run the concurrent pushes may start in either order.
            "select external_id, outcome, attempt from netsuite_sync.netsuite_push_log"
            " order by attempt desc, external_id"
        )
        assert cursor.fetchall() == [
            ("INV-1", "created", 1),
            ("INV-2", "created", 1),
            ("INV-1", "skipped", 0),
            ("INV-2", "skipped", 0),
        ]
        cursor.execute(
            "select externalid, cast(foreigntotal as varchar) from netsuite.transaction"
            " order by externalid"
        )
        assert [(eid, float(total)) for eid, total in cursor.fetchall()] == [
            ("INV-1", 4.0),
            ("INV-2", 3.0),
        ]
        cursor.execute("select count(*) from netsuite.transactionline")
        assert cursor.fetchone() == (5,)
        connection.close()
    output = capsys.readouterr()
    assert "sf-password-must-not-leak" not in output.out + output.err
