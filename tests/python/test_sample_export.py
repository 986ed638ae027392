"""The sample export generator: layout, determinism and the planted scenarios.

`_classify` below is an independent reading of the project's disposition rules, used only to
prove that the data really exhibits what the manifest promises for each invoice.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sample_export import cli
from sample_export.catalog import ADJUSTMENT_ITEM_ID
from sample_export.scenarios import (
    base_invoice_count,
    delta_sizes,
    expected_counts,
    override_seed_rows,
)

REPO = Path(__file__).resolve().parents[2]
TABLES = ("customer", "invoice", "line_item", "product", "credit_type")
LAYOUT = re.compile(
    r"^(?P<table>customer|invoice|line_item|product|credit_type)"
    r"/dt=(?P<dt>\d{4}-\d{2}-\d{2})/[A-Za-z0-9-]+_(?P<ts>\d{14})\.parquet$"
)
SUPPORTED_CREDIT_TYPES = {"USD (cents)", "EUR (cents)"}
CENT = Decimal("0.01")


def _generate(root: Path, *extra: str) -> tuple[Path, Path]:
    expected = root / "expected.csv"
    reference = root / "netsuite_reference.json"
    argv = ["--root", str(root), "--expected-out", str(expected)]
    argv += ["--netsuite-reference-out", str(reference), *extra]
    assert cli.main(argv) == 0
    return expected, reference


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    _generate(root)
    return root


@pytest.fixture(scope="module")
def manifest(export: Path) -> dict[str, dict[str, str]]:
    with (export / "expected.csv").open(newline="") as handle:
        return {row["invoice_id"]: row for row in csv.DictReader(handle)}


def _parquet_files(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*.parquet"))


def _all_rows(root: Path, table: str, files: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every delivered row (of `files`, default all) with its transfer timestamp, in file then
    row order."""
    rows = []
    for relative in sorted(_parquet_files(root) if files is None else files):
        match = LAYOUT.match(relative)
        assert match is not None
        if match["table"] == table:
            for row in pq.read_table(root / relative).to_pylist():
                rows.append({**row, "_transfer": match["ts"], "_file": relative})
    return rows


