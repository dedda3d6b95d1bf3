"""Every invoice names the git commit of the terms (price book and contracts, dbt seeds)
it was rated from (PRICING.md, "Where the data lives")."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from tally.dbt import _environment
from tally.project import PROJECT_DIR
from tally.terms import terms_commit
from tally.warehouse import query

from .conftest import BuiltWarehouse


def _git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


def test_the_terms_commit_is_the_last_commit_of_the_seeds_marked_when_they_changed_since(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    seeds = repo / "seeds"
    seeds.mkdir(parents=True)
    _git(repo, "init", "-q")
    (seeds / "prices.csv").write_text("price_id,unit_amount\np1,1.00\n")
    assert terms_commit(seeds) == "uncommitted"
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "terms")
    terms = _git(repo, "rev-parse", "HEAD")
    (repo / "README.md").write_text("not terms\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "docs")

    # A later commit that does not touch the seeds leaves the terms' commit as it was.
    assert terms_commit(seeds) == terms != _git(repo, "rev-parse", "HEAD")

    (seeds / "prices.csv").write_text("price_id,unit_amount\np1,2.00\n")
    assert terms_commit(seeds) == terms + "-dirty"
    _git(repo, "checkout", "-q", "--", "seeds")
    (seeds / "contracts.csv").write_text("contract_id\nc1\n")
    assert terms_commit(seeds) == terms + "-dirty"

    outside = tmp_path / "not_in_git"
    outside.mkdir()
    assert terms_commit(outside) is None
    assert terms_commit(tmp_path / "missing") is None


def test_a_swapped_price_book_outside_git_names_no_commit(tmp_path: Path) -> None:
    with _environment(tmp_path / "w.duckdb", seed_path=tmp_path):
        assert os.environ["TALLY_TERMS_COMMIT"] == ""


def test_git_wins_over_a_stale_terms_commit_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALLY_TERMS_COMMIT", "stale")
    with _environment(tmp_path / "w.duckdb", seed_path=None):
        assert os.environ["TALLY_TERMS_COMMIT"] == (terms_commit(PROJECT_DIR / "seeds") or "stale")
    assert os.environ["TALLY_TERMS_COMMIT"] == "stale"


def test_every_invoice_names_the_commit_of_the_seeds(built_warehouse: BuiltWarehouse) -> None:
    assert built_warehouse.success, built_warehouse.failures
    expected = terms_commit(PROJECT_DIR / "seeds") or os.environ.get("TALLY_TERMS_COMMIT") or None
    rows = query(
        "select terms_commit, count(*) as invoices from marts.fct_invoices group by all",
        built_warehouse.database,
    )
    assert len(rows) == 1 and rows[0]["invoices"] > 0
    assert rows[0]["terms_commit"] == expected
    if (PROJECT_DIR / ".git").exists():
        assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", rows[0]["terms_commit"])
