"""The DAG as Airflow loads it: no import error, the exact tasks, and the exact edges."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    AIRFLOW_ENVIRONMENT,
    DAGS_DIR,
    PROJECT_DIR,
    PROJECT_VENV,
    WORKSPACE,
    DbtNode,
    check,
    run,
)

DAG_ID = "metronome_netsuite"
GROUPS = ("invoice_marts", "reconciliation")
PIPELINE_TASKS = {
    "export_fresh",
    "netsuite_push",
    "netsuite_pull",
    "alert_on_reconciliation_issues",
    "fail_run_if_any_task_failed",
}


@pytest.fixture(scope="module")
def dag(dagbag: Any) -> Any:
    return dagbag.dags[DAG_ID]


def task_id(group: str, node: DbtNode) -> str:
    # Cosmos with TestBehavior.BUILD: one `dbt build` task per model or seed.
    return f"{group}.{node.name}_{node.resource_type}_build"


def group_edges(group: str, nodes: list[DbtNode]) -> dict[str, set[str]]:
    """Task id -> the task ids it must wait for inside its group, per dbt's parents."""
    ids = {node.unique_id: task_id(group, node) for node in nodes}
    return {
        ids[node.unique_id]: {ids[parent] for parent in node.parents if parent in ids}
        for node in nodes
    }


def roots_and_leaves(edges: dict[str, set[str]]) -> tuple[set[str], set[str]]:
    roots = {task for task, parents in edges.items() if not parents}
    has_children = set().union(*edges.values())
    return roots, set(edges) - has_children


