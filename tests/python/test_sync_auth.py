"""OAuth 1.0a TBA signing, checked against RFC 5849 computed independently (hmac + hashlib),
against requests-oauthlib, and against the emulator's verifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pytest
import requests
from netsuite_sync.auth import OAuth1Signer
from netsuite_sync.emulator.config import EmulatorConfig
from netsuite_sync.emulator.oauth_verify import AuthFailure, OAuthVerifier
from netsuite_sync.http_client import NetSuiteClient
from netsuite_sync.settings import NetSuiteCredentials, Secret
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256
from requests_oauthlib import OAuth1

# RFC 5849 section 1.2 (and 3.4): the "photos" example.
RFC_CONSUMER_KEY = "dpf43f3p2l4k3l03"
RFC_CONSUMER_SECRET = "kd94hf93k423kf44"
RFC_TOKEN = "nnch734d00sl2jdk"
RFC_TOKEN_SECRET = "pfkkdhi9sl3r4s00"
RFC_NONCE = "chapoH"
RFC_TIMESTAMP = "137131202"
RFC_URL = "http://photos.example.net/photos?file=vacation.jpg&size=original"
RFC_HMAC_SHA1_SIGNATURE = "MdpQcU8iPSUjWoN/UDMsK2sui9I="


def _encode(text: str) -> str:
    return quote(text, safe="~")


def independent_signature(method: str, url: str, oauth_params: dict[str, str], digest) -> str:
    """RFC 5849 3.4.1 base string + 3.4.2 HMAC, written from the RFC, not from oauthlib."""
    parts = urlsplit(url)
    base_uri = f"{parts.scheme}://{parts.netloc.lower()}{parts.path}"
    params = parse_qsl(parts.query, keep_blank_values=True) + list(oauth_params.items())
    normalized = "&".join(
        f"{k}={v}" for k, v in sorted((_encode(k), _encode(v)) for k, v in params)
    )
    base_string = "&".join([method.upper(), _encode(base_uri), _encode(normalized)])
    key = f"{_encode(RFC_CONSUMER_SECRET)}&{_encode(RFC_TOKEN_SECRET)}"
    return base64.b64encode(hmac.new(key.encode(), base_string.encode(), digest).digest()).decode()


def rfc_credentials(account_id: str = "1234567_sb1") -> NetSuiteCredentials:
    return NetSuiteCredentials(
        account_id=account_id,
        consumer_key=Secret(RFC_CONSUMER_KEY),
        consumer_secret=Secret(RFC_CONSUMER_SECRET),
        token_id=Secret(RFC_TOKEN),
        token_secret=Secret(RFC_TOKEN_SECRET),
        base_url="http://photos.example.net",
    )


def authorization_params(header: str) -> dict[str, str]:
    assert header.startswith("OAuth ")
    params = {}
    for part in header[len("OAuth ") :].split(","):
        name, _, value = part.strip().partition("=")
        params[name] = unquote(value.strip('"'))
    return params


def pinned_signer(account_id: str = "1234567_sb1") -> OAuth1Signer:
    return OAuth1Signer(rfc_credentials(account_id), nonce=RFC_NONCE, timestamp=RFC_TIMESTAMP)


def signed(method: str, url: str) -> dict[str, str]:
    return authorization_params(pinned_signer().authorization(method, url))


def rfc_oauth_params() -> dict[str, str]:
    return {
        "oauth_consumer_key": RFC_CONSUMER_KEY,
        "oauth_token": RFC_TOKEN,
        "oauth_signature_method": "HMAC-SHA256",
        "oauth_timestamp": RFC_TIMESTAMP,
        "oauth_nonce": RFC_NONCE,
        "oauth_version": "1.0",
    }


def test_independent_implementation_reproduces_the_rfc_hmac_sha1_example():
    oauth = {
        "oauth_consumer_key": RFC_CONSUMER_KEY,
        "oauth_token": RFC_TOKEN,
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": RFC_TIMESTAMP,
        "oauth_nonce": RFC_NONCE,
    }
    assert independent_signature("GET", RFC_URL, oauth, hashlib.sha1) == RFC_HMAC_SHA1_SIGNATURE


def test_signature_matches_rfc_example_recomputed_with_hmac_sha256():
    params = signed("GET", RFC_URL)
    expected = independent_signature("GET", RFC_URL, rfc_oauth_params(), hashlib.sha256)
    assert params["oauth_signature_method"] == "HMAC-SHA256"
    assert params["oauth_signature"] == expected


def test_upsert_signature_covers_query_parameters_but_not_the_json_body():
    url = "http://photos.example.net/services/rest/record/v1/invoice/eid:INV-1?replace=item"
    # The signer never sees the body: a JSON body is not form-encoded (RFC 5849 3.4.1.3).
    expected = independent_signature("PUT", url, rfc_oauth_params(), hashlib.sha256)
    assert signed("PUT", url)["oauth_signature"] == expected
    without_query = independent_signature(
        "PUT", url.partition("?")[0], rfc_oauth_params(), hashlib.sha256
    )
    assert expected != without_query


def test_realm_is_the_account_id_upper_cased_and_outside_the_signature():
    params = authorization_params(pinned_signer("1234567-sb1").authorization("GET", RFC_URL))
    assert params["realm"] == "1234567_SB1"
    # Same signature as without a realm: the realm is not part of the base string.
    assert params["oauth_signature"] == signed("GET", RFC_URL)["oauth_signature"]


def test_every_attempt_gets_a_fresh_nonce_and_signature():
    signer = OAuth1Signer(rfc_credentials())
    url = "http://photos.example.net/services/rest/record/v1/invoice/eid:INV-1?replace=item"
    first = authorization_params(signer.authorization("PUT", url))
    second = authorization_params(signer.authorization("PUT", url))
    assert first["oauth_nonce"] != second["oauth_nonce"]
    assert first["oauth_signature"] != second["oauth_signature"]
    assert first["oauth_timestamp"].isdigit()
    nonces = {
        authorization_params(signer.authorization("PUT", url))["oauth_nonce"] for _ in range(600)
    }
    assert len(nonces) == 600  # across refills of the random pool too


# URLs the sync tool sends, and the RFC's own: query parameters, an external id that
# needs percent-encoding, upper-case host and an explicit default port.
UPSERT_EIDS = ["INV-1", "INV 2024/01#7+ü&x=y", "a~b.c_d-e", "100%"]
OTHER_URLS = [
    RFC_URL,
    "http://photos.example.net/services/rest/query/v1/suiteql?limit=1000&offset=2000",
    "HTTP://Photos.Example.NET:80/services/rest/query/v1/suiteql?limit=5&offset=0",
    "https://1234567-sb1.suitetalk.api.netsuite.com:443/services/rest/record/v1/invoice/1",
    "http://127.0.0.1:8123/services/rest/record/v1/invoice/eid:X?replace=item&a=&b=%20c",
]


def sync_urls() -> list[tuple[str, str]]:
    client = NetSuiteClient(rfc_credentials())
    upserts = [("PUT", client.invoice_upsert_url(eid)) for eid in UPSERT_EIDS]
    return upserts + [("POST", url) for url in OTHER_URLS]


@pytest.mark.parametrize(("method", "url"), sync_urls())
def test_signature_matches_requests_oauthlib_for_pinned_nonce_and_timestamp(method, url):
    reference = OAuth1(
        client_key=RFC_CONSUMER_KEY,
        client_secret=RFC_CONSUMER_SECRET,
        resource_owner_key=RFC_TOKEN,
        resource_owner_secret=RFC_TOKEN_SECRET,
        signature_method=SIGNATURE_HMAC_SHA256,
        signature_type="AUTH_HEADER",
        realm="1234567_SB1",
        nonce=RFC_NONCE,
        timestamp=RFC_TIMESTAMP,
    )
    prepared = requests.Request(method, url, auth=reference, data=b"{}").prepare()
    # requests sends the path and query exactly as built: both sign the same request.
    assert urlsplit(prepared.url)[2:4] == urlsplit(url)[2:4]
    header = prepared.headers["Authorization"]
    expected = authorization_params(header.decode() if isinstance(header, bytes) else header)
    assert signed(method, url) == expected


@pytest.mark.parametrize(("method", "url"), sync_urls())
def test_signature_verifies_with_the_emulators_independent_verifier(method, url):
    verifier = OAuthVerifier(
        EmulatorConfig(
            account_id="1234567_sb1",
            consumer_key=RFC_CONSUMER_KEY,
            consumer_secret=RFC_CONSUMER_SECRET,
            token_id=RFC_TOKEN,
            token_secret=RFC_TOKEN_SECRET,
        ),
        clock=lambda: float(RFC_TIMESTAMP),
    )
    parts = urlsplit(url)
    header = pinned_signer().authorization(method, url)
    verifier.verify(method, parts.scheme, parts.netloc, parts.path, parts.query, header)
    with pytest.raises(AuthFailure, match="replayed_nonce"):
        verifier.verify(method, parts.scheme, parts.netloc, parts.path, parts.query, header)
    tampered = OAuth1Signer(rfc_credentials(), nonce="other", timestamp=RFC_TIMESTAMP)
    with pytest.raises(AuthFailure, match="bad_signature"):
        verifier.verify(
            method,
            parts.scheme,
            parts.netloc,
            parts.path + "x",
            parts.query,
            tampered.authorization(method, url),
        )


def test_signer_never_shows_the_credentials():
    signer = OAuth1Signer(rfc_credentials())
    header = signer.authorization("PUT", RFC_URL)
    for text in (repr(signer), str(signer)):
        for secret in rfc_credentials().secret_values():
            assert secret not in text
    # Only the public identifiers travel, never the two secrets.
    assert RFC_CONSUMER_SECRET not in header and RFC_TOKEN_SECRET not in header