def _latest(
    root: Path, table: str, files: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Newest row per id: max updated_at, then the later transfer timestamp."""
    latest: dict[str, dict[str, Any]] = {}
    for row in _all_rows(root, table, files):
        key = (row["updated_at"], row["_transfer"], row["_file"])
        current = latest.get(row["id"])
        if current is None or key > (current["updated_at"], current["_transfer"], current["_file"]):
            latest[row["id"]] = row
    return latest


def _json_object(text: str | None) -> tuple[bool, dict[str, Any]]:
    if text is None:
        return True, {}
    try:
        return True, json.loads(text)
    except json.JSONDecodeError:
        return False, {}


def _item_id(product: dict[str, Any]) -> str | None:
    return _json_object(product["custom_fields"])[1].get("netsuite_internal_item_id")


def _cents(amount: Decimal) -> Decimal:
    return (amount / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _classify(
    invoice: dict[str, Any],
    lines: list[dict[str, Any]],
    customers: dict[str, dict[str, Any]],
    products: dict[str, dict[str, Any]],
) -> tuple[str, str]:
    overrides = override_seed_rows()
    customer_overrides = dict(overrides["customers"])
    item_overrides = dict(overrides["products"])
    customer = customers.get(invoice["customer_id"])
    customer_json_ok, customer_fields = _json_object(customer and customer["custom_fields"])
    nonzero = [line for line in lines if line["total"] != 0]
    line_products = [products[line["product_id"]] for line in lines if line["product_id"]]

    if invoice["environment_type"] != "PRODUCTION":
        return "excluded", "environment_not_selected"
    if invoice["status"] == "VOID":
        return "excluded", "void"
    if customer_fields.get("billing_provider_destination", "netsuite") != "netsuite":
        return "excluded", "not_netsuite_destination"
    if invoice["total"] is not None and _cents(invoice["total"]) == 0:
        return "excluded", "zero_total"
    required = ("customer_id", "total", "credit_type_id", "start_timestamp", "end_timestamp")
    if any(invoice[column] is None for column in required):
        return "held", "missing_required_field"
    customer_override = customer_overrides.get(invoice["customer_id"])
    bad_products = [
        product
        for product in line_products
        if not _json_object(product["custom_fields"])[0] and product["id"] not in item_overrides
    ]
    if (not customer_json_ok and customer_override is None) or bad_products:
        return "held", "invalid_custom_fields_json"
    if customer is None or not (
        customer_override or customer_fields.get("netsuite_internal_customer_id")
    ):
        return "held", "missing_customer_mapping"
    credit_types = {invoice["credit_type_name"]} | {line["credit_type_name"] for line in lines}
    if not credit_types <= SUPPORTED_CREDIT_TYPES:
        return "held", "unsupported_credit_type"
    for line in nonzero:
        product = products.get(line["product_id"]) if line["product_id"] else None
        item = (
            ADJUSTMENT_ITEM_ID
            if product is None
            else item_overrides.get(product["id"]) or _item_id(product)
        )
        if not item:
            return "held", "missing_item_mapping"
    line_sum = sum((_cents(line["total"]) for line in nonzero), Decimal(0))
    if abs(_cents(invoice["total"]) - line_sum) > Decimal("0.005") * len(nonzero):
        return "held", "lines_do_not_sum_to_total"
    return "ready", ""


def _lines_by_invoice(
    root: Path, files: Iterable[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for line in _latest(root, "line_item", files).values():
        grouped.setdefault(line["invoice_id"], []).append(line)
    return grouped


def test_expected_counts_at_default_scale_are_exact() -> None:
    assert expected_counts(40, 3) == {
        ("ready", ""): 118,
        ("excluded", "environment_not_selected"): 1,
        ("excluded", "void"): 4,
        ("excluded", "not_netsuite_destination"): 2,
        ("excluded", "zero_total"): 3,
        ("held", "missing_required_field"): 1,
        ("held", "invalid_custom_fields_json"): 2,
        ("held", "missing_customer_mapping"): 3,
        ("held", "unsupported_credit_type"): 3,
        ("held", "missing_item_mapping"): 2,
        ("held", "lines_do_not_sum_to_total"): 1,
    }


def test_manifest_has_one_row_per_invoice_and_the_expected_counts(
    export: Path, manifest: dict[str, dict[str, str]]
) -> None:
    assert set(manifest) == set(_latest(export, "invoice"))
    counts = Counter(
        (row["expected_disposition"], row["expected_reason_code"]) for row in manifest.values()
    )
    assert counts == expected_counts(40, 3)


def test_every_invoice_in_the_data_has_the_outcome_its_manifest_row_promises(
    export: Path, manifest: dict[str, dict[str, str]]
) -> None:
    customers = _latest(export, "customer")
    products = _latest(export, "product")
    lines = _lines_by_invoice(export)
    actual = {
        invoice_id: _classify(invoice, lines.get(invoice_id, []), customers, products)
        for invoice_id, invoice in _latest(export, "invoice").items()
    }
    expected = {
        invoice_id: (row["expected_disposition"], row["expected_reason_code"])
        for invoice_id, row in manifest.items()
    }
    assert actual == expected


def test_planted_set_is_the_same_at_the_smallest_scale(tmp_path: Path) -> None:
    expected, _ = _generate(tmp_path, "--customers", "20", "--months", "1")
    with expected.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    counts = Counter((row["expected_disposition"], row["expected_reason_code"]) for row in rows)
    assert counts == expected_counts(20, 1)
    assert counts[("ready", "")] == 19 + 13


def test_same_seed_gives_identical_rows_and_another_seed_does_not(
    export: Path, tmp_path: Path
) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    _generate(again)
    _generate(other, "--seed", "7")
    assert _parquet_files(again) == _parquet_files(export)
    for relative in _parquet_files(export):
        assert pq.read_table(again / relative).equals(pq.read_table(export / relative))
    invoice_ids = {row["id"] for row in _all_rows(export, "invoice")}
    assert invoice_ids.isdisjoint(row["id"] for row in _all_rows(other, "invoice"))


def test_parallel_jobs_write_the_same_files(export: Path, tmp_path: Path) -> None:
    _generate(tmp_path, "--jobs", "2")
    assert _parquet_files(tmp_path) == _parquet_files(export)
    for relative in _parquet_files(export):
        assert (tmp_path / relative).read_bytes() == (export / relative).read_bytes()


def test_files_follow_the_object_storage_layout_and_rows_precede_their_transfer(
    export: Path,
) -> None:
    files = _parquet_files(export)
    assert {LAYOUT.match(relative)["table"] for relative in files} == set(TABLES)
    for relative in files:
        match = LAYOUT.match(relative)
        assert match["ts"].startswith(match["dt"].replace("-", ""))
    for table in TABLES:
        partitions = {LAYOUT.match(f)["dt"] for f in files if f.startswith(f"{table}/")}
        assert len(partitions) >= 2, table
        for row in _all_rows(export, table):
            assert f"{row['updated_at']:%Y%m%d%H%M%S}" <= row["_transfer"]


def test_columns_have_the_export_types(export: Path) -> None:
    decimal = pa.decimal128(38, 10)
    timestamp = pa.timestamp("us", tz="UTC")
    invoice = pq.read_schema(next((export / "invoice").rglob("*.parquet")))
    line = pq.read_schema(next((export / "line_item").rglob("*.parquet")))
    credit_type = pq.read_schema(next((export / "credit_type").rglob("*.parquet")))
    assert invoice.field("total").type == decimal
    assert invoice.field("issued_at").type == timestamp
    assert [line.field(c).type for c in ("quantity", "total", "unit_price")] == [decimal] * 3
    assert line.field("is_prorated").type == pa.bool_()
    assert line.field("pricing_group_values").type == pa.string()
    assert credit_type.field("is_currency").type == pa.bool_()


def test_rows_are_redelivered_at_least_once(export: Path) -> None:
    glob = export.as_posix()
    with duckdb.connect() as con:
        for table in TABLES:
            files = f"{glob}/{table}/*/*.parquet"
            rows, ids = con.execute(
                f"select count(*), count(distinct id) from read_parquet('{files}')"
            ).fetchone()
            assert rows > ids, table


def test_invoice_totals_equal_line_sums_except_the_planted_mismatch_and_null_total(
    export: Path, manifest: dict[str, dict[str, str]]
) -> None:
    lines = _lines_by_invoice(export)
    differing = {
        manifest[invoice_id]["scenario"]
        for invoice_id, invoice in _latest(export, "invoice").items()
        if invoice["total"] != sum((line["total"] for line in lines[invoice_id]), Decimal(0))
    }
    assert differing == {"lines_mismatch", "total_null"}


def test_tie_on_updated_at_is_won_by_the_later_transfer(
    export: Path, manifest: dict[str, dict[str, str]]
) -> None:
    (tie_id,) = (i for i, row in manifest.items() if row["scenario"] == "updated_at_tie")
    versions = sorted(
        (row for row in _all_rows(export, "invoice") if row["id"] == tie_id),
        key=lambda row: row["_transfer"],
    )
    assert len(versions) == 2
    assert versions[0]["updated_at"] == versions[1]["updated_at"]
    assert versions[0]["_file"].split("/")[1] == versions[1]["_file"].split("/")[1]
    line_sum = sum((line["total"] for line in _lines_by_invoice(export)[tie_id]), Decimal(0))
    assert versions[1]["total"] == line_sum != versions[0]["total"]


def test_malformed_custom_fields_fail_json_parsing(
    export: Path, manifest: dict[str, dict[str, str]]
) -> None:
    malformed = {}
    for table in ("customer", "product"):
        rows = _latest(export, table).values()
        malformed[table] = [row for row in rows if not _json_object(row["custom_fields"])[0]]
        assert len(malformed[table]) == 1, table
    (bad_product,) = malformed["product"]
    invoices_with_it = {
        line["invoice_id"]
        for line in _latest(export, "line_item").values()
        if line["product_id"] == bad_product["id"]
    }
    assert [manifest[i]["scenario"] for i in invoices_with_it] == ["product_malformed_json"]


def test_reserved_products_appear_only_on_their_scenarios_invoices(
    export: Path, manifest: dict[str, dict[str, str]]
) -> None:
    names = {row["id"]: row["name"] for row in _latest(export, "product").values()}
    scenarios_by_product: dict[str, Counter[str]] = {}
    for invoice_id, lines in _lines_by_invoice(export).items():
        for name in {names[line["product_id"]] for line in lines if line["product_id"]}:
            scenario = manifest[invoice_id]["scenario"]
            scenarios_by_product.setdefault(name, Counter())[scenario] += 1
    assert {
        name: dict(scenarios_by_product[name])
        for name in (
            "Data transfer GB",
            "Legacy API calls",
            "Premium support",
            "Data warehouse sync",
            "GPU hours",
            "Webhook deliveries",
        )
    } == {
        "Data transfer GB": {"product_override_contradicts_custom_field": 2},
        "Legacy API calls": {"archived_product": 2},
        "Premium support": {"push_rejected_item": 1},
        "Data warehouse sync": {"product_unmapped": 2},
        "GPU hours": {"product_override": 2},
        "Webhook deliveries": {"product_malformed_json": 1},
    }


def test_rerun_replaces_the_tables_and_keeps_other_files(tmp_path: Path) -> None:
    reused, fresh = tmp_path / "reused", tmp_path / "fresh"
    _generate(reused, "--months", "3")
    (reused / "notes.txt").write_text("keep me")
    _generate(reused, "--customers", "20", "--months", "1")
    _generate(fresh, "--customers", "20", "--months", "1")
    assert _parquet_files(reused) == _parquet_files(fresh)
    assert (reused / "notes.txt").read_text() == "keep me"


def test_override_seed_files_ship_the_default_seed_rows() -> None:
    rows = override_seed_rows(42)
    for name, key, header in (
        ("customers", "customer", "metronome_customer_id,netsuite_customer_id"),
        ("products", "item", "metronome_product_id,netsuite_item_id"),
    ):
        text = (REPO / "seeds" / f"netsuite_{key}_mapping_overrides.csv").read_text()
        lines = text.splitlines()
        assert lines[0] == header
        assert [tuple(line.split(",")) for line in lines[1:]] == rows[name]


def test_one_item_override_contradicts_the_products_custom_field(export: Path) -> None:
    products = _latest(export, "product")
    overridden = {
        _item_id(products[product_id]): override
        for product_id, override in override_seed_rows()["products"]
    }
    assert overridden == {None: "778", "501": "777"}


def test_netsuite_reference_lacks_only_the_item_of_the_push_rejected_invoice(
    export: Path, manifest: dict[str, dict[str, str]]
) -> None:
    reference = json.loads((export / "netsuite_reference.json").read_text())
    assert reference["currencies"] == {"USD": "1", "EUR": "4"}
    assert {"501", "777", "778", "9001"} <= set(reference["items"])
    assert "508" not in reference["items"]
    assert "20001" in reference["customers"]
    (rejected,) = reference["push_rejected_invoice_ids"]
    assert manifest[rejected]["scenario"] == "push_rejected_item"
    assert manifest[rejected]["expected_disposition"] == "ready"


def test_cli_refuses_fewer_customers_than_the_planted_set_needs(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--root", str(tmp_path), "--customers", "19"])
    assert exit_info.value.code == 2


# --- Deltas ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeltaRun:
    """One `--delta N` run on the shared root: the files before and after, and its manifest."""

    number: int
    before: dict[str, str]
    after: dict[str, str]
    expected: Path

    @property
    def new_files(self) -> list[str]:
        return sorted(set(self.after) - set(self.before))


def _digests(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


def _append_delta(root: Path, number: int, *extra: str) -> DeltaRun:
    expected = root.parent / f"expected_after_delta_{number}.csv"
    before = _digests(root)
    argv = ["--root", str(root), "--delta", str(number), "--expected-out", str(expected)]
    argv += ["--netsuite-reference-out", str(root.parent / f"reference_{number}.json"), *extra]
    assert cli.main(argv) == 0
    return DeltaRun(number, before, _digests(root), expected)


@pytest.fixture(scope="module")
def delta_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[DeltaRun]]:
    """The default export under <tmp>/root, then deltas 1 and 2 appended to it."""
    root = tmp_path_factory.mktemp("deltas") / "root"
    _generate(root)
    # _generate writes its manifests under the root; keep the root to the export alone.
    (root / "expected.csv").unlink()
    (root / "netsuite_reference.json").unlink()
    return root, [_append_delta(root, 1), _append_delta(root, 2)]


def _read_manifest(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as handle:
        return {row["invoice_id"]: row for row in csv.DictReader(handle)}


def _delta_row_kinds(root: Path, run: DeltaRun) -> Counter[tuple[str, str]]:
    """What each row of the delta is to a consumer that has read every earlier file."""
    kinds: Counter[tuple[str, str]] = Counter()
    for table in TABLES:
        earlier = _latest(root, table, run.before)
        for row in _all_rows(root, table, run.new_files):
            previous = earlier.get(row["id"])
            kinds[(table, _row_kind(row, previous))] += 1
    return kinds


def _delta_rows(root: Path, run: DeltaRun, table: str, kind: str) -> list[dict[str, Any]]:
    earlier = _latest(root, table, run.before)
    return [
        row
        for row in _all_rows(root, table, run.new_files)
        if _row_kind(row, earlier.get(row["id"])) == kind
    ]


def _row_kind(row: dict[str, Any], previous: dict[str, Any] | None) -> str:
    if previous is None:
        return "new"
    content = {k: v for k, v in row.items() if not k.startswith("_")}
    if content == {k: v for k, v in previous.items() if not k.startswith("_")}:
        return "redelivered"
    if row["updated_at"] < previous["updated_at"]:
        return "stale"
    assert row["updated_at"] > previous["updated_at"]
    if row.get("status") == "VOID":
        assert previous["status"] == "FINALIZED"
        return "voided"
    return "updated"


def test_expected_counts_after_deltas_at_default_scale_are_exact() -> None:
    base = expected_counts(40, 3)
    after_one = {**base, ("ready", ""): 120, ("excluded", "void"): 6}
    after_one[("held", "missing_customer_mapping")] = 2
    after_two = {**base, ("ready", ""): 122, ("excluded", "void"): 8}
    after_two[("held", "missing_customer_mapping")] = 1
    assert expected_counts(40, 3, deltas=1) == after_one
    assert expected_counts(40, 3, deltas=2) == after_two


def test_a_delta_changes_one_percent_of_the_base_invoices_at_scale() -> None:
    # 100,000 customers over 10 months: a million invoices, ten million lines at -K 10.
    sizes = delta_sizes(100_000, 10)
    changed = sizes.new + sizes.updated + sizes.voided
    assert changed == round(base_invoice_count(100_000, 10) / 100) == 10_000
    assert (sizes.new, sizes.updated, sizes.voided, sizes.redelivered) == (4000, 5000, 1000, 2000)


def test_a_delta_only_adds_files_and_leaves_existing_ones_byte_identical(
    delta_runs: tuple[Path, list[DeltaRun]],
) -> None:
    _, runs = delta_runs
    for run in runs:
        assert {path: run.after[path] for path in run.before} == run.before
        assert {LAYOUT.match(path)["table"] for path in run.new_files} == {
            "customer",
            "invoice",
            "line_item",
        }


def test_delta_files_sort_after_every_earlier_file_in_new_partitions(
    delta_runs: tuple[Path, list[DeltaRun]],
) -> None:
    _, runs = delta_runs
    for run in runs:
        earlier = [LAYOUT.match(path) for path in run.before if path.endswith(".parquet")]
        added = [LAYOUT.match(path) for path in run.new_files]
        assert min(match["ts"] for match in added) > max(match["ts"] for match in earlier)
        assert {match["dt"] for match in added}.isdisjoint(match["dt"] for match in earlier)
        assert len({match["dt"] for match in added}) == 1


def test_only_redelivered_rows_are_older_than_what_earlier_files_delivered(
    delta_runs: tuple[Path, list[DeltaRun]],
) -> None:
    root, runs = delta_runs
    for run in runs:
        for table in ("customer", "invoice", "line_item"):
            earlier = _latest(root, table, run.before)
            newest_earlier = max(row["updated_at"] for row in earlier.values())
            for row in _all_rows(root, table, run.new_files):
                kind = _row_kind(row, earlier.get(row["id"]))
                assert (row["updated_at"] > newest_earlier) == (
                    kind not in ("redelivered", "stale")
                ), (table, kind)
                assert f"{row['updated_at']:%Y%m%d%H%M%S}" <= row["_transfer"]


def test_each_delta_carries_every_scenario_with_exact_counts(
    delta_runs: tuple[Path, list[DeltaRun]],
) -> None:
    root, (first, second) = delta_runs
    assert _delta_row_kinds(root, first) == {
        ("customer", "updated"): 1,
        ("invoice", "new"): 3,
        ("invoice", "updated"): 3,
        ("invoice", "voided"): 2,
        ("invoice", "redelivered"): 2,
        ("line_item", "new"): 15,
        ("line_item", "updated"): 3,
        ("line_item", "redelivered"): 9,
        ("line_item", "stale"): 1,
    }
    assert _delta_row_kinds(root, second) == {
        ("customer", "updated"): 1,
        ("invoice", "new"): 3,
        ("invoice", "updated"): 3,
        ("invoice", "voided"): 2,
        ("invoice", "redelivered"): 2,
        ("line_item", "new"): 17,
        ("line_item", "updated"): 3,
        ("line_item", "redelivered"): 13,
        ("line_item", "stale"): 1,
    }


def test_new_invoices_bill_the_month_after_the_base_and_redeliveries_bring_every_line(
    delta_runs: tuple[Path, list[DeltaRun]],
) -> None:
    root, runs = delta_runs
    for run in runs:
        new_invoices = _delta_rows(root, run, "invoice", "new")
        assert {f"{row['start_timestamp']:%Y-%m-%d}" for row in new_invoices} == {"2026-11-01"}
        assert {row["status"] for row in new_invoices} == {"FINALIZED"}
        earlier_lines = _lines_by_invoice(root, run.before)
        delivered = _lines_by_invoice(root, run.new_files)
        for invoice in _delta_rows(root, run, "invoice", "redelivered"):
            assert sorted(line["id"] for line in delivered[invoice["id"]]) == sorted(
                line["id"] for line in earlier_lines[invoice["id"]]
            )


def test_corrections_move_the_invoice_total_by_exactly_the_line_change(
    delta_runs: tuple[Path, list[DeltaRun]],
) -> None:
    root, runs = delta_runs
    for run in runs:
        earlier_invoices = _latest(root, "invoice", run.before)
        earlier_lines = _latest(root, "line_item", run.before)
        updated_lines = _delta_rows(root, run, "line_item", "updated")
        lines = {line["invoice_id"]: line for line in updated_lines}
        corrected = _delta_rows(root, run, "invoice", "updated")
        assert len(corrected) == 3
        for invoice in corrected:
            line = lines[invoice["id"]]
            assert line["updated_at"] == invoice["updated_at"]
            line_change = line["total"] - earlier_lines[line["id"]]["total"]
            assert invoice["total"] - earlier_invoices[invoice["id"]]["total"] == line_change > 0
            if line["unit_price"] is not None and line["quantity"] != 1:
                assert line["total"] == line["quantity"] * line["unit_price"]


def test_late_redelivered_line_is_older_and_would_hold_its_invoice_if_it_won(
    delta_runs: tuple[Path, list[DeltaRun]],
) -> None:
    root, runs = delta_runs
    customers = _latest(root, "customer")
    products = _latest(root, "product")
    manifest = _read_manifest(runs[-1].expected)
    stale_invoices = set()
    for run in runs:
        earlier = _latest(root, "line_item", run.before)
        (stale,) = _delta_rows(root, run, "line_item", "stale")
        assert stale["updated_at"] < earlier[stale["id"]]["updated_at"]
        assert stale["_transfer"] > earlier[stale["id"]]["_transfer"]
        invoice_id = stale["invoice_id"]
        stale_invoices.add(invoice_id)
        invoice = _latest(root, "invoice")[invoice_id]
        lines = _lines_by_invoice(root)[invoice_id]
        assert _classify(invoice, lines, customers, products) == ("ready", "")
        if_it_won = [stale if line["id"] == stale["id"] else line for line in lines]
        assert _classify(invoice, if_it_won, customers, products) == (
            "held",
            "lines_do_not_sum_to_total",
        )
        assert manifest[invoice_id]["scenario"] == "delta_stale_line_redelivered"
    # Deltas 1 and 2 re-deliver the stale line of the two different line_updated invoices.
    assert len(stale_invoices) == 2


def test_customer_updates_add_netsuite_ids_and_release_the_held_invoices(
    delta_runs: tuple[Path, list[DeltaRun]], manifest: dict[str, dict[str, str]]
) -> None:
    root, runs = delta_runs
    released = []
    for run in runs:
        (customer,) = _all_rows(root, "customer", run.new_files)
        previous = _latest(root, "customer", run.before)[customer["id"]]
        assert "netsuite_internal_customer_id" not in _json_object(previous["custom_fields"])[1]
        fields = _json_object(customer["custom_fields"])[1]
        assert fields["netsuite_internal_customer_id"] == {1: "10005", 2: "10006"}[run.number]
        (invoice_id,) = (
            invoice["id"]
            for invoice in _latest(root, "invoice").values()
            if invoice["customer_id"] == customer["id"]
        )
        after = _read_manifest(run.expected)[invoice_id]
        assert (after["expected_disposition"], after["scenario"]) == (
            "ready",
            "delta_customer_mapped",
        )
        released.append(manifest[invoice_id]["scenario"])
    assert released == ["customer_unmapped", "customer_custom_fields_null"]
    reference = json.loads((root.parent / "reference_2.json").read_text())
    assert {"10005", "10006"} <= set(reference["customers"])


def test_manifest_after_each_delta_matches_the_data_and_the_expected_counts(
    delta_runs: tuple[Path, list[DeltaRun]],
) -> None:
    root, runs = delta_runs
    for run in runs:
        files = [path for path in run.after if path.endswith(".parquet")]
        manifest = _read_manifest(run.expected)
        customers = _latest(root, "customer", files)
        products = _latest(root, "product", files)
        lines = _lines_by_invoice(root, files)
        actual = {
            invoice_id: _classify(invoice, lines.get(invoice_id, []), customers, products)
            for invoice_id, invoice in _latest(root, "invoice", files).items()
        }
        expected = {
            invoice_id: (row["expected_disposition"], row["expected_reason_code"])
            for invoice_id, row in manifest.items()
        }
        assert actual == expected
        assert Counter(expected.values()) == expected_counts(40, 3, deltas=run.number)
        scenarios = Counter(row["scenario"] for row in manifest.values())
        assert {name: n for name, n in scenarios.items() if name.startswith("delta_")} == {
            "delta_new_invoice": 3 * run.number,
            "delta_invoice_updated": 3 * run.number,
            "delta_invoice_voided": 2 * run.number,
            "delta_redelivered": 2 * run.number,
            "delta_stale_line_redelivered": run.number,
            "delta_customer_mapped": run.number,
        }


def test_same_seed_gives_the_same_delta_and_another_seed_does_not(
    delta_runs: tuple[Path, list[DeltaRun]], tmp_path: Path
) -> None:
    _, (first, _) = delta_runs
    again, other = tmp_path / "again" / "root", tmp_path / "other" / "root"
    _generate(again)
    _generate(other, "--seed", "7")
    again_run = _append_delta(again, 1)
    other_run = _append_delta(other, 1, "--seed", "7")
    assert {path: again_run.after[path] for path in again_run.new_files} == {
        path: first.after[path] for path in first.new_files
    }
    assert again_run.expected.read_bytes() == first.expected.read_bytes()
    ids = {row["id"] for row in _all_rows(again, "invoice", again_run.new_files)}
    assert ids.isdisjoint(row["id"] for row in _all_rows(other, "invoice", other_run.new_files))


def test_delta_refuses_a_root_it_would_not_extend_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert cli.main(["--root", str(root), "--delta", "1"]) == 2
    assert not root.exists()
    _generate(root)
    before = _digests(root)
    assert cli.main(["--root", str(root), "--delta", "2"]) == 2  # delta 1 missing
    assert cli.main(["--root", str(root), "--delta", "1", "--customers", "41"]) == 2
    assert cli.main(["--root", str(root), "--delta", "1", "--months", "2"]) == 2
    assert _digests(root) == before
    assert cli.main(["--root", str(root), "--delta", "1"]) == 0
    after_one = _digests(root)
    assert cli.main(["--root", str(root), "--delta", "1"]) == 2  # already there
    assert _digests(root) == after_one
    # Eleven batches of three bill the 33 ordinary customers' month after the base.
    assert cli.main(["--root", str(root), "--delta", "12"]) == 2
