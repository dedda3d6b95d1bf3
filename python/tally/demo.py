"""`tally demo`: the whole flow on generated data, with a short summary of the outputs."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tally.dbt import run_dbt
from tally.errors import TallyError
from tally.project import PROJECT_DIR, duckdb_path
from tally.warehouse import query


def run_demo(*, events: int, seed: int, out: Path, database: Path | None, console: Console) -> None:
    """Generate demo data, load it, run `dbt build`, and print where the outputs are."""
    from tally.demo_data import generate, load_demo_data

    database = (database or duckdb_path()).resolve()
    if database.exists():
        database.unlink()
    timings: dict[str, float] = {}

    started = time.perf_counter()
    manifest_path = generate(seed=seed, events=events, out=out)
    timings["generate"] = time.perf_counter() - started
    console.print(f"[bold]1/3[/bold] generated {events:,} events into {out}")

    started = time.perf_counter()
    report = load_demo_data(out, database)
    timings["load"] = time.perf_counter() - started
    console.print(f"[bold]2/3[/bold] loaded {report.rows_loaded:,} rows into {database}")

    started = time.perf_counter()
    outcome = run_dbt(["build"], database=database)
    timings["dbt build"] = time.perf_counter() - started
    if not outcome.success:
        raise TallyError("dbt build failed: " + "; ".join(outcome.failures[:5]))
    console.print("[bold]3/3[/bold] dbt build passed (models, data tests, unit tests)")

    _print_reconciliation(database, console)
    _print_usage(database, console)
    _print_invoices(database, console)
    timing_text = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items())
    console.print(f"\ntimings: {timing_text}")
    console.print(f"warehouse: {database} (schemas staging, intermediate, marts, price_book)")
    console.print(f"demo data and its manifest: {manifest_path}")
    console.print(f"dbt artifacts: {PROJECT_DIR / 'target'}")


def _print_reconciliation(database: Path, console: Console) -> None:
    rows = query(
        "select * from marts.fct_event_reconciliation order by period_start_date", database
    )
    table = Table(title="Nothing silently dropped: events per period")
    for column in ("period", "landed", "billed", "filtered", "duplicates", "quarantined"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            str(row["period_start_date"]),
            f"{row['landed_count']:,}",
            f"{row['billed_count']:,}",
            f"{row['filtered_count']:,}",
            f"{row['duplicate_count']:,}",
            f"{row['quarantined_count']:,}",
        )
    console.print(table)


def _print_usage(database: Path, console: Console) -> None:
    rows = query(
        """
        select meter_id, unit, cast(period_start_date as varchar) as period,
            sum(usage_quantity) as quantity, count(distinct billing_account_id) as accounts
        from marts.fct_usage_by_period
        group by all
        order by meter_id, period
        """,
        database,
    )
    table = Table(title="Billable usage by meter and period (all accounts)")
    for column in ("meter", "period", "quantity", "unit", "accounts"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            row["meter_id"],
            row["period"],
            f"{row['quantity']:,.3f}",
            row["unit"],
            str(row["accounts"]),
        )
    console.print(table)


def _print_invoices(database: Path, console: Console) -> None:
    rows = query(
        """
        select billing_account_id, cast(period_start_date as varchar) as period, currency_code,
            subtotal_amount, credit_amount, total_amount, line_count
        from marts.fct_invoices
        order by billing_account_id, period_start_date
        """,
        database,
    )
    table = Table(title="Invoices (tally explain --account A --period YYYY-MM for the lines)")
    for column in ("account", "period", "currency", "subtotal", "credits", "total", "lines"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            row["billing_account_id"],
            row["period"][:7],
            row["currency_code"],
            f"{row['subtotal_amount']:,.2f}",
            f"{row['credit_amount']:,.2f}",
            f"{row['total_amount']:,.2f}",
            str(row["line_count"]),
        )
    console.print(table)
    commits = query(
        "select distinct coalesce(terms_commit, '(not in git)') as commit from marts.fct_invoices",
        database,
    )
    names = ", ".join(row["commit"] for row in commits)
    console.print(f"price book and contracts rated from commit: {names}")
