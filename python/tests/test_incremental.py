"""The incremental build: one more day of events appended and built incrementally gives
exactly the usage marts of a full refresh; an unmapped subject is billed once mapped; the
lookback re-reads late rows landed with an older load stamp."""

from __future__ import annotations

import csv
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
from tally.dbt import release_duckdb, run_dbt
from tally.load import load_paths
from tally.replay import split_last_received_day
from tally.warehouse import query

from .conftest import BuiltWarehouse

MARTS = ("marts.fct_usage_daily", "marts.fct_usage_by_period", "marts.fct_event_reconciliation")
METERING = "+fct_usage_by_period +fct_event_reconciliation +int_events_quarantined"


def _snapshot(database: Path) -> dict[str, list[dict[str, Any]]]:
    return {mart: query(f"select * from {mart} order by all", database) for mart in MARTS}


def _run(args: list[str], database: Path) -> None:
    outcome = run_dbt(args, database=database)
    assert outcome.success, "\n".join(outcome.failures)


def test_one_more_day_incremental_equals_full_refresh_and_mapping_rebills(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    database = tmp_path / "incremental.duckdb"
    split = split_last_received_day(demo_data_dir / "events", tmp_path / "split")
    load_paths([demo_data_dir / "identity", split.before_last_day], database=database)
    _run(["seed"], database)
    _run(["run", "--select", METERING], database)
    staged_before = query("select count(*) as n from staging.stg_raw__usage_events", database)

    load_paths([split.last_day], database=database)
    _run(["run", "--select", METERING], database)
    incremental = _snapshot(database)
    staged_after = query("select count(*) as n from staging.stg_raw__usage_events", database)
    landed = query("select count(*) as n from raw.usage_events", database)
    assert staged_after[0]["n"] == landed[0]["n"] > staged_before[0]["n"]

    _run(["run", "--full-refresh", "--select", METERING], database)
    assert _snapshot(database) == incremental

    _assert_unmapped_subject_is_billed_once_mapped(database, tmp_path)


def _assert_unmapped_subject_is_billed_once_mapped(database: Path, tmp_path: Path) -> None:
    unmapped = query(
        """
        select subject, count(*) as events, min(occurred_at) as first_at
        from intermediate.int_events_quarantined
        where quarantine_reason = 'unmapped_subject' and subject like '0x%'
        group by subject order by events desc, subject limit 1
        """,
        database,
    )
    assert unmapped, "the demo data has unmapped wallets"
    subject, events = unmapped[0]["subject"], unmapped[0]["events"]
    workspace = query(
        "select workspace_id from staging.stg_raw__workspaces where not is_test "
        "order by workspace_id limit 1",
        database,
    )[0]["workspace_id"]
    mapping = tmp_path / "mapping" / "wallets-late-mapping.csv"
    mapping.parent.mkdir()
    with mapping.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["wallet_address", "workspace_id", "valid_from", "valid_to", "is_test"])
        writer.writerow([subject, workspace, "2020-01-01T00:00:00Z", "", "false"])
    load_paths([mapping], database=database)
    _run(["run", "--select", METERING], database)
    rebilled = query(
        f"""
        select count(*) filter (where event_status = 'billed') as billed,
            count(*) filter (where status_reason = 'unmapped_subject') as still_unmapped
        from intermediate.int_events_classified
        where subject = '{subject}' and is_event_row
        """,
        database,
    )[0]
    assert rebilled["still_unmapped"] == 0
    assert rebilled["billed"] > 0
    assert rebilled["billed"] <= events
    shutil.rmtree(mapping.parent)


def test_the_lookback_restages_rows_received_within_it_whatever_their_load_stamp(
    built_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    """`tally load` stamps every batch with a newer `_loaded_at`, which the incremental
    staging always reads. A row landed by other means with an older stamp (a replayed
    batch, another loader) is read back only when its received_at falls within
    `tally_lookback_hours` of the latest received_at already staged."""
    assert built_warehouse.success, built_warehouse.failures
    release_duckdb()
    database = tmp_path / "lookback.duckdb"
    shutil.copyfile(built_warehouse.database, database)
    latest = query(
        "select max(received_at) as at, min(loaded_at) as oldest_load "
        "from staging.stg_raw__usage_events",
        database,
    )[0]
    connection = duckdb.connect(str(database))
    try:
        for line, hours_before in ((1, 1), (2, 100)):
            received = latest["at"] - timedelta(hours=hours_before)
            connection.execute(
                """insert into raw.usage_events
                (event_id, occurred_at, received_at, subject, event_type, properties,
                    _file_name, _file_sha256, _line_number, _loaded_at)
                select ?, ?, ?, subject, event_type, properties,
                    'replayed.parquet', 'replayed', ?, ?
                from raw.usage_events where _file_name like '%.parquet' limit 1""",
                [
                    f"replayed_{line}",
                    received.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    received.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    line,
                    latest["oldest_load"],
                ],
            )
    finally:
        connection.close()

    def staged_replays(lookback_hours: int) -> list[str]:
        _run(
            [
                "run",
                "--select",
                "stg_raw__usage_events",
                "--vars",
                f"{{tally_lookback_hours: {lookback_hours}}}",
            ],
            database,
        )
        rows = query(
            "select event_id from staging.stg_raw__usage_events "
            "where raw_row_id like 'replayed:%' order by event_id",
            database,
        )
        return [row["event_id"] for row in rows]

    assert staged_replays(72) == ["replayed_1"]
    assert staged_replays(101) == ["replayed_1", "replayed_2"]
