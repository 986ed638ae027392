"""Verification of OAuth 1.0a Token-Based Authentication headers (RFC 5849, HMAC-SHA256).

Written against the RFC with hashlib/hmac/urllib only, so that tests signing with
requests-oauthlib exercise two independent implementations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote

from .config import EmulatorConfig

# NetSuite rejects requests whose timestamp is more than five minutes off.
TIMESTAMP_TOLERANCE_S = 300

_HEADER_PARAM = re.compile(r'\s*([A-Za-z0-9_]+)\s*=\s*"([^"]*)"\s*(?:,|$)')
_DEFAULT_PORTS = {"http": 80, "https": 443}


class AuthFailure(Exception):
    """Why a request was refused. Kept for stats only: NetSuite never tells the caller why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def percent_encode(value: str) -> str:
    """RFC 5849 section 3.6: encode everything except unreserved characters."""
    return quote(value, safe="~")


def parse_authorization_header(header: str) -> dict[str, str]:
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "oauth":
        raise AuthFailure("not_oauth")
    params: dict[str, str] = {}
    position = 0
    rest = rest.strip()
    while position < len(rest):
        match = _HEADER_PARAM.match(rest, position)
        if match is None:
            raise AuthFailure("malformed_header")
        name, value = match.group(1), unquote(match.group(2))
        if name in params:
            raise AuthFailure("duplicate_parameter")
        params[name] = value
        position = match.end()
    return params


def base_string_uri(scheme: str, host_header: str, raw_path: str) -> str:
    """RFC 5849 section 3.4.1.2: lower-case scheme and host, default port dropped."""
    scheme = scheme.lower()
    host, _, port = host_header.strip().lower().rpartition(":")
    if not host or not port.isdigit():
        host, port = host_header.strip().lower(), ""
    authority = host if not port or int(port) == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{authority}{raw_path or '/'}"


def normalised_parameters(oauth_params: dict[str, str], raw_query: str) -> str:
    """RFC 5849 section 3.4.1.3: oauth_* (minus signature and realm) plus query parameters.

    JSON bodies are not form-encoded, so they never take part in the signature.
    """
    pairs = [
        (name, value)
        for name, value in oauth_params.items()
        if name not in ("oauth_signature", "realm")
    ]
    pairs.extend(parse_qsl(raw_query, keep_blank_values=True))
    encoded = sorted((percent_encode(name), percent_encode(value)) for name, value in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


def signature_base_string(method: str, base_uri: str, parameters: str) -> str:
    return "&".join(percent_encode(part) for part in (method.upper(), base_uri, parameters))


def hmac_sha256_signature(base_string: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    digest = hmac.new(key.encode("utf-8"), base_string.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass
class NonceRegistry:
    """Nonces seen per consumer+token, forgotten once their timestamp can no longer pass."""

    _seen: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _last_pruned: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, consumer_key: str, token: str, nonce: str, timestamp: int, now: int) -> bool:
        """Record the nonce; False if it was already used (a replay)."""
        key = (consumer_key, token, nonce)
        with self._lock:
            if now - self._last_pruned > 60:
                # A nonce older than twice the tolerance belongs to a request whose timestamp
                # is rejected anyway, so it no longer needs remembering.
                horizon = now - 2 * TIMESTAMP_TOLERANCE_S
                self._seen = {k: ts for k, ts in self._seen.items() if ts >= horizon}
                self._last_pruned = now
            if key in self._seen:
                return False
            self._seen[key] = timestamp
            return True


@dataclass
class OAuthVerifier:
    config: EmulatorConfig
    clock: Callable[[], float] = time.time
    nonces: NonceRegistry = field(default_factory=NonceRegistry)

    def verify(
        self,
        method: str,
        scheme: str,
        host_header: str | None,
        raw_path: str,
        raw_query: str,
        authorization: str | None,
    ) -> None:
        """Raise AuthFailure unless the request carries a valid, fresh TBA signature."""
        if not authorization:
            raise AuthFailure("missing_header")
        if not host_header:
            raise AuthFailure("missing_host")
        params = parse_authorization_header(authorization)
        self._check_identity(params)
        timestamp = self._check_timestamp(params.get("oauth_timestamp", ""))
        nonce = params.get("oauth_nonce", "")
        if not nonce:
            raise AuthFailure("missing_nonce")

        base_uri = base_string_uri(scheme, host_header, raw_path)
        base_string = signature_base_string(
            method, base_uri, normalised_parameters(params, raw_query)
        )
        expected = hmac_sha256_signature(
            base_string, self.config.consumer_secret, self.config.token_secret
        )
        if not hmac.compare_digest(expected, params.get("oauth_signature", "")):
            raise AuthFailure("bad_signature")
        # Only a correctly signed request burns its nonce, so garbage cannot block real ones.
        if not self.nonces.register(
            params["oauth_consumer_key"],
            params["oauth_token"],
            nonce,
            timestamp,
            int(self.clock()),
        ):
            raise AuthFailure("replayed_nonce")

    def _check_identity(self, params: dict[str, str]) -> None:
        if params.get("realm", "") != self.config.realm:
            raise AuthFailure("wrong_realm")
        if params.get("oauth_signature_method") != "HMAC-SHA256":
            raise AuthFailure("unsupported_signature_method")
        if params.get("oauth_version", "1.0") != "1.0":
            raise AuthFailure("unsupported_version")
        if not hmac.compare_digest(
            params.get("oauth_consumer_key", "").encode(), self.config.consumer_key.encode()
        ):
            raise AuthFailure("unknown_consumer")
        if not hmac.compare_digest(
            params.get("oauth_token", "").encode(), self.config.token_id.encode()
        ):
            raise AuthFailure("unknown_token")

    def _check_timestamp(self, raw: str) -> int:
        if not raw.isdigit():
            raise AuthFailure("missing_timestamp")
        timestamp = int(raw)
        if abs(timestamp - self.clock()) > TIMESTAMP_TOLERANCE_S:
            raise AuthFailure("stale_timestamp")
        return timestamp
