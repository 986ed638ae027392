"""OAuth 1.0a token-based authentication (TBA) for NetSuite, HMAC-SHA256.

NetSuite rejects a replayed nonce, so every HTTP attempt, retries included, is signed
afresh: requests calls the auth object once per prepared request and oauthlib draws a
new nonce and timestamp each time (unless a test pins them).
"""

from __future__ import annotations

from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from requests_oauthlib import OAuth1

from netsuite_sync.settings import NetSuiteCredentials

# Loggers that print signature base strings (consumer key and token id) at DEBUG level.
SIGNING_LOGGERS = ("oauthlib", "requests_oauthlib")


def oauth1_auth(
    credentials: NetSuiteCredentials,
    *,
    nonce: str | None = None,
    timestamp: str | None = None,
) -> OAuth1:
    """requests auth that signs each request; `nonce`/`timestamp` only for tests."""
    return OAuth1(
        client_key=credentials.consumer_key.reveal(),
        client_secret=credentials.consumer_secret.reveal(),
        resource_owner_key=credentials.token_id.reveal(),
        resource_owner_secret=credentials.token_secret.reveal(),
        signature_method=SIGNATURE_HMAC_SHA256,
        signature_type="AUTH_HEADER",
        realm=credentials.realm,
        nonce=nonce,
        timestamp=timestamp,
    )
