"""The DAG's steps that are not dbt models: export freshness, push, pull, reconciliation alert.

Each runs one of the project's own tools from the project's virtual environment (dbt,
`netsuite-sync`), so Airflow's environment needs neither dbt nor a warehouse driver, and turns
its exit status into the right Airflow outcome: retry what a retry can fix, fail at once what it
cannot.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from airflow.sdk.log import mask_secret

from metronome_netsuite_airflow.alerts import alert_from_context, send_alert
from metronome_netsuite_airflow.process import CommandResult, run_command
from metronome_netsuite_airflow.settings import DeploymentSettings
from metronome_netsuite_airflow.warehouse import WarehouseProfile, warehouse_profile

LOGGER = logging.getLogger(__name__)

# netsuite-sync's exit statuses (scripts/netsuite_sync/cli.py).
EXIT_FAILED = 1
EXIT_USAGE = 2
PUSH_SUMMARY = re.compile(
    r"^netsuite-sync push (?P<run_id>\S+): sent (?P<sent>\d+) "
    r"\(created (?P<created>\d+), updated (?P<updated>\d+)\), "
    r"skipped (?P<skipped>\d+), failed (?P<failed>\d+)"
)
METRONOME_SOURCE = "source:metronome"
# Reconciliation statuses that need nobody's attention: the invoice agrees, or a rule
# excluded it and NetSuite does not have it either.
RECONCILIATION_ISSUES_SQL = """
select status, count(*) as invoices
from {{ ref('reconciliation_invoices') }}
where not (
    status = 'matched'
    or (status = 'excluded_in_metronome' and not coalesce(is_in_netsuite, false))
)
group by status
order by status
"""


def _warehouse_args(settings: DeploymentSettings, profile: WarehouseProfile) -> list[str]:
    """Where dbt and netsuite-sync find the project and its warehouse: the same options."""
    return [
        "--project-dir",
        str(settings.project_dir),
        "--profiles-dir",
        str(profile.profiles_dir),
        "--target",
        profile.target,
    ]


def _dbt_args(settings: DeploymentSettings, profile: WarehouseProfile) -> list[str]:
    args = _warehouse_args(settings, profile)
    if settings.dbt_vars:
        args += ["--vars", json.dumps(dict(settings.dbt_vars))]
    return args


def _scratch_args(scratch: Path) -> list[str]:
    # dbt's artifacts and log go to a scratch folder: the project folder may be read-only,
    # and two tasks never overwrite each other's sources.json.
    return ["--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs")]


# --- export freshness ---------------------------------------------------------


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    status: str
    age_hours: float | None
    error: str | None = None


def parse_freshness(sources_json: Mapping[str, Any]) -> list[SourceFreshness]:
    results = []
    for result in sources_json.get("results", []):
        age = result.get("max_loaded_at_time_ago_in_s")
        results.append(
            SourceFreshness(
                source=str(result.get("unique_id", "")).split(".", 2)[-1],
                status=str(result.get("status", "")),
                age_hours=None if age is None else round(float(age) / 3600, 1),
                error=result.get("error"),
            )
        )
    return results


def check_export_freshness(
    settings: DeploymentSettings,
    mode: str,
    context: Mapping[str, Any],
    logger: logging.Logger = LOGGER,
) -> bool:
    """True when the Metronome export is fresh enough to build from (the sensor is done).

    mode `error`: a stale export keeps the sensor waiting; `warn`: alert and go on (the demo's
    generated export is always stale); `off`: no check.
    """
    if mode == "off":
        logger.info("export freshness check is off (Variable metronome_netsuite_freshness)")
        return True
    with warehouse_profile(settings) as profile, tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        result = run_command(
            [
                settings.dbt_executable,
                "source",
                "freshness",
                "--select",
                METRONOME_SOURCE,
                *_dbt_args(settings, profile),
                *_scratch_args(scratch_dir),
            ],
            cwd=settings.project_dir,
            environment=profile.environment,
            logger=logger,
        )
        sources_path = scratch_dir / "target" / "sources.json"
        if not sources_path.is_file():
            raise AirflowException(
                f"dbt source freshness failed (exit {result.returncode}):\n{result.tail}"
            )
        freshness = parse_freshness(json.loads(sources_path.read_text(encoding="utf-8")))
    if not freshness:
        raise AirflowFailException(f"dbt source freshness checked nothing for {METRONOME_SOURCE}")
    broken = [f for f in freshness if f.status not in ("pass", "warn", "error")]
    if broken:
        raise AirflowException(
            "cannot check the export's freshness: "
            + "; ".join(f"{f.source}: {f.error or f.status}" for f in broken)
        )
    stale = [f for f in freshness if f.status == "error"]
    if not stale:
        return True
    details = [f"{f.source}: newest row {f.age_hours} h old" for f in stale]
    if mode == "warn":
        tables = f"{len(stale)} table{'' if len(stale) == 1 else 's'}"
        summary = f"the Metronome export is stale ({tables}); building anyway"
        send_alert(alert_from_context(context, summary, severity="warning", details=details))
        return True
    logger.info("export still stale, waiting: %s", "; ".join(details))
    return False


# --- netsuite-sync push / pull ---------------------------------------------------


NETSUITE_SECRETS = (
    "NETSUITE_CONSUMER_KEY",
    "NETSUITE_CONSUMER_SECRET",
    "NETSUITE_TOKEN_ID",
    "NETSUITE_TOKEN_SECRET",
)


def netsuite_environment(conn_id: str) -> dict[str, str]:
    """NETSUITE_* variables from an Airflow connection (login = consumer key, password =
    consumer secret, extras account_id, token_id, token_secret, optional base_url and
    line_id_field)."""
    connection = BaseHook.get_connection(conn_id)
    extra: Mapping[str, Any] = connection.extra_dejson or {}
    values = {
        "NETSUITE_ACCOUNT_ID": extra.get("account_id"),
        "NETSUITE_CONSUMER_KEY": connection.login,
        "NETSUITE_CONSUMER_SECRET": connection.password,
        "NETSUITE_TOKEN_ID": extra.get("token_id"),
        "NETSUITE_TOKEN_SECRET": extra.get("token_secret"),
    }
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise AirflowFailException(
            f"Airflow connection {conn_id!r} lacks {', '.join(missing)} "
            "(login, password and extras account_id, token_id, token_secret)"
        )
    environment = {name: str(value) for name, value in values.items()}
    for name in NETSUITE_SECRETS:
        mask_secret(environment[name])
    if extra.get("base_url"):
        environment["NETSUITE_BASE_URL"] = str(extra["base_url"])
    if extra.get("line_id_field") is not None:
        environment["NETSUITE_LINE_ID_FIELD"] = str(extra["line_id_field"])
    return environment


def _sync_args(
    settings: DeploymentSettings, profile: WarehouseProfile, overrides: Iterable[tuple[str, str]]
) -> list[str]:
    args = _warehouse_args(settings, profile)
    # netsuite-sync reads vars from dbt_project.yml; vars the deployment overrides are passed
    # as the matching options so the tool and the models agree.
    for var_name, option in overrides:
        value = settings.dbt_vars.get(var_name)
        if value is not None:
            args += [option, str(value)]
    return args


def _run_sync(
    settings: DeploymentSettings,
    command: str,
    options: list[str],
    overrides: Iterable[tuple[str, str]],
    logger: logging.Logger,
) -> CommandResult:
    netsuite = netsuite_environment(settings.netsuite_conn_id)
    with warehouse_profile(settings) as profile:
        return run_command(
            [
                settings.netsuite_sync_executable,
                command,
                *_sync_args(settings, profile, overrides),
                *options,
            ],
            cwd=settings.project_dir,
            environment={**profile.environment, **netsuite},
            logger=logger,
        )


@dataclass(frozen=True)
class PushSummary:
    run_id: str
    sent: int
    created: int
    updated: int
    skipped: int
    failed: int


def parse_push_summary(lines: Iterable[str]) -> PushSummary | None:
    for line in lines:
        match = PUSH_SUMMARY.match(line.strip())
        if match:
            numbers = {k: int(v) for k, v in match.groupdict().items() if k != "run_id"}
            return PushSummary(run_id=match["run_id"], **numbers)
    return None


def push(settings: DeploymentSettings, logger: logging.Logger = LOGGER) -> dict[str, Any]:
    """Push ready invoices. Per-invoice failures fail the task without a retry: NetSuite
    rejected them (or they ran out of the tool's own retries), they are in the push log, and
    the next run sends them again."""
    result = _run_sync(
        settings,
        "push",
        ["--no-progress"],
        [
            ("netsuite_sync_schema", "--push-log-schema"),
            ("netsuite_line_external_id_column", "--line-id-field"),
        ],
        logger,
    )
    summary = parse_push_summary(result.output_lines)
    if result.returncode == 0:
        return asdict(summary) if summary else {}
    if result.returncode == EXIT_FAILED and summary is not None:
        failures = [line.strip() for line in result.output_lines if line.startswith("  ")]
        raise AirflowFailException(
            f"netsuite-sync push: {summary.failed} invoice(s) failed, {summary.sent} sent "
            f"(run {summary.run_id}); reconciliation shows them as push_failed\n"
            + "\n".join(failures[:20])
        )
    if result.returncode == EXIT_USAGE:
        raise AirflowFailException(f"netsuite-sync push: configuration error\n{result.tail}")
    raise AirflowException(f"netsuite-sync push exited {result.returncode}\n{result.tail}")


def pull(settings: DeploymentSettings, logger: logging.Logger = LOGGER) -> None:
    result = _run_sync(
        settings,
        "pull",
        [],
        [
            ("netsuite_schema", "--netsuite-schema"),
            ("netsuite_line_external_id_column", "--line-id-field"),
        ],
        logger,
    )
    if result.returncode == EXIT_USAGE:
        raise AirflowFailException(f"netsuite-sync pull: configuration error\n{result.tail}")
    if result.returncode != 0:
        raise AirflowException(f"netsuite-sync pull exited {result.returncode}\n{result.tail}")


# --- reconciliation ---------------------------------------------------------------


def parse_dbt_show(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Rows of `dbt show --output json --log-format json` (column names lower-cased)."""
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event.get("info", {}).get("name") == "ShowNode":
            rows = json.loads(event["data"]["preview"])
            return [{str(k).lower(): v for k, v in row.items()} for row in rows]
    raise ValueError("dbt show printed no result")


def reconciliation_issues(
    settings: DeploymentSettings, context: Mapping[str, Any], logger: logging.Logger = LOGGER
) -> dict[str, int]:
    """Invoices per reconciliation status that needs attention; alerts when there are any."""
    with warehouse_profile(settings) as profile, tempfile.TemporaryDirectory() as scratch:
        result = run_command(
            [
                settings.dbt_executable,
                "show",
                "--inline",
                RECONCILIATION_ISSUES_SQL,
                "--limit",
                "100",
                "--output",
                "json",
                "--log-format",
                "json",
                *_dbt_args(settings, profile),
                *_scratch_args(Path(scratch)),
            ],
            cwd=settings.project_dir,
            environment=profile.environment,
            logger=logger,
            echo=False,
        )
    if result.returncode != 0:
        raise AirflowException(f"dbt show exited {result.returncode}\n{result.tail}")
    try:
        rows = parse_dbt_show(result.output_lines)
    except (ValueError, KeyError) as error:
        raise AirflowException(f"cannot read the reconciliation query's result: {error}") from None
    issues = {str(row["status"]): int(row["invoices"]) for row in rows}
    logger.info("reconciliation issues: %s", issues or "none")
    if issues:
        summary = f"{sum(issues.values())} invoices do not reconcile"
        details = [f"{status}: {count}" for status, count in issues.items()]
        send_alert(alert_from_context(context, summary, severity="warning", details=details))
    return issues
