"""The price book's validation rules (docs/price-book.md, "Validation"): a list of problems."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from itertools import pairwise

from tally.pricing_book import (
    AGGREGATIONS,
    BILLING_TIMINGS,
    COMMITMENT_TYPES,
    DISCOUNT_SCOPES,
    DISCOUNT_TYPES,
    FEE_SCHEDULES,
    GRANT_COVERS,
    TIERED_MODELS,
    Commitment,
    Contract,
    Price,
    PriceBook,
)
from tally.pricing_money import HUNDRED, ZERO, add_months, has_at_most_places, is_period_start

# Which price columns each charge model uses; every other pricing column must be empty.
MODEL_COLUMNS: dict[str, frozenset[str]] = {
    "per_unit": frozenset({"unit_price", "included_quantity"}),
    "graduated": frozenset({"included_quantity"}),
    "volume": frozenset({"included_quantity"}),
    "package": frozenset({"package_quantity", "package_price", "included_quantity"}),
    "percentage": frozenset(
        {
            "rate_percent",
            "fixed_fee_amount",
            "minimum_charge_amount",
            "maximum_charge_amount",
            "free_transaction_count",
            "free_allowance_amount",
        }
    ),
}
OPTIONAL_COLUMNS = frozenset(
    {
        "included_quantity",
        "fixed_fee_amount",
        "minimum_charge_amount",
        "maximum_charge_amount",
        "free_transaction_count",
        "free_allowance_amount",
    }
)
ALL_MODEL_COLUMNS = frozenset().union(*MODEL_COLUMNS.values())


def _duplicates(kind: str, keys: Iterable[object]) -> list[str]:
    counts = Counter(keys)
    repeated = [key for key, count in counts.items() if count > 1]
    return [f"{kind} {key} is not unique" for key in sorted(repeated, key=repr)]


def _unknown(kind: str, key: str, value: object, known: Iterable[object]) -> list[str]:
    return [] if value in set(known) else [f"{kind} {key}: unknown {value}"]


def _not_allowed(kind: str, key: str, column: str, value: object, allowed: tuple) -> list[str]:
    return [] if value in allowed else [f"{kind} {key}: {column} {value!r} is not allowed"]


def _boundary(kind: str, key: str, column: str, day: date | None) -> list[str]:
    if day is None or is_period_start(day):
        return []
    return [f"{kind} {key}: {column} {day} is not the first day of a period"]


def _dated(kind: str, key: str, start: date | None, end: date | None) -> list[str]:
    problems = _boundary(kind, key, "effective_from_date", start)
    problems += _boundary(kind, key, "effective_to_date", end)
    if start is not None and end is not None and end <= start:
        problems.append(f"{kind} {key}: effective_to_date is not after effective_from_date")
    return problems


def _overlaps(spans: list[tuple[date | None, date | None]]) -> bool:
    """Whether any two [start, end) spans overlap (None start = from ever, end = open)."""
    ordered = sorted(spans, key=lambda span: span[0] or date.min)
    for (_, end), (next_start, _) in pairwise(ordered):
        if end is None or (next_start or date.min) < end:
            return True
    return False


def _price_columns(price: Price) -> list[str]:
    kind = "contract price" if price.contract_id else "price"
    problems: list[str] = []
    used = MODEL_COLUMNS.get(price.charge_model)
    if used is None:
        return [f"{kind} {price.price_id}: unknown charge_model {price.charge_model!r}"]
    for column in sorted(ALL_MODEL_COLUMNS):
        value = getattr(price, column)
        if column not in used and value is not None:
            problems.append(
                f"{kind} {price.price_id}: {column} is not used by {price.charge_model}"
            )
        if column in used and column not in OPTIONAL_COLUMNS and value is None:
            problems.append(f"{kind} {price.price_id}: {column} is needed by {price.charge_model}")
        if isinstance(value, Decimal | int) and value < 0:
            problems.append(f"{kind} {price.price_id}: {column} is negative")
    if price.unit_quantity <= 0:
        problems.append(f"{kind} {price.price_id}: unit_quantity must be positive")
    if price.charge_model in ("package", "percentage") and price.unit_quantity != 1:
        problems.append(
            f"{kind} {price.price_id}: unit_quantity is not used by {price.charge_model}"
        )
    if price.package_quantity is not None and price.package_quantity <= 0:
        problems.append(f"{kind} {price.price_id}: package_quantity must be positive")
    low, high = price.minimum_charge_amount, price.maximum_charge_amount
    if low is not None and high is not None and low > high:
        problems.append(f"{kind} {price.price_id}: minimum_charge_amount above the maximum")
    if (price.dimension_name is None) != (price.dimension_value is None):
        problems.append(f"{kind} {price.price_id}: dimension_name and dimension_value go together")
    return problems + _tiers(kind, price)


def _tiers(kind: str, price: Price) -> list[str]:
    if price.charge_model not in TIERED_MODELS:
        return [f"{kind} {price.price_id}: tiers given for {price.charge_model}"] * bool(
            price.tiers
        )
    if not price.tiers:
        return [f"{kind} {price.price_id}: {price.charge_model} needs tiers"]
    problems: list[str] = []
    previous = ZERO
    for index, tier in enumerate(price.tiers, start=1):
        where = f"{kind} {price.price_id} tier {tier.tier_number}"
        if tier.tier_number != index:
            problems.append(f"{where}: tier numbers must run 1, 2, ... without gaps")
        if tier.unit_price < 0 or tier.flat_fee_amount < 0:
            problems.append(f"{where}: negative price")
        is_last = index == len(price.tiers)
        if tier.up_to_quantity is None and not is_last:
            problems.append(f"{where}: only the last tier is open")
        if tier.up_to_quantity is not None and is_last:
            problems.append(f"{where}: the last tier must be open (empty up_to_quantity)")
        if tier.up_to_quantity is not None:
            if tier.up_to_quantity <= previous:
                problems.append(f"{where}: up_to_quantity must increase (tiers overlap)")
            previous = tier.up_to_quantity
    return problems


def _price_keys(book: PriceBook, prices: Iterable[Price]) -> list[str]:
    problems: list[str] = []
    for price in prices:
        kind = "contract price" if price.contract_id else "price"
        meter = book.meters_by_id.get(price.meter_id)
        if meter is None:
            problems.append(f"{kind} {price.price_id}: unknown meter {price.meter_id}")
        elif price.dimension_name is not None and price.dimension_name not in meter.group_by:
            problems.append(
                f"{kind} {price.price_id}: {price.meter_id} is not grouped by "
                f"{price.dimension_name}"
            )
    return problems


def _plan_prices(book: PriceBook) -> list[str]:
    problems: list[str] = []
    versions = {version.plan_version_id for version in book.plan_versions}
    names: dict[tuple[str, str], set[str]] = defaultdict(set)
    for price in book.prices:
        problems += _unknown("price", price.price_id, price.plan_version_id, versions)
        if price.dimension_name is not None:
            names[(price.plan_version_id or "", price.meter_id)].add(price.dimension_name)
    keys = ((p.plan_version_id, p.meter_id, p.dimension_value) for p in book.prices)
    problems += _duplicates("price for (plan version, meter, dimension value)", keys)
    for (version, meter), used in sorted(names.items()):
        if len(used) > 1:
            problems.append(f"plan version {version}: {meter} keyed by more than one dimension")
    return problems


def _contract_prices(book: PriceBook) -> list[str]:
    problems: list[str] = []
    contract_ids = {contract.contract_id for contract in book.contracts}
    spans: dict[tuple[str, str, str | None], list[tuple[date | None, date | None]]]
    spans = defaultdict(list)
    for price in book.contract_prices:
        problems += _unknown("contract price", price.price_id, price.contract_id, contract_ids)
        problems += _dated(
            "contract price", price.price_id, price.effective_from_date, price.effective_to_date
        )
        key = (price.contract_id or "", price.meter_id, price.dimension_value)
        spans[key].append((price.effective_from_date, price.effective_to_date))
    for (contract_id, meter_id, value), dated in sorted(spans.items(), key=str):
        if _overlaps(dated):
            problems.append(f"contract {contract_id}: overlapping overrides of {meter_id} {value}")
    return problems


def _contracts(book: PriceBook) -> list[str]:
    problems: list[str] = []
    plan_ids = {plan.plan_id for plan in book.plans}
    by_account: dict[str, list[Contract]] = defaultdict(list)
    for contract in book.contracts:
        problems += _unknown("contract", contract.contract_id, contract.plan_id, plan_ids)
        if contract.end_date is not None and contract.end_date <= contract.start_date:
            problems.append(f"contract {contract.contract_id}: end_date is not after start_date")
        by_account[contract.billing_account_id].append(contract)
    for account, contracts in sorted(by_account.items()):
        if _overlaps([(c.start_date, c.end_date) for c in contracts]):
            problems.append(f"billing account {account}: contracts overlap")
        currencies = {
            book.plans_by_id[c.plan_id].currency_code
            for c in contracts
            if c.plan_id in book.plans_by_id
        }
        if len(currencies) > 1:
            problems.append(f"billing account {account}: contracts in several currencies")
    return problems


def _discounts(book: PriceBook) -> list[str]:
    problems: list[str] = []
    contract_ids = {contract.contract_id for contract in book.contracts}
    for discount in book.discounts:
        key = discount.discount_id
        problems += _unknown("discount", key, discount.contract_id, contract_ids)
        problems += _not_allowed("discount", key, "scope", discount.scope, DISCOUNT_SCOPES)
        problems += _not_allowed(
            "discount", key, "discount_type", discount.discount_type, DISCOUNT_TYPES
        )
        problems += _dated(
            "discount", key, discount.effective_from_date, discount.effective_to_date
        )
        if (discount.scope == "meter") != (discount.meter_id is not None):
            problems.append(f"discount {key}: meter_id is set exactly when scope is meter")
        if discount.meter_id is not None:
            problems += _unknown("discount", key, discount.meter_id, book.meters_by_id)
        wants_percent = discount.discount_type == "percent"
        if (discount.discount_percent is not None) != wants_percent or (
            discount.discount_amount is not None
        ) == wants_percent:
            problems.append(f"discount {key}: percent xor amount, as discount_type says")
        for value in (discount.discount_percent, discount.discount_amount):
            if value is not None and value < 0:
                problems.append(f"discount {key}: negative value")
    return problems + _discount_totals(book)


def _discount_totals(book: PriceBook) -> list[str]:
    problems: list[str] = []
    for contract in book.contracts:
        for discount in book.discounts:
            if discount.contract_id != contract.contract_id:
                continue
            total = sum(
                (
                    other.discount_percent or ZERO
                    for other in book.contract_discounts(
                        contract.contract_id, discount.effective_from_date
                    )
                    if other.scope == discount.scope and other.meter_id == discount.meter_id
                ),
                ZERO,
            )
            if total > HUNDRED:
                problems.append(
                    f"contract {contract.contract_id}: percent discounts on {discount.scope} "
                    f"{discount.meter_id or ''} add up to {total} % from "
                    f"{discount.effective_from_date}"
                )
    return sorted(set(problems))


def _commitment(book: PriceBook, commitment: Commitment, contract: Contract) -> list[str]:
    key = commitment.commitment_id
    problems = _not_allowed(
        "commitment", key, "commitment_type", commitment.commitment_type, COMMITMENT_TYPES
    )
    if commitment.commitment_type == "prepaid":
        problems += _not_allowed(
            "commitment", key, "fee_schedule", commitment.fee_schedule, FEE_SCHEDULES
        )
    elif commitment.fee_schedule is not None:
        problems.append(f"commitment {key}: fee_schedule is only for prepaid")
    if commitment.term_months < 1:
        problems.append(f"commitment {key}: term_months must be at least 1")
    if commitment.overage_rate_percent is not None and commitment.overage_rate_percent < 0:
        problems.append(f"commitment {key}: negative overage_rate_percent")
    if not commitment.terms:
        problems.append(f"commitment {key}: no terms")
    expected = contract.start_date
    for index, term in enumerate(commitment.terms, start=1):
        where = f"commitment {key} term {term.term_number}"
        if term.term_number != index:
            problems.append(f"{where}: term numbers must run 1, 2, ...")
        if term.term_start_date != expected:
            problems.append(f"{where}: starts {term.term_start_date}, expected {expected}")
        if contract.end_date is not None and term.term_start_date >= contract.end_date:
            problems.append(f"{where}: starts after the contract's end")
        if term.commitment_amount < 0:
            problems.append(f"{where}: negative commitment_amount")
        problems += _money_places(book, contract.plan_id, where, term.commitment_amount)
        expected = add_months(term.term_start_date, max(commitment.term_months, 1))
    return problems


def _commitments(book: PriceBook) -> list[str]:
    contracts = {contract.contract_id: contract for contract in book.contracts}
    problems = _duplicates("commitment of contract", (c.contract_id for c in book.commitments))
    for commitment in book.commitments:
        contract = contracts.get(commitment.contract_id)
        if contract is None:
            problems.append(f"commitment {commitment.commitment_id}: unknown contract")
            continue
        problems += _commitment(book, commitment, contract)
    return problems


def _money_places(book: PriceBook, plan_id: str, where: str, amount: Decimal | None) -> list[str]:
    plan = book.plans_by_id.get(plan_id)
    if amount is None or plan is None or plan.currency_code not in book.minor_units:
        return []
    places = book.minor_units[plan.currency_code]
    if has_at_most_places(amount, places):
        return []
    return [f"{where}: {amount} has more places than {plan.currency_code} allows"]


def _grants(book: PriceBook) -> list[str]:
    problems: list[str] = []
    account_currency = {
        contract.billing_account_id: book.plans_by_id[contract.plan_id].currency_code
        for contract in book.contracts
        if contract.plan_id in book.plans_by_id
    }
    for grant in book.credit_grants:
        key = grant.grant_id
        problems += _not_allowed("credit grant", key, "covers", grant.covers, GRANT_COVERS)
        problems += _unknown("credit grant", key, grant.currency_code, book.minor_units)
        if key.startswith("carry-"):
            problems.append(f"credit grant {key}: ids starting carry- are the invoice run's")
        if grant.grant_amount <= 0:
            problems.append(f"credit grant {key}: grant_amount must be positive")
        if grant.expiry_date is not None and grant.expiry_date <= grant.effective_date:
            problems.append(f"credit grant {key}: expiry_date is not after effective_date")
        expected = account_currency.get(grant.billing_account_id)
        if expected is not None and expected != grant.currency_code:
            problems.append(f"credit grant {key}: {grant.currency_code}, account pays {expected}")
        places = book.minor_units.get(grant.currency_code)
        if places is not None and not has_at_most_places(grant.grant_amount, places):
            problems.append(f"credit grant {key}: more places than {grant.currency_code} allows")
    return problems


def _minimums(book: PriceBook) -> list[str]:
    problems: list[str] = []
    contracts = {contract.contract_id: contract for contract in book.contracts}
    spans: dict[str, list[tuple[date | None, date | None]]] = defaultdict(list)
    for minimum in book.minimum_spends:
        key = minimum.minimum_spend_id
        contract = contracts.get(minimum.contract_id)
        if contract is None:
            problems.append(f"minimum spend {key}: unknown contract {minimum.contract_id}")
            continue
        problems += _dated(
            "minimum spend", key, minimum.effective_from_date, minimum.effective_to_date
        )
        if minimum.minimum_amount < 0:
            problems.append(f"minimum spend {key}: negative minimum_amount")
        problems += _money_places(
            book, contract.plan_id, f"minimum spend {key}", minimum.minimum_amount
        )
        spans[minimum.contract_id].append((minimum.effective_from_date, minimum.effective_to_date))
    problems += [f"contract {c}: minimum spends overlap" for c, s in spans.items() if _overlaps(s)]
    return problems


def _plans(book: PriceBook) -> list[str]:
    problems: list[str] = []
    for currency in book.currencies:
        if currency.minor_unit < 0:
            problems.append(f"currency {currency.currency_code}: negative minor_unit")
    for plan in book.plans:
        problems += _unknown("plan", plan.plan_id, plan.currency_code, book.minor_units)
    plan_ids = {plan.plan_id for plan in book.plans}
    for version in book.plan_versions:
        key = version.plan_version_id
        problems += _unknown("plan version", key, version.plan_id, plan_ids)
        problems += _boundary(
            "plan version", key, "effective_from_date", version.effective_from_date
        )
    problems += _duplicates(
        "plan version start (plan, date)",
        ((v.plan_id, v.effective_from_date) for v in book.plan_versions),
    )
    versions = {version.plan_version_id: version for version in book.plan_versions}
    for charge in book.standing_charges:
        key = charge.standing_charge_id
        problems += _unknown("standing charge", key, charge.plan_version_id, versions)
        problems += _not_allowed(
            "standing charge", key, "billing_timing", charge.billing_timing, BILLING_TIMINGS
        )
        if charge.charge_amount < 0:
            problems.append(f"standing charge {key}: negative charge_amount")
        version = versions.get(charge.plan_version_id)
        if version is not None:
            problems += _money_places(
                book, version.plan_id, f"standing charge {key}", charge.charge_amount
            )
    return problems


def validate_price_book(book: PriceBook) -> list[str]:
    """Every rule of docs/price-book.md's "Validation" that the seeds alone can check."""
    problems = _duplicates("currency", (c.currency_code for c in book.currencies))
    problems += _duplicates("plan", (p.plan_id for p in book.plans))
    problems += _duplicates("plan version", (v.plan_version_id for v in book.plan_versions))
    problems += _duplicates("price_id", (p.price_id for p in (*book.prices, *book.contract_prices)))
    problems += _duplicates(
        "standing charge", (c.standing_charge_id for c in book.standing_charges)
    )
    problems += _duplicates("contract", (c.contract_id for c in book.contracts))
    problems += _duplicates("discount", (d.discount_id for d in book.discounts))
    problems += _duplicates("commitment", (c.commitment_id for c in book.commitments))
    problems += _duplicates("credit grant", (g.grant_id for g in book.credit_grants))
    problems += _duplicates("minimum spend", (m.minimum_spend_id for m in book.minimum_spends))
    for meter in book.meters:
        problems += _not_allowed(
            "meter", meter.meter_id, "aggregation", meter.aggregation, AGGREGATIONS
        )
    problems += _plans(book)
    for price in (*book.prices, *book.contract_prices):
        problems += _price_columns(price)
    problems += _price_keys(book, (*book.prices, *book.contract_prices))
    problems += _plan_prices(book)
    problems += _contract_prices(book)
    problems += _contracts(book)
    problems += _discounts(book)
    problems += _commitments(book)
    problems += _grants(book)
    problems += _minimums(book)
    return problems
