"""The HTTP transport: keep-alive per thread, reconnects, timeouts, errors as exceptions,
https, proxies; and how NetSuiteClient turns its failures into retryable attempts."""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from netsuite_sync import transport as transport_module
from netsuite_sync.http_client import NetSuiteClient
from netsuite_sync.retry import Disposition
from netsuite_sync.settings import NetSuiteCredentials, Secret
from netsuite_sync.transport import HttpTransport, _proxy_for

CREDENTIALS = {
    "consumer_key": "ck-visible-in-header",
    "consumer_secret": "cs-never-shown",
    "token_id": "tid-visible-in-header",
    "token_secret": "ts-never-shown",
}


@dataclass
class Seen:
    head: str
    body: bytes
    connection: int  # which accepted connection carried it (1, 2, ...)

    @property
    def request_line(self) -> str:
        return self.head.split("\r\n", 1)[0]

    def header(self, name: str) -> str | None:
        for line in self.head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


@dataclass(frozen=True)
class AndClose:
    """Send these bytes, then close the connection (no Connection: close header)."""

    data: bytes


# A reply: raw bytes to send, AndClose, or None to hang up without answering.
Reply = Callable[[Seen], "bytes | AndClose | None"]


def ok(status: str = "204 No Content", headers: str = "", body: bytes = b"") -> Reply:
    def reply(_: Seen) -> bytes:
        return f"HTTP/1.1 {status}\r\n{headers}Content-Length: {len(body)}\r\n\r\n".encode() + body

    return reply


@dataclass
class ScriptedServer:
    """A raw HTTP/1.1 server on loopback answering requests with scripted replies, in order."""

    replies: list[Reply]
    context: ssl.SSLContext | None = None
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{'https' if self.context else 'http'}://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        try:
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
            reader = conn.makefile("rb")
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                seen = Seen(head.decode("latin-1"), b"", number)
                length = int(seen.header("Content-Length") or 0)
                seen.body = reader.read(length)
                with self._lock:
                    self.seen.append(seen)
                    reply = self.replies.pop(0)
                answer = reply(seen)
                if answer is None:
                    return
                if isinstance(answer, AndClose):
                    conn.sendall(answer.data)
                    return
                conn.sendall(answer)
        except OSError:
            return
        finally:
            conn.close()


@pytest.fixture
def scripted():
    servers: list[ScriptedServer] = []

    def start(*replies: Reply, context: ssl.SSLContext | None = None) -> ScriptedServer:
        server = ScriptedServer(list(replies), context)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def credentials(base_url: str) -> NetSuiteCredentials:
    return NetSuiteCredentials(
        account_id="1234567_SB1",
        consumer_key=Secret(CREDENTIALS["consumer_key"]),
        consumer_secret=Secret(CREDENTIALS["consumer_secret"]),
        token_id=Secret(CREDENTIALS["token_id"]),
        token_secret=Secret(CREDENTIALS["token_secret"]),
        base_url=base_url,
    )


def plain(base_url: str, read_timeout_s: float = 5.0, **kwargs) -> HttpTransport:
    return HttpTransport(
        base_url, connect_timeout_s=5.0, read_timeout_s=read_timeout_s, environ={}, **kwargs
    )


def test_requests_share_one_keep_alive_connection_per_thread(scripted):
    server = scripted(*[ok()] * 6)
    transport = plain(server.url, default_headers={"User-Agent": "ua/1"})
    for _ in range(3):
        assert transport.request("PUT", f"{server.url}/a?x=1", b"{}", {}).status == 204
    assert server.connections == 1
    thread = threading.Thread(
        target=lambda: [transport.request("PUT", f"{server.url}/b", b"{}", {}) for _ in range(3)]
    )
    thread.start()
    thread.join()
    assert server.connections == 2  # the other thread has its own
    first = server.seen[0]
    assert first.request_line == "PUT /a?x=1 HTTP/1.1"
    assert first.header("Host") == f"127.0.0.1:{server.port}"
    assert first.header("User-Agent") == "ua/1"
    assert first.header("Content-Length") == "2" and first.body == b"{}"
    transport.close()


