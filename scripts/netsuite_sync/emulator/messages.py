"""Transport-neutral request and response values passed between the HTTP layer and the APIs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from .errors import NetSuiteError, user_error


@dataclass(frozen=True)
class Request:
    method: str
    # Path exactly as sent (still percent-encoded): the OAuth base string is built from it.
    raw_path: str
    raw_query: str
    headers: dict[str, str]  # keys lower-cased
    body: bytes
    scheme: str = "http"

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.raw_query, keep_blank_values=True))

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json_body(self) -> Any:
        """Parse the body with exact decimals, as NetSuite keeps amounts exact."""
        if not self.body:
            raise NetSuiteError.single(400, "INVALID_CONTENT", "The request body is empty.")
        try:
            return json.loads(self.body.decode("utf-8"), parse_float=Decimal)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise NetSuiteError.single(
                400, "INVALID_CONTENT", f"The request body is not valid JSON: {exc}"
            ) from exc

    def json_object(self) -> dict[str, Any]:
        body = self.json_body()
        if not isinstance(body, dict):
            raise user_error("The request body must be a JSON object.")
        return body


@dataclass(frozen=True)
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # True: send nothing and close the connection (lost response / timed-out request).
    drop_connection: bool = False

    @classmethod
    def error(cls, error: NetSuiteError) -> Response:
        return cls(error.status, error.body())

    @classmethod
    def dropped(cls) -> Response:
        return cls(0, drop_connection=True)


def encode_json(value: Any) -> bytes:
    return json.dumps(value, default=_json_default, separators=(",", ":")).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Integral decimals as ints, others as floats: what NetSuite's record API returns.
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
