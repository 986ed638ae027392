"""The request pipeline of the emulated account, independent of the HTTP server.

Order per client request, as NetSuite behaves from the outside: concurrency gate (429 at
once), latency, signature check (401), injected faults, then the endpoint itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .admin_api import ADMIN_PREFIX, AdminApi, AdminHooks
from .concurrency import ConcurrencyGate
from .config import EmulatorConfig, FaultSettings
from .errors import (
    NetSuiteError,
    concurrency_limit_exceeded,
    invalid_login,
    not_found,
    server_error,
)
from .faults import DROP_AFTER_COMMIT, FaultInjector
from .invoice_payload import Reference
from .messages import Request, Response
from .oauth_verify import AuthFailure, OAuthVerifier
from .record_api import RecordApi, RecordRoute, endpoint_name
from .stats import StatsRecorder
from .store import InvoiceStore
from .suiteql import PATH as SUITEQL_PATH
from .suiteql import handle_suiteql

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Target:
    endpoint: str  # stats label
    run: Callable[[Request], Response]
    is_write: bool = False
    external_id: str | None = None  # the invoice a write targets: the per-eid fault queue key


class EmulatorApp:
    def __init__(self, config: EmulatorConfig, base_url: str) -> None:
        self.config = config
        self.base_url = base_url
        self.reference = Reference.from_config(config.reference)
        self.store = InvoiceStore(config.state_path, self.reference.default_currency)
        self.stats = StatsRecorder()
        self.gate = ConcurrencyGate(config.concurrency_limit)
        self.faults = FaultInjector(config.faults)
        self.verifier = OAuthVerifier(config)
        self._stopping = threading.Event()
        self._records = RecordApi(self.store, self.reference, base_url, self.stats)
        self._admin = AdminApi(
            self.store,
            self.reference,
            base_url,
            self.faults,
            AdminHooks(stats=self.stats_snapshot, set_faults=self.set_faults, reset=self.reset),
        )

    # ------------------------------------------------------------ operations

    def stats_snapshot(self) -> dict[str, Any]:
        return {
            **self.stats.snapshot(),
            "in_flight": self.gate.in_flight,
            "max_in_flight": self.gate.max_in_flight,
            "concurrency_limit": self.config.concurrency_limit,
            "fault_settings": self.faults.settings.to_dict(),
        }

    def set_faults(self, settings: FaultSettings) -> None:
        self.faults.configure(settings)

    def reset(self) -> None:
        """Back to the state at start: no invoices, zero counters, the configured faults.

        Seen nonces are kept on purpose: a reset must not make a replay acceptable.
        """
        self.store.reset()
        self.stats.reset()
        self.gate.reset_max()
        self.faults.configure(self.config.faults)

    def stop(self) -> None:
        """Wake every sleeping request (latency, timeout faults) so shutdown is quick."""
        self._stopping.set()

    def close(self) -> None:
        self.stop()
        self.store.close()

    # -------------------------------------------------------------- pipeline

    def handle(self, request: Request) -> Response:
        if request.raw_path.startswith(ADMIN_PREFIX):
            return self._admin.handle(request)
        target = self._resolve(request)
        if not self.gate.try_acquire():
            self.stats.record_request(target.endpoint, 429)
            return Response.error(concurrency_limit_exceeded())
        try:
            response = self._handle_admitted(request, target)
        finally:
            self.gate.release()
        status: int | str = "dropped" if response.drop_connection else response.status
        self.stats.record_request(target.endpoint, status)
        return response

    def _resolve(self, request: Request) -> _Target:
        if request.raw_path.rstrip("/") == SUITEQL_PATH:
            return _Target("suiteql", self._suiteql)
        route = RecordRoute.parse(request.raw_path)
        if route is None:
            return _Target("unknown", _not_found)
        return _Target(
            endpoint_name(request, route),
            lambda req: self._records.handle(req, route),
            is_write=route.is_write(request),
            external_id=route.write_external_id(request),
        )

    def _suiteql(self, request: Request) -> Response:
        return handle_suiteql(request, self.store, self.base_url)

    def _handle_admitted(self, request: Request, target: _Target) -> Response:
        if not self._pause(self.faults.latency_s):
            return Response.dropped()
        try:
            self.verifier.verify(
                request.method,
                request.scheme,
                request.header("Host"),
                request.raw_path,
                request.raw_query,
                request.header("Authorization"),
            )
        except AuthFailure as failure:
            self.stats.record_auth_failure(failure.reason)
            return Response.error(invalid_login())

        fault = self.faults.next_fault(is_write=target.is_write, external_id=target.external_id)
        if fault is not None:
            self.stats.record_fault(fault)
        early = self._early_fault_response(fault)
        if early is not None:
            return early

        response = _run(target, request)
        if fault == DROP_AFTER_COMMIT:
            # The work is committed; the caller never hears about it (a lost response).
            return Response.dropped()
        return response

    def _early_fault_response(self, fault: str | None) -> Response | None:
        if fault in ("500", "503"):
            return Response.error(server_error(int(fault)))
        if fault == "429":
            return Response.error(concurrency_limit_exceeded())
        if fault == "invalid_login":
            return Response.error(invalid_login())
        if fault == "timeout":
            # Still "working" when the client gives up; nothing is committed.
            self._pause(self.faults.timeout_sleep_s)
            return Response.dropped()
        return None

    def _pause(self, seconds: float) -> bool:
        """Sleep unless the emulator is stopping; False when woken by a stop."""
        if seconds <= 0:
            return not self._stopping.is_set()
        return not self._stopping.wait(seconds)


def _run(target: _Target, request: Request) -> Response:
    try:
        return target.run(request)
    except NetSuiteError as error:
        return Response.error(error)
    except Exception:
        # Reported like NetSuite's own unexpected errors; the traceback stays server-side.
        logger.exception("emulator failed on %s %s", request.method, request.raw_path)
        return Response.error(server_error(500))


def _not_found(request: Request) -> Response:
    raise not_found(f"No REST resource at {request.raw_path}.")
