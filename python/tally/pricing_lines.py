"""What the rater produces: invoice lines, invoices and the balances carried between periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tally.pricing_book import CreditGrant

# Line types in invoice order (PRICING.md "Order on one invoice"; adjustments after discounts).
LINE_TYPE_ORDER = (
    "usage",
    "discount",
    "adjustment",
    "commitment_fee",
    "commitment_drawdown",
    "overage_adjustment",
    "commitment_true_up",
    "minimum_true_up",
    "platform_fee",
    "credit",
    "carry_forward",
)
# Lines that appear even when they round to zero.
ALWAYS_SHOWN = frozenset({"usage", "platform_fee"})
# What a credit grant pays (commitment_fee never; credit and carry_forward are not payable).
COVERED_LINE_TYPES = {
    "usage": frozenset(
        {"usage", "discount", "commitment_drawdown", "overage_adjustment", "adjustment"}
    ),
    "all": frozenset(set(LINE_TYPE_ORDER) - {"commitment_fee", "credit", "carry_forward"}),
}
NULL_KEY_TEXT = "<null>"


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice line; `amount` is rounded once to the currency's minor unit."""

    billing_account_id: str
    period_start_date: date
    line_type: str
    line_key: str
    currency_code: str
    amount: Decimal
    unrounded_amount: Decimal
    line_number: int = 0
    contract_id: str | None = None
    plan_id: str | None = None
    plan_version_id: str | None = None
    price_id: str | None = None
    meter_id: str | None = None
    dimension_name: str | None = None
    dimension_value: str | None = None
    reference_id: str | None = None  # discount, commitment, minimum, charge, grant, adjustment
    term_number: int | None = None
    quantity: Decimal | None = None
    included_quantity: Decimal | None = None
    billing_timing: str | None = None


@dataclass(frozen=True)
class Invoice:
    billing_account_id: str
    period_start_date: date
    currency_code: str
    lines: tuple[InvoiceLine, ...]
    subtotal_amount: Decimal  # every line but credit and carry_forward
    credit_amount: Decimal  # the credit lines (negative or zero)
    carry_forward_amount: Decimal
    total_amount: Decimal  # the sum of all lines, never negative


@dataclass(frozen=True)
class CreditBalance:
    """A grant's balance over one period in which it is in effect."""

    billing_account_id: str
    grant_id: str
    period_start_date: date
    opening_amount: Decimal
    applied_amount: Decimal
    closing_amount: Decimal
    lapsed_amount: Decimal


@dataclass(frozen=True)
class CommitmentBalance:
    """A commitment term's state after one period (prepaid balance; postpaid usage to date)."""

    commitment_id: str
    term_number: int
    period_start_date: date
    commitment_type: str
    commitment_amount: Decimal
    opening_balance_amount: Decimal  # prepaid: what was left; postpaid: amount - usage so far
    drawdown_amount: Decimal  # prepaid: drawn this period; postpaid: 0
    closing_balance_amount: Decimal
    term_usage_amount: Decimal  # usage subtotals after discounts, term to date
    lapsed_amount: Decimal  # prepaid: what lapses at the term's end (on its last period)


@dataclass(frozen=True)
class RatingResult:
    invoices: tuple[Invoice, ...]
    credit_balances: tuple[CreditBalance, ...]
    commitment_balances: tuple[CommitmentBalance, ...]
    carry_grants: tuple[CreditGrant, ...]

    def invoice(self, billing_account_id: str, period_start_date: date) -> Invoice:
        for invoice in self.invoices:
            if (
                invoice.billing_account_id == billing_account_id
                and invoice.period_start_date == period_start_date
            ):
                return invoice
        raise KeyError((billing_account_id, period_start_date))


def key_text(value: str | None) -> str:
    return NULL_KEY_TEXT if value is None else value


def line_key(
    billing_account_id: str,
    period_start_date: date,
    line_type: str,
    contract_id: str | None,
    *parts: str | None,
) -> str:
    """`<account>|<YYYY-MM-DD>|<line type>|<contract>|<part>...`: stable across runs."""
    head = [billing_account_id, period_start_date.isoformat(), line_type, contract_id or ""]
    return "|".join([*head, *("" if part is None else part for part in parts)])


def dimension_key(dimension_name: str | None, dimension_value: str | None) -> str:
    """`name=value` for a keyed group (`name=<null>` for the null group); '' when unkeyed."""
    if dimension_name is None:
        return ""
    return f"{dimension_name}={key_text(dimension_value)}"
