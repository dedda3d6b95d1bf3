"""Shared fixtures: a small demo data set, loaded and built once per test session."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

FIXTURE_SEED = 7
FIXTURE_EVENTS = 20_000


@dataclass(frozen=True)
class BuiltWarehouse:
    """A demo data set generated, loaded into its own DuckDB file and built with dbt."""

    data_dir: Path
    database: Path
    manifest: dict[str, Any]
    success: bool
    failures: list[str]


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tally.demo_data import generate

    out = tmp_path_factory.mktemp("demo") / "data"
    generate(seed=FIXTURE_SEED, events=FIXTURE_EVENTS, out=out)
    return out


@pytest.fixture(scope="session")
def built_warehouse(
    demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> BuiltWarehouse:
    """`tally load` + `dbt build` (models, data tests, unit tests) on the fixture data."""
    from tally.dbt import run_dbt
    from tally.demo_data import load_demo_data

    database = tmp_path_factory.mktemp("warehouse") / "tally.duckdb"
    load_demo_data(demo_data_dir, database)
    outcome = run_dbt(["build"], database=database)
    manifest = json.loads((demo_data_dir / "manifest.json").read_text())
    return BuiltWarehouse(demo_data_dir, database, manifest, outcome.success, outcome.failures)
