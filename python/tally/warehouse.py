"""Read-only queries of the embedded warehouse, decimals kept exact (through Arrow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from tally.errors import TallyError
from tally.project import duckdb_path


def query(sql: str, database: Path | None = None) -> list[dict[str, Any]]:
    """Run one query against the DuckDB file and return its rows as dicts (Decimal kept).

    The connection is closed before returning, so dbt can take the file lock afterwards.
    """
    path = database or duckdb_path()
    if not path.exists():
        raise TallyError(f"no warehouse at {path}: run `tally load` and `tally build` first")
    connection = duckdb.connect(str(path), read_only=True)
    try:
        table = connection.sql(sql).to_arrow_table()
    except duckdb.Error as error:
        raise TallyError(f"query failed on {path}: {error}") from error
    finally:
        connection.close()
    return table.to_pylist()
