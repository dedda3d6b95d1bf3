"""`tally demo` (what `make demo` runs): the whole flow on a small generated data set prints
its reconciliation, invoices, the commit of the terms they were rated from, and where the
outputs are."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from tally.demo import run_demo
from tally.project import PROJECT_DIR
from tally.terms import terms_commit


def test_the_demo_prints_its_outputs_and_the_terms_commit(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    database = tmp_path / "demo.duckdb"

    run_demo(events=3000, seed=11, out=tmp_path / "data", database=database, console=console)

    printed = console.export_text()
    assert "3/3 dbt build passed (models, data tests, unit tests)" in printed
    assert "Invoices (tally explain --account A --period YYYY-MM for the lines)" in printed
    commit = terms_commit(PROJECT_DIR / "seeds") or "(not in git)"
    assert f"price book and contracts rated from commit: {commit}" in printed
    assert f"warehouse: {database.resolve()}" in printed
    assert f"demo data and its manifest: {tmp_path / 'data' / 'manifest.json'}" in printed
