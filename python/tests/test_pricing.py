"""The reference rater against PRICING.md's worked examples and hand-computed invoices."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tally.demo_catalog import (
    ACCOUNT_PLAN_CHANGES,
    DEMO_ACCOUNTS,
    DEMO_PERIODS,
    INTERNAL_ACCOUNT_ID,
    PLAN_METERS,
)
from tally.errors import TallyError
from tally.pricing import (
    Adjustment,
    DistinctValue,
    RatingResult,
    Transaction,
    Usage,
    UsageDay,
    load_price_book,
    rate,
)
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
from tally.pricing_charges import charge_quantity, charge_transactions
from tally.pricing_money import divide, round_money
from tally.pricing_parts import Part, effective_prices
from tally.pricing_validate import validate_price_book
from tally.project import PROJECT_DIR

D = Decimal
AUG, SEP, OCT, NOV = date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)
METERS = (
    Meter("calls", "count", ("region",)),
    Meter("storage", "time_weighted_average", (), "month"),
    Meter("storage_days", "time_weighted_average", (), "day"),
    Meter("payments", "sum"),
    Meter("wallets", "unique_count"),
    Meter("peak", "max"),
    Meter("reading", "latest"),
)
EXAMPLE_TIERS = (Tier(1, D(1000), D(0)), Tier(2, D(10000), D("0.002")), Tier(3, None, D("0.001")))


def price(price_id: str = "pr", meter_id: str = "calls", **fields: object) -> Price:
    values: dict[str, object] = {"charge_model": "per_unit", "plan_version_id": "p_v1"}
    if fields.get("charge_model", "per_unit") == "per_unit":
        values["unit_price"] = D(1)
    values.update(fields)
    return Price(price_id=price_id, meter_id=meter_id, **values)  # type: ignore[arg-type]


def book(*prices: Price, currency: str = "USD", **parts: object) -> PriceBook:
    values: dict[str, object] = {
        "currencies": (Currency("USD", 2), Currency("JPY", 0)),
        "meters": METERS,
        "plans": (Plan("p", "P", currency),),
        "plan_versions": (PlanVersion("p_v1", "p", date(2026, 1, 1)),),
        "prices": prices or (price(),),
        "contracts": (Contract("c1", "a", "p", AUG),),
    }
    values.update(parts)
    return PriceBook(**values)  # type: ignore[arg-type]


def calls(
    quantity: str | int, day: date = date(2026, 8, 10), region: str | None = None
) -> UsageDay:
    dims = () if region is None else (("region", region),)
    return UsageDay("a", "calls", day, D(quantity), dims)


def amounts(result: RatingResult, period: date = AUG, account: str = "a") -> list[tuple]:
    return [(line.line_type, line.amount) for line in result.invoice(account, period).lines]


def fee(amount: str, timing: str = "advance") -> StandingCharge:
    return StandingCharge("fee", "p_v1", "Platform fee", D(amount), timing)


# --- Money -----------------------------------------------------------------------------------


def test_division_is_rounded_half_away_at_18_places() -> None:
    assert divide(D("622.5"), D(31)) == D("20.080645161290322581")
    assert divide(D(2), D(3)) == D("0.666666666666666667")
    assert divide(D(-2), D(3)) == D("-0.666666666666666667")
    assert divide(D(1), D(8)) == D("0.125")


def test_money_rounds_half_away_from_zero_once_and_has_no_negative_zero() -> None:
    assert round_money(D("2.345"), 2) == D("2.35")
    assert round_money(D("-2.345"), 2) == D("-2.35")
    assert round_money(D("322.58"), 0) == D(323)
    assert str(round_money(D("-0.001"), 2)) == "0.00"
    assert round_money(D("1.0005"), 3) == D("1.001")


# --- Charge models ---------------------------------------------------------------------------


def test_graduated_example_is_33() -> None:
    graduated = price(charge_model="graduated", tiers=EXAMPLE_TIERS)
    assert round_money(charge_quantity(graduated, D(25000)).amount, 2) == D("33.00")


def test_volume_examples() -> None:
    volume = price(charge_model="volume", tiers=EXAMPLE_TIERS)
    assert charge_quantity(volume, D(25000)).amount == D(25)
    assert charge_quantity(volume, D(10000)).amount == D(20)
    assert charge_quantity(volume, D(0)).amount == D(0)


def test_flat_fees_first_tier_at_zero_later_tier_once_entered() -> None:
    tiers = (Tier(1, D(100), D(0), D(5)), Tier(2, None, D(1), D(7)))
    graduated = price(charge_model="graduated", tiers=tiers)
    assert charge_quantity(graduated, D(0)).amount == D(5)
    assert charge_quantity(graduated, D(100)).amount == D(5)
    assert charge_quantity(graduated, D("100.5")).amount == D("12.5")
    volume = price(charge_model="volume", tiers=tiers)
    assert charge_quantity(volume, D(0)).amount == D(5)
    assert charge_quantity(volume, D(101)).amount == D(108)


def test_included_units_come_off_before_the_tiers() -> None:
    tiers = (Tier(1, D(10000), D("0.002")), Tier(2, None, D("0.001")))
    included = price(charge_model="graduated", included_quantity=D(1000), tiers=tiers)
    charge = charge_quantity(included, D(25000))
    assert (charge.amount, charge.included_quantity) == (D(34), D(1000))
    zero_band = price(charge_model="graduated", tiers=EXAMPLE_TIERS)
    assert charge_quantity(zero_band, D(25000)).amount == D(33)


def test_package_counts_started_packages_after_free_units() -> None:
    package = price(
        charge_model="package",
        unit_price=None,
        package_quantity=D(10),
        package_price=D("0.50"),
        included_quantity=D(5),
    )
    assert charge_quantity(package, D(26)).amount == D("1.50")
    assert charge_quantity(package, D(25)).amount == D("1.00")
    assert charge_quantity(package, D(5)).amount == D(0)


def test_price_per_n_units_is_pro_rata() -> None:
    per_thousand = price(unit_price=D(8), unit_quantity=D(1000))
    assert charge_quantity(per_thousand, D(1500)).amount == D(12)
    assert round_money(charge_quantity(per_thousand, D(1)).amount, 2) == D("0.01")


def transaction(amount: str, second: int, event_id: str = "", received: int = 0) -> Transaction:
    at = datetime(2026, 8, 3, 12, 0, second)
    return Transaction(
        "a", "payments", at, datetime(2026, 8, 3, 13, 0, received), event_id, D(amount)
    )


def percentage(**fields: object) -> Price:
    return price(meter_id="payments", charge_model="percentage", unit_price=None, **fields)


def test_percentage_free_allowance_example_is_13_79() -> None:
    pct = percentage(
        rate_percent=D("2.99"),
        minimum_charge_amount=D("1.75"),
        maximum_charge_amount=D(12),
        free_allowance_amount=D(30),
    )
    charge = charge_transactions(
        pct, [transaction("10", 1), transaction("80", 2), transaction("10000", 3)]
    )
    assert charge.amount == D("13.794")
    assert round_money(charge.amount, 2) == D("13.79")
    assert charge.quantity == D(10090)


def test_percentage_clamp_applies_to_the_whole_charge() -> None:
    pct = percentage(rate_percent=D("2.9"), fixed_fee_amount=D("0.30"), maximum_charge_amount=D(12))
    assert charge_transactions(pct, [transaction("500", 1)]).amount == D(12)


def test_percentage_allowance_ends_when_either_part_runs_out() -> None:
    pct = percentage(
        rate_percent=D(10),
        fixed_fee_amount=D(1),
        free_transaction_count=5,
        free_allowance_amount=D(50),
    )
    # 30 free; 30 is 20 free + 10 charged (1 + 1); 30 charged in full (3 + 1).
    txns = [transaction("30", 1), transaction("30", 2), transaction("30", 3)]
    assert charge_transactions(pct, txns).amount == D(6)
    by_count = percentage(rate_percent=D(1), fixed_fee_amount=D("0.30"), free_transaction_count=2)
    txns = [transaction("100", 1), transaction("100", 2), transaction("100", 3)]
    assert charge_transactions(by_count, txns).amount == D("1.30")


def test_percentage_allowance_follows_the_tie_order() -> None:
    pct = percentage(rate_percent=D(1), free_transaction_count=1)
    late = transaction("100", 1, event_id="a", received=2)
    early = transaction("10", 1, event_id="b", received=1)
    assert charge_transactions(pct, [late, early]).amount == D(1)
    same_received = [transaction("100", 1, "a"), transaction("10", 1, "b")]
    assert charge_transactions(pct, same_received).amount == D("0.10")


# --- Usage lines -----------------------------------------------------------------------------


def test_gb_month_is_the_sum_of_daily_values_over_the_days_of_the_period() -> None:
    values = [D(20), D("22.5"), *[D(20)] * 29]
    days = [
        UsageDay("a", meter, date(2026, 8, 1 + offset), value)
        for meter in ("storage", "storage_days")
        for offset, value in enumerate(values)
    ]
    prices = (price("gbm", "storage", unit_price=D(1)), price("gbd", "storage_days"))
    result = rate(book(*prices), Usage(days=tuple(days)), [AUG])
    month, day = result.invoice("a", AUG).lines
    assert month.quantity == D("20.080645161290322581")
    assert month.amount == D("20.08")
    assert (day.quantity, day.amount) == (D("622.5"), D("622.50"))


def test_unique_count_max_and_latest_quantities() -> None:
    prices = (price("w", "wallets"), price("m", "peak"), price("l", "reading"))
    key = (datetime(2026, 8, 5), datetime(2026, 8, 5), "e1")
    later = (datetime(2026, 8, 9), datetime(2026, 8, 9), "e2")
    usage = Usage(
        days=(
            UsageDay("a", "peak", date(2026, 8, 2), D(7)),
            UsageDay("a", "peak", date(2026, 8, 3), D(4)),
            UsageDay("a", "reading", date(2026, 8, 9), D(3), latest_key=later),
            UsageDay("a", "reading", date(2026, 8, 5), D(9), latest_key=key),
        ),
        distinct_values=tuple(
            DistinctValue("a", "wallets", date(2026, 8, d), v)
            for d, v in ((1, "0xa"), (2, "0xa"), (2, "0xb"))
        ),
    )
    lines = rate(book(*prices), usage, [AUG]).invoice("a", AUG).lines
    assert [(line.meter_id, line.quantity) for line in lines] == [
        ("peak", D(7)),
        ("reading", D(3)),
        ("wallets", D(2)),
    ]


def test_keyed_groups_fall_back_to_the_unkeyed_price_each_on_its_own() -> None:
    prices = (
        price("east", dimension_name="region", dimension_value="us-east"),
        price("other", unit_price=D(2), included_quantity=D(10)),
        price("gbm", "storage"),
        price("w", "wallets"),
    )
    usage = Usage(days=(calls(5, region="us-east"), calls(15, region="eu-west"), calls(3)))
    lines = rate(book(*prices), usage, [AUG]).invoice("a", AUG).lines
    assert [(ln.meter_id, ln.dimension_value, ln.price_id, ln.amount) for ln in lines] == [
        ("calls", "eu-west", "other", D("10.00")),
        ("calls", "us-east", "east", D("5.00")),
        ("calls", None, "other", D("0.00")),
        ("storage", None, "gbm", D("0.00")),
        ("wallets", None, "w", D("0.00")),
    ]
    assert lines[2].dimension_name == "region"  # the null group, not the unkeyed line
    assert lines[2].line_key == "a|2026-08-01|usage|c1|calls|region=<null>"


def test_keyed_group_without_usage_has_no_line_unkeyed_price_always_shows() -> None:
    prices = (
        price("east", dimension_name="region", dimension_value="us-east"),
        price("west", dimension_name="region", dimension_value="eu-west"),
        price("other", unit_price=D(2)),
    )
    result = rate(book(*prices), Usage(days=(calls(5, region="us-east"),)), [AUG])
    lines = result.invoice("a", AUG).lines
    assert [(ln.dimension_name, ln.dimension_value, ln.amount) for ln in lines] == [
        ("region", "us-east", D("5.00")),
        (None, None, D("0.00")),
    ]
    keyed_only = book(*prices[:2])
    assert rate(keyed_only, Usage(), [AUG]).invoice("a", AUG).lines == ()


def test_a_contracted_period_with_nothing_billed_is_an_empty_invoice_of_zero() -> None:
    """DECISIONLOG "An invoice for every contracted period": no line, every amount zero, the
    plan's currency; an account whose contract ends before the period gets no invoice."""
    keyed_only = book(
        price("east", dimension_name="region", dimension_value="us-east"),
        currency="JPY",
        contracts=(Contract("c1", "a", "p", AUG, SEP),),
    )
    result = rate(keyed_only, Usage(), [AUG, SEP])
    assert [(inv.billing_account_id, inv.period_start_date) for inv in result.invoices] == [
        ("a", AUG)
    ]
    invoice = result.invoice("a", AUG)
    assert (invoice.currency_code, invoice.lines, invoice.total_amount) == ("JPY", (), D(0))
    assert (invoice.subtotal_amount, invoice.credit_amount, invoice.carry_forward_amount) == (
        D(0),
        D(0),
        D(0),
    )


