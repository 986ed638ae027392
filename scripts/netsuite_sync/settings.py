"""Settings read from the environment: NetSuite credentials and endpoint.

Secrets are wrapped in `Secret` so that a stray repr, f-string, log line or traceback
shows a placeholder instead of the value. Only the signing code calls `reveal()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ACCOUNT_ID_VAR = "NETSUITE_ACCOUNT_ID"
CONSUMER_KEY_VAR = "NETSUITE_CONSUMER_KEY"
CONSUMER_SECRET_VAR = "NETSUITE_CONSUMER_SECRET"  # noqa: S105 - a variable name
TOKEN_ID_VAR = "NETSUITE_TOKEN_ID"  # noqa: S105 - a variable name
TOKEN_SECRET_VAR = "NETSUITE_TOKEN_SECRET"  # noqa: S105 - a variable name
BASE_URL_VAR = "NETSUITE_BASE_URL"
LINE_ID_FIELD_VAR = "NETSUITE_LINE_ID_FIELD"

DEFAULT_LINE_ID_FIELD = "custcol_metronome_line_id"

_REDACTED = "********"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it and never its value."""


@dataclass(frozen=True)
class Secret:
    """A credential that refuses to be printed."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_REDACTED}')"

    def __str__(self) -> str:
        return _REDACTED

    def __format__(self, format_spec: str) -> str:
        return _REDACTED


@dataclass(frozen=True)
class NetSuiteCredentials:
    """Token-based-authentication credentials of one NetSuite account."""

    account_id: str
    consumer_key: Secret
    consumer_secret: Secret
    token_id: Secret
    token_secret: Secret
    base_url: str

    @property
    def realm(self) -> str:
        """OAuth realm: the account id upper-cased with underscores (1234567_SB1)."""
        return realm_for_account(self.account_id)

    def secret_values(self) -> tuple[str, ...]:
        """Values that must never appear in output; used by redaction and by tests."""
        return tuple(
            s.reveal()
            for s in (self.consumer_key, self.consumer_secret, self.token_id, self.token_secret)
        )


def realm_for_account(account_id: str) -> str:
    return account_id.strip().upper().replace("-", "_")


def default_base_url(account_id: str) -> str:
    """https://<account>.suitetalk.api.netsuite.com, account lower-cased, `_` -> `-`."""
    host = account_id.strip().lower().replace("_", "-")
    return f"https://{host}.suitetalk.api.netsuite.com"


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"missing setting: environment variable {name} is not set")
    return value


def load_credentials(env: Mapping[str, str]) -> NetSuiteCredentials:
    """Read the NETSUITE_* variables; raises SettingsError naming the first missing one."""
    account_id = _required(env, ACCOUNT_ID_VAR)
    consumer_key = Secret(_required(env, CONSUMER_KEY_VAR))
    consumer_secret = Secret(_required(env, CONSUMER_SECRET_VAR))
    token_id = Secret(_required(env, TOKEN_ID_VAR))
    token_secret = Secret(_required(env, TOKEN_SECRET_VAR))
    base_url = env.get(BASE_URL_VAR, "").strip() or default_base_url(account_id)
    if not base_url.startswith(("http://", "https://")):
        raise SettingsError(f"{BASE_URL_VAR} must start with http:// or https://")
    return NetSuiteCredentials(
        account_id=account_id,
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        token_id=token_id,
        token_secret=token_secret,
        base_url=base_url.rstrip("/"),
    )


def line_id_field_from(
    option: str | None, env: Mapping[str, str], project_default: str | None = None
) -> str | None:
    """The custom line column carrying the Metronome line id; '' disables it (-> None).

    Precedence: option, then $NETSUITE_LINE_ID_FIELD, then the dbt var, then the default.
    """
    if option is not None:
        value = option
    elif LINE_ID_FIELD_VAR in env:
        value = env[LINE_ID_FIELD_VAR]
    elif project_default is not None:
        value = project_default
    else:
        value = DEFAULT_LINE_ID_FIELD
    return value.strip() or None


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace any secret value inside free text (error details, exception messages)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return text
