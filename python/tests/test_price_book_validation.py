"""The price-book validation tests fail on a bad row and name it.

One broken copy of the demo price book holds one bad row per rule (each with its own id), so
a single `dbt seed` + `dbt test` covers them all: each singular test must find exactly the
rows broken for it, and its stored failure row (`failure_message`) must name them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tally.dbt import run_dbt
from tally.load import load_paths
from tally.project import PROJECT_DIR

# seed file -> rows appended to it (the demo book's other rows stay valid)
BROKEN_ROWS = {
    "pricing/plans.csv": ["bad_plan_currency,Bad plan,XXX,unknown currency"],
    "pricing/plan_versions.csv": [
        "bad_mid_month,starter,2026-03-15,starts mid-month",
        "bad_same_day,growth,2026-10-01,starts with growth_v2",
    ],
    "pricing/prices.csv": [
        "bad_tier_gap,growth_v1,ai_input_tokens,model,tally-medium,graduated,,1000,,,,,,,,,,",
        "bad_tier_overlap,growth_v1,ai_output_tokens,model,tally-medium,graduated,,1000,,,,,,,,,,",
        "bad_negative_price,growth_v1,ipfs_bandwidth_gb,,,per_unit,-0.08,1,,,,,,,,,,",
        "bad_fractional_n,enterprise_v1,ai_input_tokens,model,tally-medium,per_unit,0.001,2.5,,,,,,,,,,",
        "bad_unknown_meter,growth_v1,no_such_meter,,,per_unit,1,,,,,,,,,,,",
    ],
    "pricing/price_tiers.csv": [
        "bad_tier_gap,1,1000000,0.0005,",
        "bad_tier_gap,3,,0.0004,",
        "bad_tier_overlap,1,1000000,0.0015,",
        "bad_tier_overlap,2,500000,0.0012,",
        "bad_tier_overlap,3,,0.0010,",
    ],
    "contracts/contracts.csv": [
        "ctr_bad_account,acct_nobody,starter,2026-08-01,,unknown account",
        "ctr_bad_currency,acct_jpy,starter,2026-08-01,,a USD plan for a JPY account",
        "ctr_bad_overlap,acct_001,growth,2026-09-01,,overlaps ctr_001",
    ],
    "contracts/discounts.csv": [
        "bad_discount_date,ctr_019,usage_subtotal,,fixed,,5.00,2026-08-15,,mid-month",
        "bad_discount_over,ctr_009,usage_subtotal,,percent,95,,2026-09-01,,105 % with the 10 %",
    ],
}

# singular test -> the bad ids its failure rows must name, one failure row each
EXPECTED = {
    "assert_price_book_tiers_are_contiguous": ["bad_tier_gap|3", "bad_tier_overlap|2"],
    "assert_price_book_amounts_are_not_negative": ["bad_negative_price", "bad_fractional_n"],
    "assert_price_book_references_are_known": ["bad_plan_currency", "bad_unknown_meter"],
    "assert_price_book_dates_on_period_boundaries": ["bad_mid_month", "bad_discount_date"],
    "assert_plan_versions_do_not_overlap": ["bad_same_day"],
    "assert_contracts_name_known_accounts": ["ctr_bad_account"],
    "assert_plan_currency_matches_account": ["ctr_bad_currency"],
    "assert_contracts_do_not_overlap": ["ctr_bad_overlap"],
    "assert_discount_percents_at_most_100": ["bad_discount_over"],
}


def _relative(folder: Path) -> Path:
    """A seed folder relative to the project: dbt writes the compiled tests of a seed yml
    under target/ by the yml's path, which an absolute path would escape."""
    return Path(os.path.relpath(folder, PROJECT_DIR))


def _release_dbt_connection() -> None:
    """dbt-duckdb keeps its DuckDB instance open in-process after a run; close it so that
    the test can open the file."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        environment.close()


@pytest.fixture(scope="module")
def stored_failures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[str]]]:
    root = tmp_path_factory.mktemp("broken_price_book")
    seeds = root / "seeds"
    shutil.copytree(PROJECT_DIR / "seeds", seeds)
    for name, rows in BROKEN_ROWS.items():
        path = seeds / name
        path.write_text(path.read_text().rstrip("\n") + "\n" + "\n".join(rows) + "\n")
    identity = root / "identity"
    identity.mkdir()
    accounts = [f"acct_{number:03d},Account {number},USD" for number in range(1, 21)]
    (identity / "billing_accounts.csv").write_text(
        "billing_account_id,account_name,currency_code\n"
        + "\n".join([*accounts, "acct_internal,Internal,USD", "acct_jpy,Yen account,JPY"])
        + "\n"
    )
    database = root / "broken.duckdb"
    load_paths([identity], database=database)
    seed_path = _relative(seeds)
    for args in (
        ["seed"],
        ["run", "--select", "stg_raw__billing_accounts"],
        ["test", "--select", *EXPECTED],
    ):
        run_dbt(args, database=database, seed_path=seed_path)
    _release_dbt_connection()
    connection = duckdb.connect(str(database), read_only=True)
    try:
        found: dict[str, list[str]] = {}
        for test_name in EXPECTED:
            rows: list[Any] = connection.sql(
                f"select failure_message from test_failures.{test_name}"
            ).fetchall()
            found[test_name] = [row[0] for row in rows]
    finally:
        connection.close()
    yield found


@pytest.mark.parametrize("test_name", sorted(EXPECTED))
def test_each_rule_fails_naming_its_bad_rows(
    stored_failures: dict[str, list[str]], test_name: str
) -> None:
    messages = stored_failures[test_name]
    expected = EXPECTED[test_name]
    assert len(messages) == len(expected), messages
    for bad_id in expected:
        assert any(bad_id in message for message in messages), (bad_id, messages)
