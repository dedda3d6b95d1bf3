"""One contract's part of a period, and its usage lines (PRICING.md step 1)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tally.errors import TallyError
from tally.pricing_book import Contract, Meter, PlanVersion, Price, PriceBook
from tally.pricing_charges import Charge, charge_quantity, charge_transactions
from tally.pricing_lines import InvoiceLine, dimension_key, line_key
from tally.pricing_money import days_in_month, round_money
from tally.pricing_usage import (
    DistinctValue,
    Transaction,
    UsageDay,
    UsageRow,
    dimension_value,
    period_quantity,
)


@dataclass(frozen=True)
class PartUsage:
    """The usage rows of one account dated within one contract's part of a period."""

    days: tuple[UsageDay, ...] = ()
    transactions: tuple[Transaction, ...] = ()
    distinct_values: tuple[DistinctValue, ...] = ()

    def rows(self) -> tuple[UsageRow, ...]:
        return (*self.days, *self.transactions, *self.distinct_values)


@dataclass(frozen=True)
class Part:
    """A contract in force during [start, end) of the period [period_start, period_end)."""

    contract: Contract
    plan_version: PlanVersion
    period_start: date
    period_end: date
    start: date
    end: date
    currency_code: str
    minor_unit: int

    @property
    def period_days(self) -> int:
        return days_in_month(self.period_start)

    @property
    def covered_days(self) -> int:
        return (self.end - self.start).days

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def line(
        self,
        line_type: str,
        unrounded: Decimal,
        key_parts: tuple[str | None, ...],
        **fields: object,
    ) -> InvoiceLine:
        """A line of this part, its amount rounded once to the currency's minor unit."""
        contract = self.contract
        return InvoiceLine(
            billing_account_id=contract.billing_account_id,
            period_start_date=self.period_start,
            line_type=line_type,
            line_key=line_key(
                contract.billing_account_id,
                self.period_start,
                line_type,
                contract.contract_id,
                *key_parts,
            ),
            currency_code=self.currency_code,
            amount=round_money(unrounded, self.minor_unit),
            unrounded_amount=unrounded,
            contract_id=contract.contract_id,
            plan_id=contract.plan_id,
            plan_version_id=self.plan_version.plan_version_id,
            **fields,  # type: ignore[arg-type]
        )


def effective_prices(book: PriceBook, part: Part) -> dict[str, list[Price]]:
    """Each meter's prices for the part: contract overrides over the plan version's prices.

    An unkeyed override replaces the meter's every plan price; a keyed one replaces the plan
    price of its group or adds one.
    """
    plan: dict[str, list[Price]] = defaultdict(list)
    for price in book.version_prices(part.plan_version.plan_version_id):
        plan[price.meter_id].append(price)
    overrides: dict[str, list[Price]] = defaultdict(list)
    for price in book.overrides_in_force(part.contract.contract_id, part.period_start):
        overrides[price.meter_id].append(price)
    result: dict[str, list[Price]] = {}
    for meter_id in sorted(set(plan) | set(overrides)):
        mine = overrides.get(meter_id, [])
        if any(not price.is_keyed for price in mine):
            result[meter_id] = list(mine)
            continue
        replaced = {price.dimension_value for price in mine}
        kept = [
            p for p in plan.get(meter_id, []) if not p.is_keyed or p.dimension_value not in replaced
        ]
        result[meter_id] = kept + mine
    return result


def _usage_error(part: Part, meter_id: str, detail: str) -> TallyError:
    return TallyError(
        f"billing account {part.contract.billing_account_id} (contract "
        f"{part.contract.contract_id}, period {part.period_start}): meter {meter_id} {detail}"
    )


def _key_name(part: Part, meter: Meter, prices: list[Price]) -> str | None:
    names = {price.dimension_name for price in prices if price.is_keyed}
    if len(names) > 1:
        raise _usage_error(part, meter.meter_id, f"has prices keyed by {sorted(names)}")
    if sum(1 for price in prices if not price.is_keyed) > 1:
        raise _usage_error(part, meter.meter_id, "has more than one unkeyed price")
    return next(iter(names), None)


