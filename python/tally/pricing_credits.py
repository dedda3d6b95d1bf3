"""Credits (PRICING.md step 6) and the carry_forward that keeps an invoice from going negative."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tally.errors import TallyError
from tally.pricing_book import CreditGrant
from tally.pricing_lines import COVERED_LINE_TYPES, CreditBalance, InvoiceLine, line_key
from tally.pricing_money import ZERO, add_months, round_money

GrantKey = tuple[str, str]  # (billing_account_id, grant_id)


def grant_order(grant: CreditGrant) -> tuple[int, bool, date, date, str]:
    """Priority, then soonest expiry (none last), then effective date, then grant id."""
    expiry = grant.expiry_date or date.max
    return grant.priority, grant.expiry_date is None, expiry, grant.effective_date, grant.grant_id


def carry_grant_id(period_start: date) -> str:
    return f"carry-{period_start:%Y-%m}"


@dataclass
class CreditLedger:
    """Grants and their balances, carried between periods within one rating run."""

    grants: list[CreditGrant]
    balances: dict[GrantKey, Decimal] = field(default_factory=dict)
    applied: dict[GrantKey, Decimal] = field(default_factory=dict)
    carry_grants: list[CreditGrant] = field(default_factory=list)
    rows: list[CreditBalance] = field(default_factory=list)

    def balance(self, grant: CreditGrant) -> Decimal:
        return self.balances.get((grant.billing_account_id, grant.grant_id), grant.grant_amount)

    def in_effect(self, account: str, period_start: date) -> list[CreditGrant]:
        period_end = add_months(period_start, 1)
        found = [
            grant
            for grant in self.grants
            if grant.billing_account_id == account and grant.applies_to(period_start, period_end)
        ]
        return sorted(found, key=grant_order)

    def close_period(self, period_start: date) -> None:
        """Record each grant in effect this period: opening, applied, closing, lapsed."""
        period_end = add_months(period_start, 1)
        for grant in sorted(self.grants, key=lambda g: (g.billing_account_id, grant_order(g))):
            if not grant.applies_to(period_start, period_end):
                continue
            key = (grant.billing_account_id, grant.grant_id)
            closing = self.balance(grant)
            applied = self.applied.pop(key, ZERO)
            lapses = grant.expiry_date is not None and grant.expiry_date <= period_end
            self.rows.append(
                CreditBalance(
                    billing_account_id=grant.billing_account_id,
                    grant_id=grant.grant_id,
                    period_start_date=period_start,
                    opening_amount=closing + applied,
                    applied_amount=applied,
                    closing_amount=ZERO if lapses else closing,
                    lapsed_amount=closing if lapses else ZERO,
                )
            )
            if lapses:
                self.balances[key] = ZERO


def _settle(unpaid: list[Decimal], covered: list[int], payment: Decimal) -> None:
    """Net negative covered lines against positive ones, then pay positives, in line order."""
    positives = [i for i in covered if unpaid[i] > 0]
    negatives = [i for i in covered if unpaid[i] < 0]
    netted = min(
        sum((-unpaid[i] for i in negatives), ZERO), sum((unpaid[i] for i in positives), ZERO)
    )
    for indices, sign in ((negatives, -1), (positives, 1)):
        left = netted
        for i in indices:
            step = min(left, sign * unpaid[i])
            unpaid[i] -= sign * step
            left -= step
    left = payment
    for i in positives:
        step = min(left, unpaid[i])
        unpaid[i] -= step
        left -= step


def credit_lines(
    ledger: CreditLedger,
    account: str,
    period_start: date,
    lines: list[InvoiceLine],
    currency_code: str,
) -> list[InvoiceLine]:
    """One negative `credit` line per grant that pays something, in consumption order."""
    unpaid = [line.amount for line in lines]
    result: list[InvoiceLine] = []
    for grant in ledger.in_effect(account, period_start):
        if grant.currency_code != currency_code:
            raise TallyError(
                f"credit grant {grant.grant_id} of {account} is in {grant.currency_code}, "
                f"the invoice in {currency_code}"
            )
        covers = COVERED_LINE_TYPES[grant.covers]
        covered = [i for i, line in enumerate(lines) if line.line_type in covers]
        balance = ledger.balance(grant)
        payment = max(ZERO, min(balance, sum((unpaid[i] for i in covered), ZERO)))
        _settle(unpaid, covered, payment)
        key = (account, grant.grant_id)
        ledger.balances[key] = balance - payment
        ledger.applied[key] = ledger.applied.get(key, ZERO) + payment
        result.append(
            InvoiceLine(
                billing_account_id=account,
                period_start_date=period_start,
                line_type="credit",
                line_key=line_key(account, period_start, "credit", None, grant.grant_id),
                currency_code=currency_code,
                amount=-payment,
                unrounded_amount=-payment,
                reference_id=grant.grant_id,
            )
        )
    return result


def carry_forward_lines(
    ledger: CreditLedger,
    account: str,
    period_start: date,
    total: Decimal,
    currency_code: str,
    minor_unit: int,
) -> list[InvoiceLine]:
    """A negative total is closed at zero; the amount becomes a `carry-<YYYY-MM>` grant."""
    if total >= 0:
        return []
    amount = round_money(-total, minor_unit)
    grant = CreditGrant(
        grant_id=carry_grant_id(period_start),
        billing_account_id=account,
        currency_code=currency_code,
        grant_amount=amount,
        effective_date=add_months(period_start, 1),
        expiry_date=None,
        priority=0,
        covers="all",
    )
    ledger.grants.append(grant)
    ledger.carry_grants.append(grant)
    return [
        InvoiceLine(
            billing_account_id=account,
            period_start_date=period_start,
            line_type="carry_forward",
            line_key=line_key(account, period_start, "carry_forward", None, grant.grant_id),
            currency_code=currency_code,
            amount=amount,
            unrounded_amount=amount,
            reference_id=grant.grant_id,
        )
    ]
