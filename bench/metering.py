"""Benchmark: the staging + identity + metering build against the bare DuckDB bound.

    python bench/metering.py --events 20000000

Generates demo data (or reuses --data), loads all but the last received day into a fresh
DuckDB file, and measures in the same run:
  - the bound: one bare query over the same raw events that drops duplicate event ids and
    sums a JSON quantity by subject, event type and month (the faster of a `group by
    event_id` and a `distinct on (event_id)` form);
  - the full dbt build of staging, identity and metering (`dbt run --full-refresh`), and the
    time of each model;
  - after loading the held-back last day, the incremental build.
Prints ratios (build / bound, incremental / full), not absolute targets.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

from tally.dbt import run_dbt  # noqa: E402
from tally.demo_data import generate  # noqa: E402
from tally.load import load_paths  # noqa: E402
from tally.replay import split_last_received_day  # noqa: E402

METERING_SELECTOR = "+fct_usage_by_period +fct_event_reconciliation +int_events_quarantined"

BOUND_GROUP_BY = """
select subject, event_type, date_trunc('month', try_cast(occurred_at as timestamptz)) as month,
    sum(case when json_valid(properties)
        then try_cast(json_extract_string(properties, '$.input_tokens') as bigint) end) as quantity
from (
    select event_id, any_value(subject) as subject, any_value(event_type) as event_type,
        any_value(occurred_at) as occurred_at, any_value(properties) as properties
    from raw.usage_events
    group by event_id
)
group by all
"""

BOUND_DISTINCT_ON = """
select subject, event_type, date_trunc('month', try_cast(occurred_at as timestamptz)) as month,
    sum(case when json_valid(properties)
        then try_cast(json_extract_string(properties, '$.input_tokens') as bigint) end) as quantity
from (
    select distinct on (event_id) event_id, subject, event_type, occurred_at, properties
    from raw.usage_events
)
group by all
"""


def _timed_query(database: Path, sql: str) -> float:
    connection = duckdb.connect(str(database))
    try:
        started = time.perf_counter()
        connection.sql(sql).fetchall()
        return time.perf_counter() - started
    finally:
        connection.close()


def _model_timings() -> dict[str, float]:
    results = json.loads((ROOT / "target" / "run_results.json").read_text())
    return {
        result["unique_id"].split(".")[-1]: result["execution_time"]
        for result in results["results"]
    }


def _table_blocks(database: Path, table: str) -> int:
    """The storage blocks a table's columns take in the DuckDB file."""
    connection = duckdb.connect(str(database), read_only=True)
    try:
        row = connection.execute(
            "select count(distinct block_id) from pragma_storage_info(?) where block_id >= 0",
            [table],
        ).fetchone()
        return int(row[0]) if row else 0
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, default=None, help="reuse generated demo data")
    arguments = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tally-bench-", dir=os.environ.get("TMPDIR")))
    data = arguments.data or work / "demo"
    if arguments.data is None:
        started = time.perf_counter()
        generate(seed=arguments.seed, events=arguments.events, out=data)
        print(f"generated {arguments.events:,} events in {time.perf_counter() - started:.1f} s")
    split = split_last_received_day(data / "events", work / "split")
    database = work / "bench.duckdb"

    started = time.perf_counter()
    load_paths([data / "identity", split.before_last_day], database=database)
    print(f"loaded in {time.perf_counter() - started:.1f} s (all but {split.day})")

    bound_group_by = _timed_query(database, BOUND_GROUP_BY)
    bound_distinct_on = _timed_query(database, BOUND_DISTINCT_ON)
    bound = min(bound_group_by, bound_distinct_on)

    run_dbt(["seed"], database=database)
    started = time.perf_counter()
    full = run_dbt(["run", "--full-refresh", "--select", METERING_SELECTOR], database=database)
    full_seconds = time.perf_counter() - started
    if not full.success:
        raise SystemExit("full build failed: " + "; ".join(full.failures))
    timings = _model_timings()
    raw_blocks = _table_blocks(database, "raw.usage_events")
    staged_blocks = _table_blocks(database, "staging.stg_raw__usage_events")

    load_paths([split.last_day], database=database)
    started = time.perf_counter()
    incremental = run_dbt(["run", "--select", METERING_SELECTOR], database=database)
    incremental_seconds = time.perf_counter() - started
    if not incremental.success:
        raise SystemExit("incremental build failed: " + "; ".join(incremental.failures))

    print(f"bound: group by event_id {bound_group_by:.2f} s, distinct on {bound_distinct_on:.2f} s")
    print("model times in the full build:")
    for model, seconds in sorted(timings.items(), key=lambda item: -item[1]):
        print(f"  {model:40s} {seconds:7.2f} s")
    print(
        f"staging on disk: {staged_blocks / raw_blocks:.2f} x the raw table "
        f"({staged_blocks} blocks against {raw_blocks})"
    )
    print(f"full staging + identity + metering build: {full_seconds:.2f} s")
    print(f"ratio full build / bound: {full_seconds / bound:.2f} (target 3 or less)")
    print(f"one-day incremental build: {incremental_seconds:.2f} s")
    print(f"ratio incremental / full: {incremental_seconds / full_seconds:.2f}")
    print(f"work folder (delete when done): {work}")


if __name__ == "__main__":
    main()
