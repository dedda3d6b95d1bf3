"""Differential test: the dbt rating marts and the Python reference rater agree on random books.

Hypothesis draws 500 cases; each case is one billing account with its own plan (per_unit,
graduated, volume and package prices on a count and a sum meter, keyed by a dimension or
not, null group falling back to the unkeyed price, included units, per-N unit quantities; a
percentage price with fixed fee, clamps and free allowances on a transaction meter; platform
fees in advance or arrears; optionally a second plan version from September or October), its
own contract (possibly starting and ending mid-period, optionally followed by a second
contract on the same plan: two parts in one period), contract overrides (keyed or unkeyed,
dated), discounts (percent or fixed, on a meter or the usage subtotal), a commitment
(prepaid upfront or in instalments, or postpaid; 1-3 month terms, renewals, an overage
rate), credit grants (priorities, expiries, covers), a minimum spend, and random usage as
events over August-October 2026 (USD, JPY and BHD accounts).

All cases go into ONE swapped seed folder and ONE raw data set, built with ONE `dbt build`;
every invoice line (key, type, amount and the other line fields), every invoice total and
every credit and commitment balance must then equal `tally.pricing.rate` to the cent
(`_differences` of test_rating_matches_reference), including the invoices with no line of a
period with a contract in force and nothing billed (DECISIONLOG "An invoice for every
contracted period").

The cases are collected by a Hypothesis test run with `max_examples=CASES` (generation
phase only, derandomized so the data set is the same on every run); the comparison runs
once over all of them, and a failure prints each differing account's case and lines.
Not generated: carry_forward (no negative totals without adjustments), late-usage
adjustments, unique_count / latest / max / min / gauge meters (the scenario test has them).
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from tally.dbt import run_dbt
from tally.load import load_paths
from tally.pricing_lines import LINE_TYPE_ORDER
from tally.project import PROJECT_DIR

from .test_rating_matches_reference import _differences, _relative

CASES = 500  # generated cases, all in one build
PERIODS = (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1))
HORIZON = date(2026, 11, 1)  # the end of the last period rated (October is the as-of period)
CURRENCIES = {"USD": 2, "JPY": 0, "BHD": 3}
REGIONS = ("us", "eu", "ap")  # df_calls groups by region
ZONES = ("z1", "z2")  # df_units groups by zone

METERS_EXTRA = (
    "df_calls,df.call,,,,,count,,,region,,,false,,,,call,Differential: calls by region.\n"
    "df_units,df.units,,,,,sum,units,,zone,,,false,,,,unit,Differential: units by zone.\n"
    "df_payments,df.payment,,,,,sum,amount,,,,,false,,,,USD,Differential: payments.\n"
)
EVENT_TYPES_EXTRA = (
    "df.call,Differential: a call.\n"
    "df.units,Differential: units used.\n"
    "df.payment,Differential: a payment.\n"
)


# ---------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------


@dataclass
class Price:
    meter_id: str
    dimension_value: str | None  # keyed by the meter's dimension, or unkeyed (None)
    charge_model: str
    columns: dict[str, Decimal | int | None]
    tiers: list[tuple[Decimal | None, Decimal, Decimal | None]] = field(default_factory=list)


@dataclass
class Case:
    currency: str
    prices: list[Price]
    standing_charges: list[tuple[Decimal, str]]  # (amount, timing)
    start: date
    end: date | None
    discounts: list[dict[str, Any]]
    commitment: dict[str, Any] | None
    grants: list[dict[str, Any]]
    minimum: dict[str, Any] | None
    # a second plan version (its first day, prices, standing charges), from Sep or Oct
    version_2: tuple[date, list[Price], list[tuple[Decimal, str]]] | None
    # contract overrides: (price, effective_from_date, effective_to_date)
    overrides: list[tuple[Price, date, date | None]]
    # a second contract on the same plan from `end` (a mid-period change): its end date
    renewal: tuple[date | None] | None
    # events: (meter, day, minute, group value, quantity); counts have quantity None
    events: list[tuple[str, date, int, str | None, Decimal | None]]


def _money(minor_unit: int, most: int) -> st.SearchStrategy[Decimal]:
    """An amount with at most the currency's minor-unit places, from 0 to `most` units."""
    return st.integers(0, most * 10**minor_unit).map(lambda n: Decimal(n).scaleb(-minor_unit))


