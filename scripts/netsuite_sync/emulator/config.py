"""Configuration of the NetSuite emulator: credentials, limits, faults and reference data."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

# Fault kinds a test can queue for one external id (FaultSettings.fail_external_ids).
# "5xx" is an alias of "503", the status NetSuite answers most often when it is overloaded.
FAULT_KINDS = frozenset(
    {"5xx", "500", "503", "429", "timeout", "drop_after_commit", "invalid_login"}
)

_ENV_VARIABLES = {
    "account_id": "NETSUITE_ACCOUNT_ID",
    "consumer_key": "NETSUITE_CONSUMER_KEY",
    "consumer_secret": "NETSUITE_CONSUMER_SECRET",
    "token_id": "NETSUITE_TOKEN_ID",
    "token_secret": "NETSUITE_TOKEN_SECRET",
}

_RATE_FIELDS = ("error_rate_5xx", "timeout_rate", "drop_after_commit_rate", "invalid_login_rate")


@dataclass(frozen=True)
class FaultSettings:
    """Faults the emulator injects; deterministic for a given seed and request order."""

    latency_ms: int = 0
    error_rate_5xx: float = 0.0
    timeout_rate: float = 0.0
    timeout_sleep_ms: int = 3000
    drop_after_commit_rate: float = 0.0
    invalid_login_rate: float = 0.0
    fail_external_ids: dict[str, list[str]] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        for name in _RATE_FIELDS:
            rate = getattr(self, name)
            if not 0.0 <= float(rate) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {rate!r}")
        if self.latency_ms < 0 or self.timeout_sleep_ms < 0:
            raise ValueError("latency_ms and timeout_sleep_ms must not be negative")
        for external_id, kinds in self.fail_external_ids.items():
            unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
            if unknown:
                raise ValueError(
                    f"unknown fault kind {unknown[0]!r} for external id {external_id!r}; "
                    f"expected one of {sorted(FAULT_KINDS)}"
                )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultSettings:
        """Build from admin-API JSON; unknown keys are an error so typos do not go unnoticed."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault setting {unknown[0]!r}")
        values = dict(data)
        if "fail_external_ids" in values:
            values["fail_external_ids"] = {
                str(eid): [str(kind) for kind in kinds]
                for eid, kinds in dict(values["fail_external_ids"]).items()
            }
        for name in ("latency_ms", "timeout_sleep_ms", "seed"):
            if name in values:
                values[name] = int(values[name])
        for name in _RATE_FIELDS:
            if name in values:
                values[name] = float(values[name])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything the emulator needs to act as one NetSuite account."""

    account_id: str
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str
    concurrency_limit: int = 5
    faults: FaultSettings = field(default_factory=FaultSettings)
    # None accepts any referenced id; otherwise {"customers": [...], "items": [...],
    # "currencies": {"USD": "1", ...}} lists the internal ids that exist in the account.
    reference: dict[str, Any] | None = None
    # A sqlite file keeps the invoices across restarts of a demo emulator; None = in memory.
    state_path: str | None = None

    def __post_init__(self) -> None:
        if self.concurrency_limit < 1:
            raise ValueError("concurrency_limit must be at least 1")

    @property
    def realm(self) -> str:
        """The OAuth realm NetSuite expects: the account id upper-cased, with underscores."""
        return self.account_id.upper().replace("-", "_")

    @classmethod
    def from_environment(cls, **overrides: Any) -> EmulatorConfig:
        """Read credentials from NETSUITE_* variables; keyword overrides win over the env."""
        values: dict[str, Any] = {}
        for name, variable in _ENV_VARIABLES.items():
            if name in overrides:
                continue
            value = os.environ.get(variable, "").strip()
            if not value:
                raise ValueError(f"environment variable {variable} is not set")
            values[name] = value
        values.update(overrides)
        return cls(**values)

    def with_faults(self, faults: FaultSettings) -> EmulatorConfig:
        return replace(self, faults=faults)


def load_reference_file(path: str | Path) -> dict[str, Any]:
    """Load reference data (customers, items, currencies) written by the sample generator.

    Ids are normalised to strings because NetSuite internal ids travel as strings in JSON.
    """
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: reference data must be a JSON object")
    return normalise_reference(raw)


def normalise_reference(raw: dict[str, Any]) -> dict[str, Any]:
    reference: dict[str, Any] = {}
    for key in ("customers", "items"):
        if raw.get(key) is not None:
            reference[key] = [str(value) for value in raw[key]]
    if raw.get("currencies") is not None:
        reference["currencies"] = {str(k): str(v) for k, v in dict(raw["currencies"]).items()}
    return reference
