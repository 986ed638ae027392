"""HTTP to NetSuite's REST API: one signed attempt at a time, answers as values.

`NetSuiteClient` turns each request into an `AttemptResult` (never raises for HTTP or
network trouble); `call_with_retries` drives the retry policy around any single-attempt
callable and reports every attempt to the caller, who records it.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from netsuite_sync.auth import OAuth1Signer
from netsuite_sync.retry import (
    AdaptiveLimiter,
    Disposition,
    RetryPolicy,
    classify_exception,
    classify_status,
    parse_retry_after,
)
from netsuite_sync.settings import NetSuiteCredentials, redact
from netsuite_sync.transport import HttpTransport, Transport

USER_AGENT = "metronome-netsuite-sync/0.1"
_MAX_DETAIL_CHARS = 2000
_INTERNAL_ID_FROM_LOCATION = re.compile(r"/([^/?#]+)/?(?:[?#].*)?$")


def utc_now() -> datetime:
    """Naive UTC timestamp, the form the warehouse columns store."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class AttemptResult:
    """What one HTTP attempt produced; `http_status` is None when no answer arrived."""

    disposition: Disposition
    started_at: datetime
    finished_at: datetime
    http_status: int | None = None
    location: str | None = None
    error_code: str | None = None
    error_path: str | None = None
    error_detail: str | None = None
    retry_after_s: float | None = None
    body: Any = field(default=None, repr=False)

    @property
    def internal_id(self) -> str | None:
        """NetSuite's internal id, the last path segment of the Location header."""
        if not self.location:
            return None
        match = _INTERNAL_ID_FROM_LOCATION.search(self.location)
        return match.group(1) if match else None


def parse_error_body(text: str) -> tuple[str | None, str | None, str | None]:
    """(o:errorCode, o:errorPath, detail) of a NetSuite error body, tolerating non-JSON."""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return None, None, (text.strip()[:_MAX_DETAIL_CHARS] or None) if text else None
    details = body.get("o:errorDetails")
    if isinstance(details, list) and details:
        first = details[0] if isinstance(details[0], dict) else {}
        joined = "; ".join(
            str(d.get("detail", "")) for d in details if isinstance(d, dict) and d.get("detail")
        )
        return (
            first.get("o:errorCode"),
            first.get("o:errorPath"),
            (joined or body.get("title") or None),
        )
    return None, None, body.get("title") or body.get("detail")


class NetSuiteClient:
    """Signed requests to one NetSuite account; one keep-alive connection per thread."""

    def __init__(
        self,
        credentials: NetSuiteCredentials,
        *,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 10.0,
        transport: Transport | None = None,
    ) -> None:
        self._credentials = credentials
        self._secrets = credentials.secret_values()
        self._signer = OAuth1Signer(credentials)
        self._transport = transport or HttpTransport(
            credentials.base_url,
            connect_timeout_s=connect_timeout_s,
            read_timeout_s=timeout_s,
            default_headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    @property
    def base_url(self) -> str:
        return self._credentials.base_url

    def close(self) -> None:
        self._transport.close()

    def invoice_upsert_url(self, external_id: str) -> str:
        eid = quote(external_id, safe="-_.")
        return f"{self.base_url}/services/rest/record/v1/invoice/eid:{eid}?replace=item"

    def upsert_invoice(self, external_id: str, body: bytes) -> AttemptResult:
        """PUT by external id: creates or replaces, so a retry never duplicates."""
        return self._send(
            "PUT",
            self.invoice_upsert_url(external_id),
            body,
            {"Content-Type": "application/json"},
        )

    def suiteql(self, query: str, *, limit: int, offset: int) -> AttemptResult:
        """One page of a SuiteQL query; the parsed JSON is in `.body` on success."""
        url = f"{self.base_url}/services/rest/query/v1/suiteql?limit={limit}&offset={offset}"
        payload = json.dumps({"q": query}).encode("utf-8")
        headers = {"Content-Type": "application/json", "Prefer": "transient"}
        return self._send("POST", url, payload, headers, parse_json=True)

    def _send(
        self,
        method: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        *,
        parse_json: bool = False,
    ) -> AttemptResult:
        started_at = utc_now()
        try:
            # Signed here, once per attempt: a retry carries a fresh nonce and timestamp.
            headers = {**headers, "Authorization": self._signer.authorization(method, url)}
            response = self._transport.request(method, url, body, headers)
            text = response.text()
        except Exception as error:
            return AttemptResult(
                disposition=classify_exception(error),
                started_at=started_at,
                finished_at=utc_now(),
                error_code=_exception_code(error),
                error_detail=redact(
                    f"{type(error).__name__}: {error}"[:_MAX_DETAIL_CHARS], self._secrets
                ),
            )
        finished_at = utc_now()
        status = response.status
        if 200 <= status < 300:
            parsed = None
            if parse_json:
                try:
                    parsed = json.loads(text)
                except ValueError:
                    return AttemptResult(
                        disposition=Disposition.RETRY,
                        started_at=started_at,
                        finished_at=finished_at,
                        http_status=status,
                        error_code="INVALID_JSON_RESPONSE",
                        error_detail=text[:200],
                    )
            return AttemptResult(
                disposition=Disposition.SUCCESS,
                started_at=started_at,
                finished_at=finished_at,
                http_status=status,
                location=response.header("Location"),
                body=parsed,
            )
        code, path, detail = parse_error_body(text)
        return AttemptResult(
            disposition=classify_status(status, code),
            started_at=started_at,
            finished_at=finished_at,
            http_status=status,
            error_code=code or f"HTTP_{status}",
            error_path=path,
            error_detail=redact(detail, self._secrets) if detail else None,
            retry_after_s=parse_retry_after(response.header("Retry-After")),
        )


def _exception_code(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "TIMEOUT"
    # Network trouble is whatever the retry policy retries; anything else is ours.
    if classify_exception(error) is Disposition.RETRY:
        return "CONNECTION_ERROR"
    return "CLIENT_ERROR"


@dataclass(frozen=True)
class RetryOutcome:
    """The last attempt and how many attempts were made."""

    final: AttemptResult
    attempts: int


def call_with_retries(
    attempt: Callable[[], AttemptResult],
    *,
    policy: RetryPolicy,
    limiter: AdaptiveLimiter,
    rng: random.Random,
    on_attempt: Callable[[int, AttemptResult, bool], None] | None = None,
    stop: threading.Event | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RetryOutcome:
    """Run `attempt` under the limiter until success, a fatal answer, or retries run out.

    `on_attempt(number, result, will_retry)` sees every attempt, in order.
    """
    retries = 0
    auth_retries = 0
    number = 0
    while True:
        number += 1
        limiter.acquire()
        disposition = Disposition.FATAL
        try:
            result = attempt()
            disposition = result.disposition
        finally:
            limiter.release(disposition)
        will_retry = policy.may_retry(result.disposition, retries, auth_retries) and not (
            stop is not None and stop.is_set()
        )
        if on_attempt is not None:
            on_attempt(number, result, will_retry)
        if not will_retry:
            return RetryOutcome(final=result, attempts=number)
        retries += 1
        if result.disposition is Disposition.AUTH_RETRY:
            auth_retries += 1
        delay = policy.backoff_s(retries, rng)
        if result.disposition is Disposition.THROTTLED:
            pause = result.retry_after_s if result.retry_after_s is not None else delay / 2
            limiter.throttled(pause)
            delay = max(delay, result.retry_after_s or 0.0)
        if stop is not None:
            if stop.wait(delay):
                # Interrupted while waiting: report the last answer as final.
                return RetryOutcome(final=result, attempts=number)
        else:
            sleep(delay)
