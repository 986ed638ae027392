"""Benchmark the dbt build on DuckDB against the engine's floor, and incremental runs.

For each size (line items, approximate) it generates a sample export in the object-storage
layout (10 billing months, 10 lines per invoice), then, in one run on one machine:

- times `dbt run --selector invoice_marts --full-refresh` (staging -> NetSuite marts) as a
  child process, with its peak RSS (os.wait4 rusage of that child: DuckDB runs inside dbt);
- times `scripts/benchmark_floor.sql`, the same transformation as one hand-tuned DuckDB
  script on the same files, in a child process of its own, and checks that its ready marts
  tie out with dbt's (invoice and line counts, total amount);
- repeats both (`--full-repeats`, default 3), interleaved and each from an empty database,
  so that a drift in the machine's speed over the minutes they take falls on both; the
  median of each is its figure;
- appends delta export 1 (about 1% of the invoices: new, corrected, voided, re-delivered)
  and times the incremental `dbt run --selector invoice_marts`; then the same for delta 2.
  The run after delta 1 is the first after the full build; the run after delta 2 is
  like every later scheduled run. Either opens only the export files its delta added
  and recomputes only the invoices its delta changed. One run of a few seconds varies
  by more than a tenth on a shared VM, so each is repeated (`--incremental-repeats`,
  default 5) on a copy of the warehouse as it was before the run, and the median is
  the figure.

Every timed run starts after the disk has settled (`sync`): the warehouse copy, the
generated files and the previous run's writes are on disk, so a run does not pay for
writing back what came before it (its own commits' fsyncs would).

It prints each figure and its ratio: full build / floor, incremental / full build. Seeds
are loaded before the timings; dbt's own start-up and shutdown (about 4 s) are inside
the dbt figures.
`--push-invoices N` also runs scripts/benchmark_push.py at N invoices and prints its lines.

Usage: python scripts/benchmark_build.py [--sizes 100000,1000000,10000000]
       [--workdir data/benchmark] [--full-repeats 3] [--incremental-repeats 5]
       [--push-invoices 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SCRIPTS_DIR = PROJECT_DIR / "scripts"
sys.path.insert(0, str(SCRIPTS_DIR))

from run_demo import DEMO_VARS, bin_path  # noqa: E402

MONTHS = 10
LINES_PER_INVOICE = 10
FLOOR_SQL = SCRIPTS_DIR / "benchmark_floor.sql"
# Delta 1 is the first run after the full build; delta 2 is a run like every later one.
DELTAS = (1, 2)


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mib: float


@dataclass(frozen=True)
class Repeated:
    """The same run repeated from the same starting state: the median is the figure."""

    runs: tuple[Measured, ...]

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def peak_rss_mib(self) -> float:
        return max(run.peak_rss_mib for run in self.runs)

    def spread(self) -> str:
        return ", ".join(f"{run.seconds:.1f}" for run in self.runs)


def remove_database(database: Path) -> None:
    for path in (database, database.with_name(database.name + ".wal")):
        path.unlink(missing_ok=True)


def run_repeated(
    command: list[str], env: dict[str, str], warehouse: Path, repeats: int
) -> Repeated:
    """Run `command` `repeats` times, each from the warehouse as it was before the first.

    The last run's result stays, as if it had run once.
    """
    snapshot = warehouse.with_name(warehouse.name + ".before-run")
    shutil.copyfile(warehouse, snapshot)
    runs = []
    try:
        for repeat in range(repeats):
            if repeat:
                remove_database(warehouse)
                shutil.copyfile(snapshot, warehouse)
            runs.append(run_measured(command, env))
    finally:
        snapshot.unlink()
    return Repeated(tuple(runs))


def run_interleaved(
    runs: dict[str, tuple[Callable[[], None], list[str]]],
    env: dict[str, str],
    repeats: int,
) -> dict[str, Repeated]:
    """Run each named command `repeats` times, interleaved, each after its `prepare` step.

    Round k runs the commands in order when k is even and in reverse when it is odd
    (A B, B A, A B, ...), so a drift of the machine's speed, or whatever one command
    leaves in the page cache, falls on all of them alike. `prepare` resets what the
    command starts from (an empty database) and is not timed.
    """
    names = list(runs)
    measured: dict[str, list[Measured]] = {name: [] for name in names}
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else reversed(names):
            prepare, command = runs[name]
            prepare()
            measured[name].append(run_measured(command, env))
    return {name: Repeated(tuple(measured[name])) for name in names}


def run_measured(command: list[str], env: dict[str, str]) -> Measured:
    """Run `command` to completion, from a settled disk; wall time and the child's peak RSS."""
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{output.decode()[-4000:]}")
    return Measured(seconds, usage.ru_maxrss / 1024)


