"""Warehouse values as the text the page shows, each with the exact value behind it.

Amounts are never rounded: the text is the decimal the warehouse holds, with thousands
separators, and the value (`data-value` on the page) is the same for equal amounts on
every warehouse.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from netsuite_sync.report.data import Cell, status_info
from netsuite_sync.values import as_date, as_decimal

NO_VALUE = "—"


def format_amount(value: Decimal) -> str:
    """Exact text with thousands separators: never rounds, trims zeros past two decimals."""
    if value == 0:
        value = abs(value)  # no "-0.00"
    whole, _, fraction = f"{value:,f}".partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{whole}.{fraction}"


def exact_value(value: Decimal) -> str:
    """The data-value of an amount: the same text for equal amounts on every warehouse."""
    return "0" if value == 0 else f"{value.normalize():f}"


def amount_text(amount: Decimal | None) -> str:
    return NO_VALUE if amount is None else format_amount(amount)


def month_label(month: date | None) -> str:
    return "no month" if month is None else month.strftime("%Y-%m")


def currency_label(currency: str | None) -> str:
    return currency or "no currency"


def text_cell(value: str | None) -> Cell:
    return Cell("" if value is None else value, value)


def amount_cell(value: Any) -> Cell:
    amount = as_decimal(value)
    return Cell(amount_text(amount), None if amount is None else exact_value(amount))


def date_cell(value: Any) -> Cell:
    day = as_date(value)
    return Cell(NO_VALUE) if day is None else Cell(day.isoformat(), day.isoformat())


def month_cell(value: Any) -> Cell:
    month = as_date(value)
    return Cell(month_label(month), None if month is None else month.isoformat())


def status_cell(status: str) -> Cell:
    return Cell(status_info(status).label, status)
