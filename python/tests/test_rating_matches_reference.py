"""The SQL rating marts give the same invoices as the Python reference rater.

`fct_invoice_lines`, `fct_invoices`, `fct_credit_balances` and `fct_commitment_balances` must
hold, to the cent and with the same line keys and order, what `tally.pricing.rate` computes
from the same metering marts and price book. Checked on the demo fixture (the session's
shared build) and on a scenario price book built here, which uses what the demo does not:
percentage prices with allowances and clamps, unique_count, latest, max and min meters, a
GB-day gauge, package and volume prices with flat fees, keyed groups falling back to an
unkeyed price (the null group included), a plan version change, a mid-period plan change
(two contracts in one period), overrides that replace and add prices, stacked and capped
discounts, prepaid (upfront, instalments) and postpaid commitments with overage rates, a
contract ending mid-term, a minimum spend, credit grants by priority, expiry and covers, a
JPY account, and a carry_forward (a negative last instalment).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tally.dbt import release_duckdb, run_dbt
from tally.load import load_paths
from tally.pricing import (
    DistinctValue,
    RatingResult,
    Transaction,
    Usage,
    UsageDay,
    load_price_book,
    rate,
)
from tally.pricing_lines import LINE_TYPE_ORDER
from tally.project import PROJECT_DIR

# ---------------------------------------------------------------------------------------
# Reading the warehouse and rating the same usage in Python
# ---------------------------------------------------------------------------------------


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    table = connection.sql(sql).to_arrow_table()  # Arrow keeps DECIMAL as Decimal
    columns = table.column_names
    values = [column.to_pylist() for column in table.columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _usage(connection: duckdb.DuckDBPyConnection, seed_path: Path) -> tuple[Usage, list[date]]:
    """The metering marts as the reference rater reads them, and the periods rated."""
    book = load_price_book(seed_path)
    percentage_meters = sorted(
        {
            p.meter_id
            for p in (*book.prices, *book.contract_prices)
            if p.charge_model == "percentage"
        }
    )
    meter_groups = {
        row["meter_id"]: [row["group_by_1"], row["group_by_2"], row["group_by_3"]]
        for row in _rows(connection, "select * from price_book.meters")
    }
    latest_keys: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in _rows(
        connection,
        """select billing_account_id, meter_id, usage_date, dimension_key, occurred_at,
            received_at, event_id
        from intermediate.int_events_classified
        where is_counted and aggregation = 'latest'""",
    ):
        key = (row["billing_account_id"], row["meter_id"], row["usage_date"], row["dimension_key"])
        order = (row["occurred_at"], row["received_at"], row["event_id"])
        latest_keys[key] = max(latest_keys.get(key, order), order)
    days = []
    for row in _rows(connection, "select * from marts.fct_usage_daily"):
        dimensions = tuple(
            (row[f"dimension_{i}_name"], row[f"dimension_{i}_value"])
            for i in (1, 2, 3)
            if row[f"dimension_{i}_name"]
        )
        key = (row["billing_account_id"], row["meter_id"], row["usage_date"], row["dimension_key"])
        days.append(
            UsageDay(
                row["billing_account_id"],
                row["meter_id"],
                row["usage_date"],
                row["usage_quantity"],
                dimensions,
                latest_keys.get(key),
            )
        )
    meter_list = ", ".join(f"'{meter}'" for meter in percentage_meters) or "''"
    transactions, distinct = [], {}
    for row in _rows(
        connection,
        f"""select * from intermediate.int_events_classified
        where is_counted and (aggregation = 'unique_count' or meter_id in ({meter_list}))""",
    ):
        dimensions = tuple(
            (name, row[f"dimension_{i + 1}_value"])
            for i, name in enumerate(meter_groups[row["meter_id"]])
            if name
        )
        if row["meter_id"] in percentage_meters:
            transactions.append(
                Transaction(
                    row["billing_account_id"],
                    row["meter_id"],
                    row["occurred_at"],
                    row["received_at"],
                    row["event_id"],
                    row["quantity"],
                    dimensions,
                )
            )
        if row["aggregation"] == "unique_count":
            value = DistinctValue(
                row["billing_account_id"],
                row["meter_id"],
                row["usage_date"],
                row["distinct_value"],
                dimensions,
            )
            distinct[value] = value
    periods = [
        row["period_start_date"]
        for row in _rows(
            connection,
            """select distinct period_start_date from intermediate.int_contract_periods
            order by 1""",
        )
    ]
    usage = Usage(
        days=tuple(days), transactions=tuple(transactions), distinct_values=tuple(distinct)
    )
    return usage, periods


def _connect(database: Path) -> duckdb.DuckDBPyConnection:
    release_duckdb()
    return duckdb.connect(str(database), read_only=True)


def _differences(database: Path, seed_path: Path) -> tuple[list[str], RatingResult]:
    """Every way the SQL marts differ from the reference rater (empty when they agree)."""
    connection = _connect(database)
    try:
        usage, periods = _usage(connection, seed_path)
        result = rate(load_price_book(seed_path), usage, periods)
        sql_lines = {
            row["invoice_line_id"]: row
            for row in _rows(connection, "select * from marts.fct_invoice_lines")
        }
        sql_invoices = {
            row["invoice_id"]: row for row in _rows(connection, "select * from marts.fct_invoices")
        }
        sql_credits = {
            (row["billing_account_id"], row["grant_id"], row["period_start_date"]): row
            for row in _rows(connection, "select * from marts.fct_credit_balances")
        }
        sql_commitments = {
            (row["commitment_id"], row["term_number"], row["period_start_date"]): row
            for row in _rows(connection, "select * from marts.fct_commitment_balances")
        }
    finally:
        connection.close()
    problems: list[str] = []
    python_lines = {line.line_key: line for invoice in result.invoices for line in invoice.lines}
    for key in sorted(set(python_lines) - set(sql_lines)):
        problems.append(f"line only in Python: {key} {python_lines[key].amount}")
    for key in sorted(set(sql_lines) - set(python_lines)):
        problems.append(f"line only in SQL: {key} {sql_lines[key]['amount']}")
    fields = (
        "line_number",
        "line_type",
        "amount",
        "currency_code",
        "contract_id",
        "plan_id",
        "plan_version_id",
        "price_id",
        "meter_id",
        "dimension_name",
        "dimension_value",
        "reference_id",
        "term_number",
        "quantity",
        "included_quantity",
        "billing_timing",
    )
    for key in sorted(set(python_lines) & set(sql_lines)):
        for field in fields:
            expected, actual = getattr(python_lines[key], field), sql_lines[key][field]
            if expected != actual:
                problems.append(f"{key}: {field} is {actual!r} in SQL, {expected!r} in Python")
    python_invoices = {
        f"{invoice.billing_account_id}|{invoice.period_start_date}": invoice
        for invoice in result.invoices
    }
    if set(python_invoices) != set(sql_invoices):
        problems.append(
            f"invoices differ: only Python {sorted(set(python_invoices) - set(sql_invoices))}, "
            f"only SQL {sorted(set(sql_invoices) - set(python_invoices))}"
        )
    for invoice_id in sorted(set(python_invoices) & set(sql_invoices)):
        python_invoice = python_invoices[invoice_id]
        if len(python_invoice.lines) != sql_invoices[invoice_id]["line_count"]:
            problems.append(
                f"invoice {invoice_id}: line_count {sql_invoices[invoice_id]['line_count']} "
                f"!= {len(python_invoice.lines)}"
            )
        for field in (
            "currency_code",
            "subtotal_amount",
            "credit_amount",
            "carry_forward_amount",
            "total_amount",
        ):
            expected = getattr(python_invoice, field)
            if expected != sql_invoices[invoice_id][field]:
                problems.append(
                    f"invoice {invoice_id}: {field} {sql_invoices[invoice_id][field]} != {expected}"
                )
    python_credits = {
        (row.billing_account_id, row.grant_id, row.period_start_date): row
        for row in result.credit_balances
    }
    if set(python_credits) != set(sql_credits):
        problems.append(f"credit balance rows differ: {set(python_credits) ^ set(sql_credits)}")
    for key in set(python_credits) & set(sql_credits):
        for field in ("opening_amount", "applied_amount", "closing_amount", "lapsed_amount"):
            if getattr(python_credits[key], field) != sql_credits[key][field]:
                problems.append(f"credit balance {key}: {field} differs")
    python_commitments = {
        (row.commitment_id, row.term_number, row.period_start_date): row
        for row in result.commitment_balances
    }
    if set(python_commitments) != set(sql_commitments):
        problems.append(
            f"commitment balance rows differ: {set(python_commitments) ^ set(sql_commitments)}"
        )
    for key in set(python_commitments) & set(sql_commitments):
        for field in (
            "commitment_amount",
            "opening_balance_amount",
            "drawdown_amount",
            "closing_balance_amount",
            "term_usage_amount",
            "lapsed_amount",
        ):
            if getattr(python_commitments[key], field) != sql_commitments[key][field]:
                problems.append(f"commitment balance {key}: {field} differs")
    return problems, result


def test_demo_invoices_match_the_reference_rater(built_warehouse: Any) -> None:
    """The session's demo build (conftest.built_warehouse): every invoice as the rater's."""
    problems, result = _differences(built_warehouse.database, PROJECT_DIR / "seeds")
    assert result.invoices, "the demo fixture rated no invoice"
    assert not problems, "\n".join(problems[:40])


# ---------------------------------------------------------------------------------------
# The scenario: a price book and a small data set that use everything the demo does not
# ---------------------------------------------------------------------------------------

# The scenario's price book: python/tests/fixtures/rating_scenario/{pricing,contracts}/*.csv
# replace the repo's seeds of the same name; metering/*_extra.csv rows are added to the repo's
# meters and event types (percentage, unique_count, latest, max, min and GB-day meters).
SCENARIO_FIXTURE = Path(__file__).parent / "fixtures" / "rating_scenario"

ACCOUNTS = {  # account: (currency, has a wallet)
    "acct_s01": ("USD", True),
    "acct_s02": ("USD", True),
    "acct_s03": ("JPY", False),
    "acct_s04": ("JPY", False),
    "acct_s05": ("USD", False),
    "acct_s06": ("USD", True),  # no contract: its gauge time is billed to nobody
}
MONTHS = (
    date(2026, 8, 1),
    date(2026, 9, 1),
    date(2026, 10, 1),
    date(2026, 11, 1),
    date(2026, 12, 1),
)


def _wallet(account: str) -> str:
    return "0x" + account.replace("acct_s", "").rjust(40, "a")


def _write_seeds(folder: Path) -> None:
    shutil.copytree(PROJECT_DIR / "seeds", folder)
    for source in sorted(SCENARIO_FIXTURE.glob("*/*.csv")):
        target = folder / source.parent.name / source.name.replace("_extra", "")
        if source.stem.endswith("_extra"):
            rows = source.read_text().strip("\n")
            target.write_text(target.read_text().rstrip("\n") + "\n" + rows + "\n")
        else:
            shutil.copyfile(source, target)


def _write_identity(folder: Path) -> None:
    folder.mkdir(parents=True)
    since = "2026-07-01T00:00:00Z"
    (folder / "billing_accounts.csv").write_text(
        "billing_account_id,account_name,currency_code\n"
        + "".join(f"{a},{a},{currency}\n" for a, (currency, _) in ACCOUNTS.items())
    )
    (folder / "organisations.csv").write_text(
        "organisation_id,organisation_name,billing_account_id,valid_from,valid_to,is_internal\n"
        + "".join(f"org_{a},{a},{a},{since},,false\n" for a in ACCOUNTS)
    )
    (folder / "workspaces.csv").write_text(
        "workspace_id,workspace_name,organisation_id,valid_from,valid_to,is_test\n"
        + "".join(f"ws_{a},main,org_{a},{since},,false\n" for a in ACCOUNTS)
    )
    (folder / "api_keys.csv").write_text(
        "api_key_id,workspace_id,valid_from,valid_to,is_test\n"
        + "".join(f"key_{a},ws_{a},{since},,false\n" for a in ACCOUNTS)
    )
    (folder / "wallets.csv").write_text(
        "wallet_address,workspace_id,valid_from,valid_to,is_test\n"
        + "".join(f"{_wallet(a)},ws_{a},{since},,false\n" for a, (_, w) in ACCOUNTS.items() if w)
    )


class _Events:
    """Scenario events, each received one second after it occurred."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        account: str,
        at: datetime,
        event_type: str,
        subject: str | None = None,
        **properties: Any,
    ) -> None:
        number = len(self.rows) + 1
        self.rows.append(
            {
                "event_id": f"sc-{number:05d}",
                "occurred_at": at.isoformat().replace("+00:00", "Z"),
                "received_at": (at + timedelta(seconds=1)).isoformat().replace("+00:00", "Z"),
                "subject": subject or f"key_{account}",
                "event_type": event_type,
                "properties": properties,
            }
        )

    def requests(
        self,
        account: str,
        day: date,
        count: int,
        tier: str = "standard",
        region: str | None = "us-east",
    ) -> None:
        for index in range(count):
            at = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC) + timedelta(
                minutes=7 * index
            )
            properties: dict[str, Any] = {
                "request_id": f"req-{len(self.rows) + 1}",
                "status": "success",
                "endpoint_tier": tier,
            }
            if region is not None:
                properties["region"] = region
            self.add(account, at, "rpc.request", **properties)


