"""HTTP transport and lifecycle of the emulator: a threaded stdlib server on loopback."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .app import EmulatorApp
from .config import EmulatorConfig, FaultSettings
from .errors import NetSuiteError, server_error
from .messages import Request, Response, encode_json
from .store import InvoiceStore

logger = logging.getLogger(__name__)

# How long shutdown waits for requests still being handled before closing the store.
_DRAIN_TIMEOUT_S = 5.0


class _HttpServer(ThreadingHTTPServer):
    # Handler threads must never keep the process (or a test) alive.
    daemon_threads = True
    block_on_close = False
    # Load tests open many connections at once; the default backlog of 5 would stall them.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.app: EmulatorApp | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._active = 0
        self._idle = threading.Condition(self._connections_lock)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
            self._active += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            # OSError: the peer already closed it.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._active > 0 and time.monotonic() < deadline:
                self._idle.wait(deadline - time.monotonic())

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, dropped connections) are routine here.
        logger.debug("connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer
    # Idle keep-alive connections are closed after this long so threads do not pile up.
    timeout = 60
    # Buffer each response and send it in one write when the request is done
    # (handle_one_request flushes): head and body in one segment, one system call.
    wbufsize = -1

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        app = self.server.app
        assert app is not None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            # Without a usable length the rest of the stream cannot be framed: answer, close.
            self.close_connection = True
            self._send(
                Response.error(
                    NetSuiteError.single(
                        400, "INVALID_REQUEST", "A Content-Length header is required."
                    )
                )
            )
            return
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        request = Request(
            method=self.command,
            raw_path=path,
            raw_query=query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        try:
            response = app.handle(request)
        except Exception:
            logger.exception("emulator failed on %s %s", self.command, path)
            response = Response.error(server_error(500))
        if response.drop_connection:
            self.close_connection = True
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        payload = b"" if response.body is None else encode_json(response.body)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 204:
            if payload:
                self.send_header(
                    "Content-Type",
                    "application/vnd.oracle.resource+json; type=error"
                    if response.status >= 400
                    else "application/json",
                )
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def handle_expect_100(self) -> bool:
        answered = super().handle_expect_100()
        self.wfile.flush()  # the client waits for "100 Continue" before sending the body
        return answered

    def log_message(self, format: str, *args: Any) -> None:
        # Request lines only (never headers, which carry the OAuth signature).
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s - %s", self.address_string(), format % args)


class EmulatorServer:
    """A running NetSuite emulator bound to host:port (port 0 = any free port)."""

    def __init__(self, config: EmulatorConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self._httpd = _HttpServer((host, port))
        bound_host, bound_port = self._httpd.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self._app = EmulatorApp(config, self.base_url)
        self._httpd.app = self._app
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()
        self._closed = False
        self._close_lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def store(self) -> InvoiceStore:
        return self._app.store

    def stats(self) -> dict[str, Any]:
        return self._app.stats_snapshot()

    def set_faults(self, faults: FaultSettings) -> None:
        self._app.set_faults(faults)

    def reset(self) -> None:
        self._app.reset()

    def start(self) -> None:
        """Serve in a daemon thread and return at once."""
        if self._thread is not None:
            raise RuntimeError("emulator already started")
        self._thread = threading.Thread(
            target=self.serve_forever, name="netsuite-emulator", daemon=True
        )
        self._thread.start()
        self._serving.wait(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the calling thread until shutdown() is called from another thread."""
        self._serving.set()
        try:
            self._httpd.serve_forever(poll_interval=0.1)
        finally:
            self._serving.clear()

    def shutdown(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._app.stop()
        if self._serving.is_set():
            self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd.server_close()
        self._httpd.close_connections()
        self._httpd.wait_idle(_DRAIN_TIMEOUT_S)
        self._app.close()


def serve_forever(config: EmulatorConfig, host: str = "127.0.0.1", port: int = 0) -> None:
    """Run the emulator in the foreground until interrupted (Ctrl-C)."""
    server = EmulatorServer(config, host, port)
    print(f"NetSuite emulator listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()


@contextmanager
def running_emulator(
    config: EmulatorConfig, host: str = "127.0.0.1", port: int = 0
) -> Iterator[EmulatorServer]:
    """Start an emulator in a background thread for the duration of the block."""
    server = EmulatorServer(config, host, port)
    try:
        server.start()
        yield server
    finally:
        server.shutdown()
