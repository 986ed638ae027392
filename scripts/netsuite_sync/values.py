"""Warehouse values as Python types, whatever the driver returned.

DuckDB hands back Decimal and date objects; Snowflake's connector can return
text or floats-as-text for the same columns. Amounts go through str() so a
value never passes through a binary float on its way to a Decimal.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any


def as_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value).strip())


def as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
