"""Benchmark `netsuite-sync push` against the local emulator.

For each size it generates a DuckDB file with the mart columns (N synthetic invoices of
3 lines), starts the emulator in this process with latency L and concurrency limit C, runs
`python -m netsuite_sync push --concurrency C` as a child process, and prints:

- throughput in invoices/s, measured from the first to the last upsert the emulator saw
  (the child's ~2 s start-up is reported separately as wall time);
- its ratio to the ceiling C / L (C requests in flight, each taking at least L);
- the share of CPU time the host took from this VM meanwhile ("steal", from /proc/stat):
  the push waits on latency, so on a busy host it is slower without using more CPU;
- the peak RSS of the push process (os.wait4 rusage of that one child) and, with
  --tracemalloc, its Python heap peak: the marts are read one keyset page at a time and
  the push log is appended in batches, so neither grows with N (RSS moves a little with
  DuckDB's own page cache of the larger file).

Usage: python scripts/benchmark_push.py [--latency-ms 50] [--concurrency 5]
       [--sizes 1000,50000] [--tracemalloc]

With the defaults it takes about 12 minutes: the ceiling is 100 invoices/s, so 50k
invoices need at least 500 s (550-840 s measured on 2 cores). --tracemalloc roughly
halves throughput, so read throughput from a run without it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
from netsuite_sync.emulator import EmulatorConfig, FaultSettings, running_emulator

CREDENTIALS = {
    "NETSUITE_ACCOUNT_ID": "BENCH_1",
    "NETSUITE_CONSUMER_KEY": "bench-consumer-key",
    "NETSUITE_CONSUMER_SECRET": "bench-consumer-secret",
    "NETSUITE_TOKEN_ID": "bench-token-id",
    "NETSUITE_TOKEN_SECRET": "bench-token-secret",
}

MARTS_SQL = """
create or replace table main.netsuite_invoices as
select
    'BENCH-' || lpad(cast(i as varchar), 7, '0') as external_id,
    cast(101 + i % 50 as varchar) as netsuite_customer_id,
    date '2024-02-01' as tran_date,
    date '2024-01-01' as start_date,
    date '2024-01-31' as end_date,
    'USD' as currency,
    2 as currency_minor_unit_digits,
    '1' as netsuite_currency_id,
    cast(null as varchar) as netsuite_custom_form_id,
    cast(null as varchar) as netsuite_subsidiary_id,
    cast(36.00 as decimal(38, 4)) as total_amount,
    3 as line_count,
    md5(cast(i as varchar)) as payload_hash,
    'mc-' || cast(i % 50 as varchar) as metronome_customer_id,
    date '2024-01-01' as billing_month
from range({n}) as t(i);

create or replace table main.netsuite_invoice_lines as
select
    i.external_id,
    i.external_id || '-li' || cast(l.n as varchar) as line_external_id,
    cast(l.n as integer) as line_number,
    i.netsuite_customer_id,
    cast(200 + l.n as varchar) as netsuite_item_id,
    i.tran_date,
    i.start_date,
    i.end_date,
    i.currency,
    cast(1 as decimal(38, 6)) as quantity,
    cast(8 + 2 * l.n as decimal(38, 8)) as rate,
    -- 10.00 + 12.00 + 14.00 = the invoice total of 36.00
    cast(8 + 2 * l.n as decimal(38, 4)) as amount,
    'Synthetic usage line ' || cast(l.n as varchar) as description,
    i.metronome_customer_id,
    'prod-' || cast(l.n as varchar) as metronome_product_id
from main.netsuite_invoices as i
cross join range(1, 4) as l(n);
"""


# The push under tracemalloc, writing the Python heap peak where the parent reads it.
TRACED_PUSH = """
import os, sys, tracemalloc
tracemalloc.start()
from netsuite_sync.cli import main
code = main(sys.argv[1:])
with open(os.environ["BENCH_HEAP_FILE"], "w") as handle:
    handle.write(str(tracemalloc.get_traced_memory()[1]))
