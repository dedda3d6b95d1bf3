"""The same events and seeds give the same invoices, byte for byte, however many times the
build runs: built again on the same warehouse, and built from scratch in a new one from the
same files (loaded at another instant)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from tally.dbt import release_duckdb, run_dbt
from tally.demo_data import load_demo_data

from .conftest import BuiltWarehouse

INVOICE_MARTS = ("marts.fct_invoices", "marts.fct_invoice_lines", "marts.fct_usage_by_period")


def _exported(database: Path, folder: Path) -> dict[str, bytes]:
    """Each mart written as CSV in a fixed row order, as bytes."""
    release_duckdb()
    folder.mkdir(parents=True)
    connection = duckdb.connect(str(database), read_only=True)
    try:
        for mart in INVOICE_MARTS:
            connection.execute(
                f"copy (select * from {mart} order by all) to '{folder / mart}.csv' (header)"
            )
    finally:
        connection.close()
    return {mart: (folder / f"{mart}.csv").read_bytes() for mart in INVOICE_MARTS}


def test_the_same_events_and_seeds_give_the_same_invoices_byte_for_byte(
    built_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    assert built_warehouse.success, built_warehouse.failures
    first = _exported(built_warehouse.database, tmp_path / "first")
    assert all(len(text.splitlines()) > 10 for text in first.values())

    again = tmp_path / "again.duckdb"
    shutil.copyfile(built_warehouse.database, again)
    outcome = run_dbt(["run"], database=again)
    assert outcome.success, outcome.failures
    assert _exported(again, tmp_path / "again") == first

    scratch = tmp_path / "scratch.duckdb"
    load_demo_data(built_warehouse.data_dir, scratch)
    outcome = run_dbt(["build"], database=scratch)
    assert outcome.success, outcome.failures
    assert _exported(scratch, tmp_path / "scratch") == first
