"""Build the dbt project on a generated sample export, for end-to-end tests.

The demo (scripts/run_demo.py) owns the paths, the environment and the
generator call; this only adds a dbt run whose output a test can read.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
from run_demo import PROJECT_DIR, Demo, bin_path, demo_vars, project_environment

__all__ = [
    "PROJECT_DIR",
    "BuiltWarehouse",
    "append_delta",
    "build_demo_warehouse",
    "dbt_environment",
    "generate_export",
    "run_dbt",
    "run_dbt_or_fail",
]

dbt_environment = project_environment


@dataclass(frozen=True)
class BuiltWarehouse:
    duckdb_path: Path
    export_root: Path
    expected_dispositions: Path
    netsuite_reference: Path
    dbt_output: str


def run_dbt(duckdb_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [bin_path("dbt"), *arguments],
        cwd=PROJECT_DIR,
        env=project_environment(duckdb_path),
        capture_output=True,
        text=True,
        check=False,
    )


def run_dbt_or_fail(
    duckdb_path: Path, command: str, variables: dict[str, object], *arguments: str
) -> str:
    """Run `dbt <command>` with `variables`; return its output, or fail with its log tail."""
    result = run_dbt(duckdb_path, command, "--vars", json.dumps(variables), *arguments)
    if result.returncode != 0:
        raise AssertionError(f"dbt {command} failed:\n{result.stdout[-6000:]}\n{result.stderr}")
    return result.stdout


def generate_export(directory: Path) -> tuple[Path, Path, Path]:
    demo = Demo(directory)
    demo.generate_export()
    return demo.export_root, demo.expected_dispositions, demo.netsuite_reference


def build_demo_warehouse(directory: Path) -> BuiltWarehouse:
    """Generate the default sample export and `dbt build` it with the demo's vars."""
    export_root, expected, reference = generate_export(directory)
    duckdb_path = directory / "warehouse.duckdb"
    output = run_dbt_or_fail(duckdb_path, "build", demo_vars(export_root))
    return BuiltWarehouse(duckdb_path, export_root, expected, reference, output)


def append_delta(export_root: Path, number: int, expected_out: Path) -> frozenset[str]:
    """Append delta `number`; return the ids of the invoices and customers its files carry."""
    before = set(export_root.rglob("*.parquet"))
    subprocess.run(
        [
            bin_path("generate-sample-export"), "--root", str(export_root),
            "--delta", str(number), "--expected-out", str(expected_out),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    new_files = set(export_root.rglob("*.parquet")) - before
    ids: set[str] = set()
    with duckdb.connect() as connection:
        for table, column in (("invoice", "id"), ("line_item", "invoice_id"), ("customer", "id")):
            files = sorted(str(path) for path in new_files if path.parts[-3] == table)
            if files:
                query = f"select distinct {column} from read_parquet(?)"
                ids |= {row[0] for row in connection.execute(query, [files]).fetchall()}
    return frozenset(ids)
