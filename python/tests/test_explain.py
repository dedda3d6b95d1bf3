"""`tally explain`: an invoice explained line by line, checked against the built warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from tally.cli import app
from tally.errors import TallyError
from tally.explain import explain_invoice, parse_period, print_explanation
from tally.warehouse import query
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def database(built_warehouse) -> Path:
    assert built_warehouse.success, built_warehouse.failures[:5]
    return built_warehouse.database


@pytest.fixture(scope="module")
def invoices(database: Path) -> list[tuple[str, str]]:
    """One invoice per line type, plus every invoice with a keyed usage line."""
    rows = query(
        "select distinct billing_account_id, strftime(period_start_date, '%Y-%m') as period "
        "from marts.fct_invoice_lines where invoice_id in ("
        "select min(invoice_id) from marts.fct_invoice_lines group by line_type "
        "union select min(invoice_id) from marts.fct_invoice_lines "
        "where line_type = 'usage' and dimension_name is not null group by meter_id "
        "union select min(invoice_id) from marts.fct_invoice_lines "
        "where meter_id = 'ipfs_storage_gb_month') order by 1, 2",
        database,
    )
    assert len(rows) >= 5
    return [(row["billing_account_id"], row["period"]) for row in rows]


def test_lines_and_total_match_the_marts(database: Path, invoices: list[tuple[str, str]]) -> None:
    for account, period in invoices:
        explanation = explain_invoice(account, period, database)
        expected = query(
            "select line_number, line_type, invoice_line_id, amount, quantity "
            f"from marts.fct_invoice_lines where billing_account_id = '{account}' "
            f"and strftime(period_start_date, '%Y-%m') = '{period}' order by line_number",
            database,
        )
        assert [
            (line.line_number, line.line_type, line.invoice_line_id, line.amount, line.quantity)
            for line in explanation.lines
        ] == [tuple(row.values()) for row in expected]
        total = query(
            "select total_amount from marts.fct_invoices "
            f"where billing_account_id = '{account}' "
            f"and strftime(period_start_date, '%Y-%m') = '{period}'",
            database,
        )[0]["total_amount"]
        assert explanation.total_amount == total == sum(line.amount for line in explanation.lines)
        for line in explanation.lines:
            if line.line_type == "usage":
                assert line.price is not None and line.price.price_id == line.price_id
                assert line.price.price_version
                if line.tiers_applied:
                    applied = [tier.tier_number for tier in line.price.tiers if tier.is_applied]
                    assert applied == [int(n) for n in line.tiers_applied.split(",")]
            elif line.line_type == "credit":
                assert any(credit.grant_id == line.reference_id for credit in explanation.credits)
            elif line.line_type.startswith("commitment"):
                assert any(
                    balance.commitment_id == line.reference_id
                    for balance in explanation.commitments
                )
            if line.line_type != "usage" and line.reference_id:
                assert line.details, line.invoice_line_id


def test_sample_events_are_behind_each_usage_line(
    database: Path, invoices: list[tuple[str, str]]
) -> None:
    counted = {
        (row["event_id"], row["billing_account_id"], row["meter_id"])
        for row in query(
            "select distinct event_id, billing_account_id, meter_id "
            "from intermediate.int_events_classified where is_counted",
            database,
        )
    }
    held = {
        (row["event_id"], row["billing_account_id"], row["meter_id"])
        for row in query(
            "select distinct event_id, billing_account_id, meter_id "
            "from intermediate.int_gauge_daily_values",
            database,
        )
    }
    gauges = {
        row["meter_id"]
        for row in query(
            "select meter_id from price_book.meters where aggregation = 'time_weighted_average'",
            database,
        )
    }
    checked_keyed = checked_gauge = 0
    for account, period in invoices:
        explanation = explain_invoice(account, period, database, samples=2)
        for line in explanation.lines:
            if line.line_type != "usage" or line.quantity == 0:
                continue
            assert 1 <= len(line.sample_event_ids) <= 2, line.invoice_line_id
            for event_id in line.sample_event_ids:
                key = (event_id, account, line.meter_id)
                # A gauge reading is held by the account it is attributed to over the period,
                # which may differ from the account of the event itself after a move.
                assert key in (held if line.meter_id in gauges else counted), key
            checked_gauge += line.meter_id in gauges
            if line.dimension_name and line.meter_id not in gauges:
                checked_keyed += 1
                slot = query(
                    "select case "
                    f"when group_by_1 = '{line.dimension_name}' then 'dimension_1_value' "
                    f"when group_by_2 = '{line.dimension_name}' then 'dimension_2_value' "
                    "else 'dimension_3_value' end as slot "
                    f"from price_book.meters where meter_id = '{line.meter_id}'",
                    database,
                )[0]["slot"]
                ids = ", ".join(f"'{event_id}'" for event_id in line.sample_event_ids)
                values = query(
                    f"select distinct {slot} as value from intermediate.int_events_classified "
                    f"where meter_id = '{line.meter_id}' and event_id in ({ids})",
                    database,
                )
                assert [row["value"] for row in values] == [line.dimension_value]
    assert checked_keyed and checked_gauge


def test_cli_prints_account_total_and_an_event_id(
    database: Path, invoices: list[tuple[str, str]]
) -> None:
    account, period = invoices[0]
    explanation = explain_invoice(account, period, database, samples=1)
    event_id = next(line.sample_event_ids[0] for line in explanation.lines if line.sample_event_ids)
    result = CliRunner().invoke(
        app,
        ["explain", "--account", account, "--period", period, "--database", str(database)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert account in result.output
    assert f"total {explanation.total_amount:,.2f}" in result.output
    assert event_id in result.output

    console = Console(record=True, width=200)
    print_explanation(explanation, console)
    assert event_id in console.export_text()


@pytest.mark.parametrize(
    ("account", "period", "message"),
    [
        ("acct_does_not_exist", "2026-09", "unknown billing account 'acct_does_not_exist'"),
        (None, "2026-9", "bad period '2026-9': expected YYYY-MM"),
        (None, "2026-13", "bad period '2026-13'"),
        (None, "1999-01", "no invoice for account"),
    ],
)
def test_errors_exit_2_with_one_line(
    database: Path, invoices: list[tuple[str, str]], account: str | None, period: str, message: str
) -> None:
    account = account or invoices[0][0]
    result = CliRunner().invoke(
        app,
        ["explain", "--account", account, "--period", period, "--database", str(database)],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_no_warehouse(tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    result = CliRunner().invoke(
        app, ["explain", "--account", "a", "--period", "2026-09", "--database", str(missing)]
    )
    assert result.exit_code == 2
    assert "no warehouse at" in result.output
    with pytest.raises(TallyError, match="bad period"):
        parse_period("09-2026")
