"""OAuth 1.0a token-based authentication (TBA) for NetSuite, HMAC-SHA256 (RFC 5849).

NetSuite rejects a replayed nonce, so every HTTP attempt, retries included, is signed
afresh: `OAuth1Signer.authorization` draws a new nonce and timestamp on every call
(unless a test pins them).

Written with the standard library only. The signature covers the method, the URL as
sent (scheme and host lower-cased, default port dropped) and its query parameters; a
JSON body is not form-encoded and so takes no part in it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import threading
import time
from urllib.parse import parse_qsl, quote, urlsplit

from netsuite_sync.settings import NetSuiteCredentials

SIGNATURE_METHOD = "HMAC-SHA256"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]*")
# Random bytes are drawn from the OS this many nonces at a time: one system call per
# batch instead of one per request (each call lets the other threads take the GIL).
_NONCE_BYTES = 16
_NONCE_BATCH = 256


def percent_encode(value: str) -> str:
    """RFC 5849 section 3.6: UTF-8, then encode everything but unreserved characters."""
    if _UNRESERVED.fullmatch(value):
        return value
    return quote(value, safe="~")


class _NonceSource:
    """Unpredictable nonces (os.urandom, like `secrets`), 32 hex digits each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool = b""
        self._position = 0
        self._pid = 0

    def __call__(self) -> str:
        with self._lock:
            # A forked child must not reuse the parent's remaining bytes.
            if self._position >= len(self._pool) or self._pid != os.getpid():
                self._pool = os.urandom(_NONCE_BYTES * _NONCE_BATCH)
                self._position = 0
                self._pid = os.getpid()
            start = self._position
            self._position += _NONCE_BYTES
            return self._pool[start : start + _NONCE_BYTES].hex()


_new_nonce = _NonceSource()


def base_string_uri(url: str) -> tuple[str, str]:
    """(base string URI, raw query) of `url`, per RFC 5849 section 3.4.1.2.

    Scheme and host lower-cased, the default port dropped, the path exactly as sent.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    port = parts.port
    authority = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{authority}{parts.path or '/'}", parts.query


class OAuth1Signer:
    """Builds the `Authorization` header of one request; `nonce`/`timestamp` only for tests.

    Holds the credentials' values; never put it (or its header) in logs or messages.
    """

    __slots__ = ("_consumer_key", "_key", "_nonce", "_prefix", "_timestamp", "_token")

    def __init__(
        self,
        credentials: NetSuiteCredentials,
        *,
        nonce: str | None = None,
        timestamp: str | None = None,
    ) -> None:
        self._consumer_key = percent_encode(credentials.consumer_key.reveal())
        self._token = percent_encode(credentials.token_id.reveal())
        self._key = (
            f"{percent_encode(credentials.consumer_secret.reveal())}"
            f"&{percent_encode(credentials.token_secret.reveal())}"
        ).encode()
        self._prefix = f'OAuth realm="{percent_encode(credentials.realm)}", '
        self._nonce = nonce
        self._timestamp = timestamp

    def __repr__(self) -> str:
        return "OAuth1Signer(<credentials hidden>)"

    def authorization(self, method: str, url: str) -> str:
        """The header value for `method url`, with a fresh nonce and timestamp."""
        nonce = self._nonce if self._nonce is not None else _new_nonce()
        timestamp = self._timestamp if self._timestamp is not None else str(int(time.time()))
        oauth = [
            ("oauth_consumer_key", self._consumer_key),
            ("oauth_nonce", percent_encode(nonce)),
            ("oauth_signature_method", SIGNATURE_METHOD),
            ("oauth_timestamp", percent_encode(timestamp)),
            ("oauth_token", self._token),
            ("oauth_version", "1.0"),
        ]
        uri, query = base_string_uri(url)
        pairs = oauth + [
            (percent_encode(name), percent_encode(value))
            for name, value in parse_qsl(query, keep_blank_values=True)
        ]
        pairs.sort()
        parameters = "&".join(f"{name}={value}" for name, value in pairs)
        base_string = (
            f"{method.upper()}&{percent_encode(uri)}&{percent_encode(parameters)}".encode()
        )
        digest = hmac.new(self._key, base_string, hashlib.sha256).digest()
        signature = percent_encode(base64.b64encode(digest).decode("ascii"))
        return (
            self._prefix
            + ", ".join(f'{name}="{value}"' for name, value in oauth)
            + f', oauth_signature="{signature}"'
        )
