"""Counters the admin API reports: requests by endpoint and status, faults, upserts."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class StatsRecorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str]] = Counter()
        self._faults: Counter[str] = Counter()
        self._auth_failures: Counter[str] = Counter()
        self._upserts: Counter[str] = Counter()

    def record_request(self, endpoint: str, status: int | str) -> None:
        with self._lock:
            self._requests[(endpoint, str(status))] += 1

    def record_fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def record_auth_failure(self, reason: str) -> None:
        with self._lock:
            self._auth_failures[reason] += 1

    def record_upsert(self, created: bool) -> None:
        with self._lock:
            self._upserts["created" if created else "updated"] += 1

    def reset(self) -> None:
        with self._lock:
            for counter in (self._requests, self._faults, self._auth_failures, self._upserts):
                counter.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_endpoint: dict[str, dict[str, int]] = {}
            for (endpoint, status), count in sorted(self._requests.items()):
                by_endpoint.setdefault(endpoint, {})[status] = count
            return {
                "requests": by_endpoint,
                "requests_total": sum(self._requests.values()),
                "faults_injected": dict(sorted(self._faults.items())),
                # Reasons are never sent to clients (NetSuite does not), only shown here.
                "auth_failures": dict(sorted(self._auth_failures.items())),
                "upserts": {
                    "created": self._upserts["created"],
                    "updated": self._upserts["updated"],
                },
            }
