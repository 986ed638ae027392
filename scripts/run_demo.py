"""The main job on the embedded default, end to end on one laptop.

Generates a sample Metronome export, builds the dbt project on DuckDB against
it, and prints where every invoice ended up. Run it with `make demo`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
EXPORT_ROOT = DATA_DIR / "metronome_export"
EXPECTED_DISPOSITIONS = DATA_DIR / "expected_dispositions.csv"
NETSUITE_REFERENCE = DATA_DIR / "netsuite_reference.json"

# The sample export routes a few customers to another billing system and has
# adjustment lines without a product, so the demo turns on the destination
# filter and names the NetSuite item that adjustments post to.
DEMO_VARS: dict[str, object] = {
    "billing_provider_destination_field": "billing_provider_destination",
    "netsuite_adjustment_item_id": "9001",
}


def demo_vars(export_root: Path = EXPORT_ROOT) -> dict[str, object]:
    return {**DEMO_VARS, "metronome_export_path": str(export_root)}


def duckdb_path() -> Path:
    return Path(
        os.environ.get(
            "METRONOME_NETSUITE_DUCKDB_PATH", str(DATA_DIR / "metronome_netsuite.duckdb")
        )
    )


def run(command: list[str]) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=PROJECT_DIR)


def bin_path(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def generate_export() -> None:
    run(
        [
            bin_path("generate-sample-export"),
            "--root",
            str(EXPORT_ROOT),
            "--expected-out",
            str(EXPECTED_DISPOSITIONS),
            "--netsuite-reference-out",
            str(NETSUITE_REFERENCE),
        ]
    )


def dbt_build(*selection: str) -> None:
    run([bin_path("dbt"), "build", "--vars", json.dumps(demo_vars()), *selection])


def print_dispositions() -> None:
    with duckdb.connect(str(duckdb_path()), read_only=True) as connection:
        rows = connection.execute(
            """
            select disposition, coalesce(reason_code, '') as reason_code, count(*)
            from main.invoice_dispositions
            group by all
            order by disposition desc, reason_code
            """
        ).fetchall()
    print("\nInvoice dispositions")
    for disposition, reason_code, invoices in rows:
        print(f"  {disposition:<9} {reason_code:<28} {invoices:>6}")


def main() -> int:
    DATA_DIR.mkdir(exist_ok=True)
    generate_export()
    dbt_build()
    print_dispositions()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