def test_usage_with_no_price_or_no_contract_stops_the_run() -> None:
    keyed_only = book(price("east", dimension_name="region", dimension_value="us-east"))
    with pytest.raises(TallyError, match=r"account a .*meter calls.*region=eu-west"):
        rate(keyed_only, Usage(days=(calls(5, region="eu-west"),)), [AUG])
    late_start = book(contracts=(Contract("c1", "a", "p", date(2026, 8, 22)),))
    with pytest.raises(TallyError, match=r"billing account a: usage of meter calls on 2026-08-10"):
        rate(late_start, Usage(days=(calls(5),)), [AUG])
    with pytest.raises(TallyError, match=r"meter payments has usage but no price"):
        rate(book(), Usage(days=(UsageDay("a", "payments", AUG, D(1)),)), [AUG])


def test_gauge_time_with_no_contract_is_billed_to_nobody() -> None:
    late_start = book(price("gbm", "storage"), contracts=(Contract("c1", "a", "p", SEP),))
    usage = Usage(days=(UsageDay("a", "storage", date(2026, 8, 10), D(100)),))
    assert rate(late_start, usage, [AUG]).invoices == ()


def test_overrides_replace_the_group_or_the_meter_and_carry_dates() -> None:
    plan_prices = (
        price("east", dimension_name="region", dimension_value="us-east", unit_price=D(3)),
        price("other", unit_price=D(2)),
    )
    keyed = price(
        "c_east",
        plan_version_id=None,
        contract_id="c1",
        effective_from_date=SEP,
        dimension_name="region",
        dimension_value="us-east",
        unit_price=D(1),
    )
    unkeyed = replace(keyed, price_id="c_all", dimension_name=None, dimension_value=None)
    usage = Usage(days=tuple(calls(10, d, "us-east") for d in (date(2026, 8, 5), date(2026, 9, 5))))
    result = rate(book(*plan_prices, contract_prices=(keyed,)), usage, [AUG, SEP])
    assert [(ln.price_id, ln.amount) for ln in result.invoice("a", AUG).lines] == [
        ("east", D("30.00")),
        ("other", D("0.00")),
    ]
    assert [(ln.price_id, ln.amount) for ln in result.invoice("a", SEP).lines] == [
        ("c_east", D("10.00")),
        ("other", D("0.00")),
    ]
    result = rate(book(*plan_prices, contract_prices=(unkeyed,)), usage, [SEP])
    assert [(ln.price_id, ln.dimension_name, ln.amount) for ln in result.invoices[0].lines] == [
        ("c_all", None, D("10.00"))
    ]