sys.exit(code)
"""


def cpu_ticks() -> tuple[int, int]:
    """(all, stolen) CPU ticks since boot from /proc/stat; (0, 0) where there is none.

    On a VM, "steal" is time the host gave our virtual CPUs to someone else. The push
    waits on latency, so a busy host shows as lower throughput; the share is printed
    with each figure so a run on a noisy host can be read as such.
    """
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(fields), fields[7] if len(fields) > 7 else 0


@dataclass(frozen=True)
class Result:
    invoices: int
    push_seconds: float
    wall_seconds: float
    peak_rss_mib: float
    exit_code: int
    steal_share: float
    python_heap_peak_mib: float | None = None

    @property
    def throughput(self) -> float:
        return self.invoices / self.push_seconds if self.push_seconds > 0 else 0.0


def write_project(folder: Path, invoices: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "bench.duckdb"
    database.unlink(missing_ok=True)
    with duckdb.connect(str(database)) as connection:
        connection.execute(MARTS_SQL.format(n=invoices))
    (folder / "dbt_project.yml").write_text("name: bench\nprofile: bench\n", encoding="utf-8")
    (folder / "profiles.yml").write_text(
        "bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{database}'\n      schema: main\n",
        encoding="utf-8",
    )
    return ["--project-dir", str(folder), "--profiles-dir", str(folder)]


def run_one(
    invoices: int, latency_ms: int, concurrency: int, workdir: Path, *, trace: bool
) -> Result:
    project_args = write_project(workdir / f"n{invoices}", invoices)
    config = EmulatorConfig.from_environment(
        **{k.removeprefix("NETSUITE_").lower(): v for k, v in CREDENTIALS.items()},
        concurrency_limit=concurrency,
        faults=FaultSettings(latency_ms=latency_ms),
    )
    with running_emulator(config) as server:
        env = {**os.environ, **CREDENTIALS, "NETSUITE_BASE_URL": server.base_url}
        push_args = [
            "push",
            *project_args,
            "--concurrency",
            str(concurrency),
            "--no-progress",
        ]
        runner = ["-c", TRACED_PUSH] if trace else ["-m", "netsuite_sync"]
        heap_file = workdir / f"n{invoices}" / "python_heap_peak.txt"
        env["BENCH_HEAP_FILE"] = str(heap_file)
        started = time.monotonic()
        ticks_before = cpu_ticks()
        child = subprocess.Popen(
            [sys.executable, *runner, *push_args], env=env, stdout=subprocess.DEVNULL
        )
        reaped: dict[str, int] = {}
        done = threading.Event()

        def reap() -> None:
            # wait4 gives the rusage of this one child: its own peak RSS.
            _, status, usage = os.wait4(child.pid, 0)
            reaped["exit_code"] = os.waitstatus_to_exitcode(status)
            reaped["max_rss_kib"] = usage.ru_maxrss
            done.set()

        threading.Thread(target=reap, daemon=True).start()
        first = last = None
        while not done.wait(0.02):
            created = server.stats()["upserts"]["created"]
            now = time.monotonic()
            if created and first is None:
                first = now
            if created >= invoices and last is None:
                last = now
        wall = time.monotonic() - started
        ticks_after = cpu_ticks()
        child.returncode = reaped["exit_code"]  # reaped by wait4, tell Popen
        last = last or time.monotonic()
    return Result(
        invoices=invoices,
        push_seconds=(last - first) if first else 0.0,
        wall_seconds=wall,
        peak_rss_mib=reaped["max_rss_kib"] / 1024,
        exit_code=reaped["exit_code"],
        steal_share=(ticks_after[1] - ticks_before[1]) / max(ticks_after[0] - ticks_before[0], 1),
        python_heap_peak_mib=int(heap_file.read_text()) / 2**20 if trace else None,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=int, default=50, help="emulator latency (> 0)")
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--sizes", default="1000,50000")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also report the Python heap peak of the push (tracing slows it down)",
    )
    args = parser.parse_args()
    if args.latency_ms <= 0 or args.concurrency < 1:
        parser.error("--latency-ms must be > 0 and --concurrency >= 1")
    ceiling = args.concurrency / (args.latency_ms / 1000)
    print(
        f"emulator latency L = {args.latency_ms} ms, concurrency limit C = {args.concurrency}: "
        f"ceiling C/L = {ceiling:.0f} invoices/s"
    )
    print(
        f"{'invoices':>9} {'push s':>8} {'wall s':>8} {'inv/s':>8} {'of C/L':>7} {'peak RSS':>10}"
        f" {'host steal':>11}"
    )
    with tempfile.TemporaryDirectory(prefix="netsuite-bench-") as scratch:
        workdir = args.workdir or Path(scratch)
        for size in (int(part) for part in args.sizes.split(",")):
            result = run_one(
                size, args.latency_ms, args.concurrency, workdir, trace=args.tracemalloc
            )
            print(
                f"{result.invoices:>9} {result.push_seconds:>8.1f} {result.wall_seconds:>8.1f} "
                f"{result.throughput:>8.1f} {result.throughput / ceiling:>7.0%} "
                f"{result.peak_rss_mib:>7.0f} MiB {result.steal_share:>11.1%}"
                + (
                    f"  (Python heap peak {result.python_heap_peak_mib:.1f} MiB)"
                    if result.python_heap_peak_mib is not None
                    else ""
                )
                + ("" if result.exit_code == 0 else f"  (exit {result.exit_code})"),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
