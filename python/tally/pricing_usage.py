"""Usage as the rater reads it (mirroring the metering marts) and period quantities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from tally.errors import TallyError
from tally.pricing_book import Meter
from tally.pricing_money import ZERO, divide

Dimensions = tuple[tuple[str, str | None], ...]
OrderKey = tuple[datetime, datetime, str]


def utc(moment: datetime) -> datetime:
    """An instant as naive UTC (a timestamp without an offset is UTC)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class UsageDay:
    """One account, meter, UTC day and dimension values: the day's quantity.

    count/sum: the day's total; max/min: the day's max/min; latest: the day's latest value
    with its ordering key (occurred_at, received_at, event_id); time_weighted_average: the
    day's time-weighted mean.
    """

    billing_account_id: str
    meter_id: str
    usage_date: date
    quantity: Decimal
    dimensions: Dimensions = ()
    latest_key: OrderKey | None = None


@dataclass(frozen=True)
class Transaction:
    """One counted event of a transaction-value meter (rated by the percentage model)."""

    billing_account_id: str
    meter_id: str
    occurred_at: datetime
    received_at: datetime
    event_id: str
    amount: Decimal
    dimensions: Dimensions = ()

    @property
    def usage_date(self) -> date:
        return utc(self.occurred_at).date()

    @property
    def order_key(self) -> OrderKey:
        return utc(self.occurred_at), utc(self.received_at), self.event_id


@dataclass(frozen=True)
class DistinctValue:
    """One distinct value (canonical text) seen on a day, for a unique_count meter."""

    billing_account_id: str
    meter_id: str
    usage_date: date
    value_text: str
    dimensions: Dimensions = ()


@dataclass(frozen=True)
class Adjustment:
    """An amount added to an invoice after its discount lines (late usage is one source)."""

    adjustment_id: str
    billing_account_id: str
    period_start_date: date
    amount: Decimal
    contract_id: str | None = None


@dataclass(frozen=True)
class Usage:
    """Everything metered, for any accounts and periods."""

    days: tuple[UsageDay, ...] = ()
    transactions: tuple[Transaction, ...] = ()
    distinct_values: tuple[DistinctValue, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()


UsageRow = UsageDay | Transaction | DistinctValue


def dimension_value(row: UsageRow, name: str | None) -> str | None:
    """The row's value of a group-by dimension (None when absent: the `null` group)."""
    if name is None:
        return None
    return dict(row.dimensions).get(name)


def _latest(meter: Meter, days: list[UsageDay]) -> Decimal:
    if any(day.latest_key is None for day in days):
        raise TallyError(f"meter {meter.meter_id}: a latest-value day has no ordering key")
    return max(days, key=lambda day: day.latest_key or ()).quantity


def period_quantity(
    meter: Meter,
    days: list[UsageDay],
    distinct: list[DistinctValue],
    transactions: list[Transaction],
    period_days: int,
) -> Decimal:
    """A group's quantity for one contract's part of a period (0 when nothing was counted)."""
    aggregation = meter.aggregation
    if aggregation == "unique_count":
        return Decimal(len({value.value_text for value in distinct}))
    if not days:
        return sum((t.amount for t in transactions), ZERO)
    quantities = [day.quantity for day in days]
    if aggregation in ("count", "sum"):
        return sum(quantities, ZERO)
    if aggregation == "max":
        return max(quantities)
    if aggregation == "min":
        return min(quantities)
    if aggregation == "latest":
        return _latest(meter, days)
    if aggregation == "time_weighted_average":
        total = sum(quantities, ZERO)
        return total if meter.gauge_time_unit == "day" else divide(total, Decimal(period_days))
    raise TallyError(f"meter {meter.meter_id}: unknown aggregation {aggregation}")