def test_the_version_in_force_on_the_first_day_prices_the_period() -> None:
    versions = (PlanVersion("p_v1", "p", date(2026, 1, 1)), PlanVersion("p_v2", "p", SEP))
    prices = (price("v1"), price("v2", plan_version_id="p_v2", unit_price=D(2)))
    usage = Usage(days=(calls(10, date(2026, 8, 31)), calls(10, date(2026, 9, 1))))
    result = rate(book(*prices, plan_versions=versions), usage, [AUG, SEP])
    assert amounts(result, AUG) == [("usage", D("10.00"))]
    assert amounts(result, SEP) == [("usage", D("20.00"))]


def test_mid_period_contract_change_gives_two_sets_of_lines() -> None:
    contracts = (
        Contract("c1", "a", "p", AUG, date(2026, 8, 16)),
        Contract("c2", "a", "p", date(2026, 8, 16)),
    )
    usage = Usage(days=(calls(30, date(2026, 8, 10)), calls(30, date(2026, 8, 20))))
    the_book = book(
        price(included_quantity=D(20)),
        standing_charges=(fee("310"),),
        contracts=contracts,
        minimum_spends=(MinimumSpend("m1", "c1", D(25), AUG), MinimumSpend("m2", "c2", D(5), AUG)),
    )
    lines = rate(the_book, usage, [AUG]).invoice("a", AUG).lines
    assert [(ln.line_type, ln.contract_id, ln.amount) for ln in lines] == [
        ("usage", "c1", D("10.00")),
        ("usage", "c2", D("10.00")),
        ("minimum_true_up", "c1", D("15.00")),
        ("platform_fee", "c1", D("150.00")),
        ("platform_fee", "c2", D("160.00")),
    ]