def test_response_headers_and_bodies_are_read_whole(scripted):
    chunked = (
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n'
    )
    server = scripted(
        ok("204 No Content", "Location: http://x/services/rest/record/v1/invoice/1001\r\n"),
        ok("429 Too Many Requests", "Retry-After: 3\r\n", b'{"title":"busy"}'),
        lambda _: chunked,
        ok("200 OK", "Content-Encoding: gzip\r\n", gzip.compress(b'{"b":2}')),
    )
    transport = plain(server.url)
    created = transport.request("PUT", f"{server.url}/x", b"{}", {})
    assert created.header("location") == "http://x/services/rest/record/v1/invoice/1001"
    throttled = transport.request("PUT", f"{server.url}/x", b"{}", {})
    assert (throttled.status, throttled.header("Retry-After")) == (429, "3")
    assert throttled.text() == '{"title":"busy"}'
    assert transport.request("POST", f"{server.url}/q", b"{}", {}).body == b'{"a":1}'
    assert transport.request("POST", f"{server.url}/q", b"{}", {}).body == b'{"b":2}'
    assert server.connections == 1


def test_connection_close_from_the_server_opens_a_new_connection(scripted):
    server = scripted(ok("204 No Content", "Connection: close\r\n"), ok())
    transport = plain(server.url)
    transport.request("PUT", f"{server.url}/x", b"{}", {})
    transport.request("PUT", f"{server.url}/x", b"{}", {})
    assert server.connections == 2


def test_idle_connection_closed_by_the_server_is_replaced_before_sending(scripted, monkeypatch):
    # The server answers, then closes the connection while it is idle (keep-alive timeout).
    server = scripted(lambda seen: AndClose(ok()(seen)), ok())
    transport = plain(server.url)
    transport.request("PUT", f"{server.url}/x", b"{}", {})
    time.sleep(0.2)  # the close reaches the client
    monkeypatch.setattr(transport_module, "_IDLE_CHECK_AFTER_S", 0.0)
    assert transport.request("PUT", f"{server.url}/x", b"{}", {}).status == 204
    assert (server.connections, len(server.seen)) == (2, 2)


def test_connection_closed_by_the_server_within_the_idle_check_window_fails_the_attempt(
    scripted,
):
    # Reused within a second, the connection is not checked: the attempt fails as a
    # retryable connection error the caller records, nothing is re-sent behind its back.
    server = scripted(lambda seen: AndClose(ok()(seen)), ok())
    client = NetSuiteClient(credentials(server.url))
    assert client.upsert_invoice("INV-1", b"{}").disposition is Disposition.SUCCESS
    time.sleep(0.2)
    failed = client.upsert_invoice("INV-1", b"{}")
    assert (failed.disposition, failed.error_code) == (Disposition.RETRY, "CONNECTION_ERROR")
    assert client.upsert_invoice("INV-1", b"{}").disposition is Disposition.SUCCESS
    assert (server.connections, len(server.seen)) == (2, 2)


def test_dropped_response_is_a_retryable_connection_error_and_the_next_attempt_reconnects(
    scripted,
):
    server = scripted(lambda _: None, ok())
    client = NetSuiteClient(credentials(server.url))
    dropped = client.upsert_invoice("INV-1", b"{}")
    assert dropped.disposition is Disposition.RETRY
    assert (dropped.http_status, dropped.error_code) == (None, "CONNECTION_ERROR")
    assert "RemoteDisconnected" in dropped.error_detail
    retried = client.upsert_invoice("INV-1", b"{}")
    assert retried.disposition is Disposition.SUCCESS
    assert server.connections == 2
    # Each attempt signed afresh: NetSuite refuses a replayed nonce.
    nonces = [seen.header("Authorization").split("oauth_nonce=")[1][:34] for seen in server.seen]
    assert nonces[0] != nonces[1]
    client.close()


