"""The raw landing tables of docs/data-contract.md: their columns, DDL and file-name rule.

Every data column is VARCHAR (text exactly as received); the loader adds its own columns,
prefixed with `_`. `raw._loaded_files` records each loaded file by the sha256 of its bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

RAW_SCHEMA = "raw"
LOADED_FILES_TABLE = "_loaded_files"

LOADER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_file_name", "VARCHAR"),
    ("_file_sha256", "VARCHAR"),
    ("_line_number", "BIGINT"),
    ("_loaded_at", "TIMESTAMP"),
    ("_load_error", "VARCHAR"),
    ("_raw_record", "VARCHAR"),
)

LOADED_FILES_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_sha256", "VARCHAR PRIMARY KEY"),
    ("file_name", "VARCHAR NOT NULL"),
    ("table_name", "VARCHAR NOT NULL"),
    ("row_count", "BIGINT NOT NULL"),
    ("malformed_row_count", "BIGINT NOT NULL"),
    ("loaded_at", "TIMESTAMP NOT NULL"),
)


@dataclass(frozen=True)
class RawTable:
    """One raw landing table: its data columns, and those a CSV header or Parquet must have."""

    name: str
    columns: tuple[str, ...]
    optional: frozenset[str] = frozenset()

    @property
    def qualified_name(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column for column in self.columns if column not in self.optional)


RAW_TABLES: tuple[RawTable, ...] = (
    RawTable(
        "usage_events",
        ("event_id", "occurred_at", "received_at", "subject", "event_type", "properties"),
        optional=frozenset({"received_at"}),
    ),
    RawTable("billing_accounts", ("billing_account_id", "account_name", "currency_code")),
    RawTable(
        "organisations",
        (
            "organisation_id",
            "organisation_name",
            "billing_account_id",
            "valid_from",
            "valid_to",
            "is_internal",
        ),
    ),
    RawTable(
        "workspaces",
        ("workspace_id", "workspace_name", "organisation_id", "valid_from", "valid_to", "is_test"),
    ),
    RawTable("api_keys", ("api_key_id", "workspace_id", "valid_from", "valid_to", "is_test")),
    RawTable("wallets", ("wallet_address", "workspace_id", "valid_from", "valid_to", "is_test")),
)

TABLES_BY_NAME: dict[str, RawTable] = {table.name: table for table in RAW_TABLES}


def table_for_file_name(file_name: str) -> RawTable | None:
    """The table a file loads into: the one whose name starts the file name (any case)."""
    lowered = file_name.lower()
    matches = [table for table in RAW_TABLES if lowered.startswith(table.name)]
    return max(matches, key=lambda table: len(table.name), default=None)


def create_table_sql(table: RawTable) -> str:
    """`create table if not exists` for one raw table: data columns, then loader columns."""
    columns = [(column, "VARCHAR") for column in table.columns] + list(LOADER_COLUMNS)
    body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in columns)
    return f"CREATE TABLE IF NOT EXISTS {table.qualified_name} (\n    {body}\n)"


def create_loaded_files_sql() -> str:
    """`create table if not exists` for raw._loaded_files, one row per loaded file."""
    body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in LOADED_FILES_COLUMNS)
    return f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{LOADED_FILES_TABLE} (\n    {body}\n)"


def raw_ddl() -> list[str]:
    """Every statement that creates the raw schema and its tables (each is idempotent)."""
    return [
        f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}",
        *(create_table_sql(table) for table in RAW_TABLES),
        create_loaded_files_sql(),
    ]
