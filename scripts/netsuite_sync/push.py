"""Push ready invoices to NetSuite: stream, decide, send with bounded concurrency, log.

Threads: the calling thread owns the warehouse (reads the mart stream, writes the push
log); a pool of `concurrency` workers owns the HTTP. Workers hand results back through
a queue, so no warehouse connection is ever shared between threads. At most
2 x concurrency invoices are held in memory at any time.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from netsuite_sync.http_client import AttemptResult, NetSuiteClient, call_with_retries, utc_now
from netsuite_sync.marts import Candidate, Relations, Selection, count_selection, stream_candidates
from netsuite_sync.payloads import (
    InvalidInvoice,
    InvoiceHeader,
    PayloadOptions,
    invoice_body,
    render_invoice,
    to_json,
)
from netsuite_sync.push_log import Outcome, PushLogRow, PushLogWriter
from netsuite_sync.retry import AdaptiveLimiter, Disposition, RetryPolicy
from netsuite_sync.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushConfig:
    selection: Selection = field(default_factory=Selection)
    payload_options: PayloadOptions = field(default_factory=PayloadOptions)
    concurrency: int = 5
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    dry_run: bool = False
    flush_every_s: float = 2.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")


@dataclass(frozen=True)
class InvoiceFailure:
    external_id: str
    error_code: str | None
    error_path: str | None
    error_detail: str | None
    http_status: int | None
    attempts: int


@dataclass
class PushSummary:
    run_id: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    attempts: int = 0
    failures: list[InvoiceFailure] = field(default_factory=list)
    peak_in_flight: int = 0
    throttle_events: int = 0

    @property
    def sent(self) -> int:
        return self.created + self.updated

    @property
    def ok(self) -> bool:
        return self.failed == 0


class Progress(Protocol):
    def update(self, n: int = 1) -> Any: ...

    def close(self) -> Any: ...


class NoProgress:
    def update(self, n: int = 1) -> None:
        return None

    def close(self) -> None:
        return None


@dataclass(frozen=True)
class _InvoiceDone:
    external_id: str
    outcome: str
    failure: InvoiceFailure | None


def new_run_id() -> str:
    return f"{utc_now():%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def run_push(
    warehouse: Warehouse,
    relations: Relations,
    client: NetSuiteClient | None,
    config: PushConfig,
    *,
    writer: PushLogWriter | None,
    progress_factory: Callable[[int], Progress] = lambda total: NoProgress(),
    payload_out: IO[str] | None = None,
    run_id: str | None = None,
) -> PushSummary:
    """Push every selected invoice that is new or changed and log what happened.

    With `config.dry_run`, payloads are built, validated and written to `payload_out`
    (one JSON document per line); nothing is sent and nothing is logged.
    """
    if not config.dry_run and (client is None or writer is None):
        raise ValueError("a real push needs a NetSuite client and a push log writer")
    summary = PushSummary(run_id=run_id or new_run_id(), dry_run=config.dry_run)
    counts = count_selection(warehouse, relations, config.selection)
    log.info(
        "push %s: %d invoices selected, %d new or changed",
        summary.run_id,
        counts.total,
        counts.to_send,
    )
    progress = progress_factory(counts.total)
    candidates = stream_candidates(warehouse, relations, config.selection)
    try:
        if config.dry_run:
            _dry_run(candidates, config, summary, progress, payload_out)
        else:
            assert client is not None and writer is not None
            _push_all(candidates, client, config, summary, progress, writer)
    finally:
        progress.close()
        candidates.close()  # closes the warehouse cursor if the run stopped early
    return summary


def _dry_run(
    candidates: Iterator[Candidate],
    config: PushConfig,
    summary: PushSummary,
    progress: Progress,
    out: IO[str] | None,
) -> None:
    for candidate in candidates:
        progress.update(1)
        if candidate.action == "skip":
            summary.skipped += 1
            continue
        rendered = render_invoice(candidate.header, candidate.lines, config.payload_options)
        if isinstance(rendered, InvalidInvoice):
            summary.failed += 1
            summary.failures.append(_validation_failure(rendered))
            continue
        if candidate.action == "create":
            summary.created += 1
        else:
            summary.updated += 1
        if out is not None:
            out.write(to_json(invoice_body(rendered, config.payload_options)) + "\n")


def _validation_failure(invalid: InvalidInvoice) -> InvoiceFailure:
    return InvoiceFailure(
        external_id=invalid.external_id,
        error_code=invalid.error_code,
        error_path=None,
        error_detail=invalid.detail,
        http_status=None,
        attempts=0,
    )


def _push_all(
    candidates: Iterator[Candidate],
    client: NetSuiteClient,
    config: PushConfig,
    summary: PushSummary,
    progress: Progress,
    writer: PushLogWriter,
) -> None:
    events: queue.SimpleQueue[PushLogRow | _InvoiceDone] = queue.SimpleQueue()
    limiter = AdaptiveLimiter(config.concurrency)
    rng = random.Random(config.seed)
    stop = threading.Event()
    # Bounded hand-off: the stream is never read further ahead than this.
    slots = threading.BoundedSemaphore(config.concurrency * 2)
    submitted = 0
    finished = 0

    def drain(block_s: float = 0.0) -> None:
        nonlocal finished
        try:
            event = events.get(timeout=block_s) if block_s > 0 else events.get_nowait()
            while True:
                if isinstance(event, PushLogRow):
                    writer.append(event)
                    if event.attempt > 0:
                        summary.attempts += 1
                else:
                    finished += 1
                    _count(summary, event)
                    progress.update(1)
                event = events.get_nowait()
        except queue.Empty:
            pass
        writer.flush_if_due()

    def work(candidate: Candidate, body: bytes) -> None:
        try:
            _push_one(candidate, body, client, config, limiter, rng, stop, events, summary.run_id)
        except Exception as error:
            events.put(
                _InvoiceDone(
                    candidate.header.external_id,
                    "failed",
                    InvoiceFailure(
                        candidate.header.external_id,
                        "INTERNAL_ERROR",
                        None,
                        type(error).__name__,
                        None,
                        0,
                    ),
                )
            )
        finally:
            slots.release()

    executor = ThreadPoolExecutor(
        max_workers=config.concurrency, thread_name_prefix="netsuite-push"
    )
    try:
        for candidate in candidates:
            header = candidate.header
            if candidate.action == "skip":
                writer.append(
                    _unsent_row(summary.run_id, header, "skipped", candidate.last_internal_id)
                )
                summary.skipped += 1
                progress.update(1)
                drain()
                continue
            rendered = render_invoice(header, candidate.lines, config.payload_options)
            if isinstance(rendered, InvalidInvoice):
                writer.append(
                    _unsent_row(
                        summary.run_id, header, "failed", None, rendered.error_code, rendered.detail
                    )
                )
                summary.failed += 1
                summary.failures.append(_validation_failure(rendered))
                progress.update(1)
                drain()
                continue
            body = to_json(invoice_body(rendered, config.payload_options)).encode("utf-8")
            while not slots.acquire(timeout=0.2):
                drain()
            executor.submit(work, candidate, body)
            submitted += 1
            drain()
        while finished < submitted:
            drain(block_s=0.2)
    except BaseException:
        # Interrupted (Ctrl-C) or the warehouse failed: stop retrying, let in-flight
        # requests finish, and record every attempt that has an answer.
        stop.set()
        executor.shutdown(wait=True, cancel_futures=True)
        with contextlib.suppress(Exception):
            drain()
            writer.flush()
        raise
    finally:
        executor.shutdown(wait=True)
        summary.peak_in_flight = limiter.peak_in_flight
        summary.throttle_events = limiter.throttle_events
    drain()
    writer.flush()


def _unsent_row(
    run_id: str,
    header: InvoiceHeader,
    outcome: Outcome,
    internal_id: str | None,
    error_code: str | None = None,
    error_detail: str | None = None,
) -> PushLogRow:
    """The log row of an invoice decided without a request (skipped, or invalid locally)."""
    now = utc_now()
    return PushLogRow(
        run_id=run_id,
        external_id=header.external_id,
        payload_hash=header.payload_hash,
        attempt=0,
        started_at=now,
        finished_at=now,
        http_status=None,
        outcome=outcome,
        is_final_attempt=True,
        netsuite_internal_id=internal_id,
        error_code=error_code,
        error_path=None,
        error_detail=error_detail,
    )


def _count(summary: PushSummary, done: _InvoiceDone) -> None:
    if done.outcome == "created":
        summary.created += 1
    elif done.outcome == "updated":
        summary.updated += 1
    else:
        summary.failed += 1
        if done.failure is not None:
            summary.failures.append(done.failure)


def _push_one(
    candidate: Candidate,
    body: bytes,
    client: NetSuiteClient,
    config: PushConfig,
    limiter: AdaptiveLimiter,
    rng: random.Random,
    stop: threading.Event,
    events: queue.SimpleQueue[PushLogRow | _InvoiceDone],
    run_id: str,
) -> None:
    header = candidate.header
    success_outcome = "created" if candidate.action == "create" else "updated"

    def record(number: int, result: AttemptResult, will_retry: bool) -> None:
        succeeded = result.disposition is Disposition.SUCCESS
        log.debug(
            "%s attempt %d: %s %s%s",
            header.external_id,
            number,
            result.http_status or "no response",
            result.error_code or "",
            " (will retry)" if will_retry else "",
        )
        events.put(
            PushLogRow(
                run_id=run_id,
                external_id=header.external_id,
                payload_hash=header.payload_hash,
                attempt=number,
                started_at=result.started_at,
                finished_at=result.finished_at,
                http_status=result.http_status,
                outcome=success_outcome if succeeded else "failed",  # type: ignore[arg-type]
                is_final_attempt=not will_retry,
                netsuite_internal_id=(
                    (result.internal_id or candidate.last_internal_id) if succeeded else None
                ),
                error_code=None if succeeded else result.error_code,
                error_path=None if succeeded else result.error_path,
                error_detail=None if succeeded else result.error_detail,
            )
        )

    outcome = call_with_retries(
        lambda: client.upsert_invoice(header.external_id, body),
        policy=config.retry_policy,
        limiter=limiter,
        rng=rng,
        on_attempt=record,
        stop=stop,
    )
    final = outcome.final
    if final.disposition is Disposition.SUCCESS:
        events.put(_InvoiceDone(header.external_id, success_outcome, None))
        return
    events.put(
        _InvoiceDone(
            header.external_id,
            "failed",
            InvoiceFailure(
                external_id=header.external_id,
                error_code=final.error_code,
                error_path=final.error_path,
                error_detail=final.error_detail,
                http_status=final.http_status,
                attempts=outcome.attempts,
            ),
        )
    )
