"""OAuth 1.0a TBA signing, checked against RFC 5849 computed independently (hmac + hashlib)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import requests
from netsuite_sync.auth import oauth1_auth
from netsuite_sync.settings import NetSuiteCredentials, Secret

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


def authorization_params(request: requests.PreparedRequest) -> dict[str, str]:
    header = request.headers["Authorization"]
    if isinstance(header, bytes):
        header = header.decode()
    assert header.startswith("OAuth ")
    params = {}
    for part in header[len("OAuth ") :].split(","):
        name, _, value = part.strip().partition("=")
        params[name] = unquote(value.strip('"'))
    return params


def signed(method: str, url: str, **kwargs) -> requests.PreparedRequest:
    auth = oauth1_auth(rfc_credentials(), nonce=RFC_NONCE, timestamp=RFC_TIMESTAMP)
    return requests.Request(method, url, auth=auth, **kwargs).prepare()


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
    params = authorization_params(signed("GET", RFC_URL))
    expected = independent_signature(
        "GET",
        RFC_URL,
        {
            "oauth_consumer_key": RFC_CONSUMER_KEY,
            "oauth_token": RFC_TOKEN,
            "oauth_signature_method": "HMAC-SHA256",
            "oauth_timestamp": RFC_TIMESTAMP,
            "oauth_nonce": RFC_NONCE,
            "oauth_version": "1.0",
        },
        hashlib.sha256,
    )
    assert params["oauth_signature_method"] == "HMAC-SHA256"
    assert params["oauth_signature"] == expected


def test_upsert_signature_covers_query_parameters_but_not_the_json_body():
    url = "http://photos.example.net/services/rest/record/v1/invoice/eid:INV-1?replace=item"
    request = signed(
        "PUT", url, data=b'{"externalId":"INV-1"}', headers={"Content-Type": "application/json"}
    )
    expected = independent_signature(
        "PUT",
        url,
        {
            "oauth_consumer_key": RFC_CONSUMER_KEY,
            "oauth_token": RFC_TOKEN,
            "oauth_signature_method": "HMAC-SHA256",
            "oauth_timestamp": RFC_TIMESTAMP,
            "oauth_nonce": RFC_NONCE,
            "oauth_version": "1.0",
        },
        hashlib.sha256,
    )
    assert authorization_params(request)["oauth_signature"] == expected
    assert request.body == b'{"externalId":"INV-1"}'


def test_realm_is_the_account_id_upper_cased_and_outside_the_signature():
    auth = oauth1_auth(rfc_credentials("1234567-sb1"), nonce=RFC_NONCE, timestamp=RFC_TIMESTAMP)
    request = requests.Request("GET", RFC_URL, auth=auth).prepare()
    params = authorization_params(request)
    assert params["realm"] == "1234567_SB1"
    # Same signature as without a realm: the realm is not part of the base string.
    assert (
        params["oauth_signature"] == authorization_params(signed("GET", RFC_URL))["oauth_signature"]
    )


def test_every_attempt_gets_a_fresh_nonce_and_signature():
    auth = oauth1_auth(rfc_credentials())
    url = "http://photos.example.net/services/rest/record/v1/invoice/eid:INV-1?replace=item"
    first = authorization_params(requests.Request("PUT", url, auth=auth, data=b"{}").prepare())
    second = authorization_params(requests.Request("PUT", url, auth=auth, data=b"{}").prepare())
    assert first["oauth_nonce"] != second["oauth_nonce"]
    assert first["oauth_signature"] != second["oauth_signature"]
    assert first["oauth_timestamp"].isdigit()
