"""The `tally` command line: parses arguments and calls the package's functions."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from tally.errors import TallyError

app = typer.Typer(
    help="Tally: warehouse-native usage billing (load, meter, rate, invoice).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


def _fail(error: TallyError) -> None:
    err_console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@app.command()
def load(
    paths: list[Path] = typer.Argument(..., help="CSV, JSON Lines or Parquet files, or folders."),
    database: Path | None = typer.Option(None, help="DuckDB file (default: TALLY_DUCKDB_PATH)."),
    received_at: str | None = typer.Option(
        None,
        help="When the batch was received (ISO 8601): the received_at of rows that have none, "
        "malformed rows included. Default: the load time.",
    ),
) -> None:
    """Load files into the raw landing tables; a file already loaded is skipped."""
    from tally.load import load_paths, print_report

    try:
        report = load_paths(paths, database=database, received_at=received_at)
    except TallyError as error:
        _fail(error)
    print_report(report, console)


@app.command("demo-data")
def demo_data(
    seed: int = typer.Option(42, help="Random seed: the same seed gives byte-identical files."),
    events: int = typer.Option(1_000_000, help="How many usage events to generate."),
    out: Path = typer.Option(Path("data/demo"), help="Folder to write the data set to."),
) -> None:
    """Generate a deterministic demo data set (identity, events, manifest.json)."""
    from tally.demo_data import generate

    try:
        manifest_path = generate(seed=seed, events=events, out=out)
    except TallyError as error:
        _fail(error)
    console.print(f"demo data written to {out} (manifest: {manifest_path})")


@app.command()
def build(
    database: Path | None = typer.Option(None, help="DuckDB file (default: TALLY_DUCKDB_PATH)."),
    full_refresh: bool = typer.Option(False, help="Rebuild incremental models from scratch."),
) -> None:
    """Run `dbt build`: seeds, models, data tests and unit tests."""
    from tally.dbt import run_dbt

    args = ["build", *(["--full-refresh"] if full_refresh else [])]
    outcome = run_dbt(args, database=database, quiet=False)
    if not outcome.success:
        _fail(TallyError("dbt build failed: " + "; ".join(outcome.failures[:5])))


@app.command()
def demo(
    events: int = typer.Option(1_000_000, help="How many usage events to generate."),
    seed: int = typer.Option(42, help="Random seed of the demo data."),
    out: Path = typer.Option(Path("data/demo"), help="Folder for the generated data."),
    database: Path | None = typer.Option(None, help="DuckDB file (default: data/tally.duckdb)."),
) -> None:
    """The whole flow on generated data: generate, load, dbt build, summary."""
    from tally.demo import run_demo

    try:
        run_demo(events=events, seed=seed, out=out, database=database, console=console)
    except TallyError as error:
        _fail(error)


@app.command()
def explain(
    account: str = typer.Option(..., help="The billing account id, for example acct_014."),
    period: str = typer.Option(..., help="The billing period, YYYY-MM (for example 2026-09)."),
    database: Path | None = typer.Option(None, help="DuckDB file (default: TALLY_DUCKDB_PATH)."),
    samples: int = typer.Option(3, help="Sample event ids shown per usage line."),
) -> None:
    """Print one invoice with every line's computation and sample events behind usage."""
    from tally.explain import explain_invoice, print_explanation

    try:
        explanation = explain_invoice(account, period, database, samples=samples)
    except TallyError as error:
        _fail(error)
    print_explanation(explanation, console)


@app.command()
def docs(
    out: Path = typer.Option(Path("target"), help="Where dbt writes the static docs site."),
) -> None:
    """Build the dbt docs site (static HTML) for the project."""
    from tally.dbt import run_dbt

    outcome = run_dbt(["docs", "generate", "--static", "--target-path", str(out.resolve())])
    if not outcome.success:
        _fail(TallyError("dbt docs generate failed: " + "; ".join(outcome.failures[:5])))
    console.print(f"docs site: {out.resolve() / 'static_index.html'}")


if __name__ == "__main__":
    app()
