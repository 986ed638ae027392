"""Build the dbt project on a generated sample export, for end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import run_demo

PROJECT_DIR = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class BuiltWarehouse:
    duckdb_path: Path
    export_root: Path
    expected_dispositions: Path
    netsuite_reference: Path
    dbt_output: str


def dbt_environment(duckdb_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "METRONOME_NETSUITE_DUCKDB_PATH": str(duckdb_path),
    }


def run_dbt(duckdb_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    dbt = str(Path(sys.executable).parent / "dbt")
    return subprocess.run(
        [dbt, *arguments],
        cwd=PROJECT_DIR,
        env=dbt_environment(duckdb_path),
        capture_output=True,
        text=True,
        check=False,
    )


def generate_export(directory: Path) -> tuple[Path, Path, Path]:
    export_root = directory / "metronome_export"
    expected = directory / "expected_dispositions.csv"
    reference = directory / "netsuite_reference.json"
    generator = str(Path(sys.executable).parent / "generate-sample-export")
    subprocess.run(
        [
            generator,
            "--root",
            str(export_root),
            "--expected-out",
            str(expected),
            "--netsuite-reference-out",
            str(reference),
        ],
        check=True,
        capture_output=True,
    )
    return export_root, expected, reference


def build_demo_warehouse(directory: Path) -> BuiltWarehouse:
    """Generate the default sample export and `dbt build` it with the demo's vars."""
    export_root, expected, reference = generate_export(directory)
    duckdb_path = directory / "warehouse.duckdb"
    result = run_dbt(duckdb_path, "build", "--vars", json.dumps(run_demo.demo_vars(export_root)))
    if result.returncode != 0:
        raise AssertionError(f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr}")
    return BuiltWarehouse(duckdb_path, export_root, expected, reference, result.stdout)
