"""The non-dbt steps: how a tool's exit status becomes an Airflow outcome, and the alert hook."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from conftest import PROJECT_DIR, PROJECT_VENV, WORKSPACE, Webhook
from metronome_netsuite_airflow import alerts, steps
from metronome_netsuite_airflow.process import CommandResult, run_command
from metronome_netsuite_airflow.settings import DeploymentSettings

SETTINGS = DeploymentSettings(
    project_dir=PROJECT_DIR,
    project_venv=PROJECT_VENV,
    manifest_path=WORKSPACE.manifest,
    target="duckdb",
    duckdb_path=WORKSPACE.warehouse,
)
# What netsuite-sync push prints (scripts/netsuite_sync/cli.py, _print_summary).
PUSH_OUTPUT_WITH_A_REJECTION = (
    "netsuite-sync push 20261122T035440Z-bd41808b: sent 117 (created 117, updated 0), "
    "skipped 0, failed 1; 118 requests",
    "failed invoices:",
    "  inv-0042: HTTP 400 USER_ERROR at item - Invalid item reference key 99999.",
)
NETSUITE_CONNECTION = {
    "conn_type": "generic",
    "login": "ck-known-consumer-key",
    "password": "cs-known-consumer-secret",
    "extra": {
        "account_id": "1234567_SB1",
        "token_id": "ti-known-token-id",
        "token_secret": "ts-known-token-secret",
        "base_url": "http://127.0.0.1:9",
    },
}


def push_outcome(monkeypatch: pytest.MonkeyPatch, returncode: int, lines: tuple[str, ...]) -> Any:
    monkeypatch.setattr(steps, "_run_sync", lambda *args: CommandResult(returncode, lines))
    return steps.push(SETTINGS)


def test_push_summary_is_read_from_the_tool_output() -> None:
    summary = steps.parse_push_summary(PUSH_OUTPUT_WITH_A_REJECTION)
    assert summary == steps.PushSummary(
        run_id="20261122T035440Z-bd41808b", sent=117, created=117, updated=0, skipped=0, failed=1
    )


def test_push_with_rejected_invoices_fails_without_retry_and_names_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(AirflowFailException) as failure:
        push_outcome(monkeypatch, 1, PUSH_OUTPUT_WITH_A_REJECTION)
    assert str(failure.value).splitlines()[0] == (
        "netsuite-sync push: 1 invoice(s) failed, 117 sent (run 20261122T035440Z-bd41808b); "
        "reconciliation shows them as push_failed"
    )
    assert "inv-0042: HTTP 400" in str(failure.value)


def test_push_that_crashed_before_its_summary_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AirflowException) as failure:
        push_outcome(monkeypatch, 1, ("netsuite-sync: error: IOException: Could not set lock",))
    assert not isinstance(failure.value, AirflowFailException)


def test_push_with_a_configuration_error_fails_without_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(AirflowFailException, match="configuration error"):
        push_outcome(monkeypatch, 2, ("netsuite-sync: error: missing setting: NETSUITE_TOKEN_ID",))


def test_successful_push_returns_its_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    line = "netsuite-sync push r1: sent 3 (created 2, updated 1), skipped 5, failed 0; 3 requests"
    assert push_outcome(monkeypatch, 0, (line,)) == {
        "run_id": "r1",
        "sent": 3,
        "created": 2,
        "updated": 1,
        "skipped": 5,
        "failed": 0,
    }


def test_netsuite_credentials_come_from_the_airflow_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_NETSUITE_DEFAULT", json.dumps(NETSUITE_CONNECTION))
    assert steps.netsuite_environment("netsuite_default") == {
        "NETSUITE_ACCOUNT_ID": "1234567_SB1",
        "NETSUITE_CONSUMER_KEY": "ck-known-consumer-key",
        "NETSUITE_CONSUMER_SECRET": "cs-known-consumer-secret",
        "NETSUITE_TOKEN_ID": "ti-known-token-id",
        "NETSUITE_TOKEN_SECRET": "ts-known-token-secret",
        "NETSUITE_BASE_URL": "http://127.0.0.1:9",
    }


def test_incomplete_netsuite_connection_names_the_missing_field_not_the_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection = {**NETSUITE_CONNECTION, "extra": {"account_id": "1234567_SB1"}}
    monkeypatch.setenv("AIRFLOW_CONN_NETSUITE_DEFAULT", json.dumps(connection))
    with pytest.raises(AirflowFailException) as failure:
        steps.netsuite_environment("netsuite_default")
    assert "NETSUITE_TOKEN_ID, NETSUITE_TOKEN_SECRET" in str(failure.value)
    assert "cs-known-consumer-secret" not in str(failure.value)


def test_freshness_results_are_read_per_source() -> None:
    sources_json = {
        "results": [
            {
                "unique_id": "source.metronome_netsuite.metronome.invoice",
                "status": "error",
                "max_loaded_at_time_ago_in_s": 9000.0,
            },
            {
                "unique_id": "source.metronome_netsuite.metronome.customer",
                "status": "runtime error",
                "error": "Binder Error: column updated_at not found",
            },
        ]
    }
    assert steps.parse_freshness(sources_json) == [
        steps.SourceFreshness("metronome.invoice", "error", 2.5),
        steps.SourceFreshness(
            "metronome.customer", "runtime error", None, "Binder Error: column updated_at not found"
        ),
    ]


def test_dbt_show_rows_are_read_from_its_json_log() -> None:
    preview = json.dumps([{"STATUS": "push_failed", "INVOICES": 1}])
    lines = [
        '{"info": {"name": "MainReportVersion"}, "data": {}}',
        json.dumps({"info": {"name": "ShowNode"}, "data": {"preview": preview}}),
    ]
    assert steps.parse_dbt_show(lines) == [{"status": "push_failed", "invoices": 1}]


def test_command_output_is_streamed_and_its_tail_kept(tmp_path: Path) -> None:
    logger = logging.getLogger("test_command")
    result = run_command(
        ["/bin/sh", "-c", "echo one; echo two >&2; exit 3"],
        cwd=tmp_path,
        environment={"PATH": "/usr/bin:/bin"},
        logger=logger,
    )
    assert result == CommandResult(3, ("one", "two"))


def test_alert_is_posted_to_the_webhook_as_slack_text(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_METRONOME_NETSUITE_ALERT_WEBHOOK_URL", webhook.url)
    alert = alerts.Alert(
        summary="13 invoices do not reconcile",
        severity="warning",
        dag_id="metronome_netsuite",
        run_id="manual__1",
        task_id="alert_on_reconciliation_issues",
        details=("held_in_metronome: 12", "push_failed: 1"),
    )
    assert alerts.send_alert(alert) is True
    assert webhook.received == [
        {
            "text": "[warning] metronome_netsuite / alert_on_reconciliation_issues: "
            "13 invoices do not reconcile (run manual__1)\nheld_in_metronome: 12\npush_failed: 1"
        }
    ]


def test_failure_callback_survives_an_unreachable_webhook(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Port 9 (discard) on loopback: nothing listens, the post fails at once.
    monkeypatch.setenv("AIRFLOW_VAR_METRONOME_NETSUITE_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/x")

    class TaskInstance:
        dag_id = "metronome_netsuite"
        task_id = "netsuite_pull"
        run_id = "manual__2"

    with caplog.at_level(logging.WARNING):
        alerts.on_task_failure({"ti": TaskInstance(), "exception": RuntimeError("boom\ndetail")})
    messages = [record.getMessage() for record in caplog.records]
    assert any(
        alerts.ALERT_LOG_MARKER in m and "netsuite_pull: task failed: boom (run manual__2)" in m
        for m in messages
    )
    assert any("could not be posted" in m for m in messages)


def fake_freshness(monkeypatch: pytest.MonkeyPatch, statuses: dict[str, str]) -> list[list[str]]:
    """Replace the dbt call: write the sources.json dbt would, with these statuses."""
    calls: list[list[str]] = []

    def run(argv: list[Any], **kwargs: Any) -> CommandResult:
        command = [str(part) for part in argv]
        calls.append(command)
        target = Path(command[command.index("--target-path") + 1])
        target.mkdir(parents=True)
        results = [
            {
                "unique_id": f"source.metronome_netsuite.metronome.{table}",
                "status": status,
                "max_loaded_at_time_ago_in_s": 5 * 86400.0,
            }
            for table, status in statuses.items()
        ]
        (target / "sources.json").write_text(json.dumps({"results": results}))
        return CommandResult(1 if "error" in statuses.values() else 0, ())

    monkeypatch.setattr(steps, "run_command", run)
    return calls


CONTEXT: dict[str, Any] = {"run_id": "scheduled__1"}


def test_stale_export_keeps_the_sensor_waiting_in_error_mode(
    monkeypatch: pytest.MonkeyPatch, webhook: Webhook
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_METRONOME_NETSUITE_ALERT_WEBHOOK_URL", webhook.url)
    calls = fake_freshness(monkeypatch, {"invoice": "error", "customer": "pass"})
    assert steps.check_export_freshness(SETTINGS, "error", CONTEXT) is False
    assert calls[0][1:5] == ["source", "freshness", "--select", "source:metronome"]
    assert webhook.received == []


def test_stale_export_alerts_and_goes_on_in_warn_mode(
    monkeypatch: pytest.MonkeyPatch, webhook: Webhook
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_METRONOME_NETSUITE_ALERT_WEBHOOK_URL", webhook.url)
    fake_freshness(monkeypatch, {"invoice": "error", "customer": "warn"})
    assert steps.check_export_freshness(SETTINGS, "warn", CONTEXT) is True
    assert webhook.texts() == [
        "[warning] the Metronome export is stale (1 table); building anyway "
        "(run scheduled__1)\nmetronome.invoice: newest row 120.0 h old"
    ]


def test_fresh_export_passes_and_off_mode_runs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_freshness(monkeypatch, {"invoice": "pass", "customer": "warn"})
    assert steps.check_export_freshness(SETTINGS, "error", CONTEXT) is True
    assert steps.check_export_freshness(SETTINGS, "off", CONTEXT) is True
    assert len(calls) == 1


def test_freshness_that_cannot_be_measured_fails_for_a_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_freshness(monkeypatch, {"invoice": "runtime error"})
    with pytest.raises(AirflowException, match="cannot check the export's freshness"):
        steps.check_export_freshness(SETTINGS, "warn", CONTEXT)
