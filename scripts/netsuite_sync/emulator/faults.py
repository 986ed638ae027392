"""Deterministic fault injection: random rates from a seeded generator plus per-eid queues."""

from __future__ import annotations

import random
import threading
from collections import deque

from .config import FaultSettings

# Faults that replace the response before the request is processed.
PRE_PROCESSING_FAULTS = frozenset({"500", "503", "429", "invalid_login", "timeout"})
DROP_AFTER_COMMIT = "drop_after_commit"

_ALIASES = {"5xx": "503"}
_DRAWS_PER_REQUEST = 5


class FaultInjector:
    """Decides which fault, if any, hits each request.

    Every request consumes the same number of random draws whatever the outcome, so the
    sequence of faults depends only on the seed and the order of requests.
    """

    def __init__(self, settings: FaultSettings) -> None:
        self._lock = threading.Lock()
        self._settings = settings
        self._rng = random.Random(settings.seed)
        self._queues: dict[str, deque[str]] = {}
        self.configure(settings)

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings
            self._rng = random.Random(settings.seed)
            self._queues = {
                external_id: deque(_ALIASES.get(kind, kind) for kind in kinds)
                for external_id, kinds in settings.fail_external_ids.items()
            }

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    @property
    def latency_s(self) -> float:
        return self._settings.latency_ms / 1000

    @property
    def timeout_sleep_s(self) -> float:
        return self._settings.timeout_sleep_ms / 1000

    def next_fault(self, *, is_write: bool, external_id: str | None) -> str | None:
        """The fault for one authenticated request; external_id is the invoice a write targets.

        A queued fault for the external id wins over the random rates, so a test can script
        the exact sequence of outcomes one invoice sees.
        """
        with self._lock:
            settings = self._settings
            draws = [self._rng.random() for _ in range(_DRAWS_PER_REQUEST)]
            queue = self._queues.get(external_id) if is_write and external_id else None
            if queue:
                return queue.popleft()
            if draws[0] < settings.error_rate_5xx:
                return "500" if draws[4] < 0.5 else "503"
            if draws[1] < settings.timeout_rate:
                return "timeout"
            if draws[2] < settings.invalid_login_rate:
                return "invalid_login"
            if is_write and draws[3] < settings.drop_after_commit_rate:
                return DROP_AFTER_COMMIT
            return None

    def pending(self) -> dict[str, list[str]]:
        with self._lock:
            return {eid: list(queue) for eid, queue in self._queues.items() if queue}
