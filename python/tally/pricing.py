"""The reference rater: PRICING.md's arithmetic in plain Python `Decimal`, no SQL.

It reads the price book (`load_price_book`, the seeds of docs/price-book.md) and usage shaped
like the metering marts (`UsageDay`, `Transaction`, `DistinctValue`), and produces invoices
per billing account and period with their lines in PRICING.md's order, plus the credit and
commitment balances carried between periods. The dbt rating models are checked against it.

    book = load_price_book(Path("seeds"))
    result = rate(book, Usage(days=(...)), periods=[date(2026, 8, 1), date(2026, 9, 1)])
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from tally.errors import TallyError
from tally.pricing_book import Contract, PriceBook
from tally.pricing_credits import CreditLedger, carry_forward_lines, credit_lines
from tally.pricing_lines import (
    ALWAYS_SHOWN,
    CommitmentBalance,
    CreditBalance,
    Invoice,
    InvoiceLine,
    RatingResult,
    line_key,
)
from tally.pricing_load import load_price_book
from tally.pricing_money import ZERO, add_months, exact_context, is_period_start, round_money
from tally.pricing_parts import Part, PartUsage, usage_lines
from tally.pricing_steps import (
    CommitmentLedger,
    commitment_lines,
    discount_lines,
    minimum_lines,
    standing_lines,
)
from tally.pricing_usage import (
    Adjustment,
    DistinctValue,
    Transaction,
    Usage,
    UsageDay,
    UsageRow,
)

__all__ = [
    "Adjustment",
    "CommitmentBalance",
    "CreditBalance",
    "DistinctValue",
    "Invoice",
    "InvoiceLine",
    "RatingResult",
    "Transaction",
    "Usage",
    "UsageDay",
    "load_price_book",
    "rate",
]


@dataclass(frozen=True)
class _AccountUsage:
    """One account's usage rows dated within one period."""

    days: tuple[UsageDay, ...]
    transactions: tuple[Transaction, ...]
    distinct_values: tuple[DistinctValue, ...]
    adjustments: tuple[Adjustment, ...]

    def within(self, part: Part) -> PartUsage:
        return PartUsage(
            days=tuple(row for row in self.days if part.contains(row.usage_date)),
            transactions=tuple(row for row in self.transactions if part.contains(row.usage_date)),
            distinct_values=tuple(
                row for row in self.distinct_values if part.contains(row.usage_date)
            ),
        )

    def billable_rows(self, book: PriceBook) -> list[UsageRow]:
        """Rows that must have a contract (gauge time with no contract is billed to nobody)."""
        gauges = {m.meter_id for m in book.meters if m.aggregation == "time_weighted_average"}
        days = [row for row in self.days if row.meter_id not in gauges]
        return [*days, *self.transactions, *self.distinct_values]


def _period_usage(usage: Usage, period_start: date) -> dict[str, _AccountUsage]:
    period_end = add_months(period_start, 1)

    def inside(row: UsageRow) -> bool:
        return period_start <= row.usage_date < period_end

    grouped: dict[str, list[list]] = defaultdict(lambda: [[], [], [], []])
    for index, rows in enumerate((usage.days, usage.transactions, usage.distinct_values)):
        for row in rows:
            if inside(row):
                grouped[row.billing_account_id][index].append(row)
    for adjustment in usage.adjustments:
        if adjustment.period_start_date == period_start:
            grouped[adjustment.billing_account_id][3].append(adjustment)
    return {
        account: _AccountUsage(*(tuple(rows) for rows in lists))
        for account, lists in grouped.items()
    }


def _parts(book: PriceBook, account: str, period_start: date) -> list[Part]:
    period_end = add_months(period_start, 1)
    parts: list[Part] = []
    for contract in book.account_contracts(account):
        end = contract.end_date or date.max
        if contract.start_date >= period_end or end <= period_start:
            continue
        version = book.version_in_force(contract.plan_id, period_start)
        if version is None:
            raise TallyError(
                f"contract {contract.contract_id}: plan {contract.plan_id} has no version in "
                f"force on {period_start}"
            )
        currency = book.plan_currency(contract.plan_id)
        parts.append(
            Part(
                contract=contract,
                plan_version=version,
                period_start=period_start,
                period_end=period_end,
                start=max(contract.start_date, period_start),
                end=min(end, period_end),
                currency_code=currency,
                minor_unit=book.minor_units[currency],
            )
        )
    return parts


def _check_contracts(
    book: PriceBook, account: str, usage: _AccountUsage, parts: list[Part]
) -> None:
    for row in usage.billable_rows(book):
        if not any(part.contains(row.usage_date) for part in parts):
            raise TallyError(
                f"billing account {account}: usage of meter {row.meter_id} on "
                f"{row.usage_date} has no contract in force (never billed at zero)"
            )


def _currency(book: PriceBook, account: str, parts: list[Part]) -> tuple[str, int]:
    currencies = {part.currency_code for part in parts}
    if not currencies:
        contracts: list[Contract] = list(book.account_contracts(account))
        if not contracts:
            raise TallyError(f"billing account {account}: adjustments but no contract ever")
        currencies = {book.plan_currency(contracts[-1].plan_id)}
    if len(currencies) > 1:
        raise TallyError(f"billing account {account}: contracts in {sorted(currencies)}")
    currency = currencies.pop()
    return currency, book.minor_units[currency]