def _decimal(most: int, places: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, most * 10**places).map(lambda n: Decimal(n).scaleb(-places))


@st.composite
def _quantity_price(draw: st.DrawFn, meter: str, value: str | None, scale: int) -> Price:
    """A per_unit, graduated, volume or package price; `scale` sizes quantities and tiers."""
    model = draw(st.sampled_from(("per_unit", "graduated", "volume", "package")))
    included = draw(st.none() | _decimal(scale // 2, 1))
    columns: dict[str, Decimal | int | None] = {"included_quantity": included}
    tiers: list[tuple[Decimal | None, Decimal, Decimal | None]] = []
    if model != "package":
        columns["unit_quantity"] = draw(
            st.sampled_from((None, Decimal(1), Decimal(10), Decimal(100)))
        )
    if model == "per_unit":
        columns["unit_price"] = draw(_decimal(5, 4))
    elif model in ("graduated", "volume"):
        count = draw(st.integers(1, 3))
        bounds = sorted(
            draw(st.sets(st.integers(1, scale), min_size=count - 1, max_size=count - 1))
        )
        for bound in [*bounds, None]:
            tiers.append(
                (
                    None if bound is None else Decimal(bound),
                    draw(_decimal(5, 4)),
                    draw(st.none() | _decimal(20, 2)),
                )
            )
    else:
        columns["package_quantity"] = draw(
            st.sampled_from((Decimal(1), Decimal(2), Decimal(3), Decimal(scale // 4 or 1)))
        )
        columns["package_price"] = draw(_decimal(20, 3))
    return Price(meter, value, model, columns, tiers)


@st.composite
def _percentage_price(draw: st.DrawFn) -> Price:
    minimum = draw(st.none() | _decimal(3, 2))
    maximum = draw(st.none() | _decimal(30, 2))
    if minimum is not None and maximum is not None and minimum > maximum:
        minimum, maximum = maximum, minimum
    columns: dict[str, Decimal | int | None] = {
        "rate_percent": draw(_decimal(10, 3)),
        "fixed_fee_amount": draw(st.none() | _decimal(1, 2)),
        "minimum_charge_amount": minimum,
        "maximum_charge_amount": maximum,
        "free_transaction_count": draw(st.none() | st.integers(0, 3)),
        "free_allowance_amount": draw(st.none() | _decimal(200, 2)),
    }
    return Price("df_payments", None, "percentage", columns)


@st.composite
def _meter_prices(
    draw: st.DrawFn, meter: str, values: tuple[str, ...], scale: int
) -> tuple[list[Price], list[str | None]]:
    """A meter's prices, and the group values its usage may have (all of them priced)."""
    keyed = draw(st.lists(st.sampled_from(values), unique=True, max_size=len(values)))
    unkeyed = not keyed or draw(st.booleans())
    prices = [draw(_quantity_price(meter, value, scale)) for value in sorted(keyed)]
    if unkeyed:
        prices.append(draw(_quantity_price(meter, None, scale)))
    groups: list[str | None] = [*values, None] if unkeyed else list(keyed)
    return prices, groups


def _day(start: date, offset: int) -> date:
    return start + timedelta(days=offset)


def _first_of_month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@st.composite
def case_strategy(draw: st.DrawFn) -> Case:
    currency = draw(st.sampled_from(tuple(CURRENCIES)))
    minor = CURRENCIES[currency]
    scale = 100 if minor == 0 else 1  # JPY amounts in yen, not cents
    prices: list[Price] = []
    groups: dict[str, list[str | None]] = {}
    meters = draw(st.sets(st.sampled_from(("df_calls", "df_units", "df_payments")), min_size=1))
    if "df_calls" in meters:
        calls, groups["df_calls"] = draw(_meter_prices("df_calls", REGIONS, 20))
        prices += calls
    if "df_units" in meters:
        units, groups["df_units"] = draw(_meter_prices("df_units", ZONES, 1000))
        prices += units
    if "df_payments" in meters:
        prices.append(draw(_percentage_price()))
        groups["df_payments"] = [None]
    standing = draw(
        st.lists(
            st.tuples(_money(minor, 500 * scale), st.sampled_from(("advance", "arrears"))),
            max_size=2,
        )
    )
    start = _day(PERIODS[0], draw(st.integers(0, 45)))
    end = draw(st.none() | st.integers(1, 110).map(lambda days: _day(start, days)))
    firsts = [*PERIODS, HORIZON]
    scales = {"df_calls": 20, "df_units": 1000}

    def redraw(price: Price) -> SearchStrategy[Price]:
        if price.charge_model == "percentage":
            return _percentage_price()
        return _quantity_price(price.meter_id, price.dimension_value, scales[price.meter_id])

    version_2 = None
    if draw(st.booleans()):
        version_2 = (
            firsts[draw(st.integers(1, 2))],
            [draw(redraw(price)) for price in prices],
            draw(
                st.lists(
                    st.tuples(_money(minor, 500 * scale), st.sampled_from(("advance", "arrears"))),
                    max_size=2,
                )
            ),
        )
    overrides = []
    targets = sorted(
        {(p.meter_id, p.dimension_value) for p in prices}
        | {(m, v) for m in ("df_calls", "df_units") if m in groups for v in groups[m] if v},
        key=repr,
    )
    for meter, value in draw(st.lists(st.sampled_from(targets), unique=True, max_size=2)):
        frm = draw(st.integers(0, 2))
        to = draw(st.none() | st.integers(frm + 1, 3))
        template = Price(meter, value, "percentage" if meter == "df_payments" else "per_unit", {})
        overrides.append((draw(redraw(template)), firsts[frm], None if to is None else firsts[to]))
    renewal = None
    if end is not None and end < date(2026, 10, 25) and draw(st.booleans()):
        renewal = (draw(st.none() | st.integers(1, 60).map(lambda days: _day(end, days))),)

    discounts = []
    percent_left: dict[str, Decimal] = defaultdict(lambda: Decimal(100))
    for _ in range(draw(st.integers(0, 3))):
        scope = draw(st.sampled_from(("usage_subtotal", *sorted(meters))))
        kind = draw(st.sampled_from(("percent", "fixed")))
        frm = draw(st.integers(0, 2))
        to = draw(st.none() | st.integers(frm + 1, 3))
        discount: dict[str, Any] = {
            "scope": "usage_subtotal" if scope == "usage_subtotal" else "meter",
            "meter_id": None if scope == "usage_subtotal" else scope,
            "discount_type": kind,
            "effective_from_date": firsts[frm],
            "effective_to_date": None if to is None else firsts[to],
        }
        if kind == "percent":
            percent = min(draw(_decimal(100, 2)), percent_left[scope])
            percent_left[scope] -= percent
            discount["discount_percent"] = percent
        else:
            discount["discount_amount"] = draw(_money(minor, 50 * scale))
        discounts.append(discount)

    commitment = None
    if draw(st.booleans()):
        kind = draw(st.sampled_from(("prepaid", "postpaid")))
        months = draw(st.integers(1, 3))
        terms, wanted = [start], draw(st.integers(1, 3))
        while len(terms) < wanted:
            following = _first_of_month(terms[-1], months)
            if following >= (end or HORIZON):
                break
            terms.append(following)
        commitment = {
            "commitment_type": kind,
            "term_months": months,
            "fee_schedule": draw(st.sampled_from(("upfront", "instalments")))
            if kind == "prepaid"
            else None,
            "overage_rate_percent": draw(
                st.sampled_from((None, Decimal(50), Decimal(80), Decimal(100), Decimal("112.5")))
            ),
            "terms": [(term, draw(_money(minor, 200 * scale).filter(bool))) for term in terms],
        }

    grants = []
    for _ in range(draw(st.integers(0, 3))):
        effective = _day(date(2026, 7, 1), draw(st.integers(0, 110)))
        lasting = draw(st.none() | st.integers(1, 90))
        expiry = None if lasting is None else _day(effective, lasting)
        grants.append(
            {
                "grant_amount": draw(_money(minor, 300 * scale).filter(bool)),
                "effective_date": effective,
                "expiry_date": expiry,
                "priority": draw(st.integers(0, 3)),
                "covers": draw(st.sampled_from(("usage", "all"))),
            }
        )

    minimum = None
    if draw(st.booleans()):
        frm = draw(st.integers(0, 1))
        to = draw(st.none() | st.integers(frm + 1, 3))
        minimum = {
            "minimum_amount": draw(_money(minor, 300 * scale)),
            "effective_from_date": firsts[frm],
            "effective_to_date": None if to is None else firsts[to],
        }

    events: list[tuple[str, date, int, str | None, Decimal | None]] = []
    last = min((renewal[0] if renewal else end) or HORIZON, HORIZON)
    for period, following in zip(PERIODS, firsts[1:], strict=False):
        part_start, part_end = max(start, period), min(last, following)
        if part_start >= part_end:
            continue
        days = (part_end - part_start).days
        for group in groups.get("df_calls", []):
            for index in range(draw(st.integers(0, 8))):
                at = _day(part_start, (index * 5 + len(events)) % days)
                events.append(("df_calls", at, index * 13 % 1380, group, None))
        for meter, most, places in (("df_units", 500, 3), ("df_payments", 400, 2)):
            if meter not in groups:
                continue
            for _ in range(draw(st.integers(0, 4))):
                events.append(
                    (
                        meter,
                        _day(part_start, draw(st.integers(0, days - 1))),
                        draw(st.integers(0, 1380)),
                        draw(st.sampled_from(groups[meter])),
                        draw(_decimal(most, places)),
                    )
                )
    return Case(
        currency,
        prices,
        standing,
        start,
        end,
        discounts,
        commitment,
        grants,
        minimum,
        version_2,
        overrides,
        renewal,
        events,
    )


def _draw_cases(count: int) -> list[Case]:
    """`count` cases from one derandomized Hypothesis run (generation only: a case is kept,
    not checked, so there is nothing to shrink here; the comparison below runs once)."""
    cases: list[Case] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case_strategy())
    def collect(case: Case) -> None:
        cases.append(case)

    collect()
    return cases


# ---------------------------------------------------------------------------------------
# One seed folder and one raw data set for all the cases
# ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    header = next(
        csv.reader([(PROJECT_DIR / "seeds" / path.parent.name / path.name).open().readline()])
    )
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([_text(row.get(column)) for column in header])


def _account(index: int) -> str:
    return f"acct_d{index:04d}"


def _price_rows(
    rows: dict[str, list[dict[str, Any]]],
    prefix: str,
    price_id: str,
    price: Price,
    owner: dict[str, Any],
) -> None:
    """A price (prefix "") or an override (prefix "contract_") and its tiers."""
    dimension = {"df_calls": "region", "df_units": "zone"}.get(price.meter_id)
    rows[f"{prefix}prices"].append(
        {
            "price_id": price_id,
            **owner,
            "meter_id": price.meter_id,
            "dimension_name": dimension if price.dimension_value else None,
            "dimension_value": price.dimension_value,
            "charge_model": price.charge_model,
            **price.columns,
        }
    )
    for tier, (up_to, unit_price, flat_fee) in enumerate(price.tiers, start=1):
        rows[f"{prefix}price_tiers"].append(
            {
                "price_id": price_id,
                "tier_number": tier,
                "up_to_quantity": up_to,
                "unit_price": unit_price,
                "flat_fee_amount": flat_fee,
            }
        )


def _write_seeds(folder: Path, cases: list[Case]) -> None:
    shutil.copytree(PROJECT_DIR / "seeds", folder)
    for name, extra in (("meters.csv", METERS_EXTRA), ("event_types.csv", EVENT_TYPES_EXTRA)):
        target = folder / "metering" / name
        target.write_text(target.read_text().rstrip("\n") + "\n" + extra)
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for index, case in enumerate(cases):
        account = _account(index)
        plan, version, contract = f"p_{account}", f"pv_{account}", f"c_{account}"
        rows["plans"].append({"plan_id": plan, "plan_name": plan, "currency_code": case.currency})
        versions = [(version, date(2026, 1, 1), case.prices, case.standing_charges)]
        if case.version_2:
            versions.append((f"{version}2", *case.version_2))
        for version_id, effective, prices, standing in versions:
            rows["plan_versions"].append(
                {"plan_version_id": version_id, "plan_id": plan, "effective_from_date": effective}
            )
            for number, price in enumerate(prices):
                _price_rows(
                    rows, "", f"{version_id}_{number}", price, {"plan_version_id": version_id}
                )
            for number, (amount, timing) in enumerate(standing):
                rows["standing_charges"].append(
                    {
                        "standing_charge_id": f"{version_id}_fee{number}",
                        "plan_version_id": version_id,
                        "charge_name": f"Fee {number}",
                        "charge_amount": amount,
                        "billing_timing": timing,
                    }
                )
        for number, (price, effective_from, effective_to) in enumerate(case.overrides):
            _price_rows(
                rows,
                "contract_",
                f"o_{account}_{number}",
                price,
                {
                    "contract_id": contract,
                    "effective_from_date": effective_from,
                    "effective_to_date": effective_to,
                },
            )
        rows["contracts"].append(
            {
                "contract_id": contract,
                "billing_account_id": account,
                "plan_id": plan,
                "start_date": case.start,
                "end_date": case.end,
            }
        )
        if case.renewal:
            rows["contracts"].append(
                {
                    "contract_id": f"c2_{account}",
                    "billing_account_id": account,
                    "plan_id": plan,
                    "start_date": case.end,
                    "end_date": case.renewal[0],
                }
            )
        for number, discount in enumerate(case.discounts):
            rows["discounts"].append(
                {"discount_id": f"d_{account}_{number}", "contract_id": contract, **discount}
            )
        if case.commitment:
            commitment_id = f"cm_{account}"
            rows["commitments"].append(
                {
                    "commitment_id": commitment_id,
                    "contract_id": contract,
                    **{k: v for k, v in case.commitment.items() if k != "terms"},
                }
            )
            for term, (term_start, amount) in enumerate(case.commitment["terms"], start=1):
                rows["commitment_terms"].append(
                    {
                        "commitment_id": commitment_id,
                        "term_number": term,
                        "term_start_date": term_start,
                        "commitment_amount": amount,
                    }
                )
        for number, grant in enumerate(case.grants):
            rows["credit_grants"].append(
                {
                    "grant_id": f"g_{account}_{number}",
                    "billing_account_id": account,
                    "currency_code": case.currency,
                    **grant,
                }
            )
        if case.minimum:
            rows["minimum_spends"].append(
                {"minimum_spend_id": f"m_{account}", "contract_id": contract, **case.minimum}
            )
    for name in ("plans", "plan_versions", "prices", "price_tiers", "standing_charges"):
        _write_csv(folder / "pricing" / f"{name}.csv", rows[name])
    for name in (
        "contracts",
        "contract_prices",
        "contract_price_tiers",
        "discounts",
        "commitments",
        "commitment_terms",
        "credit_grants",
        "minimum_spends",
    ):
        _write_csv(folder / "contracts" / f"{name}.csv", rows[name])


def _write_raw(folder: Path, cases: list[Case]) -> int:
    """Identity files and one usage_events file; returns the number of events."""
    identity = folder / "identity"
    identity.mkdir(parents=True)
    accounts = [(_account(index), case.currency) for index, case in enumerate(cases)]
    since = "2026-06-01T00:00:00Z"
    (identity / "billing_accounts.csv").write_text(
        "billing_account_id,account_name,currency_code\n"
        + "".join(f"{a},{a},{currency}\n" for a, currency in accounts)
    )
    (identity / "organisations.csv").write_text(
        "organisation_id,organisation_name,billing_account_id,valid_from,valid_to,is_internal\n"
        + "".join(f"org_{a},{a},{a},{since},,false\n" for a, _ in accounts)
    )
    (identity / "workspaces.csv").write_text(
        "workspace_id,workspace_name,organisation_id,valid_from,valid_to,is_test\n"
        + "".join(f"ws_{a},main,org_{a},{since},,false\n" for a, _ in accounts)
    )
    (identity / "api_keys.csv").write_text(
        "api_key_id,workspace_id,valid_from,valid_to,is_test\n"
        + "".join(f"key_{a},ws_{a},{since},,false\n" for a, _ in accounts)
    )
    (identity / "wallets.csv").write_text(
        "wallet_address,workspace_id,valid_from,valid_to,is_test\n"
        f"0x{'d' * 40},ws_{accounts[0][0]},{since},,false\n"
    )
    events = folder / "events"
    events.mkdir()
    count = 0
    with (events / "usage_events.jsonl").open("w") as handle:

        def write(account: str, at: datetime, event_type: str, properties: dict[str, Any]) -> None:
            nonlocal count
            count += 1
            handle.write(
                json.dumps(
                    {
                        "event_id": f"df-{count:06d}",
                        "occurred_at": at.isoformat().replace("+00:00", "Z"),
                        "received_at": (at + timedelta(seconds=1))
                        .isoformat()
                        .replace("+00:00", "Z"),
                        "subject": f"key_{account}",
                        "event_type": event_type,
                        "properties": properties,
                    }
                )
                + "\n"
            )

        for (account, _), case in zip(accounts, cases, strict=True):
            for meter, day, minute, group, quantity in case.events:
                at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute)
                if meter == "df_calls":
                    write(account, at, "df.call", {} if group is None else {"region": group})
                elif meter == "df_units":
                    properties: dict[str, Any] = {"units": float(quantity or 0)}
                    if group is not None:
                        properties["zone"] = group
                    write(account, at, "df.units", properties)
                else:
                    write(account, at, "df.payment", {"amount": float(quantity or 0)})
        # The as-of instant: the end of October (a declared type no meter counts).
        write(accounts[0][0], datetime(2026, 10, 31, 23, 58, tzinfo=UTC), "node.uptime", {})
    return count


# ---------------------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------------------


def _account_of(problem: str) -> str:
    for token in problem.replace("'", " ").replace("(", " ").replace("|", " ").split():
        if token.startswith("acct_d"):
            return token.rstrip(",:")
        if token.startswith(("cm_acct_d", "g_acct_d")):
            return token.split("_", 1)[1].rsplit("_", 1)[0] if token.startswith("g_") else token[3:]
    return "?"


def _report(problems: list[str], cases: list[Case]) -> str:
    by_account: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        by_account[_account_of(problem)].append(problem)
    out = [f"{len(problems)} differences in {len(by_account)} of {len(cases)} cases"]
    for account in sorted(by_account)[:5]:
        out.append(f"--- {account}")
        if account.startswith("acct_d"):
            case = cases[int(account[len("acct_d") :])]
            out.append(json.dumps(asdict(case), default=str))
        out += by_account[account][:20]
    return "\n".join(out)


@dataclass(frozen=True)
class Built:
    """The one build of all the cases (a short repr: pytest prints fixture values)."""

    database: Path
    seeds: Path
    cases: list[Case] = field(repr=False)
    events: int


@pytest.fixture(scope="module")
def differential_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Built:
    cases = _draw_cases(CASES)
    root = tmp_path_factory.mktemp("rating_differential")
    seeds = root / "seeds"
    _write_seeds(seeds, cases)
    events = _write_raw(root / "raw", cases)
    database = root / "differential.duckdb"
    load_paths([root / "raw" / "identity", root / "raw" / "events"], database=database)
    outcome = run_dbt(
        ["build", "--exclude", "test_type:unit"], database=database, seed_path=_relative(seeds)
    )
    assert outcome.success, "\n".join(outcome.failures)
    return Built(database, seeds, cases, events)


def test_sql_rating_matches_the_reference_rater_on_generated_cases(
    differential_warehouse: Built,
) -> None:
    built = differential_warehouse
    database, seeds, cases, events = built.database, built.seeds, built.cases, built.events
    assert len(cases) >= CASES
    assert events < 50_000, f"{events} events: keep the generated quantities small"
    problems, result = _differences(database, seeds)
    assert not problems, _report(problems, cases)
    invoiced = {invoice.billing_account_id for invoice in result.invoices}
    assert len(invoiced) == len(cases), "every generated account has at least one invoice"
    line_types = {line.line_type for invoice in result.invoices for line in invoice.lines}
    # Every line type but the two the generator never makes (see the module docstring).
    assert line_types >= set(LINE_TYPE_ORDER) - {"adjustment", "carry_forward"}, (
        f"the generated cases no longer exercise every line type: {sorted(line_types)}"
    )
