"""`tally explain`: one invoice with every line's computation, read from the warehouse.

Each line of fct_invoice_lines is shown with what rated it: usage lines with their quantity,
included units, the price in force (charge model, price version, tiers entered) and sample
event ids behind the quantity; discounts, commitments, minimums, standing charges and credits
with the price-book terms and the balances they consumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tally.errors import TallyError
from tally.project import duckdb_path
from tally.warehouse import query

PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
GAUGE_AGGREGATION = "time_weighted_average"


@dataclass(frozen=True)
class TierApplied:
    """One tier of a graduated or volume price, and whether the line's quantity used it."""

    tier_number: int
    lower_bound_quantity: Decimal
    up_to_quantity: Decimal | None
    unit_price: Decimal
    flat_fee_amount: Decimal
    is_applied: bool


@dataclass(frozen=True)
class PriceApplied:
    """The price in force that rated a usage line, and the version it comes from."""

    price_id: str
    price_source: str
    price_version: str
    charge_model: str
    unit_price: Decimal | None
    unit_quantity: Decimal | None
    included_quantity: Decimal | None
    package_quantity: Decimal | None
    package_price: Decimal | None
    rate_percent: Decimal | None
    fixed_fee_amount: Decimal | None
    minimum_charge_amount: Decimal | None
    maximum_charge_amount: Decimal | None
    free_transaction_count: int | None
    free_allowance_amount: Decimal | None
    tiers: list[TierApplied] = field(default_factory=list)


@dataclass(frozen=True)
class LineExplanation:
    """One invoice line as fct_invoice_lines has it, with how it was computed."""

    invoice_line_id: str
    line_number: int
    line_type: str
    contract_id: str | None
    plan_id: str | None
    plan_version_id: str | None
    price_id: str | None
    meter_id: str | None
    dimension_name: str | None
    dimension_value: str | None
    reference_id: str | None
    term_number: int | None
    quantity: Decimal | None
    included_quantity: Decimal | None
    rated_quantity: Decimal | None
    tiers_applied: str | None
    billing_timing: str | None
    unrounded_amount: Decimal | None
    amount: Decimal
    price: PriceApplied | None = None
    details: list[str] = field(default_factory=list)
    sample_kind: str | None = None
    sample_event_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CommitmentBalance:
    """A commitment term's state over the period (fct_commitment_balances)."""

    commitment_id: str
    term_number: int
    commitment_type: str
    commitment_amount: Decimal
    opening_balance_amount: Decimal
    drawdown_amount: Decimal
    closing_balance_amount: Decimal
    term_usage_amount: Decimal
    lapsed_amount: Decimal


@dataclass(frozen=True)
class CreditBalance:
    """A credit grant's balance over the period (fct_credit_balances)."""

    grant_id: str
    grant_amount: Decimal
    opening_amount: Decimal
    applied_amount: Decimal
    closing_amount: Decimal
    lapsed_amount: Decimal


@dataclass(frozen=True)
class InvoiceExplanation:
    """One account's invoice for one period, every line explained."""

    billing_account_id: str
    account_name: str | None
    period: str
    period_start_date: date
    invoice_id: str
    currency_code: str
    subtotal_amount: Decimal
    credit_amount: Decimal
    carry_forward_amount: Decimal
    total_amount: Decimal
    lines: list[LineExplanation]
    commitments: list[CommitmentBalance]
    credits: list[CreditBalance]


def parse_period(period: str) -> date:
    """The first day of a YYYY-MM period; a TallyError for anything else."""
    match = PERIOD_PATTERN.match(period.strip())
    if match is None:
        raise TallyError(f"bad period {period!r}: expected YYYY-MM, for example 2026-09")
    return date(int(match.group(1)), int(match.group(2)), 1)


