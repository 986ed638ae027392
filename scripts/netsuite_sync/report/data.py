"""What the report holds: the records read from the marts, and what each status means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path


@dataclass(frozen=True)
class StatusInfo:
    label: str
    group: str  # matched, missing, mismatched, held or excluded
    action: str
    color: str


# In the order of reconciliation_invoices' precedence, matched last.
# fmt: off
STATUSES: dict[str, StatusInfo] = {
    status: StatusInfo(label, group, action, color)
    for status, label, group, color, action in (
        ("duplicate_in_netsuite", "Duplicate in NetSuite", "mismatched", "#5e35b1",
         "Void or delete the extra NetSuite invoice."),
        ("missing_in_metronome", "Missing in Metronome", "missing", "#8e24aa",
         "Check who created it in NetSuite; void it if it is not real."),
        ("void_in_metronome", "Void in Metronome", "mismatched", "#3949ab",
         "It is still open in NetSuite: void it there."),
        ("excluded_in_metronome", "Excluded (not for NetSuite)", "excluded", "#b0bec5",
         "Nothing, unless NetSuite has it anyway (listed under Mismatched)."),
        ("held_in_metronome", "Held in Metronome", "held", "#f9a825",
         "Fix the problem listed under Held; the next dbt build and push send it."),
        ("push_failed", "Push failed", "missing", "#ad1457",
         "Read the NetSuite error, fix it, push again."),
        ("missing_in_netsuite", "Missing in NetSuite", "missing", "#d32f2f",
         "Run netsuite-sync push."),
        ("customer_mismatch", "Customer differs", "mismatched", "#ef6c00",
         "Correct the customer mapping or the NetSuite invoice."),
        ("currency_mismatch", "Currency differs", "mismatched", "#8d6e63",
         "Correct the currency in NetSuite or seed netsuite_currencies."),
        ("amount_mismatch", "Amount differs", "mismatched", "#1e88e5",
         "Compare the lines in reconciliation_invoice_lines."),
        ("line_mismatch", "Lines differ", "mismatched", "#546e7a",
         "Compare the lines in reconciliation_invoice_lines."),
        ("date_mismatch", "Dates differ", "mismatched", "#00838f",
         "Correct the dates in NetSuite."),
        ("matched", "Matched", "matched", "#2e7d32", "Nothing."),
    )
}
# fmt: on

MISSING_STATUSES = tuple(s for s, info in STATUSES.items() if info.group == "missing")
MISMATCHED_STATUSES = tuple(s for s, info in STATUSES.items() if info.group == "mismatched")
# Statuses whose invoices are not (yet) where they should be: everything but these.
SETTLED_STATUSES = ("matched", "excluded_in_metronome")
GROUPS = ("matched", "missing", "mismatched", "held", "excluded")


def status_info(status: str) -> StatusInfo:
    """A status the marts know and this report does not yet is shown as a mismatch."""
    return STATUSES.get(status, StatusInfo(status, "mismatched", "", "#616161"))


def status_order(status: str) -> int:
    order = list(STATUSES)
    return order.index(status) if status in order else len(order)


@dataclass(frozen=True)
class StatusCount:
    status: str
    invoices: int


@dataclass(frozen=True)
class MonthStatusCount:
    billing_month: date | None
    status: str
    invoices: int


@dataclass(frozen=True)
class CurrencyAmounts:
    """Per currency: the amount (Metronome's, else NetSuite's) by where invoices stand."""

    currency: str | None
    matched: Decimal
    matched_invoices: int
    outstanding: Decimal
    outstanding_invoices: int
    outstanding_without_amount: int
    excluded: Decimal
    excluded_invoices: int


@dataclass(frozen=True)
class Difference:
    external_id: str
    status: str
    currency: str | None
    metronome_total: Decimal | None
    netsuite_total: Decimal | None
    difference: Decimal


@dataclass(frozen=True)
class Column:
    field: str
    heading: str
    kind: str = "text"  # text, id, month, amount, status, compare or wrap


@dataclass(frozen=True)
class Cell:
    text: str
    value: str | None = None  # the exact value behind the text
    # For "what differs": Metronome's value and NetSuite's, shown under `text`.
    compare: tuple[Cell, Cell] | None = None


@dataclass(frozen=True)
class ActionList:
    key: str
    title: str
    intro: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: int
    unit: str = "invoices"


@dataclass(frozen=True)
class ReportData:
    statuses: tuple[StatusCount, ...]
    months: tuple[MonthStatusCount, ...]
    currencies: tuple[CurrencyAmounts, ...]
    differences: tuple[Difference, ...]
    lists: tuple[ActionList, ...]

    @property
    def invoices(self) -> int:
        return sum(s.invoices for s in self.statuses)

    def count(self, *groups: str) -> int:
        return sum(s.invoices for s in self.statuses if status_info(s.status).group in groups)


@dataclass(frozen=True)
class ReportSummary:
    path: Path
    invoices: dict[str, int]  # per group of statuses, in GROUPS order
    list_totals: dict[str, int]  # rows of each action list
    list_shown: dict[str, int]  # of which on the page
    size_bytes: int
