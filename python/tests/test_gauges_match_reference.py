"""Time-weighted gauges end to end: fct_usage_daily's daily value of every gauge meter, on
the fixture data, equals the one computed here in Python from the readings that set a
gauge's state and the identity timeline (PRICING.md "time_weighted_average": a reading
holds until the next reading of its subject and dimensions or the as-of instant, whichever
comes first, across
day and period boundaries; the held value belongs instant by instant to the account the
subject is linked to then; test time is billed to nobody; the daily value is the
time-weighted mean over the UTC day, rounded half away from zero to 18 places)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from tally.warehouse import query

from .conftest import BuiltWarehouse

DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)
DAY_MICROSECONDS = 86_400_000_000

DailyKey = tuple[str, str, str, str]  # account, meter, ISO day, dimension key


def _held_value_microseconds(built_warehouse: BuiltWarehouse) -> dict[DailyKey, Decimal]:
    database = built_warehouse.database
    readings = query(
        """
        select event_id, meter_id, subject, dimension_key, occurred_at, received_at, quantity
        from intermediate.int_events_summarised
        where is_gauge_state
        """,
        database,
    )
    links = query(
        """
        select subject, billing_account_id, valid_from, valid_to
        from intermediate.int_identity_subject_timeline
        where not is_test
        """,
        database,
    )
    as_of: datetime = query(
        "select max(received_at) as as_of from staging.stg_raw__usage_events", database
    )[0]["as_of"]

    links_by_subject: dict[str, list[dict]] = defaultdict(list)
    for link in links:
        links_by_subject[link["subject"]].append(link)
    series: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for reading in readings:
        series[(reading["meter_id"], reading["subject"], reading["dimension_key"])].append(reading)

    held: dict[DailyKey, Decimal] = defaultdict(Decimal)
    for (meter, subject, dimension_key), subject_readings in series.items():
        subject_readings.sort(
            key=lambda reading: (
                reading["occurred_at"],
                reading["received_at"],
                reading["event_id"],
            )
        )
        for index, reading in enumerate(subject_readings):
            held_from = reading["occurred_at"]
            is_last = index + 1 == len(subject_readings)
            held_to = as_of if is_last else min(subject_readings[index + 1]["occurred_at"], as_of)
            for link in links_by_subject[subject]:
                start = max(held_from, link["valid_from"])
                end = min(held_to, link["valid_to"])
                day = datetime(start.year, start.month, start.day)
                while day < end:
                    piece_start, piece_end = max(start, day), min(end, day + DAY)
                    microseconds = (piece_end - piece_start) // MICROSECOND
                    if microseconds > 0:
                        key = (
                            link["billing_account_id"],
                            meter,
                            day.date().isoformat(),
                            dimension_key,
                        )
                        held[key] += reading["quantity"] * microseconds
                    day += DAY
    return held


def test_every_gauge_day_is_the_time_weighted_mean_of_its_readings(
    built_warehouse: BuiltWarehouse,
) -> None:
    assert built_warehouse.success, built_warehouse.failures
    expected: dict[DailyKey, Decimal] = {}
    with localcontext() as context:
        context.prec = 60
        for key, value_microseconds in _held_value_microseconds(built_warehouse).items():
            expected[key] = (value_microseconds / DAY_MICROSECONDS).quantize(
                Decimal("1e-18"), rounding=ROUND_HALF_UP
            )
    rows = query(
        """
        select billing_account_id, meter_id, cast(usage_date as varchar) as usage_date,
            dimension_key, usage_quantity
        from marts.fct_usage_daily
        where aggregation = 'time_weighted_average'
        """,
        built_warehouse.database,
    )
    actual = {
        (row["billing_account_id"], row["meter_id"], row["usage_date"], row["dimension_key"]): row[
            "usage_quantity"
        ]
        for row in rows
    }

    assert len(actual) == len(rows)
    assert len(expected) > 1000  # the fixture holds gauges for months
    assert actual == expected
