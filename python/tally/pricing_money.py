"""Exact decimal arithmetic for the reference rater (PRICING.md, "Money").

Sums and products are exact (a wide decimal context); every division is rounded half away
from zero at 18 decimal places; money is rounded once per invoice line to the currency's
minor unit, half away from zero. Never floating point.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from functools import wraps
from typing import ParamSpec, TypeVar

DIVISION_PLACES = 18
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

P = ParamSpec("P")
R = TypeVar("R")


def exact_context() -> AbstractContextManager[Context]:
    """A decimal context wide enough that sums and products of seed values are exact."""
    return localcontext(Context(prec=200, rounding=ROUND_HALF_UP, Emax=10_000, Emin=-10_000))


def exact(function: Callable[P, R]) -> Callable[P, R]:
    """Run a function inside the exact decimal context (callers need not set it up)."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with exact_context():
            return function(*args, **kwargs)

    return wrapper


def _ratio(value: Decimal) -> tuple[int, int]:
    numerator, denominator = value.as_integer_ratio()
    return numerator, denominator


def _half_away_quotient(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero to an integer (denominator > 0)."""
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return sign * quotient


@exact
def divide(dividend: Decimal, divisor: Decimal) -> Decimal:
    """dividend / divisor, rounded half away from zero at 18 decimal places (exactly)."""
    if divisor == 0:
        raise ZeroDivisionError("division by zero in a price computation")
    top_numerator, top_denominator = _ratio(dividend)
    bottom_numerator, bottom_denominator = _ratio(divisor)
    numerator = top_numerator * bottom_denominator * 10**DIVISION_PLACES
    denominator = top_denominator * bottom_numerator
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    scaled = _half_away_quotient(numerator, denominator)
    return Decimal(scaled).scaleb(-DIVISION_PLACES)


def ceil_quotient(dividend: Decimal, divisor: Decimal) -> int:
    """The smallest integer >= dividend / divisor (divisor > 0), exactly."""
    top_numerator, top_denominator = _ratio(dividend)
    bottom_numerator, bottom_denominator = _ratio(divisor)
    numerator = top_numerator * bottom_denominator
    denominator = top_denominator * bottom_numerator
    return -(-numerator // denominator)


@exact
def round_money(amount: Decimal, minor_unit: int) -> Decimal:
    """Round once to the currency's minor unit, half away from zero; negative zero is zero."""
    rounded = amount.quantize(Decimal(1).scaleb(-minor_unit), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def has_at_most_places(value: Decimal, places: int) -> bool:
    """Whether a decimal has no more than `places` significant decimal places."""
    return value == value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def month_start(day: date) -> date:
    """The first day of the billing period (calendar month) holding a day."""
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def days_in_month(period_start: date) -> int:
    """How many UTC calendar days the period (month) has."""
    return calendar.monthrange(period_start.year, period_start.month)[1]


def months_between(earlier: date, later: date) -> int:
    """Whole months from earlier's month to later's month."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def is_period_start(day: date) -> bool:
    """Whether a date is the first day of a billing period."""
    return day.day == 1
