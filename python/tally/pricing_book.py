"""The price book and contracts as plain dataclasses (the seeds of docs/price-book.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from tally.pricing_money import ONE

CHARGE_MODELS = ("per_unit", "graduated", "volume", "package", "percentage")
TIERED_MODELS = ("graduated", "volume")
BILLING_TIMINGS = ("advance", "arrears")
DISCOUNT_SCOPES = ("meter", "usage_subtotal")
DISCOUNT_TYPES = ("percent", "fixed")
COMMITMENT_TYPES = ("prepaid", "postpaid")
FEE_SCHEDULES = ("upfront", "instalments")
GRANT_COVERS = ("usage", "all")
AGGREGATIONS = ("count", "sum", "max", "min", "unique_count", "latest", "time_weighted_average")


@dataclass(frozen=True)
class Currency:
    currency_code: str
    minor_unit: int


@dataclass(frozen=True)
class Meter:
    meter_id: str
    aggregation: str
    group_by: tuple[str, ...] = ()
    gauge_time_unit: str | None = None


@dataclass(frozen=True)
class Plan:
    plan_id: str
    plan_name: str
    currency_code: str


@dataclass(frozen=True)
class PlanVersion:
    plan_version_id: str
    plan_id: str
    effective_from_date: date


@dataclass(frozen=True)
class Tier:
    """One tier: covers (previous up_to, up_to]; up_to None is the open last tier."""

    tier_number: int
    up_to_quantity: Decimal | None
    unit_price: Decimal
    flat_fee_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class Price:
    """A plan price (plan_version_id set) or a contract override (contract_id set)."""

    price_id: str
    meter_id: str
    charge_model: str
    plan_version_id: str | None = None
    contract_id: str | None = None
    effective_from_date: date | None = None
    effective_to_date: date | None = None
    dimension_name: str | None = None
    dimension_value: str | None = None
    unit_price: Decimal | None = None
    unit_quantity: Decimal = ONE
    included_quantity: Decimal | None = None
    package_quantity: Decimal | None = None
    package_price: Decimal | None = None
    rate_percent: Decimal | None = None
    fixed_fee_amount: Decimal | None = None
    minimum_charge_amount: Decimal | None = None
    maximum_charge_amount: Decimal | None = None
    free_transaction_count: int | None = None
    free_allowance_amount: Decimal | None = None
    tiers: tuple[Tier, ...] = ()

    @property
    def is_keyed(self) -> bool:
        return self.dimension_name is not None

    def in_force(self, period_start: date) -> bool:
        """An override is in force for a period when the period's first day is in its dates."""
        if self.effective_from_date is not None and period_start < self.effective_from_date:
            return False
        return self.effective_to_date is None or period_start < self.effective_to_date


@dataclass(frozen=True)
class StandingCharge:
    standing_charge_id: str
    plan_version_id: str
    charge_name: str
    charge_amount: Decimal
    billing_timing: str


@dataclass(frozen=True)
class Contract:
    contract_id: str
    billing_account_id: str
    plan_id: str
    start_date: date
    end_date: date | None = None  # excluded; None is open


@dataclass(frozen=True)
class Discount:
    discount_id: str
    contract_id: str
    scope: str
    discount_type: str
    effective_from_date: date
    effective_to_date: date | None = None
    meter_id: str | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None

    def in_force(self, period_start: date) -> bool:
        return self.effective_from_date <= period_start and (
            self.effective_to_date is None or period_start < self.effective_to_date
        )


@dataclass(frozen=True)
class CommitmentTerm:
    term_number: int
    term_start_date: date
    commitment_amount: Decimal


@dataclass(frozen=True)
class Commitment:
    commitment_id: str
    contract_id: str
    commitment_type: str
    term_months: int
    terms: tuple[CommitmentTerm, ...]
    fee_schedule: str | None = None
    overage_rate_percent: Decimal | None = None


