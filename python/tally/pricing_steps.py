"""Per-contract steps after usage: discounts, commitments, minimum spend, standing charges."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tally.errors import TallyError
from tally.pricing_book import Commitment, CommitmentTerm, Discount, PriceBook
from tally.pricing_lines import CommitmentBalance, InvoiceLine, dimension_key
from tally.pricing_money import (
    HUNDRED,
    ZERO,
    add_months,
    divide,
    month_start,
    months_between,
    round_money,
)
from tally.pricing_parts import Part


@dataclass
class CommitmentLedger:
    """Balances carried between periods within one rating run."""

    prepaid_balances: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    term_usage: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    rows: list[CommitmentBalance] = field(default_factory=list)


def _ordered(discounts: list[Discount]) -> list[Discount]:
    """Percent discounts first, then fixed ones, each by id."""
    return sorted(discounts, key=lambda d: (d.discount_type != "percent", d.discount_id))


def _check_percent(part: Part, discounts: list[Discount], scope: str) -> None:
    total = sum(
        (d.discount_percent or ZERO for d in discounts if d.discount_type == "percent"), ZERO
    )
    if total > HUNDRED:
        raise TallyError(
            f"contract {part.contract.contract_id}, period {part.period_start}: percent "
            f"discounts on {scope} add up to {total} % (above 100 %)"
        )


def _take(part: Part, discount: Discount, scope_amount: Decimal, left: Decimal) -> Decimal:
    """What a discount takes from one scope amount, capped at what is left of it."""
    if discount.discount_type == "percent":
        wanted = divide(scope_amount * (discount.discount_percent or ZERO), HUNDRED)
        wanted = round_money(wanted, part.minor_unit)
    else:
        wanted = discount.discount_amount or ZERO
    return max(ZERO, min(wanted, left))


def _meter_discount_lines(
    part: Part, discounts: list[Discount], lines: list[InvoiceLine]
) -> list[InvoiceLine]:
    meter_id = lines[0].meter_id
    _check_percent(part, discounts, f"meter {meter_id}")
    remaining = [line.amount for line in lines]
    result: list[InvoiceLine] = []
    for discount in _ordered(discounts):
        fixed_left = discount.discount_amount or ZERO
        for index, usage in enumerate(lines):
            left = (
                remaining[index]
                if discount.discount_type == "percent"
                else min(remaining[index], fixed_left)
            )
            taken = _take(part, discount, usage.amount, left)
            remaining[index] -= taken
            if discount.discount_type == "fixed":
                fixed_left -= taken
            result.append(
                part.line(
                    "discount",
                    -taken,
                    (
                        discount.discount_id,
                        meter_id,
                        dimension_key(usage.dimension_name, usage.dimension_value),
                    ),
                    reference_id=discount.discount_id,
                    price_id=usage.price_id,
                    meter_id=meter_id,
                    dimension_name=usage.dimension_name,
                    dimension_value=usage.dimension_value,
                )
            )
    return result


def discount_lines(book: PriceBook, part: Part, usage: list[InvoiceLine]) -> list[InvoiceLine]:
    """Meter discounts (one line per discount and usage line), then usage-subtotal ones."""
    discounts = list(book.contract_discounts(part.contract.contract_id, part.period_start))
    result: list[InvoiceLine] = []
    meter_ids = list(dict.fromkeys(line.meter_id for line in usage))
    for meter_id in meter_ids:
        mine = [d for d in discounts if d.scope == "meter" and d.meter_id == meter_id]
        if mine:
            meter_lines = [line for line in usage if line.meter_id == meter_id]
            result += _meter_discount_lines(part, mine, meter_lines)
    subtotal_discounts = [d for d in discounts if d.scope == "usage_subtotal"]
    _check_percent(part, subtotal_discounts, "the usage subtotal")
    base = sum((line.amount for line in (*usage, *result)), ZERO)
    left = base
    for discount in _ordered(subtotal_discounts):
        taken = _take(part, discount, base, left)
        left -= taken
        result.append(
            part.line(
                "discount", -taken, (discount.discount_id,), reference_id=discount.discount_id
            )
        )
    return result


@dataclass(frozen=True)
class TermSpan:
    commitment: Commitment
    term: CommitmentTerm
    end: date  # excluded: the nominal end, or the contract's end when earlier

    @property
    def key(self) -> tuple[str, int]:
        return self.commitment.commitment_id, self.term.term_number


def term_for(commitment: Commitment, part: Part) -> TermSpan | None:
    """The commitment term the part lies in (terms are whole periods from the first's month)."""
    contract_end = part.contract.end_date
    for term in commitment.terms:
        end = add_months(month_start(term.term_start_date), commitment.term_months)
        if contract_end is not None:
            end = min(end, contract_end)
        if term.term_start_date <= part.start < end:
            return TermSpan(commitment, term, end)
    return None


def _fee(part: Part, span: TermSpan, index: int, is_last: bool) -> Decimal:
    amount = span.term.commitment_amount
    if span.commitment.fee_schedule == "upfront":
        return amount if index == 0 else ZERO
    months = span.commitment.term_months
    instalment = round_money(divide(amount, Decimal(months)), part.minor_unit)
    return amount - instalment * index if is_last else instalment


def _overage_line(
    part: Part, span: TermSpan, overage: Decimal, key: tuple[str, str]
) -> list[InvoiceLine]:
    rate = span.commitment.overage_rate_percent
    if rate is None or overage <= 0:
        return []
    value = divide(overage * (rate - HUNDRED), HUNDRED)
    return [
        part.line(
            "overage_adjustment",
            value,
            key,
            reference_id=span.commitment.commitment_id,
            term_number=span.term.term_number,
        )
    ]


def commitment_lines(
    book: PriceBook, ledger: CommitmentLedger, part: Part, subtotal: Decimal
) -> list[InvoiceLine]:
    """Fee, drawdown, overage adjustment and true-up lines of the part's commitment term."""
    commitment = book.contract_commitment(part.contract.contract_id)
    span = term_for(commitment, part) if commitment is not None else None
    if span is None:
        return []
    index = months_between(span.term.term_start_date, part.period_start)
    is_last = span.end <= part.period_end
    key = (span.commitment.commitment_id, str(span.term.term_number))
    fields = {"reference_id": span.commitment.commitment_id, "term_number": span.term.term_number}
    amount = span.term.commitment_amount
    if span.commitment.commitment_type == "prepaid":
        opening = ledger.prepaid_balances.get(span.key, amount)
        drawn = min(opening, max(subtotal, ZERO))
        ledger.prepaid_balances[span.key] = opening - drawn
        lines = [
            part.line("commitment_fee", _fee(part, span, index, is_last), key, **fields),
            part.line("commitment_drawdown", -drawn, key, **fields),
            *_overage_line(part, span, subtotal - drawn, key),
        ]
        usage_before = ledger.term_usage.get(span.key, ZERO)
        closing = opening - drawn
    else:
        usage_before = ledger.term_usage.get(span.key, ZERO)
        after = usage_before + subtotal
        overage = max(ZERO, after - amount) - max(ZERO, usage_before - amount)
        lines = _overage_line(part, span, overage, key)
        if is_last and after < amount:
            lines.append(part.line("commitment_true_up", amount - after, key, **fields))
        opening, drawn, closing = amount - usage_before, ZERO, amount - after
    ledger.term_usage[span.key] = usage_before + subtotal
    ledger.rows.append(
        CommitmentBalance(
            commitment_id=span.commitment.commitment_id,
            term_number=span.term.term_number,
            period_start_date=part.period_start,
            commitment_type=span.commitment.commitment_type,
            commitment_amount=amount,
            opening_balance_amount=opening,
            drawdown_amount=drawn,
            closing_balance_amount=closing,
            term_usage_amount=usage_before + subtotal,
            lapsed_amount=closing
            if is_last and span.commitment.commitment_type == "prepaid"
            else ZERO,
        )
    )
    return lines


def minimum_lines(book: PriceBook, part: Part, subtotal: Decimal) -> list[InvoiceLine]:
    """A minimum_true_up line when the usage subtotal after discounts is below the minimum."""
    minimum = book.contract_minimum(part.contract.contract_id, part.period_start)
    if minimum is None or subtotal >= minimum.minimum_amount:
        return []
    return [
        part.line(
            "minimum_true_up",
            minimum.minimum_amount - subtotal,
            (minimum.minimum_spend_id,),
            reference_id=minimum.minimum_spend_id,
        )
    ]


def standing_lines(book: PriceBook, part: Part) -> list[InvoiceLine]:
    """Platform fees: amount x days covered / days in the period, rounded once."""
    lines: list[InvoiceLine] = []
    for charge in book.version_standing_charges(part.plan_version.plan_version_id):
        value = divide(charge.charge_amount * part.covered_days, Decimal(part.period_days))
        lines.append(
            part.line(
                "platform_fee",
                value,
                (charge.standing_charge_id,),
                reference_id=charge.standing_charge_id,
                billing_timing=charge.billing_timing,
                quantity=divide(Decimal(part.covered_days), Decimal(part.period_days)),
            )
        )
    return lines