def _literal(value: str | date) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def explain_invoice(
    account: str, period: str, database: Path | None = None, *, samples: int = 3
) -> InvoiceExplanation:
    """Explain the invoice of `account` for `period` (YYYY-MM) from the built warehouse."""
    period_start = parse_period(period)
    if samples < 0:
        raise TallyError(f"--samples must be 0 or more, not {samples}")
    path = database or duckdb_path()
    _check_built(path)
    account_sql, period_sql = _literal(account), f"date {_literal(period_start)}"

    accounts = query(
        "select billing_account_id, account_name from staging.stg_raw__billing_accounts "
        f"where billing_account_id = {account_sql}",
        path,
    )
    if not accounts:
        raise TallyError(f"unknown billing account {account!r}")
    invoices = query(
        f"select * from marts.fct_invoices where billing_account_id = {account_sql} "
        f"and period_start_date = {period_sql}",
        path,
    )
    if not invoices:
        periods = query(
            "select distinct strftime(period_start_date, '%Y-%m') as period "
            f"from marts.fct_invoices where billing_account_id = {account_sql} order by 1",
            path,
        )
        known = ", ".join(row["period"] for row in periods) or "none"
        raise TallyError(
            f"no invoice for account {account!r} in period {period_start:%Y-%m} "
            f"(invoiced periods: {known})"
        )
    invoice = invoices[0]

    line_rows = query(
        "select lines.*, usage.rated_quantity, usage.unrounded_amount as usage_unrounded_amount, "
        "usage.contract_period_id "
        "from marts.fct_invoice_lines as lines "
        "left join intermediate.int_rated_usage as usage "
        "on lines.invoice_line_id = usage.invoice_line_id "
        f"where lines.invoice_id = {_literal(invoice['invoice_id'])} order by lines.line_number",
        path,
    )
    prices = _prices(account_sql, period_sql, path)
    tiers = _tiers(account_sql, period_sql, path)
    event_samples = _samples(account_sql, period_sql, samples, path) if samples else {}
    references = _references(path)
    commitments = [
        CommitmentBalance(**{k: row[k] for k in CommitmentBalance.__dataclass_fields__})
        for row in query(
            "select * from marts.fct_commitment_balances "
            f"where billing_account_id = {account_sql} and period_start_date = {period_sql} "
            "order by commitment_id, term_number",
            path,
        )
    ]
    credits = [
        CreditBalance(**{k: row[k] for k in CreditBalance.__dataclass_fields__})
        for row in query(
            "select * from marts.fct_credit_balances "
            f"where billing_account_id = {account_sql} and period_start_date = {period_sql} "
            "order by grant_id",
            path,
        )
    ]

    lines = []
    for row in line_rows:
        price = None
        price_row = prices.get((row["contract_period_id"], row["price_id"]))
        if row["line_type"] == "usage" and price_row is not None:
            price = _price_applied(price_row, tiers.get(row["price_id"], []), row["tiers_applied"])
        kind, ids = event_samples.get(row["invoice_line_id"], (None, []))
        lines.append(
            LineExplanation(
                invoice_line_id=row["invoice_line_id"],
                line_number=row["line_number"],
                line_type=row["line_type"],
                contract_id=row["contract_id"],
                plan_id=row["plan_id"],
                plan_version_id=row["plan_version_id"],
                price_id=row["price_id"],
                meter_id=row["meter_id"],
                dimension_name=row["dimension_name"],
                dimension_value=row["dimension_value"],
                reference_id=row["reference_id"],
                term_number=row["term_number"],
                quantity=row["quantity"],
                included_quantity=row["included_quantity"],
                rated_quantity=row["rated_quantity"],
                tiers_applied=row["tiers_applied"],
                billing_timing=row["billing_timing"],
                unrounded_amount=row["usage_unrounded_amount"],
                amount=row["amount"],
                price=price,
                details=_details(row, references, commitments, credits),
                sample_kind=kind,
                sample_event_ids=ids,
            )
        )

    return InvoiceExplanation(
        billing_account_id=account,
        account_name=accounts[0]["account_name"],
        period=f"{period_start:%Y-%m}",
        period_start_date=period_start,
        invoice_id=invoice["invoice_id"],
        currency_code=invoice["currency_code"],
        subtotal_amount=invoice["subtotal_amount"],
        credit_amount=invoice["credit_amount"],
        carry_forward_amount=invoice["carry_forward_amount"],
        total_amount=invoice["total_amount"],
        lines=lines,
        commitments=commitments,
        credits=credits,
    )