# --- Standing charges ------------------------------------------------------------------------


def test_standing_charge_prorated_from_the_22nd_of_a_31_day_month() -> None:
    the_book = book(
        standing_charges=(fee("500"),), contracts=(Contract("c1", "a", "p", date(2026, 8, 22)),)
    )
    result = rate(the_book, Usage(), [AUG, SEP])
    assert amounts(result, AUG) == [("usage", D("0.00")), ("platform_fee", D("161.29"))]
    assert amounts(result, SEP)[-1] == ("platform_fee", D("500.00"))


def test_standing_charge_in_jpy_rounds_to_whole_yen() -> None:
    the_book = book(
        currency="JPY",
        standing_charges=(fee("1000", "arrears"),),
        contracts=(Contract("c1", "a", "p", date(2026, 8, 22)),),
    )
    line = rate(the_book, Usage(), [AUG]).invoice("a", AUG).lines[-1]
    assert (line.amount, line.currency_code, line.billing_timing) == (D(323), "JPY", "arrears")


def test_contract_ending_mid_period_pays_the_days_covered() -> None:
    the_book = book(
        standing_charges=(fee("300"),),
        contracts=(Contract("c1", "a", "p", SEP, date(2026, 9, 11)),),
    )
    assert amounts(rate(the_book, Usage(), [SEP]), SEP)[-1] == ("platform_fee", D("100.00"))


# --- Discounts -------------------------------------------------------------------------------


def discount(
    discount_id: str, kind: str, value: str, meter: str | None = "calls", **kw
) -> Discount:
    scope = "meter" if meter else "usage_subtotal"
    number = {"discount_percent": D(value)} if kind == "percent" else {"discount_amount": D(value)}
    return Discount(
        discount_id, "c1", scope, kind, kw.pop("start", AUG), meter_id=meter, **number, **kw
    )


