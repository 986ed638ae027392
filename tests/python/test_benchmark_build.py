"""The build benchmark's repeated runs: same starting state, interleaved, median figure."""

from __future__ import annotations

import sys
from pathlib import Path

from benchmark_build import Measured, Repeated, run_interleaved, run_repeated


def test_every_repeat_starts_from_the_warehouse_before_the_first(tmp_path: Path) -> None:
    warehouse = tmp_path / "dbt.duckdb"
    warehouse.write_text("before\n")
    appends_a_run = [sys.executable, "-c", f"open({str(warehouse)!r}, 'a').write('run\\n')"]

    repeated = run_repeated(appends_a_run, {}, warehouse, repeats=3)

    assert len(repeated.runs) == 3
    # The last run's result stays, as after a single run; the snapshot is gone.
    assert warehouse.read_text() == "before\nrun\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dbt.duckdb"]


def test_the_figure_is_the_median_run_and_the_largest_peak() -> None:
    repeated = Repeated((Measured(30.0, 100.0), Measured(10.0, 300.0), Measured(20.0, 200.0)))

    assert repeated.seconds == 20.0
    assert repeated.peak_rss_mib == 300.0
    assert repeated.spread() == "30.0, 10.0, 20.0"


def test_interleaved_runs_alternate_their_order_and_each_starts_prepared(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("")

    def appends(word: str) -> list[str]:
        return [sys.executable, "-c", f"open({str(log)!r}, 'a').write({word!r} + ' ')"]

    def prepare(word: str):
        return lambda: log.write_text(log.read_text() + f"prepare-{word} ")

    repeated = run_interleaved(
        {"floor": (prepare("floor"), appends("floor")), "full": (prepare("full"), appends("full"))},
        {},
        repeats=3,
    )

    assert log.read_text().split() == [
        "prepare-floor", "floor", "prepare-full", "full",
        "prepare-full", "full", "prepare-floor", "floor",
        "prepare-floor", "floor", "prepare-full", "full",
    ]  # fmt: skip
    assert [len(repeated[name].runs) for name in ("floor", "full")] == [3, 3]
