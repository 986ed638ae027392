"""The account-wide concurrency limit: excess requests are refused at once, never queued."""

from __future__ import annotations

import threading


class ConcurrencyGate:
    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._in_flight = 0
        self._max_in_flight = 0

    def try_acquire(self) -> bool:
        with self._lock:
            if self._in_flight >= self._limit:
                return False
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            return True

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def max_in_flight(self) -> int:
        return self._max_in_flight

    def reset_max(self) -> None:
        with self._lock:
            self._max_in_flight = self._in_flight
