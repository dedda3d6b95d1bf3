"""The build's guards fail when what they guard breaks, and name what broke.

Each test breaks a copy of the session's built fixture warehouse on purpose, runs the one
singular dbt test that guards it, and reads the rows the test stored (store_failures):
the reconciliation that must add up in every period, identity links that must not
overlap, and the calendar that gauge time is spread over.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from tally.dbt import release_duckdb, run_dbt

from .conftest import BuiltWarehouse


@pytest.fixture
def broken_copy(built_warehouse: BuiltWarehouse, tmp_path: Path) -> Path:
    assert built_warehouse.success, built_warehouse.failures
    release_duckdb()
    copy = tmp_path / "broken.duckdb"
    shutil.copyfile(built_warehouse.database, copy)
    return copy


def _execute(database: Path, *statements: str) -> None:
    connection = duckdb.connect(str(database))
    try:
        for statement in statements:
            connection.execute(statement)
    finally:
        connection.close()


def _failure_messages(database: Path, test_name: str) -> list[str]:
    outcome = run_dbt(["test", "--select", test_name], database=database)
    release_duckdb()
    connection = duckdb.connect(str(database), read_only=True)
    try:
        rows = connection.execute(
            f"select failure_message from test_failures.{test_name} order by 1"
        ).fetchall()
    finally:
        connection.close()
    assert not outcome.success
    return [row[0] for row in rows]


def test_the_reconciliation_fails_naming_the_period_that_does_not_add_up(
    broken_copy: Path,
) -> None:
    _execute(
        broken_copy,
        """update marts.fct_event_reconciliation set billed_count = billed_count + 1
        where period_start_date = (
            select max(period_start_date) from marts.fct_event_reconciliation
        )""",
    )
    connection = duckdb.connect(str(broken_copy), read_only=True)
    try:
        (period,) = connection.execute(
            "select cast(max(period_start_date) as varchar) from marts.fct_event_reconciliation"
        ).fetchone()
    finally:
        connection.close()

    messages = _failure_messages(broken_copy, "assert_event_reconciliation_adds_up")

    assert messages == [f"period {period} does not add up"]


def test_overlapping_identity_links_fail_naming_the_subject(broken_copy: Path) -> None:
    # A second link of the first API key, from 1 September, while its first link (from
    # 1 August, open-ended) still holds.
    _execute(
        broken_copy,
        """insert into raw.api_keys
        select api_key_id, 'ws_other', '2026-09-01T00:00:00Z', valid_to, is_test,
            _file_name, _file_sha256, 999999, _loaded_at, _load_error, _raw_record
        from raw.api_keys
        where api_key_id = (select min(api_key_id) from raw.api_keys where valid_to is null)
            and valid_to is null""",
    )
    connection = duckdb.connect(str(broken_copy), read_only=True)
    try:
        (key, first_from) = connection.execute(
            """select api_key_id, cast(min(valid_from) as varchar) from staging.stg_raw__api_keys
            where api_key_id = (select min(api_key_id) from raw.api_keys where valid_to is null)
            group by api_key_id"""
        ).fetchone()
    finally:
        connection.close()

    messages = _failure_messages(broken_copy, "assert_identity_links_do_not_overlap")

    assert messages == [
        f"api key {key} has overlapping links from {first_from} and from 2026-09-01 00:00:00"
    ]


def test_a_calendar_missing_a_day_fails_naming_the_span_the_gauges_need(
    broken_copy: Path,
) -> None:
    connection = duckdb.connect(str(broken_copy), read_only=True)
    try:
        (first_day, last_day) = connection.execute(
            """select cast(min(calendar_date) as varchar), cast(max(calendar_date) as varchar)
            from intermediate.int_calendar_days"""
        ).fetchone()
    finally:
        connection.close()
    _execute(
        broken_copy,
        """delete from intermediate.int_calendar_days
        where calendar_date = (select max(calendar_date) from intermediate.int_calendar_days)""",
    )

    messages = _failure_messages(broken_copy, "assert_calendar_days_span_the_gauge_readings")

    assert len(messages) == 1
    assert messages[0].startswith(f"the calendar spans {first_day} to ")
    assert messages[0].endswith(f", the gauge readings need {first_day} to {last_day}")
