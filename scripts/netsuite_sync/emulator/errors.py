"""NetSuite-shaped error responses (RFC 9457 problem details with `o:errorDetails`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_TYPES = {
    400: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
    401: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
    404: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5",
    405: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.6",
    429: "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
    500: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.1",
    503: "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.4",
}

_TITLES = {
    400: "Bad Request",
    401: "Invalid login attempt.",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI "
    "at Setup > Users/Roles > User Management > View Login Audit Trail."
)


@dataclass(frozen=True)
class ErrorDetail:
    detail: str
    code: str
    path: str | None = None
    query_param: str | None = None

    def to_json(self) -> dict[str, str]:
        body = {"detail": self.detail, "o:errorCode": self.code}
        if self.path is not None:
            body["o:errorPath"] = self.path
        if self.query_param is not None:
            body["o:errorQueryParam"] = self.query_param
        return body


class NetSuiteError(Exception):
    """A request NetSuite would refuse; carries everything needed for the error body."""

    def __init__(self, status: int, details: list[ErrorDetail]) -> None:
        super().__init__(details[0].detail if details else str(status))
        self.status = status
        self.details = details

    @classmethod
    def single(
        cls,
        status: int,
        code: str,
        detail: str,
        path: str | None = None,
        query_param: str | None = None,
    ) -> NetSuiteError:
        return cls(status, [ErrorDetail(detail, code, path, query_param)])

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.details)


def error_body(status: int, details: list[ErrorDetail]) -> dict[str, Any]:
    return {
        "type": _TYPES.get(status, _TYPES[500]),
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "o:errorDetails": [detail.to_json() for detail in details],
    }


def user_error(detail: str, path: str | None = None) -> NetSuiteError:
    return NetSuiteError.single(400, "USER_ERROR", detail, path)


def invalid_reference(path: str) -> NetSuiteError:
    detail = (
        f"Invalid value for the resource or sub-resource field '{path}'. Provide a valid value."
    )
    return NetSuiteError.single(400, "INVALID_CONTENT", detail, path)


def invalid_login() -> NetSuiteError:
    return NetSuiteError.single(401, "INVALID_LOGIN", INVALID_LOGIN_DETAIL)


def not_found(detail: str = "The record instance does not exist.") -> NetSuiteError:
    return NetSuiteError.single(404, "NONEXISTENT_ID", f"{detail} Provide a valid ID.")


def concurrency_limit_exceeded() -> NetSuiteError:
    return NetSuiteError.single(
        429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded. Request blocked."
    )


def server_error(status: int) -> NetSuiteError:
    code = "UNEXPECTED_ERROR" if status == 500 else "SERVICE_UNAVAILABLE"
    return NetSuiteError.single(
        status, code, "An unexpected error occurred. Please try again later."
    )
