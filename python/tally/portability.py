"""The Snowflake check without an account: build the project on the `snowflake` target
through fakesnow (Snowflake's SQL run by an embedded DuckDB), with the raw landing tables
created empty or filled with given rows."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from tally.dbt import DbtOutcome, run_dbt
from tally.raw_tables import LOADER_COLUMNS, RAW_TABLES

FAKE_CREDENTIALS = {
    "SNOWFLAKE_ACCOUNT": "fakesnow",
    "SNOWFLAKE_USER": "tally",
    "SNOWFLAKE_PASSWORD": "not-a-secret",
    "SNOWFLAKE_DATABASE": "TALLY",
    "SNOWFLAKE_SCHEMA": "BILLING",
    "SNOWFLAKE_WAREHOUSE": "TALLY_WH",
    "SNOWFLAKE_ROLE": "TALLY",
    "SNOWFLAKE_THREADS": "1",
}


def _create_raw_tables(rows: Mapping[str, Iterable[Sequence[object]]]) -> None:
    import snowflake.connector

    connection = snowflake.connector.connect(
        account="fakesnow", user="tally", password="x", database="TALLY", schema="RAW"
    )
    try:
        cursor = connection.cursor()
        cursor.execute("create database if not exists tally")
        cursor.execute("create schema if not exists tally.raw")
        for table in RAW_TABLES:
            columns = [f"{name} varchar" for name in table.columns]
            columns += [f"{name} {kind.lower()}" for name, kind in LOADER_COLUMNS]
            cursor.execute(
                f"create table if not exists tally.raw.{table.name} ({', '.join(columns)})"
            )
            table_rows = list(rows.get(table.name, []))
            if table_rows:
                placeholders = ", ".join(["%s"] * (len(table.columns) + len(LOADER_COLUMNS)))
                cursor.executemany(
                    f"insert into tally.raw.{table.name} values ({placeholders})", table_rows
                )
    finally:
        connection.close()


def build_on_fakesnow(
    directory: Path,
    args: Sequence[str] = ("build",),
    rows: Mapping[str, Iterable[Sequence[object]]] | None = None,
) -> DbtOutcome:
    """Run dbt on the snowflake target against fakesnow databases kept in `directory`."""
    import fakesnow

    directory.mkdir(parents=True, exist_ok=True)
    os.environ.update(FAKE_CREDENTIALS)
    os.environ["TALLY_FAKESNOW"] = "1"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fakesnow.patch(db_path=str(directory)):
                _create_raw_tables(rows or {})
                return run_dbt([*args, "--target", "snowflake"])
    finally:
        os.environ.pop("TALLY_FAKESNOW", None)