def test_read_timeout_is_a_retryable_timeout(scripted):
    def too_slow(_: Seen) -> bytes:
        time.sleep(1.0)
        return ok()(_)

    server = scripted(too_slow, ok())
    client = NetSuiteClient(credentials(server.url), timeout_s=0.2)
    result = client.upsert_invoice("INV-1", b"{}")
    assert (result.disposition, result.error_code) == (Disposition.RETRY, "TIMEOUT")
    assert client.upsert_invoice("INV-1", b"{}").disposition is Disposition.SUCCESS
    client.close()


def test_refused_connection_is_retryable_and_secrets_stay_out_of_the_detail():
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]
    client = NetSuiteClient(credentials(f"http://127.0.0.1:{port}"), connect_timeout_s=1.0)
    result = client.upsert_invoice("INV-1", b"{}")
    assert (result.disposition, result.error_code) == (Disposition.RETRY, "CONNECTION_ERROR")
    assert "ConnectionRefusedError" in result.error_detail
    for secret in credentials("http://x").secret_values():
        assert secret not in result.error_detail


def test_error_answers_keep_code_detail_and_retry_after(scripted):
    body = (
        b'{"title":"Too Many Requests","o:errorDetails":[{"detail":"Limit exceeded.",'
        b'"o:errorCode":"CONCURRENCY_LIMIT_EXCEEDED"}]}'
    )
    server = scripted(ok("429 Too Many Requests", "Retry-After: 2\r\n", body))
    result = NetSuiteClient(credentials(server.url)).upsert_invoice("INV-1", b"{}")
    assert result.disposition is Disposition.THROTTLED
    assert (result.http_status, result.error_code) == (429, "CONCURRENCY_LIMIT_EXCEEDED")
    assert (result.error_detail, result.retry_after_s) == ("Limit exceeded.", 2.0)


def self_signed_context() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting only that server's certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


def test_https_checks_the_certificate_and_keeps_the_connection(scripted):
    server_context, client_context = self_signed_context()
    server = scripted(ok(), ok(), ok(), context=server_context)
    transport = plain(server.url, ssl_context=client_context)
    assert transport.request("PUT", f"{server.url}/x", b"{}", {}).status == 204
    assert transport.request("PUT", f"{server.url}/x", b"{}", {}).status == 204
    assert server.connections == 1
    # The default trust store (certifi) does not know this certificate: refused, retryable.
    untrusted = NetSuiteClient(credentials(server.url), connect_timeout_s=2.0)
    result = untrusted.upsert_invoice("INV-1", b"{}")
    assert (result.disposition, result.error_code) == (Disposition.RETRY, "CONNECTION_ERROR")
    assert "CERTIFICATE_VERIFY_FAILED" in result.error_detail


def test_plain_http_through_a_proxy_sends_the_absolute_url(scripted):
    proxy = scripted(ok())
    environ = {"HTTP_PROXY": f"http://user:p%40ss@127.0.0.1:{proxy.port}"}
    transport = HttpTransport(
        "http://netsuite.example:8080", connect_timeout_s=5, read_timeout_s=5, environ=environ
    )
    transport.request("PUT", "http://netsuite.example:8080/x?y=1", b"{}", {})
    seen = proxy.seen[0]
    assert seen.request_line == "PUT http://netsuite.example:8080/x?y=1 HTTP/1.1"
    assert seen.header("Host") == "netsuite.example:8080"
    assert seen.header("Proxy-Authorization") == "Basic dXNlcjpwQHNz"  # user:p@ss


def test_proxy_choice_follows_the_environment_like_requests():
    assert _proxy_for("https", "acct.suitetalk.api.netsuite.com", {}) is None
    env = {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "localhost,.internal"}
    chosen = _proxy_for("https", "acct.suitetalk.api.netsuite.com", env)
    assert (chosen.host, chosen.port, chosen.authorization) == ("proxy", 3128, None)
    assert _proxy_for("https", "netsuite.internal", env) is None
    assert _proxy_for("http", "127.0.0.1:8080", env) is None  # no HTTP_PROXY
    assert _proxy_for("http", "emulator:80", {"ALL_PROXY": "proxy:8080"}).port == 8080
    with pytest.raises(ValueError, match="only http:// proxies"):
        _proxy_for("https", "acct.example", {"HTTPS_PROXY": "socks5://proxy:1080"})
