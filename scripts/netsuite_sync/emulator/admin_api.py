"""The emulator's own control API under /_emulator/ (no auth): stats, faults, data edits.

The data endpoints stand in for what people do in the NetSuite UI or a CSV import after a
push (duplicate an invoice, edit an amount, void), so reconciliation has something to find.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .config import FaultSettings
from .errors import NetSuiteError, not_found, user_error
from .faults import FaultInjector
from .invoice_payload import Reference, parse_edit, parse_invoice
from .messages import Request, Response
from .record_api import RECORD_PATH, record_json
from .store import InvoiceStore

ADMIN_PREFIX = "/_emulator/"


@dataclass(frozen=True)
class AdminHooks:
    """Whole-emulator operations the admin API triggers but does not own."""

    stats: Callable[[], dict[str, Any]]
    set_faults: Callable[[FaultSettings], None]
    reset: Callable[[], None]


class AdminApi:
    def __init__(
        self,
        store: InvoiceStore,
        reference: Reference,
        base_url: str,
        faults: FaultInjector,
        hooks: AdminHooks,
    ) -> None:
        self._store = store
        self._reference = reference
        self._base_url = base_url
        self._faults = faults
        self._hooks = hooks

    def handle(self, request: Request) -> Response:
        try:
            return self._route(request)
        except ValueError as exc:  # bad fault settings and the like
            return Response.error(user_error(str(exc)))
        except NetSuiteError as exc:
            return Response.error(exc)

    def _route(self, request: Request) -> Response:
        parts = request.raw_path[len(ADMIN_PREFIX) :].strip("/").split("/")
        method = request.method
        if parts == ["stats"] and method == "GET":
            return Response(200, self._hooks.stats())
        if parts == ["faults"] and method == "GET":
            return Response(200, self._fault_state())
        if parts == ["faults"] and method in ("POST", "PUT"):
            self._hooks.set_faults(FaultSettings.from_dict(request.json_object()))
            return Response(200, self._fault_state())
        if parts == ["reset"] and method == "POST":
            self._hooks.reset()
            return Response(200, {"status": "reset"})
        if parts == ["invoices"]:
            if method == "GET":
                return self._list(request)
            if method == "POST":
                return self._create(request)
        if len(parts) == 2 and parts[0] == "invoices":
            return self._instance(request, parts[1])
        raise NetSuiteError.single(
            404, "NOT_FOUND", f"No admin endpoint {method} {request.raw_path}"
        )

    def _fault_state(self) -> dict[str, Any]:
        return {"settings": self._faults.settings.to_dict(), "pending": self._faults.pending()}

    def _list(self, request: Request) -> Response:
        external_id = request.query.get("externalId")
        records = (
            self._store.all_invoices()
            if external_id is None
            else self._store.invoices_by_external_id(external_id)
        )
        items = [record_json(record, self._base_url) for record in records]
        return Response(200, {"count": len(items), "items": items})

    def _create(self, request: Request) -> Response:
        # Like the UI or a CSV import: an external id that already exists is allowed.
        invoice = parse_invoice(request.json_object(), self._reference, lenient_refs=True)
        internal_id = self._store.create(invoice, allow_duplicate_external_id=True)
        return self._record_response(internal_id, status=201)

    def _instance(self, request: Request, raw_id: str) -> Response:
        if not raw_id.isdigit():
            raise not_found()
        internal_id = int(raw_id)
        if request.method == "GET":
            return self._record_response(internal_id)
        if request.method == "PATCH":
            edit = parse_edit(request.json_object(), self._reference)
            if not self._store.edit(internal_id, edit):
                raise not_found()
            return self._record_response(internal_id)
        if request.method == "DELETE":
            if not self._store.delete(internal_id):
                raise not_found()
            return Response(204)
        raise NetSuiteError.single(405, "INVALID_METHOD", f"{request.method} not supported")

    def _record_response(self, internal_id: int, status: int = 200) -> Response:
        record = self._store.get(internal_id)
        if record is None:
            raise not_found()
        return Response(
            status,
            record_json(record, self._base_url),
            headers={"Location": f"{self._base_url}{RECORD_PATH}/{internal_id}"},
        )
