"""Metronome export -> NetSuite invoices -> reconciliation, once a day.

    export_fresh >> invoice_marts >> netsuite_push >> netsuite_pull >> reconciliation
        >> alert_on_reconciliation_issues

- `export_fresh` waits until dbt's source freshness passes for the Metronome export
  (Variable `metronome_netsuite_freshness`: `error` waits, `warn` alerts and goes on, `off`).
- `invoice_marts` and `reconciliation` are Cosmos task groups, one task per dbt model or seed
  (`dbt build` of the node: its unit and data tests included), selected by the project's
  `selectors.yml`. Cosmos runs the project's own dbt (its `.venv`), so Airflow's environment
  holds no dbt; the task graph is read from dbt's manifest (`dbt parse` on deploy).
- `netsuite_push` / `netsuite_pull` run `netsuite-sync` with NetSuite credentials from the
  Airflow connection `netsuite_default`. A push in which NetSuite rejected invoices fails
  without a retry (the next run re-sends them) and alerts; the pull runs anyway
  (trigger rule one_done) so that the reconciliation shows those invoices as push_failed.
- `alert_on_reconciliation_issues` alerts when invoices need attention (any status but
  matched, and excluded invoices NetSuite does not have), and updates the asset
  `metronome_netsuite_reconciliation` that a dashboard refresh can be scheduled on.
- `fail_run_if_any_task_failed` marks the run failed when any task failed, since the last
  tasks can succeed after a failed push.

Every task alerts when it fails for good (metronome_netsuite_airflow/alerts.py: a log line,
and a post to the webhook in Variable `metronome_netsuite_alert_webhook_url`).

Warehouse: Variable `metronome_netsuite_target` = `duckdb` (the project's profiles.yml) or
`snowflake` (a Cosmos profile mapping of the connection `snowflake_default`). The other
settings are in metronome_netsuite_airflow/settings.py and the README's Airflow section.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import (
    DAG,
    Asset,
    PokeReturnValue,
    TriggerRule,
    chain,
    get_current_context,
    task,
)
from airflow.sdk.exceptions import AirflowFailException
from cosmos import (
    DbtTaskGroup,
    ExecutionConfig,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    ProjectConfig,
    RenderConfig,
    TestBehavior,
    TestIndirectSelection,
)
from metronome_netsuite_airflow import steps
from metronome_netsuite_airflow.alerts import on_task_failure
from metronome_netsuite_airflow.settings import (
    DAG_ID,
    DeploymentSettings,
    freshness_mode,
    load_settings,
)
from metronome_netsuite_airflow.warehouse import base_environment, profile_config

SETTINGS = load_settings()
# A stale export keeps `export_fresh` waiting this long before the run fails and alerts.
FRESHNESS_WAIT = timedelta(hours=6)
FRESHNESS_POKE_INTERVAL = timedelta(minutes=15)
# Updated after every run whose reconciliation marts were rebuilt: a dashboard refresh DAG can
# be scheduled on it.
RECONCILIATION_ASSET = Asset("metronome_netsuite_reconciliation")


def dbt_task_group(group_id: str, selector: str, settings: DeploymentSettings) -> DbtTaskGroup:
    """The models of one of the project's selectors, one Airflow task per model or seed."""
    dbt = str(settings.dbt_executable)
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=settings.project_dir,
            manifest_path=settings.manifest_path,
            dbt_vars=dict(settings.dbt_vars),
            env_vars=base_environment(settings),
            install_dbt_deps=False,
        ),
        profile_config=profile_config(settings),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=dbt,
            # A test on two models runs with the later one (e.g. a relationship between
            # netsuite_invoices and its lines), not with a model built before the other exists.
            test_indirect_selection=TestIndirectSelection.BUILDABLE,
        ),
        render_config=RenderConfig(
            # The task graph comes from dbt's manifest (selectors.yml included), so parsing
            # the DAG runs no dbt; `dbt parse` refreshes it on deploy.
            load_method=LoadMode.DBT_MANIFEST,
            selector=selector,
            test_behavior=TestBehavior.BUILD,
            # Cosmos's per-model dataset URIs are not valid Airflow 3 asset URIs; the DAG
            # publishes one asset for the reconciliation instead.
            emit_datasets=False,
        ),
        # The worker's environment (Airflow's own secrets among it) stays out of dbt's.
        operator_args={"append_env": False},
    )


with DAG(
    dag_id=DAG_ID,
    schedule=SETTINGS.schedule,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    # DuckDB allows one writer per file: on DuckDB the models build one at a time.
    max_active_tasks=1 if SETTINGS.is_duckdb else 8,
    default_args={
        "owner": "finance-data",
        "retries": SETTINGS.retries,
        "retry_delay": timedelta(minutes=SETTINGS.retry_delay_minutes),
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(hours=2),
        "on_failure_callback": on_task_failure,
    },
    tags=["metronome", "netsuite", "dbt"],
    doc_md=__doc__,
) as dag:

    @task.sensor(
        task_id="export_fresh",
        poke_interval=FRESHNESS_POKE_INTERVAL.total_seconds(),
        timeout=FRESHNESS_WAIT.total_seconds(),
        mode="reschedule",
    )
    def export_fresh() -> PokeReturnValue:
        context = get_current_context()
        return PokeReturnValue(
            is_done=steps.check_export_freshness(SETTINGS, freshness_mode(), context)
        )

    @task(task_id="netsuite_push")
    def netsuite_push() -> dict[str, Any]:
        return steps.push(SETTINGS)

    # one_done: runs after a push that succeeded or failed, not when the marts did not build.
    @task(task_id="netsuite_pull", trigger_rule=TriggerRule.ONE_DONE)
    def netsuite_pull() -> None:
        steps.pull(SETTINGS)

    @task(task_id="alert_on_reconciliation_issues", outlets=[RECONCILIATION_ASSET])
    def alert_on_reconciliation_issues() -> dict[str, int]:
        return steps.reconciliation_issues(SETTINGS, get_current_context())

    # A run's state is decided by its last tasks; a failed push followed by a successful
    # reconciliation would otherwise end green. This task runs when anything failed, and fails.
    @task(
        task_id="fail_run_if_any_task_failed",
        trigger_rule=TriggerRule.ONE_FAILED,
        retries=0,
        on_failure_callback=None,  # the failed task has alerted already
    )
    def fail_run_if_any_task_failed() -> None:
        raise AirflowFailException("a task of this run failed; see its log and the alert")

    chain(
        export_fresh(),
        dbt_task_group("invoice_marts", "invoice_marts", SETTINGS),
        netsuite_push(),
        netsuite_pull(),
        dbt_task_group("reconciliation", "reconciliation", SETTINGS),
        alert_on_reconciliation_issues(),
    )
    fail_run_if_any_task_failed()
    watcher = dag.get_task("fail_run_if_any_task_failed")
    for upstream_task in dag.tasks:
        if upstream_task is not watcher:
            upstream_task >> watcher