@dataclass(frozen=True)
class CreditGrant:
    grant_id: str
    billing_account_id: str
    currency_code: str
    grant_amount: Decimal
    effective_date: date
    expiry_date: date | None = None  # excluded; None never expires
    priority: int = 0
    covers: str = "all"

    def applies_to(self, period_start: date, period_end: date) -> bool:
        """In effect at any instant of [period_start, period_end)."""
        return self.effective_date < period_end and (
            self.expiry_date is None or self.expiry_date > period_start
        )


@dataclass(frozen=True)
class MinimumSpend:
    minimum_spend_id: str
    contract_id: str
    minimum_amount: Decimal
    effective_from_date: date
    effective_to_date: date | None = None

    def in_force(self, period_start: date) -> bool:
        return self.effective_from_date <= period_start and (
            self.effective_to_date is None or period_start < self.effective_to_date
        )


@dataclass(frozen=True)
class PriceBook:
    """Everything the rater reads; lookups are derived, never stored separately."""

    currencies: tuple[Currency, ...]
    meters: tuple[Meter, ...]
    plans: tuple[Plan, ...]
    plan_versions: tuple[PlanVersion, ...]
    prices: tuple[Price, ...]
    standing_charges: tuple[StandingCharge, ...] = ()
    contracts: tuple[Contract, ...] = ()
    contract_prices: tuple[Price, ...] = ()
    discounts: tuple[Discount, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    credit_grants: tuple[CreditGrant, ...] = ()
    minimum_spends: tuple[MinimumSpend, ...] = ()

    @cached_property
    def minor_units(self) -> dict[str, int]:
        return {currency.currency_code: currency.minor_unit for currency in self.currencies}

    @cached_property
    def meters_by_id(self) -> dict[str, Meter]:
        return {meter.meter_id: meter for meter in self.meters}

    @cached_property
    def plans_by_id(self) -> dict[str, Plan]:
        return {plan.plan_id: plan for plan in self.plans}

    def plan_currency(self, plan_id: str) -> str:
        return self.plans_by_id[plan_id].currency_code

    def version_in_force(self, plan_id: str, period_start: date) -> PlanVersion | None:
        """The plan version in force on a period's first day."""
        candidates = [
            version
            for version in self.plan_versions
            if version.plan_id == plan_id and version.effective_from_date <= period_start
        ]
        return max(candidates, key=lambda version: version.effective_from_date, default=None)

    def version_prices(self, plan_version_id: str) -> tuple[Price, ...]:
        return tuple(price for price in self.prices if price.plan_version_id == plan_version_id)

    def overrides_in_force(self, contract_id: str, period_start: date) -> tuple[Price, ...]:
        return tuple(
            price
            for price in self.contract_prices
            if price.contract_id == contract_id and price.in_force(period_start)
        )

    def version_standing_charges(self, plan_version_id: str) -> tuple[StandingCharge, ...]:
        charges = (c for c in self.standing_charges if c.plan_version_id == plan_version_id)
        return tuple(sorted(charges, key=lambda charge: charge.standing_charge_id))

    def account_contracts(self, billing_account_id: str) -> tuple[Contract, ...]:
        contracts = (c for c in self.contracts if c.billing_account_id == billing_account_id)
        return tuple(sorted(contracts, key=lambda contract: contract.start_date))

    def contract_discounts(self, contract_id: str, period_start: date) -> tuple[Discount, ...]:
        found = (
            discount
            for discount in self.discounts
            if discount.contract_id == contract_id and discount.in_force(period_start)
        )
        return tuple(sorted(found, key=lambda discount: discount.discount_id))

    def contract_commitment(self, contract_id: str) -> Commitment | None:
        found = [c for c in self.commitments if c.contract_id == contract_id]
        return found[0] if found else None

    def contract_minimum(self, contract_id: str, period_start: date) -> MinimumSpend | None:
        found = [
            minimum
            for minimum in self.minimum_spends
            if minimum.contract_id == contract_id and minimum.in_force(period_start)
        ]
        return min(found, key=lambda minimum: minimum.minimum_spend_id, default=None)
