"""Where things are: the dbt project, its profiles directory and the embedded warehouse."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_DUCKDB_PATH = PROJECT_DIR / "data" / "tally.duckdb"


def profiles_dir() -> Path:
    """The repo's own profiles directory (.dbt/), made from profiles.example.yml if missing."""
    directory = Path(os.environ.get("DBT_PROFILES_DIR", PROJECT_DIR / ".dbt"))
    profile = directory / "profiles.yml"
    if not profile.exists():
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PROJECT_DIR / "profiles.example.yml", profile)
    return directory


def duckdb_path() -> Path:
    """The embedded warehouse file: TALLY_DUCKDB_PATH, else data/tally.duckdb."""
    configured = os.environ.get("TALLY_DUCKDB_PATH")
    path = Path(configured) if configured else DEFAULT_DUCKDB_PATH
    if not path.is_absolute():
        path = PROJECT_DIR / path
    return path
