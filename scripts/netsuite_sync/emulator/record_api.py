"""The invoice record endpoints of SuiteTalk REST: create, upsert by external id, get."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .errors import NetSuiteError, not_found, user_error
from .invoice_payload import InvoiceInput, Reference, parse_invoice
from .messages import Request, Response
from .stats import StatsRecorder
from .store import InvoiceRecord, InvoiceStore

RECORD_PATH = "/services/rest/record/v1/invoice"


@dataclass(frozen=True)
class RecordRoute:
    """Which invoice a record URL addresses: all, one by external id, or one by internal id."""

    external_id: str | None = None
    internal_id: str | None = None

    @property
    def is_collection(self) -> bool:
        return self.external_id is None and self.internal_id is None

    @classmethod
    def parse(cls, raw_path: str) -> RecordRoute | None:
        path = raw_path.rstrip("/")
        if path == RECORD_PATH:
            return cls()
        prefix = RECORD_PATH + "/"
        if not path.startswith(prefix) or "/" in path[len(prefix) :]:
            return None
        key = unquote(path[len(prefix) :])
        if key.startswith("eid:"):
            return cls(external_id=key[len("eid:") :])
        return cls(internal_id=key)

    def is_write(self, request: Request) -> bool:
        return (request.method == "PUT" and self.external_id is not None) or (
            request.method == "POST" and self.is_collection
        )

    def write_external_id(self, request: Request) -> str | None:
        """The external id a write targets (for the per-eid fault queue); None for reads."""
        if not self.is_write(request):
            return None
        if self.external_id is not None:
            return self.external_id
        if request.method == "POST":
            try:
                body = json.loads(request.body or b"null")
            except ValueError:
                return None
            external_id = body.get("externalId") if isinstance(body, dict) else None
            return str(external_id) if external_id is not None else None
        return None


def endpoint_name(request: Request, route: RecordRoute) -> str:
    if route.is_collection:
        return "record.create" if request.method == "POST" else "record.other"
    if request.method == "PUT" and route.external_id is not None:
        return "record.upsert"
    return "record.get" if request.method == "GET" else "record.other"


class RecordApi:
    def __init__(
        self, store: InvoiceStore, reference: Reference, base_url: str, stats: StatsRecorder
    ) -> None:
        self._store = store
        self._reference = reference
        self._base_url = base_url
        self._stats = stats

    def handle(self, request: Request, route: RecordRoute) -> Response:
        if route.is_collection:
            if request.method == "POST":
                return self._create(request)
        elif request.method == "PUT" and route.external_id is not None:
            return self._upsert(request, route.external_id)
        elif request.method == "GET":
            return self._get(route)
        raise NetSuiteError.single(
            405, "INVALID_METHOD", f"{request.method} is not supported on this resource."
        )

    def _upsert(self, request: Request, external_id: str) -> Response:
        if not external_id:
            raise user_error("The external ID in the URL is empty.", "externalId")
        body = request.json_object()
        if body.get("externalId") is not None and str(body["externalId"]) != external_id:
            raise user_error(
                "The external ID in the request body does not match the one in the URL.",
                "externalId",
            )
        invoice = parse_invoice(body, self._reference)
        replace = {part.strip() for part in request.query.get("replace", "").split(",")}
        result = self._store.upsert(external_id, invoice, replace_lines="item" in replace)
        self._stats.record_upsert(created=result.created)
        return self._no_content(result.internal_id)

    def _create(self, request: Request) -> Response:
        invoice: InvoiceInput = parse_invoice(request.json_object(), self._reference)
        internal_id = self._store.create(invoice, allow_duplicate_external_id=False)
        self._stats.record_upsert(created=True)
        return self._no_content(internal_id)

    def _get(self, route: RecordRoute) -> Response:
        record: InvoiceRecord | None = None
        if route.external_id is not None:
            matches = self._store.invoices_by_external_id(route.external_id)
            record = matches[0] if matches else None
        elif route.internal_id is not None and route.internal_id.isdigit():
            record = self._store.get(int(route.internal_id))
        if record is None:
            raise not_found()
        return Response(200, record_json(record, self._base_url))

    def _no_content(self, internal_id: int) -> Response:
        # NetSuite answers create and update alike: 204 and the record URL in Location.
        return Response(204, headers={"Location": f"{self._base_url}{RECORD_PATH}/{internal_id}"})


def record_json(record: InvoiceRecord, base_url: str) -> dict[str, Any]:
    """The record as GET returns it: record-API signs (amounts positive), nulls left out."""
    body: dict[str, Any] = {
        "links": [{"rel": "self", "href": f"{base_url}{RECORD_PATH}/{record.internal_id}"}],
        "id": str(record.internal_id),
        "tranId": record.tran_id,
        "externalId": record.external_id,
        "entity": _ref(record.entity_id),
        "tranDate": record.tran_date,
        "startDate": record.start_date,
        "endDate": record.end_date,
        "currency": _ref(record.currency_id),
        "subsidiary": _ref(record.subsidiary_id),
        "customForm": _ref(record.custom_form_id),
        "memo": record.memo,
        "otherRefNum": record.other_ref_num,
        "total": record.total,
        "status": {"id": record.status, "refName": "Voided" if record.voided else "Open"},
        "voided": record.voided,
        "createdDate": record.created_at,
        "lastModifiedDate": record.last_modified_at,
        **record.custom,
        "item": {
            "items": [
                _drop_nulls(
                    {
                        "line": line.line_id,
                        "item": _ref(line.item_id),
                        "quantity": line.quantity,
                        "rate": line.rate,
                        "amount": line.amount,
                        "description": line.description,
                        **line.custom,
                    }
                )
                for line in record.lines
            ]
        },
    }
    return _drop_nulls(body)


def _ref(internal_id: str | None) -> dict[str, str] | None:
    return None if internal_id is None else {"id": internal_id}


def _drop_nulls(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