def test_meter_discounts_percents_add_then_fixed_by_id_capped_over_lines() -> None:
    prices = (
        price("east", dimension_name="region", dimension_value="us-east"),
        price("west", dimension_name="region", dimension_value="eu-west"),
    )
    discounts = (
        discount("d4", "fixed", "50"),
        discount("d3", "fixed", "120"),
        discount("d1", "percent", "10"),
        discount("d2", "percent", "5"),
    )
    usage = Usage(days=(calls(100, region="us-east"), calls(50, region="eu-west")))
    lines = rate(book(*prices, discounts=discounts), usage, [AUG]).invoice("a", AUG).lines
    assert [(ln.line_type, ln.reference_id, ln.dimension_value, ln.amount) for ln in lines] == [
        ("usage", None, "eu-west", D("50.00")),
        ("usage", None, "us-east", D("100.00")),
        ("discount", "d1", "eu-west", D("-5.00")),
        ("discount", "d1", "us-east", D("-10.00")),
        ("discount", "d2", "eu-west", D("-2.50")),
        ("discount", "d2", "us-east", D("-5.00")),
        ("discount", "d3", "eu-west", D("-42.50")),
        ("discount", "d3", "us-east", D("-77.50")),
        ("discount", "d4", "us-east", D("-7.50")),
    ]


def test_subtotal_discounts_apply_after_meter_discounts_and_never_carry_over() -> None:
    discounts = (
        discount("m1", "percent", "10"),
        discount("s1", "percent", "10", meter=None),
        discount("s2", "percent", "15", meter=None),
        discount("s3", "fixed", "50", meter=None),
        discount("s4", "fixed", "100", meter=None),
        discount("s5", "fixed", "100", meter=None, start=SEP),
    )
    usage = Usage(days=(calls(200), calls(200, date(2026, 9, 3))))
    result = rate(book(discounts=discounts, standing_charges=(fee("10"),)), usage, [AUG, SEP])
    assert amounts(result, AUG) == [
        ("usage", D("200.00")),
        ("discount", D("-20.00")),
        ("discount", D("-18.00")),
        ("discount", D("-27.00")),
        ("discount", D("-50.00")),
        ("discount", D("-85.00")),
        ("platform_fee", D("10.00")),
    ]
    assert result.invoice("a", AUG).total_amount == D("10.00")
    # s5 starts in September, after s4 has taken what was left: nothing, so no line.
    assert amounts(result, SEP) == amounts(result, AUG)


def test_percent_discounts_above_100_percent_stop_the_run() -> None:
    discounts = (discount("d1", "percent", "60"), discount("d2", "percent", "50"))
    with pytest.raises(TallyError, match="add up to 110 %"):
        rate(book(discounts=discounts), Usage(days=(calls(10),)), [AUG])
    assert validate_price_book(book(discounts=discounts))


# --- Commitments and minimum -----------------------------------------------------------------


def commitment(kind: str, months: int, *terms: tuple[date, str], **fields: object) -> Commitment:
    return Commitment(
        "k1",
        "c1",
        kind,
        months,
        tuple(CommitmentTerm(n, start, D(a)) for n, (start, a) in enumerate(terms, start=1)),
        **fields,  # type: ignore[arg-type]
    )


def test_prepaid_instalments_drawdown_overage_and_renewal() -> None:
    prepaid = commitment(
        "prepaid",
        3,
        (AUG, "2000"),
        (NOV, "900"),
        fee_schedule="instalments",
        overage_rate_percent=D(80),
    )
    usage = Usage(
        days=tuple(calls(q, day) for q, day in ((500, AUG), (1200, SEP), (800, OCT), (100, NOV)))
    )
    result = rate(book(commitments=(prepaid,)), usage, [AUG, SEP, OCT, NOV])
    assert amounts(result, AUG)[1:] == [
        ("commitment_fee", D("666.67")),
        ("commitment_drawdown", D("-500.00")),
    ]
    assert amounts(result, SEP)[1:] == [
        ("commitment_fee", D("666.67")),
        ("commitment_drawdown", D("-1200.00")),
    ]
    assert amounts(result, OCT)[1:] == [
        ("commitment_fee", D("666.66")),
        ("commitment_drawdown", D("-300.00")),
        ("overage_adjustment", D("-100.00")),
    ]
    assert result.invoice("a", OCT).total_amount == D("1066.66")  # 800 - 300 - 100 + 666.66
    assert amounts(result, NOV)[1:] == [
        ("commitment_fee", D("300.00")),
        ("commitment_drawdown", D("-100.00")),
    ]
    balances = [(b.period_start_date, b.closing_balance_amount) for b in result.commitment_balances]
    assert balances == [(AUG, D(1500)), (SEP, D(300)), (OCT, D(0)), (NOV, D(800))]


def test_prepaid_upfront_balance_lapses_at_term_end_and_credits_never_pay_the_fee() -> None:
    prepaid = commitment("prepaid", 2, (AUG, "1000"), fee_schedule="upfront")
    grant = CreditGrant("g", "a", "USD", D(5000), AUG)
    usage = Usage(days=(calls(100), calls(200, SEP)))
    result = rate(book(commitments=(prepaid,), credit_grants=(grant,)), usage, [AUG, SEP])
    assert amounts(result, AUG) == [
        ("usage", D("100.00")),
        ("commitment_fee", D("1000.00")),
        ("commitment_drawdown", D("-100.00")),
    ]
    assert result.invoice("a", AUG).total_amount == D("1000.00")
    assert amounts(result, SEP) == [("usage", D("200.00")), ("commitment_drawdown", D("-200.00"))]
    last = result.commitment_balances[-1]
    assert (last.closing_balance_amount, last.lapsed_amount) == (D(700), D(700))


