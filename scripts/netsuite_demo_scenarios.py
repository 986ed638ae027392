"""What happens in NetSuite outside this integration, staged on the local emulator.

Reconciliation exists because NetSuite changes after a push: people edit or
delete invoices, create them by hand, and Metronome voids invoices that were
already sent. The demo stages one of each through the emulator's admin API, so
every reconciliation status shows up in `make demo` and in the end-to-end test.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import requests
from netsuite_sync.payloads import RawNumber, plain_decimal_text, to_json

# Scenario name -> the reconciliation status it must produce.
EDIT_SCENARIOS: dict[str, str] = {
    "amount_edited": "amount_mismatch",
    "quantity_edited": "line_mismatch",
    "customer_changed": "customer_mismatch",
    "currency_changed": "currency_mismatch",
    "date_changed": "date_mismatch",
    "duplicated": "duplicate_in_netsuite",
    "deleted": "missing_in_netsuite",
}
MANUAL_EXTERNAL_ID = "MANUAL-2026-0001"
ADMIN_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class StagedScenarios:
    """Which invoice each scenario touched, for the summary and the tests."""

    edited: dict[str, str]
    voided_in_metronome: str
    manual_external_id: str


def _admin(base_url: str, method: str, path: str, body: dict | None = None) -> dict:
    response = requests.request(
        method,
        f"{base_url}/_emulator{path}",
        data=None if body is None else to_json(body).encode(),
        headers={"Content-Type": "application/json"},
        timeout=ADMIN_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    return response.json() if response.content else {}


def _invoice_body(external_id: str, customer_id: str, tran_date: str, amount: Decimal) -> dict:
    return {
        "externalId": external_id,
        "entity": {"id": customer_id},
        "tranDate": tran_date,
        "item": {
            "items": [
                {
                    "item": {"id": "9001"},
                    "quantity": RawNumber("1"),
                    "rate": RawNumber(plain_decimal_text(amount)),
                    "amount": RawNumber(plain_decimal_text(amount)),
                    "description": "Entered in NetSuite",
                }
            ]
        },
    }


def stage_history_before_push(base_url: str, warehouse: Path) -> tuple[str, str]:
    """NetSuite as it was before this run: an invoice pushed while Metronome still
    had it finalized (Metronome voided it since), and one created by hand."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        voided = connection.execute(
            """
            select external_id, netsuite_customer_id, cast(tran_date as varchar),
                   total_amount
            from main.invoice_dispositions
            where reason_code = 'void' and netsuite_customer_id is not null
                and total_amount > 0
            order by external_id
            limit 1
            """
        ).fetchone()
        any_customer = connection.execute(
            "select min(netsuite_customer_id) from main.netsuite_invoices"
        ).fetchone()
    if voided is None or any_customer is None:
        raise RuntimeError("the sample export has no voided invoice to stage")
    external_id, customer_id, tran_date, total = voided
    _admin(base_url, "POST", "/invoices", _invoice_body(external_id, customer_id, tran_date, total))
    _admin(
        base_url,
        "POST",
        "/invoices",
        _invoice_body(MANUAL_EXTERNAL_ID, any_customer[0], "2026-09-15", Decimal("250.00")),
    )
    return external_id, MANUAL_EXTERNAL_ID


def _candidates(warehouse: Path, excluded: set[str]) -> list[tuple[str, str]]:
    """Pushed USD invoices with several lines, in a stable order."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            """
            select external_id, netsuite_customer_id
            from main.netsuite_invoices
            where currency = 'USD' and line_count >= 2
            order by external_id
            """
        ).fetchall()
    return [
        (external_id, customer) for external_id, customer in rows if external_id not in excluded
    ]


def stage_edits_after_push(base_url: str, warehouse: Path, not_pushed: set[str]) -> dict[str, str]:
    """People at work in NetSuite after the push: one invoice per edit scenario."""
    candidates = _candidates(warehouse, not_pushed)
    if len(candidates) < len(EDIT_SCENARIOS):
        raise RuntimeError("not enough pushed invoices to stage every scenario")
    chosen = dict(zip(EDIT_SCENARIOS, candidates, strict=False))
    records = {
        name: _admin(base_url, "GET", f"/invoices?externalId={external_id}")["items"][0]
        for name, (external_id, _) in chosen.items()
    }
    other_customer = next(
        customer for _, customer in candidates if customer != chosen["customer_changed"][1]
    )

    amount_edited = records["amount_edited"]
    _admin(base_url, "PATCH", f"/invoices/{amount_edited['id']}", {"lines": {"1": {
        "amount": str(Decimal(str(amount_edited["item"]["items"][0]["amount"])) + 1)
    }}})  # fmt: skip
    _admin(
        base_url,
        "PATCH",
        f"/invoices/{records['quantity_edited']['id']}",
        {"lines": {"1": {"quantity": "999"}}},
    )
    _admin(
        base_url,
        "PATCH",
        f"/invoices/{records['customer_changed']['id']}",
        {"entity": other_customer},
    )
    _admin(base_url, "PATCH", f"/invoices/{records['currency_changed']['id']}", {"currency": "4"})
    _admin(
        base_url,
        "PATCH",
        f"/invoices/{records['date_changed']['id']}",
        {"tranDate": "2026-12-31"},
    )
    duplicated = records["duplicated"]
    _admin(
        base_url,
        "POST",
        "/invoices",
        _invoice_body(
            duplicated["externalId"],
            duplicated["entity"]["id"],
            duplicated["tranDate"],
            Decimal(str(duplicated["total"])),
        ),
    )
    _admin(base_url, "DELETE", f"/invoices/{records['deleted']['id']}")
    return {name: external_id for name, (external_id, _) in chosen.items()}
