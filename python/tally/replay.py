"""Split landed event files by the day they were received, to replay a late delivery (the
incremental build test and the metering benchmark load all but the last day, then it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

RECEIVED_DAY = "cast(try_cast(received_at as timestamptz) as date)"


@dataclass(frozen=True)
class ReceivedDaySplit:
    """Two Parquet files: the events received before the last day, and those of that day."""

    before_last_day: Path
    last_day: Path
    day: date


def split_last_received_day(events_dir: Path, out_dir: Path) -> ReceivedDaySplit:
    """Split the Parquet event files of `events_dir` at the last day anything was received."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = f"'{events_dir}/usage_events-*.parquet'"
    before, last = out_dir / "usage_events-before.parquet", out_dir / "usage_events-last.parquet"
    connection = duckdb.connect()
    try:
        day = connection.sql(f"select max({RECEIVED_DAY}) from read_parquet({files})").fetchall()[
            0
        ][0]
        on_day = f"coalesce({RECEIVED_DAY} = date '{day}', false)"
        connection.execute(
            f"copy (select * from read_parquet({files}) where {on_day}) to '{last}' "
            "(format parquet)"
        )
        connection.execute(
            f"copy (select * from read_parquet({files}) where not {on_day}) to '{before}' "
            "(format parquet)"
        )
    finally:
        connection.close()
    return ReceivedDaySplit(before, last, day)
