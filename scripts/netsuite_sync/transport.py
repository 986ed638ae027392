"""HTTP/1.1 to one origin over the standard library: a keep-alive connection per thread.

Lean on purpose. The push keeps C requests in flight on C threads that share one
interpreter lock, so every bit of CPU spent per request delays the others; this
transport does one `sendall` per request (head and body together) and lets
`http.client` parse the answer. It speaks http (the local emulator) and https (real
NetSuite, with the default certificate checks), and goes through an HTTP proxy from
the usual environment variables (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY).

Errors are raised, never swallowed or retried here: `TimeoutError` when the server
does not answer in time, `OSError` or `http.client.HTTPException` when the connection
fails or the answer is garbled. The caller's retry policy decides (see retry.py). The
only reconnect without an error is before a request is written: an idle connection
the server has closed meanwhile is replaced, as nothing was sent on it. That check
costs a system call, so it is made only for a connection idle for more than a second:
a busy push reuses its connections within milliseconds, and a server that closes one
in that window (rare: keep-alive timeouts are seconds to minutes) makes that attempt
fail with a connection error, which the retry policy records and retries.
"""

from __future__ import annotations

import base64
import http.client
import os
import select
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Protocol
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment

_DEFAULT_PORTS = {"http": 80, "https": 443}
# A connection idle longer than this is checked for a close by the server before reuse.
_IDLE_CHECK_AFTER_S = 1.0
# Environment variables naming a CA bundle, as requests honours them (in this order).
_CA_BUNDLE_VARS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass(frozen=True)
class HttpResponse:
    """A complete answer: status, headers, and the whole body (decompressed)."""

    status: int
    headers: Message
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Transport(Protocol):
    def request(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> HttpResponse: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class _Proxy:
    host: str
    port: int
    authorization: str | None  # Proxy-Authorization value, from user:password in the URL


class HttpTransport:
    """Requests to the origin of `base_url`; thread-safe, one connection per thread.

    `connect_timeout_s` bounds opening a connection (TCP and TLS handshakes);
    `read_timeout_s` bounds every wait for the server after that.
    """

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout_s: float,
        read_timeout_s: float,
        default_headers: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port or _DEFAULT_PORTS[parts.scheme]
        self._origin = f"{parts.scheme}://{parts.netloc}"
        host_header = f"[{self._host}]" if ":" in self._host else self._host
        if parts.port is not None and parts.port != _DEFAULT_PORTS[parts.scheme]:
            host_header = f"{host_header}:{parts.port}"
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        env = os.environ if environ is None else environ
        self._proxy = _proxy_for(parts.scheme, parts.netloc, env)
        self._ssl_context = (
            (ssl_context or _default_ssl_context(env)) if self._scheme == "https" else None
        )
        # Through a proxy, plain http needs the absolute URL on the request line.
        self._absolute_target = self._proxy is not None and self._scheme == "http"
        head = {"Host": host_header, "Accept-Encoding": "gzip", **(default_headers or {})}
        if self._absolute_target and self._proxy and self._proxy.authorization:
            head["Proxy-Authorization"] = self._proxy.authorization
        self._fixed_head = "".join(f"{name}: {value}\r\n" for name, value in head.items())
        self._local = threading.local()
        self._sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()

    def request(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> HttpResponse:
        """Send one request and read its whole answer; raises on network trouble."""
        if not url.startswith(self._origin):
            raise ValueError("URL outside the transport's origin")
        target = url if self._absolute_target else (url[len(self._origin) :] or "/")
        head = (
            f"{method} {target} HTTP/1.1\r\n{self._fixed_head}"
            + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            + f"Content-Length: {len(body)}\r\n\r\n"
        )
        _check_head(head)
        sock = self._connection()
        try:
            sock.sendall(head.encode("latin-1") + body)
            response = http.client.HTTPResponse(sock, method=method)
            try:
                response.begin()
                payload = response.read()
            finally:
                response.close()
            if response.will_close:
                self._discard(sock)
            else:
                self._local.idle_since = time.monotonic()
        except BaseException:
            # Whatever state the connection is in, it must not carry another request.
            self._discard(sock)
            raise
        if (response.getheader("Content-Encoding") or "").strip().lower() == "gzip":
            payload = zlib.decompress(payload, 16 + zlib.MAX_WBITS)
        return HttpResponse(response.status, response.msg, payload)

    def close(self) -> None:
        """Close every thread's connection (each opens a new one if used again)."""
        with self._sockets_lock:
            sockets = list(self._sockets)
            self._sockets.clear()
        for sock in sockets:
            sock.close()

    # ---------------------------------------------------------------- connections

    def _connection(self) -> socket.socket:
        sock: socket.socket | None = getattr(self._local, "sock", None)
        if sock is not None and (
            sock.fileno() < 0
            or (
                time.monotonic() - self._local.idle_since > _IDLE_CHECK_AFTER_S
                and _closed_by_peer(sock)
            )
        ):
            # Idle connection the server closed (keep-alive timeout): nothing has been
            # sent on it for this request, so opening a new one cannot repeat any work.
            self._discard(sock)
            sock = None
        if sock is None:
            sock = self._open()
            self._local.sock = sock
            self._local.idle_since = time.monotonic()
            with self._sockets_lock:
                self._sockets.add(sock)
        return sock

    def _open(self) -> socket.socket:
        host, port = (
            (self._proxy.host, self._proxy.port) if self._proxy else (self._host, self._port)
        )
        connection: http.client.HTTPConnection
        if self._ssl_context is not None:
            connection = http.client.HTTPSConnection(
                host, port, timeout=self._connect_timeout_s, context=self._ssl_context
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self._connect_timeout_s)
        if self._proxy is not None and self._scheme == "https":
            tunnel_headers = (
                {"Proxy-Authorization": self._proxy.authorization}
                if self._proxy.authorization
                else None
            )
            connection.set_tunnel(self._host, self._port, headers=tunnel_headers)
        # TCP connect, CONNECT through a proxy, TLS handshake with certificate and host
        # name checks: all under the connect timeout. Sets TCP_NODELAY.
        connection.connect()
        sock = connection.sock
        assert sock is not None
        sock.settimeout(self._read_timeout_s)
        return sock

    def _discard(self, sock: socket.socket) -> None:
        if getattr(self._local, "sock", None) is sock:
            self._local.sock = None
        with self._sockets_lock:
            self._sockets.discard(sock)
        sock.close()


def _closed_by_peer(sock: socket.socket) -> bool:
    """True if an idle keep-alive connection has something to read: EOF or stray bytes.

    Between requests the server owes us nothing, so either way it cannot be reused.
    """
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _check_head(head: str) -> None:
    # Header values come from this package, but never let one smuggle a line break in.
    bare = head.replace("\r\n", "")
    if "\n" in bare or "\r" in bare:
        raise ValueError("line break inside a request header")


def _proxy_for(scheme: str, netloc: str, env: Mapping[str, str]) -> _Proxy | None:
    """The proxy the environment sets for this origin, as requests would pick it."""
    proxies = getproxies_environment() if env is os.environ else _proxies_from(env)
    if not proxies or proxy_bypass_environment(netloc.rpartition("@")[2], proxies):
        return None
    url = proxies.get(scheme) or proxies.get("all")
    if not url:
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"unsupported proxy for {scheme}: only http:// proxies are supported")
    authorization = None
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")
    return _Proxy(parts.hostname, parts.port or 80, authorization)


def _proxies_from(env: Mapping[str, str]) -> dict[str, str]:
    """getproxies_environment() for a given mapping (lower-case names win, as there)."""
    proxies: dict[str, str] = {}
    for name, value in env.items():
        if value and name.lower().endswith("_proxy"):
            key = name.lower()[: -len("_proxy")]
            if name.islower() or key not in proxies:
                proxies[key] = value
    return proxies


def _default_ssl_context(env: Mapping[str, str]) -> ssl.SSLContext:
    """Certificate and host name checks on, trusting what requests would trust: the CA
    bundle an environment variable names, else certifi's (installed with requests), else
    the system's store."""
    for name in _CA_BUNDLE_VARS:
        bundle = env.get(name)
        if bundle:
            if os.path.isdir(bundle):
                return ssl.create_default_context(capath=bundle)
            return ssl.create_default_context(cafile=bundle)
    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())