def test_contract_ending_mid_term_bills_the_rest_of_the_instalments() -> None:
    prepaid = commitment("prepaid", 3, (AUG, "3000"), fee_schedule="instalments")
    the_book = book(
        commitments=(prepaid,), contracts=(Contract("c1", "a", "p", AUG, date(2026, 9, 15)),)
    )
    result = rate(the_book, Usage(), [AUG, SEP, OCT])
    assert amounts(result, AUG)[1] == ("commitment_fee", D("1000.00"))
    assert amounts(result, SEP)[1] == ("commitment_fee", D("2000.00"))
    assert result.commitment_balances[-1].lapsed_amount == D(3000)
    assert [invoice.period_start_date for invoice in result.invoices] == [AUG, SEP]


def test_first_term_starts_with_the_contract_mid_period() -> None:
    prepaid = commitment("prepaid", 2, (date(2026, 8, 22), "600"), fee_schedule="instalments")
    the_book = book(
        commitments=(prepaid,), contracts=(Contract("c1", "a", "p", date(2026, 8, 22)),)
    )
    result = rate(the_book, Usage(), [AUG, SEP, OCT])
    assert amounts(result, AUG)[1] == ("commitment_fee", D("300.00"))
    assert amounts(result, SEP)[1] == ("commitment_fee", D("300.00"))
    assert amounts(result, OCT) == [("usage", D("0.00"))]


def test_postpaid_true_up_and_cumulative_overage() -> None:
    surcharge = commitment("postpaid", 3, (AUG, "1000"), overage_rate_percent=D(110))
    periods = [AUG, SEP, OCT]
    usage = Usage(
        days=tuple(calls(q, day) for q, day in zip((300, 500, 400), periods, strict=True))
    )
    result = rate(book(commitments=(surcharge,)), usage, periods)
    assert amounts(result, SEP) == [("usage", D("500.00"))]
    assert amounts(result, OCT) == [("usage", D("400.00")), ("overage_adjustment", D("20.00"))]
    short = replace(surcharge, overage_rate_percent=None)
    usage = Usage(
        days=tuple(calls(q, day) for q, day in zip((100, 200, 300), periods, strict=True))
    )
    result = rate(book(commitments=(short,)), usage, periods)
    assert amounts(result, AUG) == [("usage", D("100.00"))]
    assert amounts(result, OCT) == [("usage", D("300.00")), ("commitment_true_up", D("400.00"))]


def test_postpaid_true_up_against_the_full_amount_when_the_contract_ends_mid_term() -> None:
    postpaid = commitment("postpaid", 3, (AUG, "1000"))
    the_book = book(
        commitments=(postpaid,), contracts=(Contract("c1", "a", "p", AUG, date(2026, 9, 10)),)
    )
    result = rate(the_book, Usage(days=(calls(100), calls(50, SEP))), [AUG, SEP])
    assert amounts(result, SEP) == [("usage", D("50.00")), ("commitment_true_up", D("850.00"))]


def test_minimum_spend_true_up_excludes_platform_fees() -> None:
    the_book = book(
        standing_charges=(fee("500"),),
        minimum_spends=(MinimumSpend("m", "c1", D(100), AUG),),
        discounts=(discount("d", "percent", "50"),),
    )
    result = rate(the_book, Usage(days=(calls(60), calls(300, SEP))), [AUG, SEP])
    assert amounts(result, AUG) == [
        ("usage", D("60.00")),
        ("discount", D("-30.00")),
        ("minimum_true_up", D("70.00")),
        ("platform_fee", D("500.00")),
    ]
    assert [t for t, _ in amounts(result, SEP)] == ["usage", "discount", "platform_fee"]


# --- Credits and carry-forward ---------------------------------------------------------------


def grant(grant_id: str, amount: str, **fields: object) -> CreditGrant:
    values: dict[str, object] = {"effective_date": AUG, "priority": 1, "covers": "all"}
    values.update(fields)
    return CreditGrant(grant_id, "a", "USD", D(amount), **values)  # type: ignore[arg-type]


def test_credits_by_priority_expiry_effective_date_and_id_and_balances_carry() -> None:
    grants = (
        grant("g_d", "100"),
        grant("g_b", "50", expiry_date=OCT, covers="usage"),
        grant("g_a", "30", expiry_date=SEP),
        grant("g_c", "20", priority=0),
    )
    the_book = book(standing_charges=(fee("100"),), credit_grants=grants)
    result = rate(the_book, Usage(days=(calls(60), calls(60, SEP))), [AUG, SEP])
    aug = result.invoice("a", AUG)
    assert [(ln.reference_id, ln.amount) for ln in aug.lines if ln.line_type == "credit"] == [
        ("g_c", D("-20.00")),
        ("g_a", D("-30.00")),
        ("g_b", D("-10.00")),
        ("g_d", D("-100.00")),
    ]
    assert (aug.subtotal_amount, aug.credit_amount, aug.total_amount) == (D(160), D(-160), D(0))
    sep = result.invoice("a", SEP)
    assert [(ln.reference_id, ln.amount) for ln in sep.lines if ln.line_type == "credit"] == [
        ("g_b", D("-40.00"))
    ]
    assert sep.total_amount == D("120.00")