def _group(usage: PartUsage, meter_id: str, key_name: str | None) -> dict[str | None, PartUsage]:
    days: dict[str | None, list[UsageDay]] = defaultdict(list)
    transactions: dict[str | None, list[Transaction]] = defaultdict(list)
    distinct: dict[str | None, list[DistinctValue]] = defaultdict(list)
    for day in usage.days:
        if day.meter_id == meter_id:
            days[dimension_value(day, key_name)].append(day)
    for transaction in usage.transactions:
        if transaction.meter_id == meter_id:
            transactions[dimension_value(transaction, key_name)].append(transaction)
    for value in usage.distinct_values:
        if value.meter_id == meter_id:
            distinct[dimension_value(value, key_name)].append(value)
    return {
        key: PartUsage(tuple(days[key]), tuple(transactions[key]), tuple(distinct[key]))
        for key in set(days) | set(transactions) | set(distinct)
    }


def _charge(part: Part, meter: Meter, price: Price, usage: PartUsage) -> Charge:
    if price.charge_model == "percentage":
        return charge_transactions(price, usage.transactions)
    quantity = period_quantity(
        meter,
        list(usage.days),
        list(usage.distinct_values),
        list(usage.transactions),
        part.period_days,
    )
    return charge_quantity(price, quantity)


def _usage_line(
    part: Part,
    meter: Meter,
    price: Price,
    usage: PartUsage,
    dimension: tuple[str | None, str | None],
) -> InvoiceLine:
    charge = _charge(part, meter, price, usage)
    name, value = dimension
    return part.line(
        "usage",
        charge.amount,
        (meter.meter_id, dimension_key(name, value)),
        price_id=price.price_id,
        meter_id=meter.meter_id,
        dimension_name=name,
        dimension_value=value,
        quantity=charge.quantity,
        included_quantity=charge.included_quantity,
    )


def _null_last(value: str | None) -> tuple[bool, str]:
    return value is None, value or ""


def _meter_lines(
    part: Part, meter: Meter, prices: list[Price], usage: PartUsage
) -> list[InvoiceLine]:
    key_name = _key_name(part, meter, prices)
    unkeyed = next((price for price in prices if not price.is_keyed), None)
    groups = _group(usage, meter.meter_id, key_name)
    if key_name is None:
        if unkeyed is None:
            return []
        return [_usage_line(part, meter, unkeyed, groups.get(None, PartUsage()), (None, None))]
    keyed = {price.dimension_value: price for price in prices if price.is_keyed}
    lines: list[InvoiceLine] = []
    fell_back = False
    for value in sorted(groups, key=_null_last):
        price = keyed.get(value) or unkeyed
        if price is None:
            raise _usage_error(part, meter.meter_id, f"has no price for {key_name}={value}")
        fell_back = fell_back or price is unkeyed
        lines.append(_usage_line(part, meter, price, groups[value], (key_name, value)))
    if unkeyed is not None and not fell_back:
        lines.append(_usage_line(part, meter, unkeyed, PartUsage(), (None, None)))
    return lines


def usage_lines(book: PriceBook, part: Part, usage: PartUsage) -> list[InvoiceLine]:
    """Every usage line of the part: meters by id, then groups by dimension value."""
    prices = effective_prices(book, part)
    used = {row.meter_id for row in usage.rows()}
    lines: list[InvoiceLine] = []
    for meter_id in sorted(set(prices) | used):
        meter = book.meters_by_id.get(meter_id)
        if meter is None:
            raise _usage_error(part, meter_id, "is not a known meter")
        meter_prices = prices.get(meter_id, [])
        if not meter_prices:
            raise _usage_error(part, meter_id, "has usage but no price")
        lines += _meter_lines(part, meter, meter_prices, usage)
    return lines
