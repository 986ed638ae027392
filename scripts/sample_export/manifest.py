"""What a correct pipeline should make of the export, written beside it.

The expected outcomes come from the plan (the scenario each invoice was built with), not from
re-running the dbt rules, so they can check those rules. After deltas, an invoice a delta
touched carries that delta's scenario instead (see sample_export.deltas).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

from sample_export.catalog import (
    ADJUSTMENT_ITEM_ID,
    PRODUCTS,
    PUSH_REJECTED_PRODUCT,
)
from sample_export.deltas import mapped_customers, new_invoice_ids, outcome_changes
from sample_export.plan import (
    ExportConfig,
    customer_profiles,
    planned_invoices,
    planted_invoice_id,
)
from sample_export.scenarios import SCENARIOS_BY_NAME, Scenario, ScenarioName, override_seed_rows

EXPECTED_COLUMNS = ("invoice_id", "expected_disposition", "expected_reason_code", "scenario")
# Internal ids of the currencies in a new US NetSuite account (see seeds/netsuite_currencies).
NETSUITE_CURRENCIES = {"USD": "1", "EUR": "4"}


def write_expected_outcomes(path: Path, config: ExportConfig, deltas: int = 0) -> int:
    """One row per distinct invoice id after deltas 1..`deltas`; returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(EXPECTED_COLUMNS)
        for invoice_id, scenario in expected_outcomes(config, deltas):
            writer.writerow((invoice_id, scenario.disposition, scenario.reason_code, scenario.name))
            rows += 1
    return rows


def expected_outcomes(config: ExportConfig, deltas: int = 0) -> Iterator[tuple[str, Scenario]]:
    """Base invoices in plan order, then the deltas' new invoices in delivery order."""
    changes = outcome_changes(config, deltas)
    for planned in planned_invoices(config):
        yield planned.invoice_id, changes.get(planned.invoice_id, planned.scenario)
    new_invoice = SCENARIOS_BY_NAME[ScenarioName.DELTA_NEW_INVOICE]
    for invoice_id in new_invoice_ids(config, deltas):
        yield invoice_id, new_invoice


def netsuite_reference(config: ExportConfig, deltas: int = 0) -> dict[str, object]:
    """The records that exist in the NetSuite account the sample is pushed to.

    Every NetSuite id the project can map to exists, except the item of one product used on
    exactly one ready invoice: NetSuite rejects that invoice at push time. That includes the
    ids deltas 1..`deltas` add to customers.
    """
    overrides = override_seed_rows(config.seed)
    profiles = chain(customer_profiles(config), mapped_customers(config, deltas))
    customer_ids = {
        netsuite_id
        for profile in profiles
        if (netsuite_id := profile.netsuite_customer_id) is not None
    }
    customer_ids.update(netsuite_id for _, netsuite_id in overrides["customers"])
    item_ids = {
        item_id for product in PRODUCTS if (item_id := product.netsuite_item_id) is not None
    }
    item_ids.discard(PUSH_REJECTED_PRODUCT.netsuite_item_id or "")
    item_ids.update(item_id for _, item_id in overrides["products"])
    item_ids.add(ADJUSTMENT_ITEM_ID)
    rejected = SCENARIOS_BY_NAME[ScenarioName.PUSH_REJECTED_ITEM]
    return {
        "customers": sorted(customer_ids, key=int),
        "items": sorted(item_ids, key=int),
        "currencies": NETSUITE_CURRENCIES,
        "push_rejected_invoice_ids": [
            planted_invoice_id(config.seed, rejected.name, ordinal)
            for ordinal in range(rejected.count)
        ],
    }


def write_netsuite_reference(path: Path, config: ExportConfig, deltas: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(netsuite_reference(config, deltas), indent=2)
    path.write_text(text + "\n", encoding="utf-8")
