"""Fixtures for the DAG tests, run in the Airflow virtual environment (run_tests.sh).

Airflow reads its configuration when it is first imported, so this module sets AIRFLOW_HOME
(a fresh folder per session), the DAG folder and every `metronome_netsuite_*` Variable before
any test imports Airflow. The dbt project's own virtual environment (PROJECT_VENV, default the
repository's `.venv` from `make venv`) provides dbt, the sample export generator and the
NetSuite emulator; Airflow's environment never imports them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

AIRFLOW_DIR = Path(__file__).resolve().parents[1]
DAGS_DIR = AIRFLOW_DIR / "dags"
PROJECT_DIR = AIRFLOW_DIR.parents[1]
PROJECT_VENV = Path(os.environ.get("PROJECT_VENV") or PROJECT_DIR / ".venv")
WORK_DIR = Path(tempfile.mkdtemp(prefix="metronome-netsuite-airflow-"))

# What scripts/run_demo.py passes for the generated sample export.
DEMO_DBT_VARS = {
    "billing_provider_destination_field": "billing_provider_destination",
    "netsuite_adjustment_item_id": "9001",
    "metronome_export_path": str(WORK_DIR / "metronome_export"),
}
# The local emulator's credentials, as in scripts/run_demo.py; never a real account's.
EMULATOR_CREDENTIALS = {
    "NETSUITE_ACCOUNT_ID": "1234567_SB1",
    "NETSUITE_CONSUMER_KEY": "demo-consumer-key",
    "NETSUITE_CONSUMER_SECRET": "demo-consumer-secret",
    "NETSUITE_TOKEN_ID": "demo-token-id",
    "NETSUITE_TOKEN_SECRET": "demo-token-secret",
}
DBT_TIMEOUT_S = 300


@dataclass(frozen=True)
class Workspace:
    work_dir: Path
    export_root: Path
    netsuite_reference: Path
    target_dir: Path
    warehouse: Path
    airflow_home: Path

    @property
    def manifest(self) -> Path:
        return self.target_dir / "manifest.json"


WORKSPACE = Workspace(
    work_dir=WORK_DIR,
    export_root=WORK_DIR / "metronome_export",
    netsuite_reference=WORK_DIR / "netsuite_reference.json",
    target_dir=WORK_DIR / "target",
    warehouse=WORK_DIR / "metronome_netsuite.duckdb",
    airflow_home=WORK_DIR / "airflow_home",
)

AIRFLOW_ENVIRONMENT = {
    "AIRFLOW_HOME": str(WORKSPACE.airflow_home),
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    # Parsing imports Cosmos and reads dbt's manifest: allow a loaded 2-core CI machine time.
    "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "AIRFLOW_VAR_METRONOME_NETSUITE_TARGET": "duckdb",
    "AIRFLOW_VAR_METRONOME_NETSUITE_PROJECT_VENV": str(PROJECT_VENV),
    "AIRFLOW_VAR_METRONOME_NETSUITE_MANIFEST_PATH": str(WORKSPACE.manifest),
    "AIRFLOW_VAR_METRONOME_NETSUITE_DUCKDB_PATH": str(WORKSPACE.warehouse),
    "AIRFLOW_VAR_METRONOME_NETSUITE_DBT_VARS": json.dumps(DEMO_DBT_VARS),
    # The generated export is dated in the past: warn instead of waiting for a fresh one.
    "AIRFLOW_VAR_METRONOME_NETSUITE_FRESHNESS": "warn",
    # One quick retry, so that a task that must not retry (a rejected push) would show it.
    "AIRFLOW_VAR_METRONOME_NETSUITE_RETRIES": "1",
    "AIRFLOW_VAR_METRONOME_NETSUITE_RETRY_DELAY_MINUTES": "0.05",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}
# Hermetic: no DAG setting, connection or NetSuite credential leaks in from the shell.
for _name in list(os.environ):
    if _name.startswith(("AIRFLOW_VAR_METRONOME_NETSUITE_", "AIRFLOW_CONN_", "AIRFLOW__")) or (
        _name in EMULATOR_CREDENTIALS or _name in ("NETSUITE_BASE_URL", "DBT_PROFILES_DIR")
    ):
        del os.environ[_name]
os.environ.update(AIRFLOW_ENVIRONMENT)
WORKSPACE.airflow_home.mkdir(parents=True)


# Seconds taken by the expensive steps, printed at the end of the run.
TIMINGS: dict[str, float] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.section("timings")
        for step, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{seconds:7.1f} s  {step}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Keep the work folder (logs, warehouse, Airflow home) only when something failed."""
    if exitstatus == 0:
        shutil.rmtree(WORK_DIR, ignore_errors=True)
    else:
        print(f"\nwork folder kept for inspection: {WORK_DIR}")


def project_bin(name: str) -> Path:
    path = PROJECT_VENV / "bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make venv` or set PROJECT_VENV", pytrace=False)
    return path


def airflow_bin() -> Path:
    return Path(sys.executable).parent / "airflow"