def test_dag_folder_imports_without_errors(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert list(dagbag.dags) == [DAG_ID]


def test_dbt_groups_hold_exactly_the_models_and_seeds_dbt_selects(
    dag: Any, selected_nodes: dict[str, list[DbtNode]]
) -> None:
    dbt_task_ids = {t.task_id for t in dag.tasks} - PIPELINE_TASKS
    expected = {task_id(group, node) for group in GROUPS for node in selected_nodes[group]}
    assert dbt_task_ids == expected
    assert len(selected_nodes["invoice_marts"]) == 21  # 16 models and 5 seeds
    assert len(selected_nodes["reconciliation"]) == 7


def test_each_dbt_task_waits_for_exactly_its_parents_in_its_selection(
    dag: Any, selected_nodes: dict[str, list[DbtNode]]
) -> None:
    for group in GROUPS:
        for task, parents in group_edges(group, selected_nodes[group]).items():
            in_group = {u for u in dag.get_task(task).upstream_task_ids if u.startswith(group)}
            assert in_group == parents, task


def test_pipeline_runs_export_marts_push_pull_reconciliation_then_the_alert(
    dag: Any, selected_nodes: dict[str, list[DbtNode]]
) -> None:
    marts_roots, marts_leaves = roots_and_leaves(
        group_edges("invoice_marts", selected_nodes["invoice_marts"])
    )
    recon_roots, recon_leaves = roots_and_leaves(
        group_edges("reconciliation", selected_nodes["reconciliation"])
    )

    def upstream_outside_group(task: str) -> set[str]:
        group = task.split(".")[0]
        return {u for u in dag.get_task(task).upstream_task_ids if not u.startswith(group + ".")}

    assert dag.get_task("export_fresh").upstream_task_ids == set()
    for task in marts_roots:
        assert upstream_outside_group(task) == {"export_fresh"}, task
    assert dag.get_task("netsuite_push").upstream_task_ids == marts_leaves
    assert dag.get_task("netsuite_pull").upstream_task_ids == {"netsuite_push"}
    for task in recon_roots:
        assert upstream_outside_group(task) == {"netsuite_pull"}, task
    assert dag.get_task("alert_on_reconciliation_issues").upstream_task_ids == recon_leaves

    watcher = dag.get_task("fail_run_if_any_task_failed")
    assert watcher.upstream_task_ids == {t.task_id for t in dag.tasks} - {watcher.task_id}
    assert watcher.downstream_task_ids == set()
    # Besides the watcher, the only task nothing waits for is the final alert.
    assert {t.task_id for t in dag.tasks if t.downstream_task_ids == {watcher.task_id}} == {
        "alert_on_reconciliation_issues"
    }


def test_pull_follows_a_failed_push_and_a_failure_fails_the_run(dag: Any) -> None:
    assert dag.get_task("netsuite_push").trigger_rule == "all_success"
    assert dag.get_task("netsuite_pull").trigger_rule == "one_done"
    watcher = dag.get_task("fail_run_if_any_task_failed")
    assert watcher.trigger_rule == "one_failed"
    assert watcher.retries == 0
    assert not watcher.on_failure_callback


def test_schedule_retries_and_failure_alerts(dag: Any) -> None:
    from metronome_netsuite_airflow.alerts import on_task_failure

    assert dag.timetable.expression == "0 6 * * *"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.max_active_tasks == 1  # DuckDB: one writer at a time
    for task in dag.tasks:
        if task.task_id == "fail_run_if_any_task_failed":
            continue
        assert task.retries == 1, task.task_id  # Variable metronome_netsuite_retries
        assert task.on_failure_callback in (on_task_failure, [on_task_failure]), task.task_id
    sensor = dag.get_task("export_fresh")
    assert sensor.mode == "reschedule"
    assert sensor.timeout == 6 * 3600


def test_cosmos_runs_the_project_dbt_with_its_duckdb_profile(dag: Any) -> None:
    task = dag.get_task("invoice_marts.netsuite_invoices_model_build")
    assert Path(task.dbt_executable_path) == PROJECT_VENV / "bin" / "dbt"
    assert Path(task.project_dir) == PROJECT_DIR
    assert task.profile_config.target_name == "duckdb"
    assert Path(task.profile_config.profiles_yml_filepath) == PROJECT_DIR / "profiles/profiles.yml"
    assert task.env["METRONOME_NETSUITE_DUCKDB_PATH"] == str(WORKSPACE.warehouse)
    assert task.append_env is False
    assert not any(name.startswith("AIRFLOW") for name in task.env)
    assert task.indirect_selection == "buildable"
    assert task.vars["metronome_export_path"] == str(WORKSPACE.export_root)


SNOWFLAKE_CONNECTION = {
    "conn_type": "snowflake",
    "login": "TRANSFORMER_SVC",
    "password": "sf-pw-7c1d-known",
    "schema": "METRONOME_NETSUITE",
    "extra": {
        "account": "ab12345.eu-central-1",
        "database": "ANALYTICS",
        "warehouse": "TRANSFORMING",
        "role": "TRANSFORMER",
    },
}


def test_snowflake_profile_comes_from_the_airflow_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import yaml
    from metronome_netsuite_airflow.settings import DeploymentSettings
    from metronome_netsuite_airflow.warehouse import warehouse_profile

    monkeypatch.setenv("AIRFLOW_CONN_SNOWFLAKE_DEFAULT", json.dumps(SNOWFLAKE_CONNECTION))
    settings = DeploymentSettings(
        project_dir=PROJECT_DIR,
        project_venv=PROJECT_VENV,
        manifest_path=WORKSPACE.manifest,
        target="snowflake",
    )
    with warehouse_profile(settings) as profile:
        contents = yaml.safe_load((profile.profiles_dir / "profiles.yml").read_text())
        environment = dict(profile.environment)
    output = contents["metronome_netsuite"]["outputs"]["snowflake"]
    assert profile.target == "snowflake"
    assert {k: output[k] for k in ("type", "account", "user", "database", "warehouse")} == {
        "type": "snowflake",
        "account": "ab12345.eu-central-1",
        "user": "TRANSFORMER_SVC",
        "database": "ANALYTICS",
        "warehouse": "TRANSFORMING",
    }
    assert output["schema"] == "METRONOME_NETSUITE"
    assert output["role"] == "TRANSFORMER"
    # The secret travels as an environment variable, never in the file.
    assert "sf-pw-7c1d-known" not in json.dumps(contents)
    password_variable = output["password"].split("'")[1]
    assert environment[password_variable] == "sf-pw-7c1d-known"
    assert "METRONOME_NETSUITE_DUCKDB_PATH" not in environment


SNOWFLAKE_AUTH_METHODS = ("password", "private_key_file")
SNOWFLAKE_PARSE_SCRIPT = """
import json, os, sys
from pathlib import Path
from airflow.dag_processing.dagbag import BundleDagBag
dags = Path(sys.argv[1])
results = {}
for auth in sys.argv[2:]:
    os.environ["AIRFLOW_VAR_METRONOME_NETSUITE_SNOWFLAKE_AUTH"] = auth
    bag = BundleDagBag(dag_folder=dags, bundle_path=dags)
    dag = bag.dags.get("metronome_netsuite")
    task = dag.get_task("reconciliation.reconciliation_invoices_model_build") if dag else None
    results[auth] = {
        "errors": {k: v[-300:] for k, v in bag.import_errors.items()},
        "mapping": type(task.profile_config.profile_mapping).__name__ if task else None,
        "target": task.profile_config.target_name if task else None,
        "max_active_tasks": dag.max_active_tasks if dag else None,
    }
print(json.dumps(results))
"""


def test_dag_parses_for_snowflake_with_a_connection_profile_mapping(
    manifest: Path, airflow_db: Path
) -> None:
    environment = {**AIRFLOW_ENVIRONMENT, "AIRFLOW_VAR_METRONOME_NETSUITE_TARGET": "snowflake"}
    output = check(
        run(
            [sys.executable, "-c", SNOWFLAKE_PARSE_SCRIPT, DAGS_DIR, *SNOWFLAKE_AUTH_METHODS],
            timeout_s=180,
            environment=environment,
        ),
        "parsing the DAG for Snowflake",
    )
    expected = {"errors": {}, "target": "snowflake", "max_active_tasks": 8}
    assert json.loads(output.strip().splitlines()[-1]) == {
        "password": {**expected, "mapping": "SnowflakeUserPasswordProfileMapping"},
        "private_key_file": {
            **expected,
            "mapping": "SnowflakeEncryptedPrivateKeyFilePemProfileMapping",
        },
    }