def test_a_grant_pays_periods_it_is_in_effect_at_any_instant_then_lapses() -> None:
    through_august = grant("promo", "500", covers="usage", expiry_date=SEP)
    from_september = grant("later", "7", effective_date=SEP)
    the_book = book(credit_grants=(through_august, from_september))
    result = rate(the_book, Usage(days=(calls(100), calls(100, SEP))), [AUG, SEP])
    assert amounts(result, AUG) == [("usage", D("100.00")), ("credit", D("-100.00"))]
    assert amounts(result, SEP) == [("usage", D("100.00")), ("credit", D("-7.00"))]
    promo = [b for b in result.credit_balances if b.grant_id == "promo"]
    assert [(b.period_start_date, b.lapsed_amount) for b in promo] == [(AUG, D(400))]


def test_usage_credits_skip_platform_fees_and_never_go_below_zero() -> None:
    the_book = book(
        standing_charges=(fee("50"),),
        credit_grants=(grant("u", "1000", covers="usage"),),
        discounts=(discount("d", "fixed", "5"),),
    )
    result = rate(the_book, Usage(days=(calls(30),)), [AUG])
    assert amounts(result, AUG) == [
        ("usage", D("30.00")),
        ("discount", D("-5.00")),
        ("platform_fee", D("50.00")),
        ("credit", D("-25.00")),
    ]


def test_negative_total_is_carried_forward_as_a_grant() -> None:
    adjustment = Adjustment("adj1", "a", AUG, D("-500"))
    the_book = book(standing_charges=(fee("100"),))
    usage = Usage(days=(calls(100), calls(100, SEP)), adjustments=(adjustment,))
    result = rate(the_book, usage, [AUG, SEP, OCT])
    assert amounts(result, AUG) == [
        ("usage", D("100.00")),
        ("adjustment", D("-500.00")),
        ("platform_fee", D("100.00")),
        ("carry_forward", D("300.00")),
    ]
    assert result.invoice("a", AUG).total_amount == D(0)
    (carry,) = result.carry_grants
    assert (carry.grant_id, carry.effective_date, carry.priority, carry.covers) == (
        "carry-2026-08",
        SEP,
        0,
        "all",
    )
    assert amounts(result, SEP)[-1] == ("credit", D("-200.00"))
    assert amounts(result, OCT)[-1] == ("credit", D("-100.00"))


def test_line_numbers_and_keys_are_stable() -> None:
    the_book = book(standing_charges=(fee("10"),), credit_grants=(grant("g", "1"),))
    lines = rate(the_book, Usage(days=(calls(5),)), [AUG]).invoice("a", AUG).lines
    assert [(ln.line_number, ln.line_key) for ln in lines] == [
        (1, "a|2026-08-01|usage|c1|calls|"),
        (2, "a|2026-08-01|platform_fee|c1|fee"),
        (3, "a|2026-08-01|credit||g"),
    ]


# --- The demo price book ---------------------------------------------------------------------

DEMO_DIMENSIONS = {
    "model": ("tally-small", "tally-large"),
    "region": ("us-east", "eu-west", "ap-south"),
}


@pytest.fixture(scope="module")
def demo_book() -> PriceBook:
    return load_price_book(PROJECT_DIR / "seeds")


def expected_contracts() -> set[tuple[str, str, date, date | None]]:
    expected = set()
    for account in DEMO_ACCOUNTS:
        expected.add(
            (
                account.billing_account_id,
                account.plan_id,
                account.contract_start,
                account.contract_end,
            )
        )
        change = ACCOUNT_PLAN_CHANGES.get(account.billing_account_id)
        if change is not None:
            expected.add((account.billing_account_id, change[0], change[1], None))
    return expected


def test_demo_contracts_agree_with_the_catalogue(demo_book: PriceBook) -> None:
    found = {
        (c.billing_account_id, c.plan_id, c.start_date, c.end_date) for c in demo_book.contracts
    }
    assert found == expected_contracts()
    assert not demo_book.account_contracts(INTERNAL_ACCOUNT_ID)
    for account in DEMO_ACCOUNTS:
        for contract in demo_book.account_contracts(account.billing_account_id):
            assert demo_book.plan_currency(contract.plan_id) == account.currency_code


