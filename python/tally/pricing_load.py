"""Read the price book from its seed folder (metering/, pricing/, contracts/) into dataclasses."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

from tally.errors import TallyError
from tally.pricing_book import (
    Commitment,
    CommitmentTerm,
    Contract,
    CreditGrant,
    Currency,
    Discount,
    Meter,
    MinimumSpend,
    Plan,
    PlanVersion,
    Price,
    PriceBook,
    StandingCharge,
    Tier,
)
from tally.pricing_money import ONE, ZERO
from tally.pricing_validate import validate_price_book

T = TypeVar("T")
Row = dict[str, str | None]


class SeedRow:
    """One CSV row with typed accessors; an empty cell is None."""

    def __init__(self, path: Path, line: int, values: Row) -> None:
        self.path = path
        self.line = line
        self.values = values

    def _fail(self, column: str, reason: str) -> TallyError:
        where = f"{self.path.parent.name}/{self.path.name} line {self.line}"
        return TallyError(f"{where}: column {column} {reason}")

    def text(self, column: str) -> str | None:
        if column not in self.values:
            raise self._fail(column, "is missing from the header")
        value = self.values[column]
        return value if value not in (None, "") else None

    def required(self, column: str) -> str:
        value = self.text(column)
        if value is None:
            raise self._fail(column, "is empty")
        return value

    def decimal(self, column: str) -> Decimal | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            parsed = Decimal(value)
        except InvalidOperation as error:
            raise self._fail(column, f"is not a decimal: {value!r}") from error
        if not parsed.is_finite():
            raise self._fail(column, f"is not a finite decimal: {value!r}")
        return parsed

    def required_decimal(self, column: str) -> Decimal:
        value = self.decimal(column)
        if value is None:
            raise self._fail(column, "is empty")
        return value

    def integer(self, column: str) -> int | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError as error:
            raise self._fail(column, f"is not an integer: {value!r}") from error

    def required_integer(self, column: str) -> int:
        value = self.integer(column)
        if value is None:
            raise self._fail(column, "is empty")
        return value

    def day(self, column: str) -> date | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise self._fail(column, f"is not a YYYY-MM-DD date: {value!r}") from error

    def required_day(self, column: str) -> date:
        value = self.day(column)
        if value is None:
            raise self._fail(column, "is empty")
        return value


def read_seed(path: Path) -> Iterator[SeedRow]:
    """The rows of one seed CSV (line numbers count the header as line 1)."""
    if not path.exists():
        raise TallyError(f"price book seed not found: {path}")
    with path.open(newline="", encoding="utf-8") as handle:
        for offset, values in enumerate(csv.DictReader(handle)):
            yield SeedRow(path, offset + 2, values)


def _parse_all(path: Path, parse: Callable[[SeedRow], T]) -> tuple[T, ...]:
    return tuple(parse(row) for row in read_seed(path))


def _meter(row: SeedRow) -> Meter:
    group_by = tuple(
        name for name in (row.text(f"group_by_{i}") for i in (1, 2, 3)) if name is not None
    )
    return Meter(
        meter_id=row.required("meter_id"),
        aggregation=row.required("aggregation"),
        group_by=group_by,
        gauge_time_unit=row.text("gauge_time_unit"),
    )


def _tier(row: SeedRow) -> tuple[str, Tier]:
    return row.required("price_id"), Tier(
        tier_number=row.required_integer("tier_number"),
        up_to_quantity=row.decimal("up_to_quantity"),
        unit_price=row.required_decimal("unit_price"),
        flat_fee_amount=row.decimal("flat_fee_amount") or ZERO,
    )


def _price(row: SeedRow, tiers: dict[str, list[Tier]], is_override: bool) -> Price:
    price_id = row.required("price_id")
    return Price(
        price_id=price_id,
        meter_id=row.required("meter_id"),
        charge_model=row.required("charge_model"),
        plan_version_id=None if is_override else row.required("plan_version_id"),
        contract_id=row.required("contract_id") if is_override else None,
        effective_from_date=row.required_day("effective_from_date") if is_override else None,
        effective_to_date=row.day("effective_to_date") if is_override else None,
        dimension_name=row.text("dimension_name"),
        dimension_value=row.text("dimension_value"),
        unit_price=row.decimal("unit_price"),
        unit_quantity=row.decimal("unit_quantity") or ONE,
        included_quantity=row.decimal("included_quantity"),
        package_quantity=row.decimal("package_quantity"),
        package_price=row.decimal("package_price"),
        rate_percent=row.decimal("rate_percent"),
        fixed_fee_amount=row.decimal("fixed_fee_amount"),
        minimum_charge_amount=row.decimal("minimum_charge_amount"),
        maximum_charge_amount=row.decimal("maximum_charge_amount"),
        free_transaction_count=row.integer("free_transaction_count"),
        free_allowance_amount=row.decimal("free_allowance_amount"),
        tiers=tuple(sorted(tiers.get(price_id, ()), key=lambda tier: tier.tier_number)),
    )


def _group_tiers(path: Path) -> tuple[dict[str, list[Tier]], tuple[str, ...]]:
    grouped: dict[str, list[Tier]] = defaultdict(list)
    order: list[str] = []
    for price_id, tier in _parse_all(path, _tier):
        grouped[price_id].append(tier)
        order.append(price_id)
    return dict(grouped), tuple(order)


def _commitments(folder: Path) -> tuple[Commitment, ...]:
    terms: dict[str, list[CommitmentTerm]] = defaultdict(list)
    for row in read_seed(folder / "commitment_terms.csv"):
        terms[row.required("commitment_id")].append(
            CommitmentTerm(
                term_number=row.required_integer("term_number"),
                term_start_date=row.required_day("term_start_date"),
                commitment_amount=row.required_decimal("commitment_amount"),
            )
        )
    commitments = _parse_all(
        folder / "commitments.csv",
        lambda row: Commitment(
            commitment_id=row.required("commitment_id"),
            contract_id=row.required("contract_id"),
            commitment_type=row.required("commitment_type"),
            term_months=row.required_integer("term_months"),
            fee_schedule=row.text("fee_schedule"),
            overage_rate_percent=row.decimal("overage_rate_percent"),
            terms=tuple(
                sorted(terms.get(row.required("commitment_id"), ()), key=lambda t: t.term_number)
            ),
        ),
    )
    known = {commitment.commitment_id for commitment in commitments}
    orphans = sorted(set(terms) - known)
    if orphans:
        raise TallyError(f"commitment_terms: unknown commitment_id {', '.join(orphans)}")
    return commitments


def _orphan_tiers(tier_order: tuple[str, ...], prices: tuple[Price, ...], seed: str) -> None:
    known = {price.price_id for price in prices}
    orphans = sorted({price_id for price_id in tier_order if price_id not in known})
    if orphans:
        raise TallyError(f"{seed}: tiers for unknown price_id {', '.join(orphans)}")


def load_price_book(seed_dir: Path, validate: bool = True) -> PriceBook:
    """Read a seed folder (metering/, pricing/, contracts/) and check it (docs/price-book.md)."""
    pricing = seed_dir / "pricing"
    contracts = seed_dir / "contracts"
    plan_tiers, plan_tier_order = _group_tiers(pricing / "price_tiers.csv")
    override_tiers, override_tier_order = _group_tiers(contracts / "contract_price_tiers.csv")
    prices = _parse_all(pricing / "prices.csv", lambda row: _price(row, plan_tiers, False))
    contract_prices = _parse_all(
        contracts / "contract_prices.csv", lambda row: _price(row, override_tiers, True)
    )
    _orphan_tiers(plan_tier_order, prices, "price_tiers")
    _orphan_tiers(override_tier_order, contract_prices, "contract_price_tiers")
    book = PriceBook(
        currencies=_parse_all(
            pricing / "currencies.csv",
            lambda row: Currency(row.required("currency_code"), row.required_integer("minor_unit")),
        ),
        meters=_parse_all(seed_dir / "metering" / "meters.csv", _meter),
        plans=_parse_all(
            pricing / "plans.csv",
            lambda row: Plan(
                row.required("plan_id"), row.required("plan_name"), row.required("currency_code")
            ),
        ),
        plan_versions=_parse_all(
            pricing / "plan_versions.csv",
            lambda row: PlanVersion(
                row.required("plan_version_id"),
                row.required("plan_id"),
                row.required_day("effective_from_date"),
            ),
        ),
        prices=prices,
        standing_charges=_parse_all(
            pricing / "standing_charges.csv",
            lambda row: StandingCharge(
                standing_charge_id=row.required("standing_charge_id"),
                plan_version_id=row.required("plan_version_id"),
                charge_name=row.required("charge_name"),
                charge_amount=row.required_decimal("charge_amount"),
                billing_timing=row.required("billing_timing"),
            ),
        ),
        contracts=_parse_all(
            contracts / "contracts.csv",
            lambda row: Contract(
                contract_id=row.required("contract_id"),
                billing_account_id=row.required("billing_account_id"),
                plan_id=row.required("plan_id"),
                start_date=row.required_day("start_date"),
                end_date=row.day("end_date"),
            ),
        ),
        contract_prices=contract_prices,
        discounts=_parse_all(
            contracts / "discounts.csv",
            lambda row: Discount(
                discount_id=row.required("discount_id"),
                contract_id=row.required("contract_id"),
                scope=row.required("scope"),
                discount_type=row.required("discount_type"),
                effective_from_date=row.required_day("effective_from_date"),
                effective_to_date=row.day("effective_to_date"),
                meter_id=row.text("meter_id"),
                discount_percent=row.decimal("discount_percent"),
                discount_amount=row.decimal("discount_amount"),
            ),
        ),
        commitments=_commitments(contracts),
        credit_grants=_parse_all(
            contracts / "credit_grants.csv",
            lambda row: CreditGrant(
                grant_id=row.required("grant_id"),
                billing_account_id=row.required("billing_account_id"),
                currency_code=row.required("currency_code"),
                grant_amount=row.required_decimal("grant_amount"),
                effective_date=row.required_day("effective_date"),
                expiry_date=row.day("expiry_date"),
                priority=row.required_integer("priority"),
                covers=row.required("covers"),
            ),
        ),
        minimum_spends=_parse_all(
            contracts / "minimum_spends.csv",
            lambda row: MinimumSpend(
                minimum_spend_id=row.required("minimum_spend_id"),
                contract_id=row.required("contract_id"),
                minimum_amount=row.required_decimal("minimum_amount"),
                effective_from_date=row.required_day("effective_from_date"),
                effective_to_date=row.day("effective_to_date"),
            ),
        ),
    )
    if validate:
        problems = validate_price_book(book)
        if problems:
            shown = "; ".join(problems[:10])
            more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
            raise TallyError(f"the price book in {seed_dir} is invalid: {shown}{more}")
    return book
