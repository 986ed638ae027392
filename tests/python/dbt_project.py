"""Build the dbt project on a generated sample export, for end-to-end tests.

The demo (scripts/run_demo.py) owns the paths, the environment and the
generator call; this only adds a dbt run whose output a test can read.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from run_demo import PROJECT_DIR, Demo, bin_path, demo_vars, project_environment

__all__ = [
    "PROJECT_DIR",
    "BuiltWarehouse",
    "build_demo_warehouse",
    "dbt_environment",
    "generate_export",
    "run_dbt",
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


def generate_export(directory: Path) -> tuple[Path, Path, Path]:
    demo = Demo(directory)
    demo.generate_export()
    return demo.export_root, demo.expected_dispositions, demo.netsuite_reference


def build_demo_warehouse(directory: Path) -> BuiltWarehouse:
    """Generate the default sample export and `dbt build` it with the demo's vars."""
    export_root, expected, reference = generate_export(directory)
    duckdb_path = directory / "warehouse.duckdb"
    result = run_dbt(duckdb_path, "build", "--vars", json.dumps(demo_vars(export_root)))
    if result.returncode != 0:
        raise AssertionError(f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr}")
    return BuiltWarehouse(duckdb_path, export_root, expected, reference, result.stdout)
