"""Deployment settings of the metronome_netsuite DAG.

Every setting is an Airflow Variable named `metronome_netsuite_<setting>`, so a deployment sets
it in the UI, in a secrets backend, or as the environment variable
`AIRFLOW_VAR_METRONOME_NETSUITE_<SETTING>` (what the tests and most deployments do). The ones
that shape the DAG (target, project, vars, schedule) are read when the file is parsed; the
ones a run reads (freshness mode, alert webhook) are read by the tasks, so changing them needs
no redeploy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow.sdk import Variable

DAG_ID = "metronome_netsuite"
VARIABLE_PREFIX = "metronome_netsuite_"
# dbt_project.yml's `profile`; Cosmos writes or reads a profile of this name.
PROFILE_NAME = "metronome_netsuite"
TARGETS = ("duckdb", "snowflake")
SNOWFLAKE_AUTH_METHODS = ("password", "private_key_file")
FRESHNESS_MODES = ("error", "warn", "off")
# orchestration/airflow/dags/metronome_netsuite_airflow/settings.py -> the repository root.
REPOSITORY_ROOT = Path(__file__).resolve().parents[4]
# Metronome's export lands overnight (UTC); the NetSuite push follows in the morning.
DEFAULT_SCHEDULE = "0 6 * * *"


class SettingsError(ValueError):
    """A deployment setting is malformed; the message names the Airflow Variable."""


@dataclass(frozen=True)
class DeploymentSettings:
    """Where the dbt project and its virtual environment are, and which warehouse to use."""

    project_dir: Path
    project_venv: Path
    manifest_path: Path
    target: str
    dbt_vars: Mapping[str, Any] = field(default_factory=dict)
    schedule: str | None = DEFAULT_SCHEDULE
    duckdb_path: Path | None = None
    duckdb_profiles_dir: Path | None = None
    snowflake_conn_id: str = "snowflake_default"
    snowflake_auth: str = "password"
    netsuite_conn_id: str = "netsuite_default"
    retries: int = 2
    retry_delay_minutes: float = 10.0

    @property
    def dbt_executable(self) -> Path:
        return self.project_venv / "bin" / "dbt"

    @property
    def netsuite_sync_executable(self) -> Path:
        return self.project_venv / "bin" / "netsuite-sync"

    @property
    def is_duckdb(self) -> bool:
        return self.target == "duckdb"


def variable_name(setting: str) -> str:
    return VARIABLE_PREFIX + setting


def read_variable(setting: str, default: str | None = None) -> str | None:
    """The Variable's value, or `default` when it is unset or empty."""
    value = Variable.get(variable_name(setting), default=None)
    if value is None or str(value).strip() == "":
        return default
    return str(value).strip()


def _choice(setting: str, default: str, choices: tuple[str, ...]) -> str:
    value = (read_variable(setting) or default).lower()
    if value not in choices:
        raise SettingsError(
            f"Airflow Variable {variable_name(setting)} must be one of {', '.join(choices)}"
        )
    return value


def _json_object(setting: str) -> dict[str, Any]:
    raw = read_variable(setting)
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise SettingsError(
            f"Airflow Variable {variable_name(setting)} is not JSON: {error.msg}"
        ) from None
    if not isinstance(value, dict):
        raise SettingsError(f"Airflow Variable {variable_name(setting)} must be a JSON object")
    return value


def _number(setting: str, default: float) -> float:
    raw = read_variable(setting)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"Airflow Variable {variable_name(setting)} must be a number") from None


def load_settings() -> DeploymentSettings:
    project_dir = Path(read_variable("project_dir") or REPOSITORY_ROOT).expanduser()
    venv = Path(read_variable("project_venv") or project_dir / ".venv").expanduser()
    target = _choice("target", "duckdb", TARGETS)
    manifest_path = Path(
        read_variable("manifest_path") or project_dir / "target" / "manifest.json"
    ).expanduser()
    if not manifest_path.is_file():
        raise SettingsError(
            f"no dbt manifest at {manifest_path}: run `dbt parse` in the project on deploy, or "
            f"point Airflow Variable {variable_name('manifest_path')} at one"
        )
    schedule = read_variable("schedule") or DEFAULT_SCHEDULE
    duckdb_path = duckdb_profiles_dir = None
    if target == "duckdb":
        duckdb_profiles_dir = Path(
            read_variable("duckdb_profiles_dir") or project_dir / "profiles"
        ).expanduser()
        # The Makefile's default; Cosmos runs dbt in a copy of the project, so it must be
        # absolute.
        duckdb_path = Path(
            read_variable("duckdb_path") or project_dir / "data" / "metronome_netsuite.duckdb"
        ).expanduser()
    return DeploymentSettings(
        project_dir=project_dir,
        project_venv=venv,
        manifest_path=manifest_path,
        target=target,
        dbt_vars=_json_object("dbt_vars"),
        schedule=None if schedule.lower() in ("none", "manual") else schedule,
        duckdb_path=duckdb_path,
        duckdb_profiles_dir=duckdb_profiles_dir,
        snowflake_conn_id=read_variable("snowflake_conn_id") or "snowflake_default",
        snowflake_auth=_choice("snowflake_auth", "password", SNOWFLAKE_AUTH_METHODS),
        netsuite_conn_id=read_variable("netsuite_conn_id") or "netsuite_default",
        retries=int(_number("retries", 2)),
        retry_delay_minutes=_number("retry_delay_minutes", 10.0),
    )


def freshness_mode() -> str:
    """How a stale export is handled (read at run time): wait for it, warn, or skip the check."""
    return _choice("freshness", "error", FRESHNESS_MODES)