def _check_built(path: Path) -> None:
    if not path.exists():
        raise TallyError(f"no warehouse at {path}: run `tally load` and `tally build` first")
    needed = {"fct_invoices", "fct_invoice_lines", "int_rated_usage", "int_events_classified"}
    found = {
        row["table_name"]
        for row in query(
            "select table_name from information_schema.tables "
            f"where table_name in ({', '.join(_literal(name) for name in sorted(needed))})",
            path,
        )
    }
    if found != needed:
        missing = ", ".join(sorted(needed - found))
        raise TallyError(
            f"the warehouse at {path} is not built ({missing} missing): run `tally build`"
        )


def _prices(account_sql: str, period_sql: str, path: Path) -> dict[tuple[str, str], dict]:
    rows = query(
        "select prices.*, parts.plan_version_id, "
        "versions.effective_from_date as version_from, "
        "overrides.effective_from_date as override_from, "
        "overrides.effective_to_date as override_to "
        "from intermediate.int_prices_in_force as prices "
        "inner join intermediate.int_contract_periods as parts "
        "on prices.contract_period_id = parts.contract_period_id "
        "left join price_book.plan_versions as versions "
        "on parts.plan_version_id = versions.plan_version_id "
        "left join price_book.contract_prices as overrides "
        "on prices.price_source = 'contract' and prices.price_id = overrides.price_id "
        f"where parts.billing_account_id = {account_sql} "
        f"and parts.period_start_date = {period_sql}",
        path,
    )
    return {(row["contract_period_id"], row["price_id"]): row for row in rows}


def _tiers(account_sql: str, period_sql: str, path: Path) -> dict[str, list[dict]]:
    rows = query(
        "select tiers.* from intermediate.int_price_tiers_bounded as tiers "
        "where tiers.price_id in (select price_id from marts.fct_invoice_lines "
        f"where billing_account_id = {account_sql} and period_start_date = {period_sql}) "
        "order by tiers.price_id, tiers.tier_rank",
        path,
    )
    tiers: dict[str, list[dict]] = {}
    for row in rows:
        tiers.setdefault(row["price_id"], []).append(row)
    return tiers


def _price_applied(row: dict, tier_rows: list[dict], tiers_applied: str | None) -> PriceApplied:
    if row["price_source"] == "contract":
        until = f" to {row['override_to']}" if row["override_to"] else ""
        version = f"contract {row['contract_id']} override from {row['override_from']}{until}"
    else:
        version = f"plan version {row['plan_version_id']} from {row['version_from']}"
    applied = {part for part in (tiers_applied or "").split(",") if part}
    return PriceApplied(
        price_id=row["price_id"],
        price_source=row["price_source"],
        price_version=version,
        charge_model=row["charge_model"],
        unit_price=row["unit_price"],
        unit_quantity=row["unit_quantity"],
        included_quantity=row["included_quantity"],
        package_quantity=row["package_quantity"],
        package_price=row["package_price"],
        rate_percent=row["rate_percent"],
        fixed_fee_amount=row["fixed_fee_amount"],
        minimum_charge_amount=row["minimum_charge_amount"],
        maximum_charge_amount=row["maximum_charge_amount"],
        free_transaction_count=row["free_transaction_count"],
        free_allowance_amount=row["free_allowance_amount"],
        tiers=[
            TierApplied(
                tier_number=tier["tier_number"],
                lower_bound_quantity=tier["lower_bound_quantity"],
                up_to_quantity=tier["up_to_quantity"],
                unit_price=tier["unit_price"],
                flat_fee_amount=tier["flat_fee_amount"],
                is_applied=str(tier["tier_number"]) in applied,
            )
            for tier in tier_rows
        ],
    )