def customers_for(lines: int) -> int:
    return max(20, round(lines / (MONTHS * LINES_PER_INVOICE)))


def generate(export_root: Path, lines: int) -> None:
    shutil.rmtree(export_root, ignore_errors=True)
    subprocess.run(
        [
            bin_path("generate-sample-export"), "--root", str(export_root),
            "--customers", str(customers_for(lines)), "--months", str(MONTHS),
            "--lines-per-invoice", str(LINES_PER_INVOICE), "--jobs", "2",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def floor_script(export_root: Path, variables: dict[str, object]) -> str:
    destination_field = variables.get("billing_provider_destination_field")
    adjustment_item = variables.get("netsuite_adjustment_item_id")
    values = dict(
        export=export_root,
        seeds=PROJECT_DIR / "seeds",
        customer_field="netsuite_internal_customer_id",
        item_field="netsuite_internal_item_id",
        destination_field=destination_field or "",
        destination_checked="true" if destination_field else "false",
        destination_value="netsuite",
        environment_excluded="coalesce(environment_type, '') <> 'PRODUCTION'",
        adjustment_item=f"'{adjustment_item}'" if adjustment_item else "null",
        separator=" / ",
    )
    script = FLOOR_SQL.read_text()
    for name, value in values.items():
        script = script.replace("{" + name + "}", str(value))
    return script


FLOOR_RUNNER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])
# The same settings as the project's DuckDB profile.
connection.execute("set memory_limit = '4GB'; set TimeZone = 'UTC'")
connection.execute(open(sys.argv[2]).read())
"""


def tie_out(database: Path, prefix: str) -> tuple[int, int, str]:
    import duckdb

    # `prefix` is one of two constants of this script, not input.
    invoices_sql = f"select count(*), sum(total_amount) from main.{prefix}netsuite_invoices"  # noqa: S608
    lines_sql = f"select count(*) from main.{prefix}netsuite_invoice_lines"  # noqa: S608
    with duckdb.connect(str(database), read_only=True) as connection:
        [(invoices, total)] = connection.execute(invoices_sql).fetchall()
        [(lines,)] = connection.execute(lines_sql).fetchall()
    return invoices, lines, str(total)


def line_item_rows(export_root: Path) -> int:
    import duckdb

    with duckdb.connect() as connection:
        query = "select count(*) from read_parquet(?)"
        return connection.execute(query, [f"{export_root}/line_item/*/*.parquet"]).fetchall()[0][0]


def benchmark_size(lines: int, workdir: Path, args: argparse.Namespace) -> None:
    directory = workdir / f"lines_{lines}"
    directory.mkdir(parents=True, exist_ok=True)
    export_root = directory / "export"
    started = time.perf_counter()
    generate(export_root, lines)
    generated_in = time.perf_counter() - started
    variables = {**DEMO_VARS, "metronome_export_path": str(export_root)}
    warehouse = directory / "dbt.duckdb"
    floor_warehouse = directory / "floor.duckdb"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "METRONOME_NETSUITE_DUCKDB_PATH": str(warehouse),
    }
    dbt = [bin_path("dbt"), "--quiet"]
    vars_json = json.dumps(variables)

    def empty_warehouse() -> None:
        remove_database(warehouse)
        run_measured([*dbt, "seed", "--vars", vars_json], env)

    script = directory / "floor.sql"
    script.write_text(floor_script(export_root, variables))
    builds = run_interleaved(
        {
            "floor": (
                lambda: remove_database(floor_warehouse),
                [sys.executable, "-c", FLOOR_RUNNER, str(floor_warehouse), str(script)],
            ),
            "full": (
                empty_warehouse,
                [*dbt, "run", "--selector", "invoice_marts", "--full-refresh",
                 "--vars", vars_json],
            ),
        },
        env,
        args.full_repeats,
    )  # fmt: skip
    floor, full = builds["floor"], builds["full"]

    dbt_figures = tie_out(warehouse, "")
    floor_figures = tie_out(floor_warehouse, "floor_")

    incremental_runs = []
    for delta in DELTAS:
        subprocess.run(
            [bin_path("generate-sample-export"), "--root", str(export_root), "--customers",
             str(customers_for(lines)), "--months", str(MONTHS), "--lines-per-invoice",
             str(LINES_PER_INVOICE), "--delta", str(delta)],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        incremental_runs.append(
            run_repeated(
                [*dbt, "run", "--selector", "invoice_marts", "--vars", vars_json],
                env,
                warehouse,
                args.incremental_repeats,
            )
        )

    rows = line_item_rows(export_root)
    print(f"\n== {rows:,} line item rows ({customers_for(lines):,} customers, {MONTHS} months)")
    print(f"  export generated in           {generated_in:8.1f} s (not part of the ratios)")
    timings = (
        ("floor (one DuckDB script)", floor, ""),
        ("dbt full build", full, f"= {full.seconds / floor.seconds:.2f} x floor"),
        *(
            (
                f"dbt incremental after delta {delta}",
                incremental,
                f"= {incremental.seconds / full.seconds:.1%} of full",
            )
            for delta, incremental in zip(DELTAS, incremental_runs, strict=True)
        ),
    )
    for label, measured, ratio in timings:
        print(
            f"  {label:30s}{measured.seconds:8.1f} s"
            f"   peak RSS {measured.peak_rss_mib:6.0f} MiB   {ratio}"
        )
    print(f"  floor: median of {floor.spread()} s")
    print(f"  full build: median of {full.spread()} s")
    for delta, incremental in zip(DELTAS, incremental_runs, strict=True):
        print(f"  incremental after delta {delta}: median of {incremental.spread()} s")
    for name, (invoices, line_count, total) in (("dbt", dbt_figures), ("floor", floor_figures)):
        print(
            f"  ready marts, {name:5s} {invoices:,} invoices, {line_count:,} lines, total {total}"
        )
    if dbt_figures != floor_figures:
        print("  WARNING: the floor's ready marts differ from dbt's; its time is not comparable")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument(
        "--workdir", type=Path, default=PROJECT_DIR / "data" / "benchmark", help="scratch space"
    )
    parser.add_argument(
        "--full-repeats",
        type=int,
        default=3,
        help="times the floor and the full build each run, interleaved (medians reported)",
    )
    parser.add_argument(
        "--incremental-repeats",
        type=int,
        default=5,
        help="times each incremental run is repeated from the same state (median reported)",
    )
    parser.add_argument("--push-invoices", type=int, default=0)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; DuckDB memory_limit 4GB (the project's profile)")
    for size in (int(value) for value in args.sizes.split(",")):
        benchmark_size(size, args.workdir, args)
    if args.push_invoices:
        print(f"\n== push, {args.push_invoices:,} invoices (scripts/benchmark_push.py)")
        sys.stdout.flush()
        subprocess.run(
            [
                sys.executable,
                str(SCRIPTS_DIR / "benchmark_push.py"),
                "--sizes",
                str(args.push_invoices),
            ],
            cwd=PROJECT_DIR,
            check=True,
        )


if __name__ == "__main__":
    main()