def _at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _scenario_events() -> list[dict[str, Any]]:
    events = _Events()
    aug, sep, oct_, nov, dec = MONTHS
    # acct_s01: everything, on one contract (plan version v2 from October).
    for month, (us, eu, ap, none) in zip(
        MONTHS,
        ((12, 6, 2, 1), (3, 4, 5, 0), (0, 9, 1, 2), (25, 8, 0, 0), (1, 0, 0, 0)),
        strict=True,
    ):
        events.requests("acct_s01", month + timedelta(days=2), us, region="us-east")
        events.requests("acct_s01", month + timedelta(days=3), eu, region="eu-west")
        events.requests("acct_s01", month + timedelta(days=4), ap, region="ap-south")
        events.requests("acct_s01", month + timedelta(days=5), none, region=None)
    events.requests("acct_s01", sep + timedelta(days=6), 5, tier="archive")
    events.requests("acct_s01", oct_ + timedelta(days=6), 9, tier="archive")
    for month, tokens in zip(MONTHS[:4], (2500, 7200, 1300, 40000), strict=True):
        events.add(
            "acct_s01",
            _at(month + timedelta(days=7)),
            "ai.inference",
            request_id=f"ai-{month}",
            status="success",
            model="tally-small",
            input_tokens=tokens,
            output_tokens=tokens // 2,
        )
        events.add(
            "acct_s01",
            _at(month + timedelta(days=8)),
            "ai.inference",
            request_id=f"ail-{month}",
            status="success",
            model="tally-large",
            input_tokens=tokens * 3,
            output_tokens=tokens,
        )
    for amount, day, hour in (
        (10, 2, 9),
        (80, 2, 10),
        (10000, 3, 9),
        ("25.5", 4, 9),
        (0, 4, 10),
        (12, 5, 1),
    ):
        events.add(
            "acct_s01",
            _at(aug + timedelta(days=day), hour),
            "payment.captured",
            amount=float(amount) if isinstance(amount, str) else amount,
        )
    for amount, day in ((5, 1), (5, 2), (5, 3), (40, 4), (300, 5)):
        events.add("acct_s01", _at(sep + timedelta(days=day)), "payment.captured", amount=amount)
    for amount, day in ((2, 1), (3, 2), (700, 3)):
        events.add("acct_s01", _at(oct_ + timedelta(days=day)), "payment.captured", amount=amount)
    for day, wallet, region in (
        (1, "0xAA", "us-east"),
        (2, "0xaa", "us-east"),
        (3, "0xbb", "us-east"),
        (4, "w-1", "eu-west"),
        (5, "w-2", "eu-west"),
        (6, "w-1", "eu-west"),
        (7, "w-3", None),
    ):
        events.add(
            "acct_s01",
            _at(aug + timedelta(days=day)),
            "wallet.active",
            wallet=wallet,
            **({"region": region} if region else {}),
        )
    for day, wallet in ((1, "w-1"), (20, "w-1"), (21, "w-9")):
        events.add(
            "acct_s01",
            _at(sep + timedelta(days=day)),
            "wallet.active",
            wallet=wallet,
            region="eu-west",
        )
    for day, hour, nodes in ((1, 9, 3), (1, 18, 5), (9, 0, 4), (9, 0, 7)):
        events.add("acct_s01", _at(aug + timedelta(days=day), hour), "node.count", nodes=nodes)
    events.add("acct_s01", _at(sep + timedelta(days=3)), "node.count", nodes=2)
    for day, peak in ((1, 7), (2, 19), (3, 4)):
        events.add("acct_s01", _at(aug + timedelta(days=day)), "conn.peak", connections=peak)
        events.add("acct_s01", _at(oct_ + timedelta(days=day)), "conn.peak", connections=peak // 3)
    for day, balance in ((1, 700), (2, "650.5"), (3, 900)):
        events.add(
            "acct_s01",
            _at(aug + timedelta(days=day)),
            "balance.reading",
            balance=float(balance) if isinstance(balance, str) else balance,
        )
    wallet = _wallet("acct_s01")
    for at, gigabytes in (
        (_at(aug, 0), 10),
        (_at(aug, 12), 30),
        (_at(aug + timedelta(days=1), 6), 20),
        (_at(oct_ + timedelta(days=14), 0), 5),
    ):
        events.add(
            "acct_s01",
            at,
            "ipfs.storage_reading",
            subject=wallet,
            bytes_stored=gigabytes * 1_000_000_000,
        )
    events.add("acct_s01", _at(aug + timedelta(days=9)), "ipfs.bandwidth", bytes=1_234_567_891)
    events.add("acct_s01", _at(sep + timedelta(days=9)), "ipfs.bandwidth", bytes=400_000_000)
    # acct_s02: Starter-like plan A until 16 September, plan B after (two parts in September).
    events.requests("acct_s02", aug + timedelta(days=3), 20, region="eu-west")
    events.requests("acct_s02", sep + timedelta(days=4), 10, region="eu-west")
    events.requests("acct_s02", sep + timedelta(days=20), 15, region="eu-west")
    events.requests("acct_s02", oct_ + timedelta(days=1), 800, region="us-east")
    events.requests("acct_s02", nov + timedelta(days=1), 1400, region="us-east")
    events.requests("acct_s02", dec + timedelta(days=1), 30, region="us-east")
    for day, amount in ((17, 20), (18, 45), (25, 100)):
        events.add(
            "acct_s02", _at(sep + timedelta(days=day - 1)), "payment.captured", amount=amount
        )
    events.add(
        "acct_s02",
        _at(sep + timedelta(days=22)),
        "ai.inference",
        request_id="s02-ai-1",
        status="success",
        model="tally-small",
        input_tokens=2500,
        output_tokens=0,
    )
    events.add(
        "acct_s02",
        _at(oct_ + timedelta(days=2)),
        "ai.inference",
        request_id="s02-ai-2",
        status="success",
        model="tally-large",
        input_tokens=700,
        output_tokens=0,
    )
    wallet = _wallet("acct_s02")
    events.add(
        "acct_s02",
        _at(aug + timedelta(days=5), 0),
        "ipfs.storage_reading",
        subject=wallet,
        bytes_stored=3_000_000_000,
    )
    # acct_s03 (JPY): from 22 August.
    events.requests("acct_s03", aug + timedelta(days=25), 3)
    events.requests("acct_s03", sep + timedelta(days=2), 100)
    # acct_s04 (JPY, no standing charge): a 2 JPY commitment in 4 instalments (1, 1, 1, -1).
    events.requests("acct_s04", aug + timedelta(days=2), 1)
    events.requests("acct_s04", dec + timedelta(days=1), 2)
    # acct_s05: ends 1 November, mid-term; 60 % + 40 % off standard requests.
    for month, count in zip(MONTHS[:3], (50, 5, 0), strict=True):
        events.requests("acct_s05", month + timedelta(days=16), count)
    # acct_s06: no contract, only gauge time (billed to nobody, not an error).
    events.add(
        "acct_s06",
        _at(sep, 0),
        "ipfs.storage_reading",
        subject=_wallet("acct_s06"),
        bytes_stored=7_000_000_000,
    )
    # The last event received sets the as-of instant: 5 December 2026.
    events.requests("acct_s01", dec + timedelta(days=4), 1, region="eu-west")
    return events.rows


def _relative(folder: Path) -> Path:
    """A seed folder relative to the project: dbt writes the compiled tests of a seed yml
    under target/ by the yml's path, which an absolute path would escape."""
    return Path(os.path.relpath(folder, PROJECT_DIR))


@pytest.fixture(scope="module")
def scenario_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    root = tmp_path_factory.mktemp("rating_scenario")
    seeds = root / "seeds"
    _write_seeds(seeds)
    _write_identity(root / "identity")
    (root / "events").mkdir()
    with (root / "events" / "usage_events.jsonl").open("w") as handle:
        for row in _scenario_events():
            handle.write(json.dumps(row) + "\n")
    database = root / "scenario.duckdb"
    load_paths([root / "identity", root / "events"], database=database)
    outcome = run_dbt(
        ["build", "--exclude", "test_type:unit"], database=database, seed_path=_relative(seeds)
    )
    assert outcome.success, "\n".join(outcome.failures)
    yield database, seeds


def test_scenario_invoices_match_the_reference_rater(scenario_warehouse: tuple[Path, Path]) -> None:
    database, seeds = scenario_warehouse
    problems, result = _differences(database, seeds)
    assert not problems, "\n".join(problems[:40])
    line_types = {line.line_type for invoice in result.invoices for line in invoice.lines}
    # Every line type but adjustment (late usage comes with the invoice run's ledger).
    assert line_types >= set(LINE_TYPE_ORDER) - {"adjustment"}, (
        f"the scenario no longer exercises every line type: {sorted(line_types)}"
    )


def test_scenario_carry_forward_becomes_a_grant_paying_the_next_invoice(
    scenario_warehouse: tuple[Path, Path],
) -> None:
    database, _ = scenario_warehouse
    connection = _connect(database)
    try:
        lines = _rows(
            connection,
            """select invoice_line_id, amount from marts.fct_invoice_lines
            where billing_account_id = 'acct_s04' and line_type in ('carry_forward', 'credit')
            order by period_start_date""",
        )
    finally:
        connection.close()
    assert [(line["invoice_line_id"], line["amount"]) for line in lines] == [
        ("acct_s04|2026-11-01|carry_forward||carry-2026-11", Decimal(1)),
        ("acct_s04|2026-12-01|credit||carry-2026-11", Decimal(-1)),
    ]


def test_invariant_tests_fail_naming_the_offending_rows(
    scenario_warehouse: tuple[Path, Path],
) -> None:
    """assert_invoice_totals_equal_sum_of_lines and assert_every_usage_has_a_price fail on a
    copy of the scenario warehouse broken on purpose, and their stored rows name it."""
    database, seeds = scenario_warehouse
    release_duckdb()
    broken = database.with_name("broken.duckdb")
    shutil.copyfile(database, broken)
    connection = duckdb.connect(str(broken))
    try:
        connection.execute(
            """update marts.fct_invoices set total_amount = total_amount + 1
            where invoice_id = 'acct_s03|2026-09-01'"""
        )
        connection.execute(  # as if plan sc_jpy had no version in force on 1 October
            """update intermediate.int_contract_periods set plan_version_id = null
            where contract_period_id = 'c_s03|2026-10-01'"""
        )
        for account, meter, day in (
            ("acct_s06", "rpc_standard_requests", "2026-09-03"),  # no contract at all
            ("acct_s05", "sc_nodes", "2026-08-10"),  # plan B has no price for it
        ):
            connection.execute(
                f"""insert into marts.fct_usage_daily
                select '{account}|{meter}|{day}|', '{account}', '{meter}', aggregation,
                    date '{day}', date '{day[:8]}01', '', null, null, null, null, null, null,
                    1, 1, unit
                from marts.fct_usage_daily where meter_id = '{meter}' limit 1"""
            )
    finally:
        connection.close()
    run_dbt(
        [
            "test",
            "--select",
            "assert_invoice_totals_equal_sum_of_lines",
            "assert_every_usage_has_a_price",
        ],
        database=broken,
        seed_path=_relative(seeds),
    )
    connection = _connect(broken)
    try:
        totals = [
            row["failure_message"]
            for row in _rows(
                connection,
                "select * from test_failures.assert_invoice_totals_equal_sum_of_lines",
            )
        ]
        unpriced = sorted(
            (row["billing_account_id"], row["meter_id"] or "")
            for row in _rows(
                connection, "select * from test_failures.assert_every_usage_has_a_price"
            )
        )
    finally:
        connection.close()
    assert len(totals) == 1 and totals[0].startswith("invoice acct_s03|2026-09-01: total "), totals
    assert unpriced == [
        ("acct_s03", ""),
        ("acct_s05", "sc_nodes"),
        ("acct_s06", "rpc_standard_requests"),
    ]