def _samples(
    account_sql: str, period_sql: str, samples: int, path: Path
) -> dict[str, tuple[str, list[str]]]:
    """Up to `samples` event ids per usage line of quantity > 0, by (occurred_at, event_id).

    Counted meters: the line's counted events over its contract part, of its group when the
    line is keyed (the event's slot of the meter's group_by naming dimension_name holds
    dimension_value; null for the null group), as int_rated_usage groups them. Gauges: the
    readings held on the part's days (int_gauge_daily_values), of the line's group.
    """
    group_value = (
        "case when lines.dimension_name = meters.group_by_1 then {alias}.dimension_1_value "
        "when lines.dimension_name = meters.group_by_2 then {alias}.dimension_2_value "
        "when lines.dimension_name = meters.group_by_3 then {alias}.dimension_3_value end"
    )
    sql = f"""
        with lines as (
            select usage.invoice_line_id, usage.meter_id, usage.dimension_name,
                usage.dimension_value, parts.billing_account_id, parts.part_start_date,
                parts.part_end_date, meters.aggregation
            from intermediate.int_rated_usage as usage
            inner join intermediate.int_contract_periods as parts
                on usage.contract_period_id = parts.contract_period_id
            inner join price_book.meters as meters on usage.meter_id = meters.meter_id
            where usage.billing_account_id = {account_sql}
                and usage.period_start_date = {period_sql} and usage.quantity > 0
        ),
        counted as (
            select lines.invoice_line_id, events.event_id, min(events.occurred_at) as occurred_at
            from lines
            inner join price_book.meters as meters on lines.meter_id = meters.meter_id
            inner join intermediate.int_events_classified as events
                on events.billing_account_id = lines.billing_account_id
                and events.meter_id = lines.meter_id
                and events.usage_date >= lines.part_start_date
                and events.usage_date < lines.part_end_date
                and events.is_counted
            where lines.aggregation <> '{GAUGE_AGGREGATION}'
                and (lines.dimension_name is null
                    or ({group_value.format(alias="events")})
                        is not distinct from lines.dimension_value)
            group by lines.invoice_line_id, events.event_id
        ),
        readings as (
            select lines.invoice_line_id, held.event_id, min(events.occurred_at) as occurred_at
            from lines
            inner join price_book.meters as meters on lines.meter_id = meters.meter_id
            inner join intermediate.int_gauge_daily_values as held
                on held.billing_account_id = lines.billing_account_id
                and held.meter_id = lines.meter_id
                and held.usage_date >= lines.part_start_date
                and held.usage_date < lines.part_end_date
            inner join intermediate.int_events_classified as events
                on held.event_id = events.event_id
                and held.meter_id = events.meter_id
                and events.is_gauge_state
            where lines.aggregation = '{GAUGE_AGGREGATION}'
                and (lines.dimension_name is null
                    or ({group_value.format(alias="held")})
                        is not distinct from lines.dimension_value)
            group by lines.invoice_line_id, held.event_id
        ),
        candidates as (
            select *, 'counted events' as sample_kind from counted
            union all
            select *, 'gauge readings held' as sample_kind from readings
        )
        select invoice_line_id, sample_kind, event_id
        from candidates
        qualify row_number() over (
            partition by invoice_line_id order by occurred_at, event_id
        ) <= {int(samples)}
        order by invoice_line_id, occurred_at, event_id
    """
    found: dict[str, tuple[str, list[str]]] = {}
    for row in query(sql, path):
        _, ids = found.setdefault(row["invoice_line_id"], (row["sample_kind"], []))
        ids.append(row["event_id"])
    return found


def _references(path: Path) -> dict[str, dict[str, Any]]:
    """The price-book rows the non-usage lines refer to, by kind and id."""
    return {
        "discount": _by_id("select * from price_book.discounts", "discount_id", path),
        "minimum": _by_id("select * from price_book.minimum_spends", "minimum_spend_id", path),
        "standing": _by_id("select * from price_book.standing_charges", "standing_charge_id", path),
        "commitment": _by_id("select * from price_book.commitments", "commitment_id", path),
        "grant": _by_id("select * from price_book.credit_grants", "grant_id", path),
    }