def test_demo_plans_price_every_meter_they_sell(demo_book: PriceBook) -> None:
    for contract in demo_book.contracts:
        for period in DEMO_PERIODS:
            version = demo_book.version_in_force(contract.plan_id, period)
            assert version is not None
            part = Part(contract, version, period, period, period, period, "USD", 2)
            prices = effective_prices(demo_book, part)
            assert set(prices) == set(PLAN_METERS[contract.plan_id]), contract.contract_id
            for meter_id, meter_prices in prices.items():
                if any(not p.is_keyed for p in meter_prices):
                    continue
                (name,) = {p.dimension_name for p in meter_prices}
                values = {p.dimension_value for p in meter_prices}
                assert values >= set(DEMO_DIMENSIONS[name or ""]), (contract, meter_id)


def test_demo_price_book_has_the_issue_s_cases(demo_book: PriceBook) -> None:
    expiring = {g.billing_account_id for g in demo_book.credit_grants if g.expiry_date == OCT}
    assert {"acct_003", "acct_010"} <= expiring
    assert ("growth", OCT) in {(v.plan_id, v.effective_from_date) for v in demo_book.plan_versions}
    kinds = {(c.contract_id, c.commitment_type) for c in demo_book.commitments}
    assert {("ctr_017", "prepaid"), ("ctr_018", "postpaid")} <= kinds
    assert {m.contract_id for m in demo_book.minimum_spends} == {"ctr_016"}
    regional = {p.contract_id for p in demo_book.contract_prices if p.dimension_name == "region"}
    assert regional == {"ctr_013"}


def test_demo_price_book_rates_three_periods(demo_book: PriceBook) -> None:
    days = []
    for account in DEMO_ACCOUNTS:
        for period in DEMO_PERIODS:
            day = max(period.replace(day=25), account.contract_start)
            for region in DEMO_DIMENSIONS["region"]:
                days.append(
                    UsageDay(
                        account.billing_account_id,
                        "rpc_standard_requests",
                        day,
                        D(9000),
                        (("region", region),),
                    )
                )
    result = rate(demo_book, Usage(days=tuple(days)), DEMO_PERIODS)
    assert len(result.invoices) == 20 * 3
    acct_008 = result.invoice("acct_008", AUG)
    assert acct_008.lines[-1].amount == D("96.45")  # 299 x 10/31
    # 27,000 - 20,000 included = 7,000 at $8 per 1,000.
    assert acct_008.lines[1].amount == D("56.00")
    assert all(invoice.total_amount >= 0 for invoice in result.invoices)


def test_a_bad_price_book_fails_naming_the_row(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(PROJECT_DIR / "seeds", seeds)
    versions = seeds / "pricing" / "plan_versions.csv"
    versions.write_text(
        versions.read_text().replace("growth_v2,growth,2026-10-01", "growth_v2,growth,2026-10-15")
    )
    with pytest.raises(TallyError, match="plan version growth_v2: effective_from_date 2026-10-15"):
        load_price_book(seeds)


def test_validation_finds_gapped_tiers_negative_prices_and_unknown_meters() -> None:
    bad = book(
        price(
            "t",
            charge_model="graduated",
            unit_price=None,
            tiers=(Tier(1, D(10), D(1)), Tier(3, D(5), D(1))),
        ),
        price("n", unit_price=D(-1)),
        price("u", meter_id="nope"),
        price("c", charge_model="bogus"),
    )
    problems = " | ".join(validate_price_book(bad))
    assert "tier numbers must run" in problems
    assert "tiers overlap" in problems
    assert "last tier must be open" in problems
    assert "price n: unit_price is negative" in problems
    assert "unknown meter nope" in problems
    assert "unknown charge_model 'bogus'" in problems


def test_percentage_price_rates_transactions_through_the_invoice() -> None:
    pct = percentage(
        rate_percent=D("2.99"),
        minimum_charge_amount=D("1.75"),
        maximum_charge_amount=D(12),
        free_allowance_amount=D(30),
    )
    txns = (transaction("10000", 3), transaction("80", 2), transaction("10", 1))
    line = rate(book(pct), Usage(transactions=txns), [AUG]).invoice("a", AUG).lines[0]
    assert (line.meter_id, line.quantity, line.amount) == ("payments", D(10090), D("13.79"))


def test_gauge_time_splits_between_two_contracts_of_one_period() -> None:
    contracts = (
        Contract("c1", "a", "p", AUG, date(2026, 8, 16)),
        Contract("c2", "a", "p", date(2026, 8, 16)),
    )
    days = tuple(UsageDay("a", "storage", date(2026, 8, d), D(31)) for d in range(1, 32))
    result = rate(book(price("gbm", "storage"), contracts=contracts), Usage(days=days), [AUG])
    assert [(ln.contract_id, ln.quantity) for ln in result.invoice("a", AUG).lines] == [
        ("c1", D(15)),
        ("c2", D(16)),
    ]


def test_duplicate_check_accepts_a_meter_priced_both_keyed_and_unkeyed() -> None:
    from tally.pricing_validate import _duplicates

    keys = [("v1", "meter", None), ("v1", "meter", "eu"), ("v1", "meter", "eu")]
    assert _duplicates("price", keys) == ["price ('v1', 'meter', 'eu') is not unique"]
