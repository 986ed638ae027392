"""SuiteQL over REST: request validation, light Oracle-to-sqlite translation, paged results.

Supported: SELECT/WITH queries over `transaction` and `transactionline` with joins, WHERE
(=, <>, !=, <, <=, >, >=, IN, LIKE, IS NULL, AND, OR), GROUP BY, ORDER BY, aggregates,
CASE, ||, and the Oracle functions TO_CHAR, TO_DATE, TO_TIMESTAMP, TO_NUMBER, TRUNC, NVL,
SYSDATE. BUILTIN.* functions are refused (they need NetSuite's display-value engine).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from .errors import NetSuiteError
from .messages import Request, Response
from .sql_functions import parse_internal, plain_number_text
from .store import InvoiceStore

MAX_LIMIT = 1000
MAX_ROWS = 100_000
PATH = "/services/rest/query/v1/suiteql"

# Single-quoted strings, double-quoted identifiers and comments are copied untouched;
# only the code between them is translated.
_LEXEMES = re.compile(
    r"(?P<string>'(?:[^']|'')*')"
    r'|(?P<ident>"(?:[^"]|"")*")'
    r"|(?P<line_comment>--[^\n]*)"
    r"|(?P<block_comment>/\*.*?\*/)",
    re.DOTALL,
)
_BUILTIN = re.compile(r"\bBUILTIN\s*\.", re.IGNORECASE)
# "transaction" is a reserved word in sqlite; NetSuite's table (and column) must be quoted.
_TRANSACTION_WORD = re.compile(r"\btransaction\b", re.IGNORECASE)
_NOW_WORDS = re.compile(r"\b(SYSDATE|CURRENT_DATE|CURRENT_TIMESTAMP)\b", re.IGNORECASE)
_FIRST_WORD = re.compile(r"^\s*(\w+)")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$#]*$")


def _invalid_query(detail: str) -> NetSuiteError:
    return NetSuiteError.single(
        400,
        "INVALID_PARAMETER",
        f"Invalid search query. Detailed unprocessed description follows. {detail}",
        query_param="q",
    )


def translate(query: str) -> str:
    """SuiteQL text -> sqlite text, or a 400 NetSuiteError for what the emulator refuses."""
    text = query.strip().rstrip(";").strip()
    first = _FIRST_WORD.match(text)
    if first is None or first.group(1).upper() not in ("SELECT", "WITH"):
        raise _invalid_query("Only SELECT statements are supported.")
    parts: list[str] = []
    position = 0
    for match in _LEXEMES.finditer(text):
        parts.append(_translate_code(text[position : match.start()]))
        parts.append(match.group(0))
        position = match.end()
    parts.append(_translate_code(text[position:]))
    return "".join(parts)


def _translate_code(code: str) -> str:
    if _BUILTIN.search(code):
        raise _invalid_query(
            "BUILTIN functions (e.g. BUILTIN.DF) are not supported by the emulator; "
            "select internal ids instead."
        )
    code = _TRANSACTION_WORD.sub('"transaction"', code)
    return _NOW_WORDS.sub("NS_SYSDATE()", code)


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Paging:
        limit = _int_param(query, "limit", MAX_LIMIT)
        offset = _int_param(query, "offset", 0)
        if not 1 <= limit <= MAX_LIMIT:
            raise _invalid_param("limit", f"The limit must be between 1 and {MAX_LIMIT}.")
        if offset < 0 or offset % limit:
            raise _invalid_param("offset", "The offset must be a non-negative multiple of limit.")
        return cls(limit=limit, offset=offset)


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise _invalid_param(name, f"Invalid value {raw!r} for query parameter {name}.") from exc


def _invalid_param(name: str, detail: str) -> NetSuiteError:
    return NetSuiteError.single(400, "INVALID_PARAMETER", detail, query_param=name)


def handle_suiteql(request: Request, store: InvoiceStore, base_url: str) -> Response:
    if request.method != "POST":
        raise NetSuiteError.single(405, "INVALID_METHOD", "Use POST for SuiteQL queries.")
    if (request.header("Prefer") or "").strip().lower() != "transient":
        raise NetSuiteError.single(
            400, "INVALID_HEADER", "SuiteQL requests require the header 'Prefer: transient'."
        )
    paging = Paging.from_query(request.query)
    body = request.json_object()
    query = body.get("q")
    if not isinstance(query, str) or not query.strip():
        raise NetSuiteError.single(
            400, "INVALID_CONTENT", 'The request body must be {"q": "<SuiteQL query>"}.'
        )
    sql = translate(query)
    try:
        result = store.run_query(sql, limit=paging.limit, offset=paging.offset, max_rows=MAX_ROWS)
    except sqlite3.Error as exc:
        raise _invalid_query(f"Search error occurred: {exc}") from exc
    names = _output_names(result.columns)
    items = [_render_row(names, row) for row in result.rows]
    has_more = paging.offset + len(items) < result.total
    return Response(
        200,
        {
            "links": _links(base_url, paging, result.total, has_more),
            "count": len(items),
            "hasMore": has_more,
            "offset": paging.offset,
            "totalResults": result.total,
            "items": items,
        },
    )


def _output_names(columns: list[str]) -> list[str]:
    """NetSuite lower-cases names and calls unnamed expressions expr1, expr2, ..."""
    names: list[str] = []
    expressions = 0
    for column in columns:
        if _IDENTIFIER.match(column):
            names.append(column.lower())
        else:
            expressions += 1
            names.append(f"expr{expressions}")
    return names


def _render_row(names: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    item: dict[str, Any] = {"links": []}
    for name, value in zip(names, row, strict=True):
        if value is not None:  # NetSuite leaves null fields out of the item
            item[name] = render_value(value)
    return item


def render_value(value: Any) -> str:
    """SuiteQL REST returns every value as text; raw dates in the M/D/YYYY user format."""
    if isinstance(value, int | float):
        return plain_number_text(value)
    moment = parse_internal(value)
    if moment is not None:
        return f"{moment.month}/{moment.day}/{moment.year}"
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _links(base_url: str, paging: Paging, total: int, has_more: bool) -> list[dict[str, str]]:
    def href(offset: int) -> str:
        return f"{base_url}{PATH}?limit={paging.limit}&offset={offset}"

    last_offset = max(0, (total - 1) // paging.limit * paging.limit)
    links = [{"rel": "first", "href": href(0)}]
    if paging.offset > 0:
        links.append({"rel": "previous", "href": href(max(0, paging.offset - paging.limit))})
    if has_more:
        links.append({"rel": "next", "href": href(paging.offset + paging.limit)})
    links.append({"rel": "last", "href": href(last_offset)})
    links.append({"rel": "self", "href": href(paging.offset)})
    return links