def _by_id(sql: str, key: str, path: Path) -> dict[str, Any]:
    return {row[key]: row for row in query(sql, path)}


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _price(value: Decimal | None) -> str:
    """A unit price: at least cents, every significant place kept (0.0005, 8.00)."""
    if value is None:
        return "-"
    return _money(value) if value == round(value, 2) else _number(value)


def _number(value: Decimal | int | None) -> str:
    if value is None:
        return "-"
    text = f"{Decimal(value):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _details(
    row: dict,
    references: dict[str, dict[str, Any]],
    commitments: list[CommitmentBalance],
    credits: list[CreditBalance],
) -> list[str]:
    """Human-readable notes on how a non-usage line was computed."""
    line_type, reference = row["line_type"], row["reference_id"]
    notes: list[str] = []
    if line_type == "discount" and reference in references["discount"]:
        discount = references["discount"][reference]
        how = (
            f"{_number(discount['discount_percent'])} %"
            if discount["discount_type"] == "percent"
            else f"{_money(discount['discount_amount'])} off"
        )
        scope = discount["scope"] + (f" {discount['meter_id']}" if discount["meter_id"] else "")
        notes.append(f"discount {reference}: {how} of the {scope}")
    elif line_type == "minimum_true_up" and reference in references["minimum"]:
        minimum = references["minimum"][reference]
        notes.append(f"minimum spend {reference}: {_money(minimum['minimum_amount'])} a period")
    elif line_type == "platform_fee" and reference in references["standing"]:
        charge = references["standing"][reference]
        notes.append(
            f"{charge['charge_name']}: {_money(charge['charge_amount'])} x prorate "
            f"{_number(row['quantity'])} ({charge['billing_timing']})"
        )
    elif line_type.startswith("commitment") or line_type == "overage_adjustment":
        commitment = references["commitment"].get(reference)
        if commitment is not None:
            terms = [commitment["commitment_type"]]
            if commitment["fee_schedule"]:
                terms.append(f"fee {commitment['fee_schedule']}")
            if commitment["overage_rate_percent"] is not None:
                terms.append(f"overage at {_number(commitment['overage_rate_percent'])} %")
            notes.append(f"commitment {reference} ({', '.join(terms)})")
        for balance in commitments:
            if balance.commitment_id == reference and balance.term_number == row["term_number"]:
                notes.append(
                    f"term {balance.term_number} of {_money(balance.commitment_amount)}: "
                    f"opening {_money(balance.opening_balance_amount)}, drawn "
                    f"{_money(balance.drawdown_amount)}, closing "
                    f"{_money(balance.closing_balance_amount)}, term usage "
                    f"{_money(balance.term_usage_amount)}"
                )
    elif line_type in ("credit", "carry_forward"):
        grant = references["grant"].get(reference)
        if grant is not None:
            notes.append(
                f"grant {reference}: {_money(grant['grant_amount'])}, covers {grant['covers']}, "
                f"expires {grant['expiry_date'] or 'never'}"
            )
        for balance in credits:
            if balance.grant_id == reference:
                notes.append(
                    f"balance: opening {_money(balance.opening_amount)}, applied "
                    f"{_money(balance.applied_amount)}, closing {_money(balance.closing_amount)}"
                )
    return notes


