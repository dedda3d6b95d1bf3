"""Run dbt in-process (dbtRunner) against the repo's project and profiles directory."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tally.errors import TallyError
from tally.project import PROJECT_DIR, duckdb_path, profiles_dir
from tally.terms import terms_commit


@dataclass
class DbtOutcome:
    """What a dbt invocation did: success, and the nodes that failed with their messages."""

    success: bool
    failures: list[str] = field(default_factory=list)


@contextmanager
def _environment(database: Path | None, seed_path: Path | None) -> Iterator[None]:
    """The environment dbt renders the profile and project with, for one invocation: the
    database and seed folder asked for are set, with the commit of the terms in that folder
    (TALLY_TERMS_COMMIT: read from git; a value set already is kept only for the default
    seeds outside git), and what was there before is put back after, so a swapped price
    book never leaks into the next run."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    wanted = {"TALLY_DUCKDB_PATH": str(database or duckdb_path())}
    if seed_path is not None:
        wanted["TALLY_SEED_PATH"] = str(seed_path)
    seeds = Path(wanted.get("TALLY_SEED_PATH") or os.environ.get("TALLY_SEED_PATH") or "seeds")
    commit = terms_commit(seeds if seeds.is_absolute() else PROJECT_DIR / seeds)
    if commit is not None:
        wanted["TALLY_TERMS_COMMIT"] = commit
    elif seed_path is not None:
        wanted["TALLY_TERMS_COMMIT"] = ""
    before = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    Path(wanted["TALLY_DUCKDB_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def release_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB instance open in-process after a run, so any other
    connection to the file would fail ("different configuration"): close it."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        environment.close()
    DuckDBConnectionManager._ENV = None


def run_dbt(
    args: Sequence[str],
    *,
    database: Path | None = None,
    seed_path: Path | None = None,
    variables: dict[str, object] | None = None,
    quiet: bool = True,
) -> DbtOutcome:
    """Invoke dbt with the project and profiles directories set; never raises on a failed node."""
    from dbt.cli.main import dbtRunner

    command = [
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(profiles_dir()),
    ]
    if variables:
        command += ["--vars", json.dumps(variables)]
    if quiet:
        command = ["--quiet", "--no-use-colors", *command]
    with _environment(database, seed_path):
        try:
            result = dbtRunner().invoke(command)
        finally:
            release_duckdb()
    failures: list[str] = []
    if result.exception is not None:
        failures.append(str(result.exception))
    if result.result is not None and hasattr(result.result, "results"):
        for node_result in result.result.results:
            status = str(node_result.status).lower()
            if status in {"error", "fail", "runtimeerr"}:
                name = getattr(node_result.node, "unique_id", "?")
                detail = _stored_failure_messages(node_result.node, database)
                failures.append(f"{name}: {node_result.message}{detail}")
    return DbtOutcome(success=bool(result.success), failures=failures)


def _stored_failure_messages(node: object, database: Path | None, limit: int = 5) -> str:
    """The offending rows a failed data test stored (its failure_message column, when it
    has one), so that the error names them rather than only counting them."""
    relation = getattr(node, "relation_name", None)
    if not relation or getattr(node, "resource_type", None) != "test":
        return ""
    import duckdb

    try:
        connection = duckdb.connect(str(database or duckdb_path()), read_only=True)
    except duckdb.Error:
        return ""
    try:
        table = connection.sql(f"select * from {relation} limit {limit}")
        columns = table.columns
        rows = table.fetchall()
    except duckdb.Error:
        return ""
    finally:
        connection.close()
    if "failure_message" in columns:
        index = columns.index("failure_message")
        return " [" + "; ".join(str(row[index]) for row in rows) + "]"
    return " [" + "; ".join(str(dict(zip(columns, row, strict=True))) for row in rows) + "]"


def build(**kwargs: object) -> DbtOutcome:
    """`dbt build` (seeds, models, data tests and unit tests), raising TallyError on failure."""
    outcome = run_dbt(["build"], **kwargs)  # type: ignore[arg-type]
    if not outcome.success:
        raise TallyError("dbt build failed: " + "; ".join(outcome.failures or ["see logs"]))
    return outcome