def run(
    command: Sequence[str | Path],
    *,
    timeout_s: float,
    environment: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command with a time limit; its output goes to `log` (or is captured)."""
    argv = [str(part) for part in command]
    env = {**os.environ, **(environment or {})}
    if log is None:
        return subprocess.run(
            argv,
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    with log.open("w") as handle:
        return subprocess.run(
            argv,
            cwd=PROJECT_DIR,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout_s,
            check=False,
        )


def check(completed: subprocess.CompletedProcess[str], what: str) -> str:
    if completed.returncode != 0:
        pytest.fail(
            f"{what} exited {completed.returncode}:\n{completed.stdout[-4000:]}"
            f"\n{(completed.stderr or '')[-4000:]}",
            pytrace=False,
        )
    return completed.stdout


def dbt(*args: str) -> str:
    return check(
        run(
            [
                project_bin("dbt"),
                *args,
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR / "profiles"),
                "--vars",
                json.dumps(DEMO_DBT_VARS),
                "--target-path",
                str(WORKSPACE.target_dir),
                "--log-path",
                str(WORK_DIR / "dbt_logs"),
            ],
            timeout_s=DBT_TIMEOUT_S,
            environment={"METRONOME_NETSUITE_DUCKDB_PATH": str(WORKSPACE.warehouse)},
        ),
        f"dbt {args[0]}",
    )


@dataclass(frozen=True)
class DbtNode:
    unique_id: str
    name: str
    resource_type: str
    parents: tuple[str, ...]


def dbt_ls(selector: str) -> list[DbtNode]:
    """The models and seeds dbt itself selects with one of selectors.yml's selectors."""
    output = dbt(
        "ls",
        "--selector",
        selector,
        "--resource-type",
        "model",
        "--resource-type",
        "seed",
        "--output",
        "json",
        "--output-keys",
        "unique_id",
        "name",
        "resource_type",
        "depends_on",
        "--quiet",
    )
    nodes = []
    for line in output.splitlines():
        if line.startswith("{"):
            data = json.loads(line)
            nodes.append(
                DbtNode(
                    unique_id=data["unique_id"],
                    name=data["name"],
                    resource_type=data["resource_type"],
                    parents=tuple(data.get("depends_on", {}).get("nodes", [])),
                )
            )
    return nodes


@pytest.fixture(scope="session")
def workspace() -> Iterator[Workspace]:
    yield WORKSPACE


@pytest.fixture(scope="session")
def sample_export(workspace: Workspace) -> Workspace:
    check(
        run(
            [
                project_bin("generate-sample-export"),
                "--root",
                workspace.export_root,
                "--netsuite-reference-out",
                workspace.netsuite_reference,
            ],
            timeout_s=120,
        ),
        "generate-sample-export",
    )
    return workspace


@pytest.fixture(scope="session")
def selected_nodes(sample_export: Workspace) -> dict[str, list[DbtNode]]:
    """dbt's own selection per selector; the first `dbt ls` also writes the manifest."""
    started = time.monotonic()
    nodes = {selector: dbt_ls(selector) for selector in ("invoice_marts", "reconciliation")}
    TIMINGS["dbt ls of both selectors (writes the manifest)"] = time.monotonic() - started
    return nodes


@pytest.fixture(scope="session")
def manifest(selected_nodes: dict[str, list[DbtNode]], workspace: Workspace) -> Path:
    assert workspace.manifest.is_file()
    return workspace.manifest


@pytest.fixture(scope="session")
def airflow_db(workspace: Workspace) -> Path:
    started = time.monotonic()
    check(run([airflow_bin(), "db", "migrate"], timeout_s=300), "airflow db migrate")
    TIMINGS["airflow db migrate (SQLite)"] = time.monotonic() - started
    return workspace.airflow_home


@pytest.fixture(scope="session")
def dagbag(manifest: Path, airflow_db: Path) -> Any:
    from airflow.dag_processing.dagbag import BundleDagBag

    started = time.monotonic()
    bag = BundleDagBag(dag_folder=DAGS_DIR, bundle_path=DAGS_DIR)
    TIMINGS["DagBag load of the DAG folder"] = time.monotonic() - started
    return bag


def query_warehouse(warehouse: Path, sql: str) -> list[list[Any]]:
    """Rows of a query on the DuckDB file, through the project's Python (it has duckdb)."""
    script = (
        "import duckdb, json, sys\n"
        "with duckdb.connect(sys.argv[1], read_only=True) as c:\n"
        "    print(json.dumps(c.execute(sys.argv[2]).fetchall(), default=str))\n"
    )
    output = check(
        run([project_bin("python"), "-c", script, warehouse, sql], timeout_s=60),
        "duckdb query",
    )
    rows: list[list[Any]] = json.loads(output)
    return rows


@dataclass
class Webhook:
    """A local HTTP endpoint standing in for a Slack incoming webhook."""

    url: str
    received: list[dict[str, Any]]

    def texts(self) -> list[str]:
        return [str(body.get("text", "")) for body in self.received]


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append(json.loads(self.rfile.read(length) or b"{}"))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Webhook(
            url=f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts", received=received
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
