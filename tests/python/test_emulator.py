"""The NetSuite emulator speaks the real protocol: signed requests, NetSuite errors, SuiteQL.

Requests are signed with requests-oauthlib, an implementation independent of the
emulator's verifier, so a passing test proves the two interoperate.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from netsuite_sync.emulator import (
    EmulatorConfig,
    EmulatorServer,
    FaultSettings,
    running_emulator,
)
from requests_oauthlib import OAuth1

ACCOUNT = "1234567_sb1"
CONSUMER_KEY = "consumer-key"
CONSUMER_SECRET = "consumer-secret"
TOKEN_ID = "token-id"
TOKEN_SECRET = "token-secret"
REFERENCE = {
    "customers": ["10005", "10006"],
    "items": ["501", "502"],
    "currencies": {"USD": "1", "EUR": "4"},
}
TIMEOUT = (2, 5)
SUITEQL = "/services/rest/query/v1/suiteql"
INVOICE = "/services/rest/record/v1/invoice"


def make_config(**overrides: Any) -> EmulatorConfig:
    values: dict[str, Any] = {
        "account_id": ACCOUNT,
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "token_id": TOKEN_ID,
        "token_secret": TOKEN_SECRET,
        "reference": REFERENCE,
    }
    values.update(overrides)
    return EmulatorConfig(**values)


def oauth(**overrides: Any) -> OAuth1:
    values: dict[str, Any] = {
        "client_key": CONSUMER_KEY,
        "client_secret": CONSUMER_SECRET,
        "resource_owner_key": TOKEN_ID,
        "resource_owner_secret": TOKEN_SECRET,
        "signature_method": "HMAC-SHA256",
        "realm": ACCOUNT.upper(),
    }
    values.update(overrides)
    return OAuth1(**values)


def invoice_body(external_id: str, lines: list[tuple[str, str, str]], **fields: Any) -> dict:
    """lines: (item id, quantity, amount) as decimal strings, sent as JSON numbers."""
    body: dict[str, Any] = {
        "externalId": external_id,
        "entity": {"id": "10005"},
        "tranDate": "2024-01-31",
        "startDate": "2024-01-01",
        "endDate": "2024-01-31",
        "currency": {"id": "1"},
        "item": {
            "items": [
                {
                    "item": {"id": item},
                    "quantity": Decimal(quantity),
                    "rate": Decimal(amount) / Decimal(quantity),
                    "amount": Decimal(amount),
                    "description": f"line {index}",
                    "custcol_metronome_line_id": f"{external_id}-L{index}",
                }
                for index, (item, quantity, amount) in enumerate(lines, start=1)
            ]
        },
    }
    body.update(fields)
    return body


def to_json_bytes(body: dict) -> bytes:
    """Serialise decimals as JSON numbers (repr of a float keeps these short values exact)."""

    class _Encoder(json.JSONEncoder):
        def default(self, o: Any) -> Any:
            if isinstance(o, Decimal):
                return float(o)
            return super().default(o)

    return json.dumps(body, cls=_Encoder).encode()


def put_invoice(
    server: EmulatorServer, body: dict, *, replace: bool = True, auth: OAuth1 | None = None
) -> requests.Response:
    query = "?replace=item" if replace else ""
    return requests.put(
        f"{server.base_url}{INVOICE}/eid:{body['externalId']}{query}",
        data=to_json_bytes(body),
        headers={"Content-Type": "application/json"},
        auth=auth or oauth(),
        timeout=TIMEOUT,
    )


def suiteql(
    server: EmulatorServer, query: str, *, limit: int = 1000, offset: int = 0, prefer: bool = True
) -> requests.Response:
    headers = {"Prefer": "transient"} if prefer else {}
    return requests.post(
        f"{server.base_url}{SUITEQL}?limit={limit}&offset={offset}",
        json={"q": query},
        headers=headers,
        auth=oauth(),
        timeout=TIMEOUT,
    )


def error_codes(response: requests.Response) -> list[str]:
    return [detail["o:errorCode"] for detail in response.json()["o:errorDetails"]]


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with running_emulator(make_config()) as emulator:
        yield emulator


# --------------------------------------------------------------------------- auth


def test_validly_signed_upsert_is_accepted_with_204_and_location(server: EmulatorServer) -> None:
    response = put_invoice(server, invoice_body("INV-1", [("501", "1", "10.00")]))

    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["Location"] == f"{server.base_url}{INVOICE}/1001"


def test_wrong_consumer_secret_is_invalid_login(server: EmulatorServer) -> None:
    response = put_invoice(
        server,
        invoice_body("INV-1", [("501", "1", "10.00")]),
        auth=oauth(client_secret="not-the-secret"),
    )

    assert response.status_code == 401
    assert response.json()["title"] == "Invalid login attempt."
    assert error_codes(response) == ["INVALID_LOGIN"]
    assert server.stats()["auth_failures"] == {"bad_signature": 1}
    assert server.store.invoices_by_external_id("INV-1") == []


def test_wrong_realm_is_invalid_login(server: EmulatorServer) -> None:
    response = put_invoice(
        server, invoice_body("INV-1", [("501", "1", "10.00")]), auth=oauth(realm="7654321")
    )

    assert response.status_code == 401
    assert error_codes(response) == ["INVALID_LOGIN"]


def test_stale_timestamp_is_invalid_login(server: EmulatorServer) -> None:
    stale = str(int(time.time()) - 3600)
    response = put_invoice(
        server, invoice_body("INV-1", [("501", "1", "10.00")]), auth=oauth(timestamp=stale)
    )

    assert response.status_code == 401
    assert server.stats()["auth_failures"] == {"stale_timestamp": 1}


def test_replayed_request_with_same_nonce_is_rejected(server: EmulatorServer) -> None:
    body = invoice_body("INV-1", [("501", "1", "10.00")])
    prepared = requests.Request(
        "PUT",
        f"{server.base_url}{INVOICE}/eid:INV-1?replace=item",
        data=to_json_bytes(body),
        headers={"Content-Type": "application/json"},
        auth=oauth(),
    ).prepare()

    with requests.Session() as session:
        first = session.send(prepared, timeout=TIMEOUT)
        replay = session.send(prepared, timeout=TIMEOUT)

    assert first.status_code == 204
    assert replay.status_code == 401
    assert error_codes(replay) == ["INVALID_LOGIN"]
    assert server.stats()["auth_failures"] == {"replayed_nonce": 1}


def test_query_parameters_are_part_of_the_signature(server: EmulatorServer) -> None:
    body = invoice_body("INV-1", [("501", "1", "10.00")])
    prepared = requests.Request(
        "PUT",
        f"{server.base_url}{INVOICE}/eid:INV-1",
        data=to_json_bytes(body),
        headers={"Content-Type": "application/json"},
        auth=oauth(),
    ).prepare()
    prepared.url = f"{prepared.url}?replace=item"  # tampered after signing

    with requests.Session() as session:
        response = session.send(prepared, timeout=TIMEOUT)

    assert response.status_code == 401
    assert server.stats()["auth_failures"] == {"bad_signature": 1}


def test_admin_api_needs_no_signature(server: EmulatorServer) -> None:
    response = requests.get(f"{server.base_url}/_emulator/stats", timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.json()["concurrency_limit"] == 5


# ------------------------------------------------------------------------- upsert


def test_upsert_twice_with_replace_item_keeps_one_record_and_replaces_lines(
    server: EmulatorServer,
) -> None:
    first = put_invoice(server, invoice_body("INV-1", [("501", "1", "10.00"), ("502", "2", "5")]))
    second = put_invoice(server, invoice_body("INV-1", [("502", "3", "7.50")]))

    assert first.status_code == second.status_code == 204
    assert first.headers["Location"] == second.headers["Location"]
    [record] = server.store.invoices_by_external_id("INV-1")
    assert record.internal_id == 1001
    assert [(line.item_id, line.quantity, line.amount) for line in record.lines] == [
        ("502", Decimal("3"), Decimal("7.5"))
    ]
    assert record.total == Decimal("7.5")
    assert server.stats()["upserts"] == {"created": 1, "updated": 1}


def test_upsert_without_replace_item_appends_lines(server: EmulatorServer) -> None:
    body = invoice_body("INV-1", [("501", "1", "10.00")])
    put_invoice(server, body, replace=False)
    put_invoice(server, body, replace=False)

    [record] = server.store.invoices_by_external_id("INV-1")
    assert [(line.line_id, line.amount) for line in record.lines] == [
        (1, Decimal("10")),
        (2, Decimal("10")),
    ]
    assert record.total == Decimal("20")


def test_amounts_are_kept_exact_and_total_is_their_sum(server: EmulatorServer) -> None:
    body = invoice_body("INV-1", [("501", "1", "0.10"), ("501", "1", "0.20")])

    put_invoice(server, body)

    [record] = server.store.invoices_by_external_id("INV-1")
    assert record.total == Decimal("0.3")


def test_unknown_item_is_invalid_content_with_error_path(server: EmulatorServer) -> None:
    response = put_invoice(server, invoice_body("INV-1", [("501", "1", "10"), ("999", "1", "10")]))

    assert response.status_code == 400
    [detail] = response.json()["o:errorDetails"]
    assert detail["o:errorCode"] == "INVALID_CONTENT"
    assert detail["o:errorPath"] == "item.items[1].item"


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [("entity", {"id": "42"}, "entity"), ("currency", {"id": "99"}, "currency")],
)
def test_unknown_customer_or_currency_is_invalid_content(
    server: EmulatorServer, field: str, value: dict, path: str
) -> None:
    body = invoice_body("INV-1", [("501", "1", "10")], **{field: value})

    response = put_invoice(server, body)

    assert response.status_code == 400
    assert response.json()["o:errorDetails"][0]["o:errorPath"] == path
    assert error_codes(response) == ["INVALID_CONTENT"]


@pytest.mark.parametrize(
    "change",
    [
        {"entity": None},
        {"tranDate": None},
        {"item": {"items": []}},
        {"externalId": "SOMETHING-ELSE"},
    ],
    ids=["no-entity", "no-trandate", "no-items", "eid-mismatch"],
)
def test_incomplete_or_inconsistent_body_is_user_error(
    server: EmulatorServer, change: dict
) -> None:
    body = {**invoice_body("INV-1", [("501", "1", "10")]), **change}
    response = requests.put(
        f"{server.base_url}{INVOICE}/eid:INV-1?replace=item",
        data=to_json_bytes(body),
        auth=oauth(),
        timeout=TIMEOUT,
    )

    assert response.status_code == 400
    assert error_codes(response) == ["USER_ERROR"]
    assert server.store.all_invoices() == []


def test_line_amount_that_is_not_a_number_is_user_error(server: EmulatorServer) -> None:
    body = invoice_body("INV-1", [("501", "1", "10")])
    body["item"]["items"][0]["amount"] = "10.00"

    response = put_invoice(server, body)

    assert response.status_code == 400
    assert error_codes(response) == ["USER_ERROR"]
    assert response.json()["o:errorDetails"][0]["o:errorPath"] == "item.items[0].amount"


def test_post_creates_and_rejects_a_duplicate_external_id(server: EmulatorServer) -> None:
    body = to_json_bytes(invoice_body("INV-1", [("501", "1", "10")]))

    created = requests.post(f"{server.base_url}{INVOICE}", data=body, auth=oauth(), timeout=5)
    duplicate = requests.post(f"{server.base_url}{INVOICE}", data=body, auth=oauth(), timeout=5)

    assert created.status_code == 204
    assert created.headers["Location"].endswith("/invoice/1001")
    assert duplicate.status_code == 400
    assert error_codes(duplicate) == ["DUP_RCRD"]
    assert len(server.store.invoices_by_external_id("INV-1")) == 1


def test_get_by_internal_and_external_id_returns_the_record(server: EmulatorServer) -> None:
    put_invoice(server, invoice_body("INV-1", [("501", "2", "10.50")]))

    by_id = requests.get(f"{server.base_url}{INVOICE}/1001", auth=oauth(), timeout=TIMEOUT)
    by_eid = requests.get(f"{server.base_url}{INVOICE}/eid:INV-1", auth=oauth(), timeout=TIMEOUT)
    missing = requests.get(f"{server.base_url}{INVOICE}/9999", auth=oauth(), timeout=TIMEOUT)

    assert by_id.json() == by_eid.json()
    record = by_id.json()
    assert (record["id"], record["externalId"], record["entity"], record["total"]) == (
        "1001",
        "INV-1",
        {"id": "10005"},
        10.5,
    )
    assert record["item"]["items"][0]["quantity"] == 2
    assert missing.status_code == 404


# ------------------------------------------------------------------------ SuiteQL


def test_suiteql_pages_through_results_in_order_with_exact_has_more(
    server: EmulatorServer,
) -> None:
    for number in range(1, 6):
        put_invoice(server, invoice_body(f"INV-{number}", [("501", "1", f"{number}0.00")]))
    query = (
        "SELECT t.id, t.externalid, t.foreigntotal, t.memo FROM transaction t "
        "WHERE t.type = 'CustInvc' ORDER BY t.id"
    )

    pages = [suiteql(server, query, limit=2, offset=offset).json() for offset in (0, 2, 4)]

    assert [page["hasMore"] for page in pages] == [True, True, False]
    assert [page["count"] for page in pages] == [2, 2, 1]
    assert {page["totalResults"] for page in pages} == {5}
    assert [page["offset"] for page in pages] == [0, 2, 4]
    rows = [item for page in pages for item in page["items"]]
    assert [row["externalid"] for row in rows] == [f"INV-{n}" for n in range(1, 6)]
    assert rows[0] == {"links": [], "id": "1001", "externalid": "INV-1", "foreigntotal": "10"}
    assert "next" not in {link["rel"] for link in pages[2]["links"]}


def test_suiteql_lines_carry_netsuite_signs(server: EmulatorServer) -> None:
    put_invoice(server, invoice_body("INV-1", [("501", "2", "30.50"), ("502", "1", "4.25")]))

    response = suiteql(
        server,
        "SELECT tl.linesequencenumber, tl.mainline, tl.item, tl.quantity, tl.rate, "
        "tl.foreignamount, tl.netamount, tl.custcol_metronome_line_id AS line_id "
        "FROM transactionline tl JOIN transaction t ON t.id = tl.transaction "
        "WHERE t.externalid = 'INV-1' AND tl.taxline = 'F' ORDER BY tl.linesequencenumber",
    )

    items = [{k: v for k, v in row.items() if k != "links"} for row in response.json()["items"]]
    assert items == [
        {
            "linesequencenumber": "0",
            "mainline": "T",
            "foreignamount": "34.75",
            "netamount": "34.75",
        },
        {
            "linesequencenumber": "1",
            "mainline": "F",
            "item": "501",
            "quantity": "-2",
            "rate": "15.25",
            "foreignamount": "-30.5",
            "netamount": "-30.5",
            "line_id": "INV-1-L1",
        },
        {
            "linesequencenumber": "2",
            "mainline": "F",
            "item": "502",
            "quantity": "-1",
            "rate": "4.25",
            "foreignamount": "-4.25",
            "netamount": "-4.25",
            "line_id": "INV-1-L2",
        },
    ]


def test_suiteql_date_functions_and_raw_date_format(server: EmulatorServer) -> None:
    put_invoice(server, invoice_body("INV-1", [("501", "1", "10")]))
    put_invoice(server, invoice_body("INV-2", [("501", "1", "10")], tranDate="2024-03-05"))

    response = suiteql(
        server,
        "SELECT t.externalid, TO_CHAR(t.trandate, 'YYYY-MM-DD') AS tran_date, t.trandate, "
        "TO_CHAR(t.lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified_at "
        "FROM transaction t "
        "WHERE t.trandate >= TO_DATE('2024-02-01', 'YYYY-MM-DD') "
        "AND t.lastmodifieddate >= TO_TIMESTAMP('2000-01-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS') "
        "AND t.entity IN (10005, 10006) AND (t.status = 'A' OR t.status <> 'V')",
    )

    [row] = response.json()["items"]
    assert row["externalid"] == "INV-2"
    assert row["tran_date"] == "2024-03-05"
    # Like NetSuite, a date selected without TO_CHAR comes back in the M/D/YYYY format.
    assert row["trandate"] == "3/5/2024"
    assert len(row["modified_at"]) == len("2024-03-05 10:00:00")


def test_suiteql_rejects_builtin_functions(server: EmulatorServer) -> None:
    response = suiteql(server, "SELECT BUILTIN.DF(t.entity) FROM transaction t")

    assert response.status_code == 400
    assert error_codes(response) == ["INVALID_PARAMETER"]
    assert "BUILTIN" in response.json()["o:errorDetails"][0]["detail"]


def test_suiteql_requires_prefer_transient_header(server: EmulatorServer) -> None:
    response = suiteql(server, "SELECT id FROM transaction", prefer=False)

    assert response.status_code == 400


@pytest.mark.parametrize(("limit", "offset"), [(2, 3), (1001, 0), (0, 0)])
def test_suiteql_rejects_invalid_paging(server: EmulatorServer, limit: int, offset: int) -> None:
    response = suiteql(server, "SELECT id FROM transaction", limit=limit, offset=offset)

    assert response.status_code == 400
    assert error_codes(response) == ["INVALID_PARAMETER"]


def test_suiteql_is_read_only(server: EmulatorServer) -> None:
    put_invoice(server, invoice_body("INV-1", [("501", "1", "10")]))

    delete = suiteql(server, "DELETE FROM transaction")
    meta = suiteql(server, "SELECT * FROM emulator_meta")

    assert (delete.status_code, meta.status_code) == (400, 400)
    assert len(server.store.all_invoices()) == 1


# ---------------------------------------------------------------- limits and faults


def test_concurrency_limit_answers_429_at_once_and_caps_in_flight() -> None:
    faults = FaultSettings(latency_ms=800)
    with running_emulator(make_config(concurrency_limit=2, faults=faults)) as server:
        clients = 6
        barrier = threading.Barrier(clients)
        results: list[tuple[int, float, list[str]]] = []
        lock = threading.Lock()

        def call() -> None:
            barrier.wait(timeout=5)
            started = time.monotonic()
            response = suiteql(server, "SELECT id FROM transaction")
            elapsed = time.monotonic() - started
            codes = error_codes(response) if response.status_code == 429 else []
            with lock:
                results.append((response.status_code, elapsed, codes))

        threads = [threading.Thread(target=call) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)

        statuses = Counter(status for status, _, _ in results)
        assert statuses == {200: 2, 429: 4}
        assert all(elapsed < 0.5 for status, elapsed, _ in results if status == 429)
        assert all(codes == ["CONCURRENCY_LIMIT_EXCEEDED"] for s, _, codes in results if s == 429)
        assert server.stats()["max_in_flight"] == 2


def test_drop_after_commit_loses_the_response_but_keeps_the_record() -> None:
    faults = FaultSettings(drop_after_commit_rate=1.0)
    with running_emulator(make_config(faults=faults)) as server:
        with pytest.raises(requests.ConnectionError):
            put_invoice(server, invoice_body("INV-1", [("501", "1", "10")]))

        assert len(server.store.invoices_by_external_id("INV-1")) == 1
        assert server.stats()["faults_injected"] == {"drop_after_commit": 1}
        assert server.stats()["requests"]["record.upsert"] == {"dropped": 1}


def test_targeted_fault_queue_applies_in_order_then_succeeds(server: EmulatorServer) -> None:
    server.set_faults(
        FaultSettings(fail_external_ids={"INV-1": ["5xx", "invalid_login", "429", "500"]})
    )
    body = invoice_body("INV-1", [("501", "1", "10")])

    statuses = [put_invoice(server, body).status_code for _ in range(5)]
    other = put_invoice(server, invoice_body("INV-2", [("501", "1", "10")]))

    assert statuses == [503, 401, 429, 500, 204]
    assert other.status_code == 204
    assert len(server.store.invoices_by_external_id("INV-1")) == 1
    assert server.stats()["faults_injected"] == {"429": 1, "500": 1, "503": 1, "invalid_login": 1}


def test_targeted_drop_after_commit_then_retry_updates_instead_of_duplicating(
    server: EmulatorServer,
) -> None:
    server.set_faults(FaultSettings(fail_external_ids={"INV-1": ["drop_after_commit"]}))
    body = invoice_body("INV-1", [("501", "1", "10")])

    with pytest.raises(requests.ConnectionError):
        put_invoice(server, body)
    retry = put_invoice(server, body)

    assert retry.status_code == 204
    [record] = server.store.invoices_by_external_id("INV-1")
    assert len(record.lines) == 1
    assert server.stats()["upserts"] == {"created": 1, "updated": 1}


def test_timeout_fault_commits_nothing(server: EmulatorServer) -> None:
    server.set_faults(
        FaultSettings(timeout_sleep_ms=1500, fail_external_ids={"INV-1": ["timeout"]})
    )

    with pytest.raises(requests.ReadTimeout):
        requests.put(
            f"{server.base_url}{INVOICE}/eid:INV-1?replace=item",
            data=to_json_bytes(invoice_body("INV-1", [("501", "1", "10")])),
            auth=oauth(),
            timeout=(2, 0.3),
        )

    assert server.store.invoices_by_external_id("INV-1") == []


def test_random_faults_repeat_exactly_for_the_same_seed(server: EmulatorServer) -> None:
    settings = FaultSettings(error_rate_5xx=0.5, seed=7)

    def run() -> list[int]:
        server.set_faults(settings)
        return [
            requests.get(f"{server.base_url}{INVOICE}/1", auth=oauth(), timeout=TIMEOUT).status_code
            for _ in range(12)
        ]

    first, second = run(), run()

    assert first == second
    assert 404 in first
    assert {500, 503} & set(first)


# --------------------------------------------------------------------- admin API


def test_admin_create_allows_a_duplicate_external_id(server: EmulatorServer) -> None:
    put_invoice(server, invoice_body("INV-1", [("501", "1", "10")]))

    response = requests.post(
        f"{server.base_url}/_emulator/invoices",
        data=to_json_bytes(invoice_body("INV-1", [("501", "1", "10")])),
        timeout=TIMEOUT,
    )
    rows = suiteql(server, "SELECT id FROM transaction WHERE externalid = 'INV-1' ORDER BY id")

    assert response.status_code == 201
    assert [row["id"] for row in rows.json()["items"]] == ["1001", "1002"]


def test_admin_patch_edits_a_line_and_moves_last_modified(server: EmulatorServer) -> None:
    put_invoice(server, invoice_body("INV-1", [("501", "1", "10"), ("502", "1", "5")]))
    before = server.store.get(1001)

    response = requests.patch(
        f"{server.base_url}/_emulator/invoices/1001",
        json={"lines": {"2": {"amount": "12.34", "quantity": "2"}}, "currency": "4"},
        timeout=TIMEOUT,
    )

    after = server.store.get(1001)
    assert response.status_code == 200
    assert before is not None and after is not None
    assert after.total == Decimal("22.34")
    assert (after.lines[1].amount, after.lines[1].quantity) == (Decimal("12.34"), Decimal("2"))
    assert after.currency_id == "4"
    assert after.last_modified_at > before.last_modified_at


def test_admin_patch_void_sets_status_v_and_zeroes_amounts(server: EmulatorServer) -> None:
    put_invoice(server, invoice_body("INV-1", [("501", "1", "10")]))

    response = requests.patch(
        f"{server.base_url}/_emulator/invoices/1001", json={"void": True}, timeout=TIMEOUT
    )
    rows = suiteql(
        server,
        "SELECT t.status, t.voided, t.foreigntotal, tl.foreignamount FROM transaction t "
        "JOIN transactionline tl ON tl.transaction = t.id ORDER BY tl.id",
    ).json()["items"]

    assert response.status_code == 200
    assert [(r["status"], r["voided"], r["foreigntotal"], r["foreignamount"]) for r in rows] == [
        ("V", "T", "0", "0"),
        ("V", "T", "0", "0"),
    ]


def test_admin_faults_reset_and_stats(server: EmulatorServer) -> None:
    set_response = requests.post(
        f"{server.base_url}/_emulator/faults",
        json={"fail_external_ids": {"INV-1": ["503"]}},
        timeout=TIMEOUT,
    )
    faulted = put_invoice(server, invoice_body("INV-1", [("501", "1", "10")]))
    stats = requests.get(f"{server.base_url}/_emulator/stats", timeout=TIMEOUT).json()
    reset = requests.post(f"{server.base_url}/_emulator/reset", timeout=TIMEOUT)
    bad = requests.post(
        f"{server.base_url}/_emulator/faults", json={"error_rate": 2}, timeout=TIMEOUT
    )

    assert set_response.json()["pending"] == {"INV-1": ["503"]}
    assert faulted.status_code == 503
    assert stats["requests"]["record.upsert"] == {"503": 1}
    assert stats["faults_injected"] == {"503": 1}
    assert reset.status_code == 200
    assert server.stats()["requests_total"] == 0
    assert bad.status_code == 400


# ----------------------------------------------------------------- configuration


def test_from_environment_names_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "NETSUITE_ACCOUNT_ID": ACCOUNT,
        "NETSUITE_CONSUMER_KEY": CONSUMER_KEY,
        "NETSUITE_CONSUMER_SECRET": CONSUMER_SECRET,
        "NETSUITE_TOKEN_ID": TOKEN_ID,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NETSUITE_TOKEN_SECRET", raising=False)

    with pytest.raises(ValueError, match="NETSUITE_TOKEN_SECRET"):
        EmulatorConfig.from_environment()
    config = EmulatorConfig.from_environment(token_secret="s", concurrency_limit=3)
    assert (config.realm, config.concurrency_limit) == ("1234567_SB1", 3)


def test_state_path_keeps_invoices_across_restarts(tmp_path: Any) -> None:
    config = make_config(state_path=str(tmp_path / "netsuite.sqlite"))
    with running_emulator(config) as server:
        put_invoice(server, invoice_body("INV-1", [("501", "1", "10")]))

    with running_emulator(config) as server:
        put_invoice(server, invoice_body("INV-2", [("501", "1", "10")]))
        assert [r.internal_id for r in server.store.all_invoices()] == [1001, 1002]
