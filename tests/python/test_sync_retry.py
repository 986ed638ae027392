"""Retry classification, backoff, the adaptive in-flight limit and the retry loop."""

from __future__ import annotations

import http.client
import random
import socket
import ssl
import threading
import time
from datetime import datetime

import pytest
from netsuite_sync.http_client import (
    AttemptResult,
    _exception_code,
    call_with_retries,
    parse_error_body,
)
from netsuite_sync.retry import (
    AdaptiveLimiter,
    Disposition,
    RetryPolicy,
    classify_exception,
    classify_status,
    parse_retry_after,
)

NOW = datetime(2024, 1, 1)


@pytest.mark.parametrize(
    ("status", "error_code", "expected"),
    [
        (200, None, Disposition.SUCCESS),
        (201, None, Disposition.SUCCESS),
        (204, None, Disposition.SUCCESS),
        (400, "INVALID_CONTENT", Disposition.FATAL),
        (400, "USER_ERROR", Disposition.FATAL),
        (401, "INVALID_LOGIN", Disposition.AUTH_RETRY),
        (401, None, Disposition.AUTH_RETRY),
        (403, "INSUFFICIENT_PERMISSION", Disposition.FATAL),
        (404, "NONEXISTENT_ID", Disposition.FATAL),
        (405, "INVALID_METHOD", Disposition.FATAL),
        (408, None, Disposition.RETRY),
        (409, None, Disposition.FATAL),
        (429, "CONCURRENCY_LIMIT_EXCEEDED", Disposition.THROTTLED),
        (500, "UNEXPECTED_ERROR", Disposition.RETRY),
        (502, None, Disposition.RETRY),
        (503, "SERVICE_UNAVAILABLE", Disposition.RETRY),
        (504, None, Disposition.RETRY),
    ],
)
def test_status_classification(status, error_code, expected):
    assert classify_status(status, error_code) is expected


@pytest.mark.parametrize(
    ("error", "expected", "code"),
    [
        (TimeoutError("timed out"), Disposition.RETRY, "TIMEOUT"),  # socket.timeout too
        (ConnectionRefusedError(111, "Connection refused"), Disposition.RETRY, "CONNECTION_ERROR"),
        (ConnectionResetError(104, "reset by peer"), Disposition.RETRY, "CONNECTION_ERROR"),
        (BrokenPipeError(32, "Broken pipe"), Disposition.RETRY, "CONNECTION_ERROR"),
        (
            http.client.RemoteDisconnected("closed without response"),
            Disposition.RETRY,
            "CONNECTION_ERROR",
        ),
        (http.client.IncompleteRead(b"{", 10), Disposition.RETRY, "CONNECTION_ERROR"),
        (http.client.BadStatusLine("garbage"), Disposition.RETRY, "CONNECTION_ERROR"),
        (http.client.LineTooLong("header line"), Disposition.RETRY, "CONNECTION_ERROR"),
        (socket.gaierror(-2, "Name or service not known"), Disposition.RETRY, "CONNECTION_ERROR"),
        (ssl.SSLError("handshake failed"), Disposition.RETRY, "CONNECTION_ERROR"),
        (OSError(9, "Bad file descriptor"), Disposition.RETRY, "CONNECTION_ERROR"),
        (ValueError("a bug"), Disposition.FATAL, "CLIENT_ERROR"),
        (TypeError("a bug"), Disposition.FATAL, "CLIENT_ERROR"),
    ],
)
def test_exception_classification(error, expected, code):
    assert classify_exception(error) is expected
    assert _exception_code(error) == code


def test_spurious_invalid_login_is_retried_at_most_twice():
    policy = RetryPolicy(max_retries=5, max_auth_retries=2)
    assert policy.may_retry(Disposition.AUTH_RETRY, retries_done=0, auth_retries=0)
    assert policy.may_retry(Disposition.AUTH_RETRY, retries_done=1, auth_retries=1)
    assert not policy.may_retry(Disposition.AUTH_RETRY, retries_done=2, auth_retries=2)


def test_retry_budget_and_fatal_errors():
    policy = RetryPolicy(max_retries=3)
    assert policy.may_retry(Disposition.RETRY, retries_done=2, auth_retries=0)
    assert not policy.may_retry(Disposition.RETRY, retries_done=3, auth_retries=0)
    assert not policy.may_retry(Disposition.FATAL, retries_done=0, auth_retries=0)
    assert not policy.may_retry(Disposition.SUCCESS, retries_done=0, auth_retries=0)


