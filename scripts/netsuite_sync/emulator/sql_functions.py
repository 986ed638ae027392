"""Oracle-style SuiteQL functions for sqlite, and the emulator's internal date representation.

Dates and timestamps are stored as ASCII ISO bytes, i.e. sqlite BLOBs
(`b"2024-01-31T00:00:00"`, `b"2024-02-01T10:15:00.123456"`). Blobs compare bytewise, so
they sort, compare and aggregate (MAX, MIN) like dates, and since nothing else in the
database is a blob, a raw date in a query result is told apart from text without doubt:
NetSuite renders raw dates in the user's M/D/YYYY format, while TO_CHAR returns text.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

_INTERNAL = re.compile(rb"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$")

# Oracle datetime format elements the emulator understands, longest first so that
# "HH24" wins over "HH" and "YYYY" over "YY".
_ELEMENTS = (
    "YYYY",
    "HH24",
    "HH12",
    "FF9",
    "FF6",
    "FF3",
    "FF",
    "YY",
    "MM",
    "DD",
    "HH",
    "MI",
    "SS",
    "AM",
    "PM",
)
_SEPARATORS = frozenset("-/:.,; ")
# What each element matches when parsing; anything else is one or two digits.
_ELEMENT_PATTERNS = {
    "YYYY": r"(\d{4})",
    "YY": r"(\d{2})",
    "AM": "(AM|PM)",
    "PM": "(AM|PM)",
    "FF": r"(\d{1,9})",
    "FF3": r"(\d{1,9})",
    "FF6": r"(\d{1,9})",
    "FF9": r"(\d{1,9})",
}


def to_internal(value: datetime | date) -> bytes:
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text = f"{text}.{value.microsecond:06d}"
    else:
        text = value.strftime("%Y-%m-%dT00:00:00")
    return text.encode("ascii")


def parse_internal(value: object) -> datetime | None:
    """The datetime a stored value stands for, or None when it is not a date at all."""
    if not isinstance(value, bytes):
        return None
    match = _INTERNAL.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    micro = int((match.group(7) or b"0").ljust(6, b"0"))
    return datetime(year, month, day, hour, minute, second, micro)


def now_internal() -> bytes:
    return to_internal(datetime.now(UTC).replace(tzinfo=None))


def tokenize_format(fmt: str) -> list[tuple[str, str]]:
    """Split an Oracle format model into ("element", "YYYY") / ("literal", "-") tokens."""
    tokens: list[tuple[str, str]] = []
    position = 0
    upper = fmt.upper()
    while position < len(fmt):
        char = fmt[position]
        if char == '"':
            end = fmt.find('"', position + 1)
            if end < 0:
                raise ValueError(f"unterminated literal in format {fmt!r}")
            tokens.append(("literal", fmt[position + 1 : end]))
            position = end + 1
            continue
        if char in _SEPARATORS:
            tokens.append(("literal", char))
            position += 1
            continue
        element = next((e for e in _ELEMENTS if upper.startswith(e, position)), None)
        if element is None:
            raise ValueError(f"unsupported format element at {fmt[position:]!r}")
        tokens.append(("element", element))
        position += len(element)
    return tokens


def format_datetime(value: datetime, fmt: str) -> str:
    parts: list[str] = []
    for kind, token in tokenize_format(fmt):
        parts.append(token if kind == "literal" else _render_element(value, token))
    return "".join(parts)


def _render_element(value: datetime, element: str) -> str:
    hour12 = value.hour % 12 or 12
    rendered = {
        "YYYY": f"{value.year:04d}",
        "YY": f"{value.year % 100:02d}",
        "MM": f"{value.month:02d}",
        "DD": f"{value.day:02d}",
        "HH24": f"{value.hour:02d}",
        "HH12": f"{hour12:02d}",
        "HH": f"{hour12:02d}",
        "MI": f"{value.minute:02d}",
        "SS": f"{value.second:02d}",
        "FF": f"{value.microsecond:06d}",
        "FF6": f"{value.microsecond:06d}",
        "FF3": f"{value.microsecond // 1000:03d}",
        "FF9": f"{value.microsecond:06d}000",
        "AM": "AM" if value.hour < 12 else "PM",
        "PM": "AM" if value.hour < 12 else "PM",
    }
    return rendered[element]


def parse_datetime(text: str, fmt: str) -> datetime:
    """Parse text with an Oracle format model (TO_DATE / TO_TIMESTAMP)."""
    pattern: list[str] = []
    groups: list[str] = []
    for kind, text_or_element in tokenize_format(fmt):
        if kind == "literal":
            pattern.append(re.escape(text_or_element))
            continue
        groups.append(text_or_element)
        pattern.append(_ELEMENT_PATTERNS.get(text_or_element, r"(\d{1,2})"))
    match = re.fullmatch("".join(pattern), text.strip(), flags=re.IGNORECASE)
    if match is None:
        raise ValueError(f"{text!r} does not match format {fmt!r}")
    fields = {
        "year": 1900,
        "month": 1,
        "day": 1,
        "hour": 0,
        "minute": 0,
        "second": 0,
        "microsecond": 0,
    }
    afternoon = False
    for element, raw in zip(groups, match.groups(), strict=True):
        if element == "YYYY":
            fields["year"] = int(raw)
        elif element == "YY":
            fields["year"] = 2000 + int(raw)
        elif element == "MM":
            fields["month"] = int(raw)
        elif element == "DD":
            fields["day"] = int(raw)
        elif element in ("HH24", "HH12", "HH"):
            fields["hour"] = int(raw)
        elif element == "MI":
            fields["minute"] = int(raw)
        elif element == "SS":
            fields["second"] = int(raw)
        elif element.startswith("FF"):
            fields["microsecond"] = int(raw[:6].ljust(6, "0"))
        else:
            afternoon = raw.upper() == "PM"
    if afternoon and fields["hour"] < 12:
        fields["hour"] += 12
    return datetime(**fields)


_DEFAULT_INPUT_FORMATS = ("YYYY-MM-DD HH24:MI:SS", "YYYY-MM-DD", "MM/DD/YYYY")


def _parse_default(text: str) -> datetime:
    for fmt in _DEFAULT_INPUT_FORMATS:
        try:
            return parse_datetime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"cannot convert {text!r} to a date without a format")


def plain_number_text(value: int | float | Decimal) -> str:
    """Numbers as plain decimal text (no exponent, no trailing ".0"), as SuiteQL returns them."""
    if isinstance(value, int):
        return str(value)
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    if number == number.to_integral_value():
        return str(int(number))
    text = format(number, "f")
    return text.rstrip("0") if "." in text else text


def _to_char(value: object, fmt: str | None = None) -> str | None:
    if value is None:
        return None
    moment = parse_internal(value)
    if moment is not None:
        return format_datetime(moment, fmt or "MM/DD/YYYY")
    if fmt is not None and isinstance(value, int | float):
        raise ValueError("number format models are not supported by the emulator")
    if isinstance(value, int | float):
        return plain_number_text(value)
    return _text(value)


def _to_date(text: object, fmt: str | None = None) -> bytes | None:
    moment = _to_timestamp_value(text, fmt)
    return None if moment is None else to_internal(moment.date())


def _to_timestamp(text: object, fmt: str | None = None) -> bytes | None:
    moment = _to_timestamp_value(text, fmt)
    return None if moment is None else to_internal(moment)


def _to_timestamp_value(text: object, fmt: str | None) -> datetime | None:
    if text is None:
        return None
    existing = parse_internal(text)
    if existing is not None:
        return existing
    return parse_datetime(_text(text), fmt) if fmt else _parse_default(_text(text))


def _text(value: object) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _to_number(value: object) -> int | float | None:
    if value is None or isinstance(value, int | float):
        return value  # type: ignore[return-value]
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    return int(number) if number == number.to_integral_value() else float(number)


def _trunc(value: object, fmt: str | None = None) -> object:
    moment = parse_internal(value)
    if moment is not None:
        return to_internal(moment.date())
    if isinstance(value, float):
        return int(value)
    return value


def _nvl(value: object, fallback: object) -> object:
    return fallback if value is None else value


_FUNCTIONS: tuple[tuple[str, int, Callable[..., object]], ...] = (
    ("TO_CHAR", 1, _to_char),
    ("TO_CHAR", 2, _to_char),
    ("TO_DATE", 1, _to_date),
    ("TO_DATE", 2, _to_date),
    ("TO_TIMESTAMP", 1, _to_timestamp),
    ("TO_TIMESTAMP", 2, _to_timestamp),
    ("TO_NUMBER", 1, _to_number),
    ("TRUNC", 1, _trunc),
    ("TRUNC", 2, _trunc),
    ("NVL", 2, _nvl),
    ("NS_SYSDATE", 0, now_internal),
)


def register_functions(connection: sqlite3.Connection) -> None:
    for name, arity, function in _FUNCTIONS:
        deterministic = name != "NS_SYSDATE"
        connection.create_function(name, arity, function, deterministic=deterministic)
