"""The CSV invoice import template: one row per line, External ID on every row."""

from __future__ import annotations

import csv

from netsuite_sync.cli import main
from netsuite_sync.csv_export import HEADER


def read_csv(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_csv_has_one_row_per_line_with_the_external_id_repeated(
    sync_project, mart_types, tmp_path, capsys
):
    invoice, line = mart_types
    sync_project.write_marts(
        [
            invoice(
                "INV-1",
                "101",
                "USD",
                (
                    line("201", "1500", "0.01", "15.00", "API, calls"),
                    line("202", "1", None, "-2.00", "Credit"),
                ),
                currency_id="1",
                form_id="123",
                subsidiary_id="2",
            ),
            invoice("INV-2", "102", "EUR", (line("203", "2", "3.5", "7.00", "Seats"),)),
        ]
    )
    path = tmp_path / "out" / "invoices.csv"
    assert main(["export-csv", str(path), *sync_project.cli_args()], env={}) == 0
    assert read_csv(path) == [
        list(HEADER),
        [
            "INV-1",
            "101",
            "2024-02-01",
            "2024-02-01",
            "2024-02-28",
            "1",
            "201",
            "1500",
            "0.01",
            "15.00",
            "API, calls",
            "INV-1-li1",
            "123",
            "2",
        ],
        [
            "INV-1",
            "101",
            "2024-02-01",
            "2024-02-01",
            "2024-02-28",
            "1",
            "202",
            "1",
            "",
            "-2.00",
            "Credit",
            "INV-1-li2",
            "123",
            "2",
        ],
        [
            "INV-2",
            "102",
            "2024-02-01",
            "2024-02-01",
            "2024-02-28",
            "",
            "203",
            "2",
            "3.5",
            "7.00",
            "Seats",
            "INV-2-li1",
            "",
            "",
        ],
    ]
    assert "2 invoices, 3 lines" in capsys.readouterr().err


def test_csv_follows_the_push_selection_and_reports_invalid_invoices(
    sync_project, mart_types, tmp_path, start_emulator, netsuite_env, capsys
):
    invoice, line = mart_types
    good = invoice("INV-1", "101", "USD", (line("201", "1", "1", "1.00", "a"),), currency_id="1")
    sync_project.write_marts([good])
    with start_emulator() as server:
        env = {**netsuite_env, "NETSUITE_BASE_URL": server.base_url}
        assert main(["push", *sync_project.cli_args(), "--no-progress"], env=env) == 0
    invalid = invoice(
        "INV-2", "101", "USD", (line("201", "1", "1", "1.005", "a"),), currency_id="1"
    )
    sync_project.write_marts([good, invalid])
    path = tmp_path / "pending.csv"
    capsys.readouterr()
    assert main(["export-csv", str(path), *sync_project.cli_args()], env={}) == 1
    assert read_csv(path) == [list(HEADER)]
    err = capsys.readouterr().err
    assert "1 unchanged left out (use --all to include them), 1 invalid" in err
    assert "INV-2: LOCAL_VALIDATION - total_amount 1.0050 has more than 2 decimals" in err
    assert main(["export-csv", str(path), "--all", *sync_project.cli_args()], env={}) == 1
    assert [row[0] for row in read_csv(path)] == ["External ID", "INV-1"]
