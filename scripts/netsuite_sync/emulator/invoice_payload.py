"""Parsing and validation of invoice bodies (record API) and of admin edits.

Messages, codes and error paths follow NetSuite: a malformed or missing value is a
USER_ERROR, a reference to an id the account does not have is INVALID_CONTENT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import invalid_reference, user_error

# Custom field ids are lower-case script ids; the pattern also makes them safe column names.
CUSTOM_FIELD = re.compile(r"^(custbody|custcol)_[a-z0-9_]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Body field -> (transaction column, kind). Unknown body fields are ignored, as the real
# invoice record has hundreds of fields the emulator does not model.
_HEADER_FIELDS: dict[str, tuple[str, str]] = {
    "entity": ("entity", "ref"),
    "currency": ("currency", "ref"),
    "customForm": ("customform", "ref"),
    "subsidiary": ("subsidiary", "ref"),
    "tranDate": ("trandate", "date"),
    "startDate": ("startdate", "date"),
    "endDate": ("enddate", "date"),
    "memo": ("memo", "text"),
    "otherRefNum": ("otherrefnum", "text"),
    "externalId": ("externalid", "text"),
}

CustomValue = str | Decimal | None
HeaderValue = str | date | Decimal | None


@dataclass(frozen=True)
class Reference:
    """The internal ids that exist in the account; None for a kind = accept any id."""

    customers: frozenset[str] | None = None
    items: frozenset[str] | None = None
    currencies: frozenset[str] | None = None
    default_currency: str = "1"

    @classmethod
    def from_config(cls, reference: dict[str, Any] | None) -> Reference:
        if reference is None:
            return cls()
        currencies = reference.get("currencies")
        currency_ids = [str(v) for v in dict(currencies).values()] if currencies else None
        return cls(
            customers=_id_set(reference.get("customers")),
            items=_id_set(reference.get("items")),
            currencies=frozenset(currency_ids) if currency_ids is not None else None,
            default_currency=currency_ids[0] if currency_ids else "1",
        )

    def check(self, kind: str, value: str | None, path: str) -> None:
        """kind is "customers", "items" or "currencies"; raises INVALID_CONTENT at path."""
        allowed: frozenset[str] | None = getattr(self, kind)
        if value is not None and allowed is not None and value not in allowed:
            raise invalid_reference(path)


def _id_set(values: Any) -> frozenset[str] | None:
    return None if values is None else frozenset(str(v) for v in values)


@dataclass(frozen=True)
class LineInput:
    item_id: str
    amount: Decimal
    quantity: Decimal | None = None
    rate: Decimal | None = None
    description: str | None = None
    custom: dict[str, CustomValue] = field(default_factory=dict)


@dataclass(frozen=True)
class InvoiceInput:
    # transaction column -> value, only for the fields present in the body, so an update
    # can tell "not sent" (keep) from null (clear).
    header: dict[str, HeaderValue]
    # None when the body has no item sublist (an update keeps the existing lines).
    lines: tuple[LineInput, ...] | None


@dataclass(frozen=True)
class LineEdit:
    amount: Decimal | None = None
    quantity: Decimal | None = None
    rate: Decimal | None = None
    description: str | None = None
    item_id: str | None = None


@dataclass(frozen=True)
class InvoiceEdit:
    """A change made "in NetSuite" after a push (admin API), keyed by line sequence number."""

    header: dict[str, HeaderValue]
    lines: dict[int, LineEdit]
    void: bool = False
    last_modified: str | None = None  # ISO timestamp override, for incremental-pull tests


def parse_invoice(
    body: dict[str, Any], reference: Reference, *, lenient_refs: bool = False
) -> InvoiceInput:
    """Validate an invoice body; raises NetSuiteError (400) on the first problem found."""
    header = _parse_header(body, reference, lenient_refs=lenient_refs)
    lines = _parse_lines(body["item"], reference) if "item" in body else None
    return InvoiceInput(header=header, lines=lines)


def parse_edit(body: dict[str, Any], reference: Reference) -> InvoiceEdit:
    header = _parse_header(body, reference, lenient_refs=True)
    lines: dict[int, LineEdit] = {}
    raw_lines = body.get("lines") or {}
    if not isinstance(raw_lines, dict):
        raise user_error("lines must be an object keyed by line sequence number.", "lines")
    for key, change in raw_lines.items():
        path = f"lines.{key}"
        if not str(key).isdigit() or not isinstance(change, dict):
            raise user_error("Each line edit must be {sequence number: {field: value}}.", path)
        item_id = (
            _ref_id(change["item"], f"{path}.item", lenient=True) if "item" in change else None
        )
        reference.check("items", item_id, f"{path}.item")
        lines[int(key)] = LineEdit(
            amount=_optional_number(change.get("amount"), f"{path}.amount", strings_ok=True),
            quantity=_optional_number(change.get("quantity"), f"{path}.quantity", strings_ok=True),
            rate=_optional_number(change.get("rate"), f"{path}.rate", strings_ok=True),
            description=_optional_text(change.get("description"), f"{path}.description"),
            item_id=item_id,
        )
    last_modified = body.get("lastModifiedDate")
    if last_modified is not None and not isinstance(last_modified, str):
        raise user_error("lastModifiedDate must be an ISO timestamp.", "lastModifiedDate")
    void = body.get("void", False)
    if not isinstance(void, bool):
        raise user_error("void must be true or false.", "void")
    return InvoiceEdit(header=header, lines=lines, void=void, last_modified=last_modified)


def _parse_header(
    body: dict[str, Any], reference: Reference, *, lenient_refs: bool
) -> dict[str, HeaderValue]:
    header: dict[str, HeaderValue] = {}
    for name, (column, kind) in _HEADER_FIELDS.items():
        if name not in body:
            continue
        raw = body[name]
        if kind == "ref":
            header[column] = None if raw is None else _ref_id(raw, name, lenient=lenient_refs)
        elif kind == "date":
            header[column] = _optional_date(raw, name)
        else:
            header[column] = _optional_text(raw, name)
    for name, raw in body.items():
        if name.startswith("custbody"):
            header[_custom_column(name)] = _custom_value(raw, name)
    reference.check("customers", _as_id(header.get("entity")), "entity")
    reference.check("currencies", _as_id(header.get("currency")), "currency")
    return header


def _parse_lines(raw: Any, reference: Reference) -> tuple[LineInput, ...]:
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise user_error('The item sublist must be {"items": [...]}.', "item")
    return tuple(_parse_line(line, index, reference) for index, line in enumerate(raw["items"]))


def _parse_line(raw: Any, index: int, reference: Reference) -> LineInput:
    path = f"item.items[{index}]"
    if not isinstance(raw, dict):
        raise user_error("Each item line must be an object.", path)
    if raw.get("item") is None:
        raise user_error("Please enter value(s) for: Item", f"{path}.item")
    item_id = _ref_id(raw["item"], f"{path}.item", lenient=False)
    reference.check("items", item_id, f"{path}.item")
    quantity = _optional_number(raw.get("quantity"), f"{path}.quantity")
    rate = _optional_number(raw.get("rate"), f"{path}.rate")
    amount = _optional_number(raw.get("amount"), f"{path}.amount")
    if amount is None:
        # NetSuite derives the amount from quantity x rate when it is not sent.
        if quantity is None or rate is None:
            raise user_error("Please enter value(s) for: Amount", f"{path}.amount")
        amount = quantity * rate
    custom = {
        _custom_column(name): _custom_value(value, f"{path}.{name}")
        for name, value in raw.items()
        if name.startswith("custcol")
    }
    return LineInput(
        item_id=item_id,
        amount=amount,
        quantity=quantity,
        rate=rate,
        description=_optional_text(raw.get("description"), f"{path}.description"),
        custom=custom,
    )


def _ref_id(raw: Any, path: str, *, lenient: bool) -> str:
    """A reference {"id": "123"}; the admin API also takes the bare id."""
    if isinstance(raw, dict):
        if raw.get("id") is None:
            raise user_error(
                'The emulator resolves references by internal id only; send {"id": ...}.', path
            )
        raw = raw["id"]
    elif not lenient:
        raise invalid_reference(path)
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise invalid_reference(path)
    text = str(raw).strip()
    if not text:
        raise invalid_reference(path)
    return text


def _as_id(value: HeaderValue) -> str | None:
    return value if isinstance(value, str) else None


def _optional_date(raw: Any, path: str) -> date | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not _DATE.match(raw):
        raise user_error(f"Invalid date value {raw!r}; use YYYY-MM-DD.", path)
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise user_error(f"Invalid date value {raw!r}; use YYYY-MM-DD.", path) from exc


def _optional_text(raw: Any, path: str) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise user_error("Expected a text value.", path)
    return str(raw)


def _optional_number(raw: Any, path: str, *, strings_ok: bool = False) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise user_error(f"Invalid number {raw!r}.", path)
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if strings_ok and isinstance(raw, str):
        try:
            number = Decimal(raw.strip())
        except ArithmeticError as exc:
            raise user_error(f"Invalid number {raw!r}.", path) from exc
        if number.is_finite():
            return number
    raise user_error(f"Invalid number {raw!r}.", path)


def _custom_column(name: str) -> str:
    column = name.lower()
    if not CUSTOM_FIELD.match(column):
        raise user_error(f"Invalid custom field id {name!r}.", name)
    return column


def _custom_value(raw: Any, path: str) -> CustomValue:
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "T" if raw else "F"
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, dict) and raw.get("id") is not None:
        return str(raw["id"])
    raise user_error("Unsupported custom field value.", path)
