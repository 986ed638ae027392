"""Billing periods and the export's delivery calendar.

Metronome writes `<table>/dt=<date>/<part>_<transfer timestamp>.parquet`. This module decides
which transfer a row travels in; rows never carry an `updated_at` later than their transfer.

Delta k is one day's refreshes, starting k - 1 days after the billing month that follows the
base export closes: its own dt= partition, later than every file of the base and of the
deltas before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class Period:
    """A monthly billing period: start inclusive, end exclusive, both midnight UTC."""

    index: int
    start: datetime
    end: datetime


class Slot(StrEnum):
    """Which transfer of a period (or of the catalog) a row is delivered in."""

    MAIN = "main"
    # Same dt partition as MAIN, later transfer timestamp: the tie-break scenario lives here.
    TIE_LATE = "tie_late"
    # At-least-once delivery: identical copies of rows already delivered.
    REDELIVERY = "redelivery"
    # Newer versions of rows (corrections, voids).
    CORRECTION = "correction"


@dataclass(frozen=True)
class Delivery:
    """One transfer: every file it writes carries `transfer_at` in its name."""

    transfer_at: datetime

    @property
    def dt(self) -> date:
        return self.transfer_at.date()

    def file_name(self, part: int) -> str:
        return f"part-{part:05d}_{self.transfer_at:%Y%m%d%H%M%S}.parquet"


_INVOICE_TRANSFER_AFTER_PERIOD_END = {
    Slot.MAIN: timedelta(hours=2),
    Slot.TIE_LATE: timedelta(hours=4, minutes=30),
    Slot.REDELIVERY: timedelta(days=1, hours=2, minutes=15),
    Slot.CORRECTION: timedelta(days=2, hours=3),
}
# Corrected rows are stamped an hour or more before the transfer that carries them.
_CORRECTION_UPDATED_AFTER_PERIOD_END = timedelta(days=2, hours=1)


def billing_periods(start_month: date, months: int) -> list[Period]:
    starts = [_month_start(start_month, offset) for offset in range(months + 1)]
    return [
        Period(index=index, start=starts[index], end=starts[index + 1]) for index in range(months)
    ]


def _month_start(first: date, offset: int) -> datetime:
    year, month = divmod(first.month - 1 + offset, 12)
    return datetime(first.year + year, month + 1, 1, tzinfo=UTC)


def invoice_delivery(period: Period, slot: Slot) -> Delivery:
    """Invoices and line items of a period are transferred after it closes."""
    return Delivery(period.end + _INVOICE_TRANSFER_AFTER_PERIOD_END[slot])


def catalog_delivery(first_period: Period, slot: Slot) -> Delivery:
    """Customers, products and credit types: a full load at the start, a re-delivery later."""
    if slot is Slot.MAIN:
        return Delivery(first_period.start + timedelta(hours=1))
    return Delivery(first_period.end + timedelta(hours=1))


def correction_updated_at(period: Period, sequence: int) -> datetime:
    """`updated_at` of the n-th corrected row of a period (distinct, ordered, pre-transfer)."""
    return period.end + _CORRECTION_UPDATED_AFTER_PERIOD_END + timedelta(minutes=sequence)


# Within a delta's day: the customer update, then new invoices, corrections, re-deliveries.
DELTA_INTERVAL = timedelta(days=1)
_DELTA_CATALOG_TRANSFER = timedelta(hours=1)
_DELTA_CUSTOMER_UPDATED = timedelta(minutes=30)
_DELTA_INVOICE_TRANSFER = {
    Slot.MAIN: timedelta(hours=2),
    Slot.CORRECTION: timedelta(hours=3),
    Slot.REDELIVERY: timedelta(hours=4),
}
# Corrections and voids are stamped a millisecond apart, all before the correction transfer.
_DELTA_CORRECTIONS_UPDATED = timedelta(hours=2, minutes=30)
_DELTA_CORRECTION_STEP = timedelta(milliseconds=1)
MAX_DELTA_CORRECTIONS = (
    _DELTA_INVOICE_TRANSFER[Slot.CORRECTION] - _DELTA_CORRECTIONS_UPDATED
) // _DELTA_CORRECTION_STEP


def delta_start(new_period: Period, number: int) -> datetime:
    """Midnight of delta `number`'s day; every file of the delta is transferred after it."""
    return new_period.end + (number - 1) * DELTA_INTERVAL


def delta_delivery(new_period: Period, number: int, slot: Slot) -> Delivery:
    return Delivery(delta_start(new_period, number) + _DELTA_INVOICE_TRANSFER[slot])


def delta_catalog_delivery(new_period: Period, number: int) -> Delivery:
    return Delivery(delta_start(new_period, number) + _DELTA_CATALOG_TRANSFER)


def delta_customer_updated_at(new_period: Period, number: int) -> datetime:
    return delta_start(new_period, number) + _DELTA_CUSTOMER_UPDATED


def delta_correction_updated_at(new_period: Period, number: int, sequence: int) -> datetime:
    """`updated_at` of the n-th invoice a delta corrects or voids (distinct, pre-transfer)."""
    if not 0 <= sequence < MAX_DELTA_CORRECTIONS:
        raise ValueError(f"a delta corrects at most {MAX_DELTA_CORRECTIONS} invoices")
    offset = _DELTA_CORRECTIONS_UPDATED + sequence * _DELTA_CORRECTION_STEP
    return delta_start(new_period, number) + offset
