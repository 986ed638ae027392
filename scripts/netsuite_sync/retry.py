"""When to retry a NetSuite request, how long to wait, and how many to keep in flight.

NetSuite has one concurrency limit per account, shared by every integration. A 429 means
another client (or we) used it up, so besides backing off we lower our own in-flight
limit for a while (additive increase, multiplicative decrease) instead of hammering.
"""

from __future__ import annotations

import enum
import http.client
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


class Disposition(enum.Enum):
    SUCCESS = "success"
    RETRY = "retry"  # 5xx, timeouts, dropped connections
    THROTTLED = "throttled"  # 429: retry, and slow down
    AUTH_RETRY = "auth_retry"  # 401 INVALID_LOGIN: NetSuite sends it spuriously under load
    FATAL = "fatal"  # validation and other client errors: retrying cannot help

    @property
    def is_retryable(self) -> bool:
        return self in (Disposition.RETRY, Disposition.THROTTLED, Disposition.AUTH_RETRY)


def classify_status(status: int, error_code: str | None = None) -> Disposition:
    """Classify an HTTP answer by status and NetSuite's o:errorCode."""
    if 200 <= status < 300:
        return Disposition.SUCCESS
    if status == 429:
        return Disposition.THROTTLED
    if status >= 500 or status == 408:
        return Disposition.RETRY
    if status == 401 and error_code in (None, "INVALID_LOGIN", "INVALID_LOGIN_ATTEMPT"):
        return Disposition.AUTH_RETRY
    return Disposition.FATAL


def classify_exception(error: BaseException) -> Disposition:
    """Timeouts and broken connections are retryable: the upsert by external id makes a
    retry after a lost response an update, never a duplicate (and SuiteQL only reads).

    `TimeoutError` (socket timeouts), `OSError` (refused, reset, broken pipe, DNS, TLS)
    and `http.client.HTTPException` (the server hung up before or while answering, or
    sent a garbled answer) are network trouble; anything else is a bug and fatal.
    """
    if isinstance(error, OSError | http.client.HTTPException):
        return Disposition.RETRY
    return Disposition.FATAL


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    # Spurious INVALID_LOGIN is retried at most this many times; a real credential
    # problem then fails fast instead of burning the whole retry budget.
    max_auth_retries: int = 2

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("delays must not be negative")

    def backoff_s(self, retry_number: int, rng: random.Random) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** max(retry_number - 1, 0)))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def may_retry(self, disposition: Disposition, retries_done: int, auth_retries: int) -> bool:
        if not disposition.is_retryable or retries_done >= self.max_retries:
            return False
        return not (disposition is Disposition.AUTH_RETRY and auth_retries >= self.max_auth_retries)


class AdaptiveLimiter:
    """Caps requests in flight at `max_in_flight`, lower after 429s, recovering on success."""

    def __init__(self, max_in_flight: int, clock: Callable[[], float] = time.monotonic) -> None:
        if max_in_flight < 1:
            raise ValueError("concurrency must be at least 1")
        self._max = max_in_flight
        self._limit = float(max_in_flight)
        self._in_flight = 0
        self._paused_until = 0.0
        self._clock = clock
        self._condition = threading.Condition()
        self.peak_in_flight = 0
        self.throttle_events = 0

    @property
    def limit(self) -> int:
        with self._condition:
            return max(1, int(self._limit))

    def acquire(self) -> None:
        with self._condition:
            while True:
                wait_s = self._paused_until - self._clock()
                if wait_s <= 0 and self._in_flight < max(1, int(self._limit)):
                    break
                self._condition.wait(timeout=wait_s if wait_s > 0 else 0.5)
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)

    def release(self, disposition: Disposition) -> None:
        with self._condition:
            self._in_flight -= 1
            if disposition is Disposition.SUCCESS:
                self._limit = min(float(self._max), self._limit + 1.0 / max(self._limit, 1.0))
            self._condition.notify_all()

    def throttled(self, pause_s: float) -> None:
        """NetSuite said 429: halve the in-flight limit and hold new requests briefly."""
        with self._condition:
            self.throttle_events += 1
            self._limit = max(1.0, self._limit / 2)
            self._paused_until = max(self._paused_until, self._clock() + pause_s)
            self._condition.notify_all()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form only)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)