def _adjustment_lines(
    account: str, period_start: date, adjustments: tuple[Adjustment, ...], currency: tuple[str, int]
) -> list[InvoiceLine]:
    code, minor_unit = currency
    return [
        InvoiceLine(
            billing_account_id=account,
            period_start_date=period_start,
            line_type="adjustment",
            line_key=line_key(
                account,
                period_start,
                "adjustment",
                adjustment.contract_id,
                adjustment.adjustment_id,
            ),
            currency_code=code,
            amount=round_money(adjustment.amount, minor_unit),
            unrounded_amount=adjustment.amount,
            contract_id=adjustment.contract_id,
            reference_id=adjustment.adjustment_id,
        )
        for adjustment in sorted(adjustments, key=lambda a: a.adjustment_id)
    ]


def _contract_lines(
    book: PriceBook,
    commitments: CommitmentLedger,
    parts: list[Part],
    usage: _AccountUsage,
) -> dict[str, list[InvoiceLine]]:
    """Steps 1 to 5 for each contract's part, gathered by step in contract order."""
    steps: dict[str, list[InvoiceLine]] = defaultdict(list)
    for part in parts:
        usage_part = usage_lines(book, part, usage.within(part))
        discounts = discount_lines(book, part, usage_part)
        subtotal = sum((line.amount for line in (*usage_part, *discounts)), ZERO)
        steps["usage"] += usage_part
        steps["discount"] += discounts
        steps["commitment"] += commitment_lines(book, commitments, part, subtotal)
        steps["minimum"] += minimum_lines(book, part, subtotal)
        steps["standing"] += standing_lines(book, part)
    return steps


def _invoice(
    book: PriceBook,
    ledgers: tuple[CreditLedger, CommitmentLedger],
    account: str,
    period_start: date,
    usage: _AccountUsage,
) -> Invoice | None:
    credits, commitments = ledgers
    parts = _parts(book, account, period_start)
    _check_contracts(book, account, usage, parts)
    if not parts and not usage.adjustments:
        return None
    currency = _currency(book, account, parts)
    steps = _contract_lines(book, commitments, parts, usage)
    adjustments = _adjustment_lines(account, period_start, usage.adjustments, currency)
    lines = [
        *steps["usage"],
        *steps["discount"],
        *adjustments,
        *steps["commitment"],
        *steps["minimum"],
        *steps["standing"],
    ]
    lines = [line for line in lines if line.line_type in ALWAYS_SHOWN or line.amount != 0]
    credit = [
        line
        for line in credit_lines(credits, account, period_start, lines, currency[0])
        if line.amount != 0
    ]
    total = sum((line.amount for line in (*lines, *credit)), ZERO)
    carry = carry_forward_lines(credits, account, period_start, total, *currency)
    numbered = [
        replace(line, line_number=number)
        for number, line in enumerate((*lines, *credit, *carry), start=1)
    ]
    return Invoice(
        billing_account_id=account,
        period_start_date=period_start,
        currency_code=currency[0],
        lines=tuple(numbered),
        subtotal_amount=sum((line.amount for line in lines), ZERO),
        credit_amount=sum((line.amount for line in credit), ZERO),
        carry_forward_amount=sum((line.amount for line in carry), ZERO),
        total_amount=sum((line.amount for line in numbered), ZERO),
    )


def _check_periods(periods: Sequence[date]) -> None:
    for index, period in enumerate(periods):
        if not is_period_start(period):
            raise TallyError(f"period {period} is not the first day of a month")
        if index and period != add_months(periods[index - 1], 1):
            raise TallyError(f"periods must be consecutive months: {periods[index - 1]}, {period}")


def rate(book: PriceBook, usage: Usage, periods: Sequence[date]) -> RatingResult:
    """Invoice every account with a contract (or usage, or an adjustment) in each period.

    Periods are consecutive months, rated in order; balances (credits, prepaid commitments,
    postpaid usage to date) start empty at the first and carry from one to the next. Usage
    outside the periods is ignored.
    """
    _check_periods(periods)
    credits = CreditLedger(grants=list(book.credit_grants))
    commitments = CommitmentLedger()
    invoices: list[Invoice] = []
    with exact_context():
        for period_start in periods:
            period_usage = _period_usage(usage, period_start)
            period_end = add_months(period_start, 1)
            accounts = set(period_usage) | {
                contract.billing_account_id
                for contract in book.contracts
                if contract.start_date < period_end
                and (contract.end_date is None or contract.end_date > period_start)
            }
            empty = _AccountUsage((), (), (), ())
            for account in sorted(accounts):
                invoice = _invoice(
                    book,
                    (credits, commitments),
                    account,
                    period_start,
                    period_usage.get(account, empty),
                )
                if invoice is not None:
                    invoices.append(invoice)
            credits.close_period(period_start)
    return RatingResult(
        invoices=tuple(invoices),
        credit_balances=tuple(credits.rows),
        commitment_balances=tuple(commitments.rows),
        carry_grants=tuple(credits.carry_grants),
    )


def invoice_amounts(result: RatingResult) -> dict[tuple[str, date], Decimal]:
    """Each invoice's total, by (billing account, period): a compact view for checks."""
    return {
        (invoice.billing_account_id, invoice.period_start_date): invoice.total_amount
        for invoice in result.invoices
    }
