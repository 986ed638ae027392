"""Which invoices exist, whose they are and which scenario each carries.

The plan is cheap to enumerate (no line items), so the expected-outcome manifest and the
export itself walk it independently and both stay streaming at any scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice

from sample_export.catalog import (
    USD,
    CreditTypeSpec,
    CustomerKind,
    CustomerProfile,
    make_customer_profile,
)
from sample_export.ids import stable_fraction, stable_uuid
from sample_export.scenarios import (
    MIN_CUSTOMERS,
    PLANTED_SCENARIOS,
    SCENARIOS_BY_NAME,
    SPECIAL_CUSTOMER_KINDS,
    Host,
    Scenario,
    ScenarioName,
    customer_kind,
)
from sample_export.schedule import Period, billing_periods

ADJUSTMENT_SHARE = 0.15


@dataclass(frozen=True)
class ExportConfig:
    seed: int = 42
    customers: int = 40
    months: int = 3
    lines_per_invoice: int = 6
    start_month: date = date(2026, 8, 1)

    def __post_init__(self) -> None:
        if self.customers < MIN_CUSTOMERS:
            raise ValueError(f"customers must be at least {MIN_CUSTOMERS}")
        if self.months < 1 or self.lines_per_invoice < 1:
            raise ValueError("months and lines_per_invoice must be at least 1")

    @property
    def periods(self) -> list[Period]:
        return billing_periods(self.start_month, self.months)


@dataclass(frozen=True)
class InvoiceHost:
    """The customer side of an invoice."""

    customer_id: str
    customer_index: int | None
    environment_type: str
    credit_type: CreditTypeSpec
    billing_provider_type: str
    tier: int


@dataclass(frozen=True)
class PlannedInvoice:
    invoice_id: str
    scenario: Scenario
    host: InvoiceHost
    period: Period
    # n-th invoice of a planted scenario; 0 for plain invoices.
    ordinal: int


def customer_profile(seed: int, index: int) -> CustomerProfile:
    return make_customer_profile(seed, index, customer_kind(index))


def customer_profiles(config: ExportConfig) -> Iterator[CustomerProfile]:
    for index in range(config.customers):
        yield customer_profile(config.seed, index)


def planted_invoice_id(seed: int, scenario: ScenarioName, ordinal: int) -> str:
    return stable_uuid(seed, "invoice", scenario.value, ordinal)


def planned_invoices(config: ExportConfig) -> Iterator[PlannedInvoice]:
    for period in config.periods:
        yield from period_invoices(config, period)


def period_invoices(config: ExportConfig, period: Period) -> Iterator[PlannedInvoice]:
    """The planted invoices all belong to the first period."""
    if period.index == 0:
        yield from _planted(config, period)
    yield from _plain(config, period)


def ordinary_customer_indices(config: ExportConfig) -> range:
    """Customers after the dedicated ones: each gets one plain invoice per billing period."""
    return range(len(SPECIAL_CUSTOMER_KINDS), config.customers)


def plain_invoice(config: ExportConfig, index: int, period: Period) -> PlannedInvoice:
    """The invoice of ordinary customer `index` for `period` (any period, base or delta)."""
    profile = customer_profile(config.seed, index)
    invoice_id = stable_uuid(config.seed, "invoice", index, period.index)
    return PlannedInvoice(
        invoice_id=invoice_id,
        scenario=SCENARIOS_BY_NAME[_plain_scenario(config.seed, invoice_id, profile)],
        host=_host(profile),
        period=period,
        ordinal=0,
    )


def planted_invoice(config: ExportConfig, name: ScenarioName, ordinal: int) -> PlannedInvoice:
    (planted,) = (
        planned
        for planned in _planted(config, config.periods[0])
        if planned.scenario.name is name and planned.ordinal == ordinal
    )
    return planted


def period_invoice_count(config: ExportConfig, period: Period) -> int:
    """len(list(period_invoices(config, period))), without building them."""
    planted = sum(scenario.count for scenario in PLANTED_SCENARIOS) if period.index == 0 else 0
    return planted + len(ordinary_customer_indices(config))


def _plain(config: ExportConfig, period: Period) -> Iterator[PlannedInvoice]:
    for index in ordinary_customer_indices(config):
        yield plain_invoice(config, index, period)


def _plain_scenario(seed: int, invoice_id: str, profile: CustomerProfile) -> ScenarioName:
    if profile.destination is None:
        return ScenarioName.DESTINATION_FIELD_ABSENT
    if stable_fraction(seed, "adjustment", invoice_id) < ADJUSTMENT_SHARE:
        return ScenarioName.ADJUSTMENT_LINE
    if profile.credit_type is not USD:
        return ScenarioName.EUR_CURRENCY
    return ScenarioName.PLAIN


def _planted(config: ExportConfig, period: Period) -> Iterator[PlannedInvoice]:
    usd_hosts = _usd_hosts(config)
    own_hosts = {
        kind: [
            _host(customer_profile(config.seed, index))
            for index, special in enumerate(SPECIAL_CUSTOMER_KINDS)
            if special is kind
        ]
        for kind in dict.fromkeys(SPECIAL_CUSTOMER_KINDS)
    }
    usd_turn = 0
    for scenario in PLANTED_SCENARIOS:
        for ordinal in range(scenario.count):
            match scenario.host:
                case Host.OWN_CUSTOMER:
                    host = own_hosts[scenario.customer_kind][ordinal]
                case Host.NO_CUSTOMER:
                    host = _absent_host(config.seed)
                case Host.USD_CUSTOMER:
                    host = usd_hosts[usd_turn % len(usd_hosts)]
                    usd_turn += 1
            yield PlannedInvoice(
                invoice_id=planted_invoice_id(config.seed, scenario.name, ordinal),
                scenario=scenario,
                host=host,
                period=period,
                ordinal=ordinal,
            )


def _usd_hosts(config: ExportConfig) -> list[InvoiceHost]:
    """The first canonical USD customers, so a planted invoice has no other trait."""
    needed = sum(s.count for s in PLANTED_SCENARIOS if s.host is Host.USD_CUSTOMER)
    profiles = (
        customer_profile(config.seed, index)
        for index in range(len(SPECIAL_CUSTOMER_KINDS), config.customers)
    )
    canonical = (
        profile
        for profile in profiles
        if profile.kind is CustomerKind.NORMAL
        and profile.credit_type is USD
        and profile.destination == "netsuite"
    )
    return [_host(profile) for profile in islice(canonical, needed)]


def _host(profile: CustomerProfile) -> InvoiceHost:
    return InvoiceHost(
        customer_id=profile.customer_id,
        customer_index=profile.index,
        environment_type=profile.environment_type,
        credit_type=profile.credit_type,
        billing_provider_type=profile.billing_provider_type,
        tier=profile.tier,
    )


def _absent_host(seed: int) -> InvoiceHost:
    """A customer deleted before the export began: its invoices reference a missing id."""
    return InvoiceHost(
        customer_id=stable_uuid(seed, "customer", "not-in-export"),
        customer_index=None,
        environment_type="PRODUCTION",
        credit_type=USD,
        billing_provider_type="netsuite",
        tier=1,
    )