def _usage_details(line: LineExplanation) -> list[str]:
    price = line.price
    notes = [
        f"quantity {_number(line.quantity)} - included {_number(line.included_quantity)} "
        f"= rated {_number(line.rated_quantity)}"
    ]
    if price is None:
        return notes
    notes.append(f"price {price.price_id} ({price.charge_model}; {price.price_version})")
    if price.charge_model == "per_unit":
        notes.append(f"{_price(price.unit_price)} per {_number(price.unit_quantity)}")
    elif price.charge_model == "package":
        notes.append(
            f"{_money(price.package_price)} per started package of "
            f"{_number(price.package_quantity)}"
        )
    elif price.charge_model == "percentage":
        terms = [f"{_number(price.rate_percent)} % of each transaction"]
        if price.fixed_fee_amount is not None:
            terms.append(f"+ {_money(price.fixed_fee_amount)} fixed")
        if price.minimum_charge_amount is not None:
            terms.append(f"min {_money(price.minimum_charge_amount)}")
        if price.maximum_charge_amount is not None:
            terms.append(f"max {_money(price.maximum_charge_amount)}")
        if price.free_transaction_count is not None:
            terms.append(f"{price.free_transaction_count} free transactions")
        if price.free_allowance_amount is not None:
            terms.append(f"{_money(price.free_allowance_amount)} free allowance")
        notes.append(", ".join(terms))
    for tier in price.tiers:
        upper = "and over" if tier.up_to_quantity is None else f"to {_number(tier.up_to_quantity)}"
        flat = f" + {_money(tier.flat_fee_amount)} flat" if tier.flat_fee_amount else ""
        mark = "applied" if tier.is_applied else "not reached"
        notes.append(
            f"tier {tier.tier_number}: {_number(tier.lower_bound_quantity)} {upper} at "
            f"{_price(tier.unit_price)} per {_number(price.unit_quantity)}{flat} ({mark})"
        )
    if line.unrounded_amount is not None:
        notes.append(f"unrounded {_number(line.unrounded_amount)}")
    return notes


def print_explanation(explanation: InvoiceExplanation, console: Console) -> None:
    """Print the invoice, one row per line with its computation, then the balances."""
    name = f" ({explanation.account_name})" if explanation.account_name else ""
    console.print(
        f"[bold]Invoice {explanation.invoice_id}[/bold]: account "
        f"{explanation.billing_account_id}{name}, period {explanation.period}, "
        f"{explanation.currency_code}"
    )
    table = Table(title="Lines and how they were computed", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("line")
    table.add_column("what")
    table.add_column("computation")
    table.add_column("amount", justify="right")
    for line in explanation.lines:
        what = [part for part in (line.contract_id, line.meter_id) if part]
        if line.dimension_name:
            what.append(f"{line.dimension_name}={line.dimension_value or '<null>'}")
        if line.reference_id and line.line_type != "usage":
            what.append(line.reference_id)
        notes = _usage_details(line) if line.line_type == "usage" else list(line.details)
        if line.sample_event_ids:
            notes.append(f"{line.sample_kind}: {', '.join(line.sample_event_ids)}")
        table.add_row(
            str(line.line_number),
            line.line_type,
            "\n".join(what),
            "\n".join(notes),
            _money(line.amount),
        )
    console.print(table)

    if explanation.commitments:
        commitments = Table(title="Commitments over the period")
        for column in ("commitment", "term", "type", "amount", "opening", "drawn", "closing"):
            commitments.add_column(column, justify="right")
        for balance in explanation.commitments:
            commitments.add_row(
                balance.commitment_id,
                str(balance.term_number),
                balance.commitment_type,
                _money(balance.commitment_amount),
                _money(balance.opening_balance_amount),
                _money(balance.drawdown_amount),
                _money(balance.closing_balance_amount),
            )
        console.print(commitments)
    if explanation.credits:
        credits = Table(title="Credits over the period")
        for column in ("grant", "amount", "opening", "applied", "closing", "lapsed"):
            credits.add_column(column, justify="right")
        for credit in explanation.credits:
            credits.add_row(
                credit.grant_id,
                _money(credit.grant_amount),
                _money(credit.opening_amount),
                _money(credit.applied_amount),
                _money(credit.closing_amount),
                _money(credit.lapsed_amount),
            )
        console.print(credits)

    console.print(
        f"subtotal {_money(explanation.subtotal_amount)}, credits "
        f"{_money(explanation.credit_amount)}, carried forward "
        f"{_money(explanation.carry_forward_amount)}"
    )
    console.print(
        f"[bold]total {_money(explanation.total_amount)} {explanation.currency_code}[/bold]"
    )
