"""The main job on the embedded default, end to end on one laptop.

1. generate a sample Metronome export (object-storage layout);
2. `dbt build` the invoice marts on DuckDB;
3. start the local NetSuite emulator, with a little of NetSuite's flakiness
   switched on, and stage the history NetSuite already has;
4. `netsuite-sync push` the ready invoices;
5. stage what people change in NetSuite after a push;
6. `netsuite-sync pull` NetSuite's invoices back;
7. `dbt build` the reconciliation models, write the HTML reconciliation
   report and print the summary.

Run it with `make demo`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import netsuite_demo_scenarios

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"

# The sample export routes a few customers to another billing system and has
# adjustment lines without a product, so the demo turns on the destination
# filter and names the NetSuite item that adjustments post to.
DEMO_VARS: dict[str, object] = {
    "billing_provider_destination_field": "billing_provider_destination",
    "netsuite_adjustment_item_id": "9001",
}
# Credentials of the local emulator only; a real account's come from your
# environment, never from code.
EMULATOR_CREDENTIALS = {
    "NETSUITE_ACCOUNT_ID": "1234567_SB1",
    "NETSUITE_CONSUMER_KEY": "demo-consumer-key",
    "NETSUITE_CONSUMER_SECRET": "demo-consumer-secret",
    "NETSUITE_TOKEN_ID": "demo-token-id",
    "NETSUITE_TOKEN_SECRET": "demo-token-secret",
}
# A few 5xx answers and connections dropped after NetSuite committed: the push
# retries through them without creating a single duplicate.
EMULATOR_FAULTS = ["--error-rate", "0.05", "--drop-after-commit-rate", "0.03", "--seed", "7"]
RECONCILIATION_SELECTOR = "reconciliation"


def demo_vars(export_root: Path) -> dict[str, object]:
    return {**DEMO_VARS, "metronome_export_path": str(export_root)}


def project_environment(warehouse: Path) -> dict[str, str]:
    """The environment dbt and netsuite-sync run in: the project's profile, a
    DuckDB file of one's own, and no calls home."""
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "METRONOME_NETSUITE_DUCKDB_PATH": str(warehouse),
    }


def bin_path(name: str) -> str:
    return str(Path(sys.executable).parent / name)


class Demo:
    """One run of the loop against a data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.export_root = data_dir / "metronome_export"
        self.expected_dispositions = data_dir / "expected_dispositions.csv"
        self.netsuite_reference = data_dir / "netsuite_reference.json"
        self.warehouse = data_dir / "metronome_netsuite.duckdb"
        self.environment = {**project_environment(self.warehouse), **EMULATOR_CREDENTIALS}

    def run(self, command: list[str], *, allowed_exit_codes: tuple[int, ...] = (0,)) -> int:
        print("+", Path(command[0]).name, *command[1:], flush=True)
        completed = subprocess.run(command, cwd=PROJECT_DIR, env=self.environment, check=False)
        if completed.returncode not in allowed_exit_codes:
            raise SystemExit(f"{command[0]} exited with {completed.returncode}")
        return completed.returncode

    def generate_export(self) -> None:
        self.run([
            bin_path("generate-sample-export"),
            "--root", str(self.export_root),
            "--expected-out", str(self.expected_dispositions),
            "--netsuite-reference-out", str(self.netsuite_reference),
        ])  # fmt: skip

    def dbt_build(self, *selection: str) -> None:
        vars_json = json.dumps(demo_vars(self.export_root))
        self.run([bin_path("dbt"), "build", "--vars", vars_json, *selection])

    @contextmanager
    def emulator(self) -> Iterator[str]:
        process = subprocess.Popen(
            [
                bin_path("netsuite-sync"), "emulator", "--port", "0",
                "--reference-data", str(self.netsuite_reference), *EMULATOR_FAULTS,
            ],
            cwd=PROJECT_DIR,
            env=self.environment,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            banner = process.stdout.readline().strip()
            if "listening on " not in banner:
                raise SystemExit(f"the NetSuite emulator did not start: {banner!r}")
            base_url = banner.rsplit(" ", 1)[-1]
            print(f"NetSuite emulator at {base_url}", flush=True)
            self.environment["NETSUITE_BASE_URL"] = base_url
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=10)

    def push(self) -> int:
        # Exit status 1 is expected here: one invoice maps to a NetSuite item
        # the account does not have, and NetSuite rejects it.
        return self.run(
            [bin_path("netsuite-sync"), "push", "--no-progress"], allowed_exit_codes=(0, 1)
        )

    def pull(self) -> None:
        self.run([bin_path("netsuite-sync"), "pull"])

    def report(self) -> Path:
        path = self.data_dir / "reconciliation_report.html"
        self.run([bin_path("netsuite-sync"), "report", str(path)])
        return path

    def rejected_invoices(self) -> set[str]:
        reference = json.loads(self.netsuite_reference.read_text())
        return set(reference.get("push_rejected_invoice_ids", []))

    def reconciliation_counts(self) -> list[tuple[str, int, object]]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(
                """
                select status, count(*), sum(coalesce(metronome_total, 0))
                from main.reconciliation_invoices
                group by status
                order by count(*) desc, status
                """
            ).fetchall()

    def loop(self) -> list[tuple[str, int, object]]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.warehouse.unlink(missing_ok=True)
        self.generate_export()
        self.dbt_build()
        with self.emulator() as base_url:
            netsuite_demo_scenarios.stage_history_before_push(base_url, self.warehouse)
            self.push()
            netsuite_demo_scenarios.stage_edits_after_push(
                base_url, self.warehouse, self.rejected_invoices()
            )
            self.pull()
        self.dbt_build("--selector", RECONCILIATION_SELECTOR)
        self.report()
        return self.reconciliation_counts()


def main() -> int:
    counts = Demo(DATA_DIR).loop()
    print("\nReconciliation: Metronome vs NetSuite")
    print(f"  {'status':<24} {'invoices':>8} {'Metronome total':>16}")
    for status, invoices, total in counts:
        print(f"  {status:<24} {invoices:>8} {total:>16}")
    print("\nDetails: main.reconciliation_invoices in data/metronome_netsuite.duckdb")
    print(f"Report:  {DATA_DIR / 'reconciliation_report.html'} (open it in a browser)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