def test_backoff_is_exponential_with_jitter_and_capped():
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    rng = random.Random(1)
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (7, 8.0)]:
        delays = [policy.backoff_s(retry, rng) for _ in range(200)]
        assert min(delays) >= ceiling / 2
        assert max(delays) <= ceiling
        assert len(set(delays)) > 1  # jittered


def test_retry_after_header_parsing():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None


def test_netsuite_error_body_gives_code_path_and_detail():
    body = (
        '{"type":"x","title":"Bad Request","status":400,"o:errorDetails":'
        '[{"detail":"Invalid value for item.","o:errorCode":"INVALID_CONTENT",'
        '"o:errorPath":"item.items[0].item"}]}'
    )
    assert parse_error_body(body) == (
        "INVALID_CONTENT",
        "item.items[0].item",
        "Invalid value for item.",
    )
    assert parse_error_body("<html>Bad gateway</html>") == (None, None, "<html>Bad gateway</html>")


def result(disposition: Disposition, status: int | None, retry_after: float | None = None):
    return AttemptResult(
        disposition=disposition,
        started_at=NOW,
        finished_at=NOW,
        http_status=status,
        retry_after_s=retry_after,
    )


def run_scripted(answers, policy=None):
    script = list(answers)
    seen: list[tuple[int, int | None, bool]] = []
    sleeps: list[float] = []
    clock = [0.0]  # fake time that only moves when the retry loop sleeps

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    limiter = AdaptiveLimiter(4, clock=lambda: clock[0])
    outcome = call_with_retries(
        lambda: script.pop(0),
        policy=policy or RetryPolicy(max_retries=5, base_delay_s=0.1),
        limiter=limiter,
        rng=random.Random(0),
        on_attempt=lambda n, r, retry: seen.append((n, r.http_status, retry)),
        sleep=sleep,
    )
    return outcome, seen, sleeps, limiter


def test_5xx_then_success_is_retried_and_every_attempt_reported():
    outcome, seen, sleeps, _ = run_scripted(
        [
            result(Disposition.RETRY, 503),
            result(Disposition.RETRY, None),
            result(Disposition.SUCCESS, 204),
        ]
    )
    assert outcome.final.http_status == 204
    assert outcome.attempts == 3
    assert seen == [(1, 503, True), (2, None, True), (3, 204, False)]
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] / 2


def test_validation_error_is_not_retried():
    outcome, seen, sleeps, _ = run_scripted([result(Disposition.FATAL, 400)])
    assert (outcome.attempts, seen, sleeps) == (1, [(1, 400, False)], [])


def test_retries_stop_when_the_budget_is_spent():
    outcome, seen, _, _ = run_scripted(
        [result(Disposition.RETRY, 500)] * 3, policy=RetryPolicy(max_retries=2, base_delay_s=0)
    )
    assert outcome.attempts == 3
    assert [retry for _, _, retry in seen] == [True, True, False]


def test_429_waits_at_least_retry_after_and_lowers_the_in_flight_limit():
    outcome, _, sleeps, limiter = run_scripted(
        [result(Disposition.THROTTLED, 429, retry_after=2.0), result(Disposition.SUCCESS, 204)]
    )
    assert outcome.final.http_status == 204
    assert sleeps[0] >= 2.0
    assert limiter.throttle_events == 1
    assert limiter.limit == 2


def test_limiter_never_lets_more_than_the_limit_in_flight():
    limiter = AdaptiveLimiter(3)
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def work():
        nonlocal in_flight, peak
        for _ in range(20):
            limiter.acquire()
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.001)
            with lock:
                in_flight -= 1
            limiter.release(Disposition.SUCCESS)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert peak == 3
    assert limiter.peak_in_flight == 3


def test_limiter_recovers_after_throttling():
    limiter = AdaptiveLimiter(4, clock=lambda: 0.0)
    limiter.throttled(0)
    limiter.throttled(0)
    assert limiter.limit == 1
    for _ in range(20):
        limiter.acquire()
        limiter.release(Disposition.SUCCESS)
    assert limiter.limit == 4
