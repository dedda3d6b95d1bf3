"""The charge models of PRICING.md ("Charge models"), at full precision (not yet rounded)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tally.errors import TallyError
from tally.pricing_book import Price, Tier
from tally.pricing_money import HUNDRED, ZERO, ceil_quotient, divide, exact
from tally.pricing_usage import Transaction


@dataclass(frozen=True)
class Charge:
    """A usage line's numbers before rounding."""

    quantity: Decimal
    included_quantity: Decimal
    amount: Decimal


def split_included(price: Price, quantity: Decimal) -> tuple[Decimal, Decimal]:
    """(included units used, the rest the model prices)."""
    allowance = price.included_quantity or ZERO
    used = min(quantity, allowance)
    return used, quantity - used


def _band_sizes(tiers: tuple[Tier, ...], quantity: Decimal) -> list[Decimal]:
    sizes: list[Decimal] = []
    lower = ZERO
    for tier in tiers:
        upper = quantity if tier.up_to_quantity is None else min(quantity, tier.up_to_quantity)
        sizes.append(max(ZERO, upper - lower))
        lower = tier.up_to_quantity if tier.up_to_quantity is not None else lower
    return sizes


def graduated(price: Price, quantity: Decimal) -> Decimal:
    """Each band at its own rate; a tier's flat fee once q enters it (tier 1: always)."""
    sizes = _band_sizes(price.tiers, quantity)
    banded = sum(
        (size * tier.unit_price for size, tier in zip(sizes, price.tiers, strict=True)), ZERO
    )
    fees = ZERO
    lower = ZERO
    for index, tier in enumerate(price.tiers):
        if index == 0 or quantity > lower:
            fees += tier.flat_fee_amount
        lower = tier.up_to_quantity if tier.up_to_quantity is not None else lower
    return divide(banded, price.unit_quantity) + fees


def volume_tier(tiers: tuple[Tier, ...], quantity: Decimal) -> Tier:
    """The tier q falls in: the first whose up_to is at least q (the last is open)."""
    for tier in tiers:
        if tier.up_to_quantity is None or quantity <= tier.up_to_quantity:
            return tier
    return tiers[-1]


def volume(price: Price, quantity: Decimal) -> Decimal:
    """The whole quantity at the rate of its tier, plus that tier's flat fee."""
    tier = volume_tier(price.tiers, quantity)
    return divide(quantity * tier.unit_price, price.unit_quantity) + tier.flat_fee_amount


def per_unit(price: Price, quantity: Decimal) -> Decimal:
    """q x unit_price / unit_quantity (pro rata per N units, never rounded up to N)."""
    return divide(quantity * (price.unit_price or ZERO), price.unit_quantity)


def package(price: Price, quantity: Decimal) -> Decimal:
    """ceil(q / package_quantity) x package_price: a started package counts in full."""
    size = price.package_quantity or ZERO
    if size <= 0:
        raise TallyError(f"price {price.price_id}: package_quantity must be positive")
    return ceil_quotient(quantity, size) * (price.package_price or ZERO)


QUANTITY_MODELS = {
    "per_unit": per_unit,
    "graduated": graduated,
    "volume": volume,
    "package": package,
}


@exact
def charge_quantity(price: Price, quantity: Decimal) -> Charge:
    """Rate a period quantity: included units first, then the price's model on the rest."""
    model = QUANTITY_MODELS.get(price.charge_model)
    if model is None:
        raise TallyError(f"price {price.price_id}: {price.charge_model} does not rate quantities")
    used, rest = split_included(price, quantity)
    return Charge(quantity=quantity, included_quantity=used, amount=model(price, rest))


def _clamped(price: Price, chargeable: Decimal) -> Decimal:
    fee = price.fixed_fee_amount or ZERO
    value = divide(chargeable * (price.rate_percent or ZERO), HUNDRED) + fee
    if price.minimum_charge_amount is not None:
        value = max(value, price.minimum_charge_amount)
    if price.maximum_charge_amount is not None:
        value = min(value, price.maximum_charge_amount)
    return value


@dataclass
class _Allowance:
    """What is left of a period's free allowance (None: that part is not set)."""

    count: int | None
    amount: Decimal | None

    @property
    def active(self) -> bool:
        if self.count is None and self.amount is None:
            return False
        count_left = self.count is None or self.count > 0
        amount_left = self.amount is None or self.amount > 0
        return count_left and amount_left

    def take(self, value: Decimal) -> Decimal:
        """Consume one transaction; return the part of its value still to charge."""
        if not self.active:
            return value
        if self.count is not None:
            self.count -= 1
        if self.amount is None:
            return ZERO
        covered = min(value, self.amount)
        self.amount -= covered
        return value - covered


@exact
def charge_transactions(price: Price, transactions: Iterable[Transaction]) -> Charge:
    """Percentage model: each transaction rated on its own, in the metering tie order."""
    if price.charge_model != "percentage":
        raise TallyError(f"price {price.price_id}: {price.charge_model} does not rate transactions")
    ordered = sorted(transactions, key=lambda transaction: transaction.order_key)
    allowance = _Allowance(price.free_transaction_count, price.free_allowance_amount)
    total = ZERO
    for transaction in ordered:
        was_active = allowance.active
        rest = allowance.take(transaction.amount)
        if was_active and rest == 0:
            continue  # wholly inside the allowance: nothing, not even the fixed fee
        total += _clamped(price, rest)
    quantity = sum((transaction.amount for transaction in ordered), ZERO)
    return Charge(quantity=quantity, included_quantity=ZERO, amount=total)
