"""Load CSV, JSON Lines and Parquet files into the raw landing tables (docs/data-contract.md).

`load_paths` takes files and folders (a folder is walked recursively in sorted path order,
skipping hidden names such as `.DS_Store`). Each file goes to the raw table its name starts
with (`usage_events*` to `raw.usage_events`, ...), by its extension: `.csv`; `.jsonl`,
`.ndjson`, `.json` (JSON Lines); `.parquet`.

Several paths, some bad: every file is checked and loaded on its own. A good file loads in
its own transaction and stays loaded; a bad one (missing, unknown table or extension, not
UTF-8, a CSV header or Parquet schema without the table's required columns, an unreadable
Parquet file) is rolled back entirely, so nothing of it lands. After the last file,
`LoadError` (a `TallyError`, so the CLI exits with code 2) names every bad file and its
reason in one line and carries the report of the files that did load (`error.report`).

Per file:
- One transaction: the rows and the `raw._loaded_files` entry commit together, or nothing.
- A file whose sha256 (of its bytes) is already in `raw._loaded_files` adds nothing and is
  reported as skipped, whatever its name.
- A malformed row (a JSON Lines line that is not a JSON object, a CSV row with the wrong
  number of fields) still lands: data columns null, `_load_error` set, `_raw_record` the
  line as received. The report lists it; it is not an error.
- `_raw_record` is the line without its line ending (CSV: all physical lines of the row);
  null for Parquet. Blank lines are not rows (their lines still count).
- `_line_number`: JSON Lines, the physical line (1 = first line); CSV, counted from the
  header (1 = the first line after it, so a row's physical line minus one for a one-line
  header); Parquet, the row number from 1. The report's malformed-row lines are physical
  line numbers of the row's start (what an editor shows).
- JSON Lines values: a string as is; a number as its exact text; true/false; an object
  or array as compact JSON text (key order and number text as received); null or absent
  is NULL; unknown keys are only in `_raw_record`.
- CSV: the header is matched case-insensitively (surrounding spaces ignored), extra
  columns are ignored, an empty cell is NULL.
- Parquet: read and inserted by DuckDB in one statement; nested values become JSON text.
- `usage_events.received_at` null or empty: the file's `_loaded_at` as ISO 8601 UTC text
  (`2026-11-26T06:45:00.123Z`). `_loaded_at` is taken per file (UTC, millisecond
  precision, strictly increasing within a run, so later files of a run load later).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import json
import json.encoder
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, NamedTuple

import duckdb
import pyarrow as pa
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tally.errors import TallyError
from tally.project import duckdb_path
from tally.raw_tables import (
    LOADED_FILES_TABLE,
    RAW_SCHEMA,
    RAW_TABLES,
    RawTable,
    raw_ddl,
    table_for_file_name,
)

FORMATS_BY_SUFFIX: dict[str, str] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
}
BATCH_ROWS = 100_000
PRINTED_MALFORMED_ROWS = 20
PRINTED_FAILURES = 10
MALFORMED_JSON = "malformed: line is not valid JSON"
MALFORMED_NOT_OBJECT = "malformed: line is not a JSON object"
_BATCH_VIEW = "_tally_load_batch"
_CHUNK_BYTES = 8 << 20
_GLOB_ESCAPES = str.maketrans({"[": "[[]", "*": "[*]", "?": "[?]"})


class MalformedRow(NamedTuple):
    """A row that landed unsplit: its physical line in the file and why."""

    line: int
    reason: str


@dataclass
class FileLoad:
    """What happened to one file: loaded (rows, malformed rows) or skipped."""

    path: Path
    table: str
    sha256: str
    rows_loaded: int = 0
    malformed: list[MalformedRow] = field(default_factory=list)
    skipped: bool = False
    already_loaded_as: str | None = None


@dataclass(frozen=True)
class FileFailure:
    """A file that was refused: nothing of it was loaded."""

    path: Path
    reason: str

    def message(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class LoadReport:
    """The outcome of one `load_paths` call, file by file."""

    database: Path
    files: list[FileLoad] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(file.rows_loaded for file in self.files)

    @property
    def malformed_count(self) -> int:
        return sum(len(file.malformed) for file in self.files)

    @property
    def skipped_count(self) -> int:
        return sum(file.skipped for file in self.files)


class LoadError(TallyError):
    """Some files were refused; `report` holds those that loaded and those that did not."""

    def __init__(self, report: LoadReport) -> None:
        self.report = report
        super().__init__(_failure_message(report))


class _Rejected(Exception):
    """A file cannot be loaded; `reason` says why (one line, without the file name)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = _one_line(reason)


@dataclass(frozen=True)
class _FileContext:
    """The loader columns that are the same for every row of one file."""

    file_name: str
    sha256: str
    loaded_at: datetime
    received_at: str | None = None

    @property
    def loaded_at_text(self) -> str:
        """The default of a missing `received_at`: the batch's receipt time when given,
        else `_loaded_at` as ISO 8601 UTC text."""
        if self.received_at is not None:
            return self.received_at
        millis = self.loaded_at.microsecond // 1000
        return f"{self.loaded_at:%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


# ---------------------------------------------------------------------------------------------
# Entry points


def load_paths(
    paths: list[Path], database: Path | None = None, received_at: str | None = None
) -> LoadReport:
    """Load files and folders into the raw tables of `database` (default: duckdb_path()).

    `received_at` (ISO 8601) is when the batch was received by the product's ingest: rows
    without their own received_at, malformed rows included, get it; by default the load time.

    Good files load (each in its own transaction) even when others are bad; then, if any
    file was refused, raises `LoadError` naming each bad file and its reason (see the module
    docstring). The DuckDB connection is closed before returning or raising.
    """
    database = Path(database) if database is not None else duckdb_path()
    report = LoadReport(database=database)
    files = _expand_paths([Path(path) for path in paths], report)
    connection: duckdb.DuckDBPyConnection | None = None
    previous_loaded_at: datetime | None = None
    try:
        for path in files:
            try:
                table, file_format = _classify(path)
                sha256 = _sha256(path)
                if connection is None:
                    connection = _connect(database)
                previous_loaded_at = _next_loaded_at(previous_loaded_at)
                context = _FileContext(path.name, sha256, previous_loaded_at, received_at)
                report.files.append(_load_file(connection, path, table, file_format, context))
            except _Rejected as rejected:
                report.failures.append(FileFailure(path, rejected.reason))
    finally:
        if connection is not None:
            connection.close()
    if report.failures:
        raise LoadError(report)
    return report


def print_report(report: LoadReport, console: Console) -> None:
    """Print one line per file, the malformed rows (at most 20, with a count of the rest), and
    the refused files if any (the report of a `LoadError`)."""
    if not report.files and not report.failures:
        console.print("nothing to load")
        return
    if report.files:
        console.print(_files_table(report))
    _print_malformed(report, console)
    for failure in report.failures:
        console.print(f"  not loaded: {escape(failure.message())}", highlight=False, soft_wrap=True)
    console.print(
        f"{report.rows_loaded} rows loaded from {len(report.files) - report.skipped_count} "
        f"file(s), {report.skipped_count} skipped, {report.malformed_count} malformed row(s); "
        f"warehouse: {escape(str(report.database))}",
        highlight=False,
        soft_wrap=True,
    )


# ---------------------------------------------------------------------------------------------
# Finding and classifying files


def _expand_paths(paths: list[Path], report: LoadReport) -> list[Path]:
    """Files in argument order; a folder's files recursively, sorted, hidden names skipped."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(_folder_files(path))
        elif path.is_file():
            files.append(path)
        else:
            report.failures.append(FileFailure(path, "no such file or folder"))
    return files


def _folder_files(folder: Path) -> list[Path]:
    found = (
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
    return sorted(found)


def _classify(path: Path) -> tuple[RawTable, str]:
    """The table and format of a file, by its name; refused when either is unknown."""
    file_format = FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if file_format is None:
        raise _Rejected(
            f"unsupported file type '{path.suffix or '(none)'}' "
            "(expected .csv, .jsonl, .ndjson, .json or .parquet)"
        )
    table = table_for_file_name(path.name)
    if table is None:
        names = ", ".join(table.name for table in RAW_TABLES)
        raise _Rejected(f"no raw table for this file name (it must start with one of: {names})")
    return table, file_format


def _sha256(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as error:
        raise _Rejected(f"cannot read the file: {error.strerror or error}") from error


# ---------------------------------------------------------------------------------------------
# The warehouse and one file's transaction


def _connect(database: Path) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file and create the raw schema and tables if missing."""
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(str(database))
    except (OSError, duckdb.Error) as error:
        raise TallyError(
            f"cannot open the warehouse {database}: {_one_line(str(error))}"
        ) from error
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("SET enable_progress_bar = false")
        for statement in raw_ddl():
            connection.execute(statement)
    except duckdb.Error as error:
        connection.close()
        message = f"cannot create the raw tables in {database}: {_one_line(str(error))}"
        raise TallyError(message) from error
    return connection


def _next_loaded_at(previous: datetime | None) -> datetime:
    """Now in UTC (naive, milliseconds), strictly after the previous file's `_loaded_at`."""
    now = datetime.now(UTC).replace(tzinfo=None)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    if previous is not None and now <= previous:
        now = previous + timedelta(milliseconds=1)
    return now


def _load_file(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    table: RawTable,
    file_format: str,
    context: _FileContext,
) -> FileLoad:
    """Load one file in one transaction, or skip it when its hash is already recorded."""
    result = FileLoad(path=path, table=table.qualified_name, sha256=context.sha256)
    connection.execute("BEGIN TRANSACTION")
    try:
        result.already_loaded_as = _already_loaded_as(connection, context.sha256)
        if result.already_loaded_as is not None:
            result.skipped = True
            connection.execute("ROLLBACK")
            return result
        result.rows_loaded, result.malformed = _LOADERS[file_format](
            connection, path, table, context
        )
        _record_file(connection, table, context, result)
        connection.execute("COMMIT")
    except duckdb.Error as error:
        _rollback(connection)
        raise _Rejected(f"could not load: {error}") from error
    except BaseException:
        _rollback(connection)
        raise
    return result


def _rollback(connection: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # a failed COMMIT leaves nothing to roll back
        connection.execute("ROLLBACK")


def _already_loaded_as(connection: duckdb.DuckDBPyConnection, sha256: str) -> str | None:
    rows = connection.execute(
        f"SELECT file_name FROM {RAW_SCHEMA}.{LOADED_FILES_TABLE} WHERE file_sha256 = ?",
        [sha256],
    ).fetchall()
    return rows[0][0] if rows else None


def _record_file(
    connection: duckdb.DuckDBPyConnection, table: RawTable, context: _FileContext, load: FileLoad
) -> None:
    connection.execute(
        f"INSERT INTO {RAW_SCHEMA}.{LOADED_FILES_TABLE} "
        "(file_sha256, file_name, table_name, row_count, malformed_row_count, loaded_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            context.sha256,
            context.file_name,
            table.name,
            load.rows_loaded,
            len(load.malformed),
            context.loaded_at,
        ],
    )


# ---------------------------------------------------------------------------------------------
# Rows parsed in Python (JSON Lines, CSV), inserted in Arrow batches


_Row = tuple[object, ...]  # (line_number, load_error, raw_record, *data_columns)
_Parsed = tuple[pa.Table, list[MalformedRow]]


def _rows_table(rows: list[_Row], columns: tuple[str, ...]) -> pa.Table:
    """Parsed rows as an Arrow table: `_line_number`, `_load_error`, `_raw_record`, data."""
    names = ["_line_number", "_load_error", "_raw_record", *columns]
    types = [pa.int64(), *([pa.string()] * (len(names) - 1))]
    values = list(zip(*rows, strict=True)) or [() for _ in names]
    arrays = [pa.array(column, type=kind) for column, kind in zip(values, types, strict=True)]
    return pa.Table.from_arrays(arrays, names=names)


class _BatchInserter:
    """Inserts Arrow batches of parsed rows into one raw table, counting rows and malformed ones.

    The default of an empty `received_at` is applied in SQL, to the rows that were split.
    """

    def __init__(
        self, connection: duckdb.DuckDBPyConnection, table: RawTable, context: _FileContext
    ) -> None:
        self.connection = connection
        self.parameters = [context.file_name, context.sha256, context.loaded_at]
        self.sql = _batch_insert_sql(table, context)
        self.count = 0
        self.malformed: list[MalformedRow] = []

    def insert(self, batch: pa.Table, malformed: list[MalformedRow]) -> None:
        self.malformed.extend(malformed)
        if batch.num_rows == 0:
            return
        self.connection.register(_BATCH_VIEW, batch)
        try:
            self.connection.execute(self.sql, self.parameters)
        finally:
            self.connection.unregister(_BATCH_VIEW)
        self.count += batch.num_rows

    def result(self) -> tuple[int, list[MalformedRow]]:
        return self.count, self.malformed


def _batch_insert_sql(table: RawTable, context: _FileContext) -> str:
    default = _sql_string(context.loaded_at_text)
    selected = [
        f"coalesce(nullif({column}, ''), {default})" if column == "received_at" else column
        for column in table.columns
    ]
    return (
        f"INSERT INTO {table.qualified_name} ({', '.join(table.columns)}, _file_name, "
        "_file_sha256, _line_number, _loaded_at, _load_error, _raw_record) "
        f"SELECT {', '.join(selected)}, ?, ?, _line_number, CAST(? AS TIMESTAMP), _load_error, "
        f"_raw_record FROM {_BATCH_VIEW}"
    )


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _decoded_chunks(handle: BinaryIO) -> Iterator[tuple[int, str]]:
    """(first line number, UTF-8 text) in large pieces, each of whole lines; BOM dropped."""
    if handle.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
        handle.seek(0)
    carry = b""
    lines_before = 0
    while True:
        block = handle.read(_CHUNK_BYTES)
        data = carry + block
        cut = len(data) if not block else data.rfind(b"\n") + 1
        piece, carry = data[:cut], data[cut:]
        if piece:
            yield lines_before + 1, _decode_utf8(piece, lines_before)
            lines_before += piece.count(b"\n")
        if not block:
            return


def _decode_utf8(data: bytes, lines_before: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = lines_before + data.count(b"\n", 0, error.start) + 1
        raise _Rejected(f"not UTF-8 text (line {line})") from error


def _without_line_ending(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith(("\n", "\r")):
        return text[:-1]
    return text


# JSON Lines ----------------------------------------------------------------------------------


class _JsonNumber(str):
    """A JSON number kept as the exact text it had in the file (the exact path)."""

    __slots__ = ()


class _InexactFloat(Exception):
    """A float whose Python text differs from the file's (`1.10`, `1E3`): use the exact path."""


def _round_tripping_float(text: str) -> float:
    value = float(text)
    if repr(value) != text:
        raise _InexactFloat
    return value


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


# The fast path decodes in C and re-encodes nested values in C; it is exact as long as every
# float prints back as it was written. A line with any other float goes the exact path, which
# keeps every number's text.
_FAST_DECODER = json.JSONDecoder(parse_float=_round_tripping_float, parse_constant=_reject_constant)
_EXACT_DECODER = json.JSONDecoder(
    parse_float=_JsonNumber, parse_int=_JsonNumber, parse_constant=_reject_constant
)


def _compact_json_encoder() -> Callable[[object], str]:
    """`json.dumps(value, separators=(",", ":"), ensure_ascii=False)` without its per-call setup."""
    make_encoder = json.encoder.c_make_encoder
    if make_encoder is None:
        return json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    encode = make_encoder(
        None, None, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    return lambda value: "".join(encode(value, 0))


_COMPACT_JSON = _compact_json_encoder()
_JSON_STRING = json.JSONEncoder(ensure_ascii=False).encode


def _fast_column_text(value: object) -> str:
    """A non-string value from the fast decoder as column text (JSON text)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (dict, list)):
        return _COMPACT_JSON(value)
    return repr(value)


def _exact_json_text(value: object) -> str:
    """Compact JSON text of a value from the exact decoder: numbers as written."""
    if isinstance(value, dict):
        items = ",".join(
            f"{_JSON_STRING(key)}:{_exact_json_text(item)}" for key, item in value.items()
        )
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ",".join(_exact_json_text(item) for item in value) + "]"
    if isinstance(value, _JsonNumber):
        return str(value)
    if isinstance(value, str):
        return _JSON_STRING(value)
    if value is None:
        return "null"
    return "true" if value else "false"


def _exact_column_text(value: object) -> str:
    """A non-null value from the exact decoder as column text."""
    if isinstance(value, str):
        return str(value)
    return _exact_json_text(value)


def _decode_json_line(line: str) -> tuple[object, Callable[[object], str]]:
    """The decoded line and the function that turns its non-string values into column text."""
    try:
        return _FAST_DECODER.decode(line), _fast_column_text
    except _InexactFloat:
        return _EXACT_DECODER.decode(line), _exact_column_text


def _parse_jsonl_piece(first_line: int, text: str, columns: tuple[str, ...]) -> _Parsed:
    """Parse whole JSON lines (numbered from `first_line`) into an Arrow batch."""
    rows: list[_Row] = []
    malformed: list[MalformedRow] = []
    empty = (None,) * len(columns)
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    for number, line in enumerate(lines, start=first_line):
        if line.endswith("\r"):
            line = line[:-1]  # the CR of a CRLF line ending
        try:
            record, to_text = _decode_json_line(line)
        except (ValueError, RecursionError):
            if line.strip():  # a blank line is not a row
                malformed.append(MalformedRow(number, MALFORMED_JSON))
                rows.append((number, MALFORMED_JSON, line, *empty))
            continue
        if type(record) is not dict:
            malformed.append(MalformedRow(number, MALFORMED_NOT_OBJECT))
            rows.append((number, MALFORMED_NOT_OBJECT, line, *empty))
            continue
        values = [
            value if value is None or type(value) is str else to_text(value)
            for value in map(record.get, columns)
        ]
        rows.append((number, None, line, *values))
    return _rows_table(rows, columns), malformed


def _load_jsonl(
    connection: duckdb.DuckDBPyConnection, path: Path, table: RawTable, context: _FileContext
) -> tuple[int, list[MalformedRow]]:
    inserter = _BatchInserter(connection, table, context)
    with path.open("rb") as handle:
        for first_line, text in _decoded_chunks(handle):
            inserter.insert(*_parse_jsonl_piece(first_line, text, table.columns))
    return inserter.result()


# CSV -----------------------------------------------------------------------------------------


class _CsvLines:
    """Feeds the csv module the file's lines and remembers those of the row being read."""

    def __init__(self, handle: BinaryIO) -> None:
        self.chunks = _decoded_chunks(handle)
        self.pending: list[str] = []
        self.consumed = 0

    def __iter__(self) -> Iterator[str]:
        pending = self.pending
        for _first_line, chunk in self.chunks:
            for line in io.StringIO(chunk, newline=""):
                pending.append(line)
                yield line

    def take_row(self) -> tuple[int, str]:
        """The physical line the row started on, and its text without the final line ending."""
        start = self.consumed + 1
        pending = self.pending
        self.consumed += len(pending)
        text = pending[0] if len(pending) == 1 else "".join(pending)
        pending.clear()
        return start, _without_line_ending(text)


def _header_indexes(header: list[str], table: RawTable) -> list[int | None]:
    """For each table column, its position in the CSV header (None: an optional column absent)."""
    names = [name.strip().lower() for name in header]
    missing = [column for column in table.required if column not in names]
    if missing:
        raise _Rejected(f"the CSV header lacks required column(s): {', '.join(missing)}")
    duplicated = sorted({name for name in names if name in table.columns and names.count(name) > 1})
    if duplicated:
        raise _Rejected(f"the CSV header repeats column(s): {', '.join(duplicated)}")
    return [names.index(column) if column in names else None for column in table.columns]


def _csv_rows(source: _CsvLines) -> Iterator[tuple[int, str, list[str] | str]]:
    """(start line, text, fields) per non-blank CSV row; fields is the reason for a bad row."""
    rows = csv.reader(iter(source))
    while True:
        try:
            fields: list[str] | str = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            fields = f"malformed: {error}"
        start, text = source.take_row()
        if fields:
            yield start, text, fields


def _load_csv(
    connection: duckdb.DuckDBPyConnection, path: Path, table: RawTable, context: _FileContext
) -> tuple[int, list[MalformedRow]]:
    inserter = _BatchInserter(connection, table, context)
    empty = (None,) * len(table.columns)
    with path.open("rb") as handle:
        source = _CsvLines(handle)
        rows = _csv_rows(source)
        header_start, _text, header = next(rows, (0, "", "no CSV header row (the file is empty)"))
        if isinstance(header, str):
            raise _Rejected(header if header_start == 0 else f"unreadable CSV header: {header}")
        indexes = _header_indexes(header, table)
        width, header_end = len(header), source.consumed
        batch: list[_Row] = []
        malformed: list[MalformedRow] = []
        for start, text, fields in rows:
            if isinstance(fields, str) or len(fields) != width:
                reason = (
                    fields
                    if isinstance(fields, str)
                    else f"malformed: {len(fields)} fields, the header has {width}"
                )
                malformed.append(MalformedRow(start, reason))
                batch.append((start - header_end, reason, text, *empty))
            else:
                values = [None if index is None else fields[index] or None for index in indexes]
                batch.append((start - header_end, None, text, *values))
            if len(batch) >= BATCH_ROWS:
                inserter.insert(_rows_table(batch, table.columns), malformed)
                batch, malformed = [], []
        inserter.insert(_rows_table(batch, table.columns), malformed)
    return inserter.result()


# Parquet -------------------------------------------------------------------------------------

_JSON_TYPE_PREFIXES = ("STRUCT", "MAP", "JSON", "UNION")


def _varchar_expression(name: str, duckdb_type: str) -> str:
    """A Parquet column as text: nested values as JSON, everything else cast to VARCHAR."""
    quoted = '"' + name.replace('"', '""') + '"'
    if duckdb_type.upper().startswith(_JSON_TYPE_PREFIXES) or duckdb_type.endswith("]"):
        return f"CAST(to_json({quoted}) AS VARCHAR)"
    return f"CAST({quoted} AS VARCHAR)"


def _parquet_source(path: Path) -> str:
    """`read_parquet(...)` of exactly this file (glob characters in its name escaped)."""
    literal = str(path.resolve()).translate(_GLOB_ESCAPES).replace("'", "''")
    return f"read_parquet('{literal}', file_row_number = true)"


def _parquet_schema(
    connection: duckdb.DuckDBPyConnection, source: str
) -> dict[str, tuple[str, str]]:
    try:
        described = connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as error:
        raise _Rejected(f"not a readable Parquet file: {error}") from error
    return {row[0].lower(): (row[0], row[1]) for row in described if row[0] != "file_row_number"}


def _load_parquet(
    connection: duckdb.DuckDBPyConnection, path: Path, table: RawTable, context: _FileContext
) -> tuple[int, list[MalformedRow]]:
    source = _parquet_source(path)
    schema = _parquet_schema(connection, source)
    missing = [column for column in table.required if column not in schema]
    if missing:
        raise _Rejected(f"the Parquet file lacks required column(s): {', '.join(missing)}")
    expressions = []
    for column in table.columns:
        expression = _varchar_expression(*schema[column]) if column in schema else "NULL"
        if column == "received_at":
            default = _sql_string(context.loaded_at_text)
            expression = f"coalesce(nullif({expression}, ''), {default})"
        expressions.append(expression)
    sql = (
        f"INSERT INTO {table.qualified_name} ({', '.join(table.columns)}, _file_name, "
        "_file_sha256, _line_number, _loaded_at, _load_error, _raw_record) "
        f"SELECT {', '.join(expressions)}, ?, ?, file_row_number + 1, CAST(? AS TIMESTAMP), "
        f"NULL, NULL FROM {source}"
    )
    parameters = [context.file_name, context.sha256, context.loaded_at]
    try:
        inserted = connection.execute(sql, parameters).fetchall()
    except duckdb.Error as error:
        raise _Rejected(f"not a readable Parquet file: {error}") from error
    return int(inserted[0][0]), []


_LOADERS: dict[
    str,
    Callable[
        [duckdb.DuckDBPyConnection, Path, RawTable, _FileContext], tuple[int, list[MalformedRow]]
    ],
] = {"csv": _load_csv, "jsonl": _load_jsonl, "parquet": _load_parquet}


# ---------------------------------------------------------------------------------------------
# Messages and the printed report


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _failure_message(report: LoadReport) -> str:
    failures = report.failures
    listed = "; ".join(failure.message() for failure in failures[:PRINTED_FAILURES])
    if len(failures) > PRINTED_FAILURES:
        listed += f"; and {len(failures) - PRINTED_FAILURES} more"
    if len(failures) == 1 and not report.files:
        return listed + " (nothing loaded)"
    done = f" ({len(report.files)} other file(s) loaded or skipped)" if report.files else ""
    return f"{len(failures)} file(s) not loaded: {listed}{done}"


def _status(file: FileLoad) -> str:
    if not file.skipped:
        return "loaded"
    if file.already_loaded_as and file.already_loaded_as != file.path.name:
        return f"skipped (already loaded as {file.already_loaded_as})"
    return "skipped (already loaded)"


def _files_table(report: LoadReport) -> Table:
    table = Table(title="tally load")
    table.add_column("file", overflow="fold")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("malformed", justify="right")
    table.add_column("status", overflow="fold")
    for file in report.files:
        table.add_row(
            escape(str(file.path)),
            file.table,
            str(file.rows_loaded),
            str(len(file.malformed)),
            escape(_status(file)),
        )
    return table


def _print_malformed(report: LoadReport, console: Console) -> None:
    rows = [(file.path, row) for file in report.files for row in file.malformed]
    if not rows:
        return
    console.print(f"{len(rows)} malformed row(s) landed with _load_error set:", highlight=False)
    for path, row in rows[:PRINTED_MALFORMED_ROWS]:
        console.print(
            f"  {escape(str(path))} line {row.line}: {escape(row.reason)}",
            highlight=False,
            soft_wrap=True,
        )
    if len(rows) > PRINTED_MALFORMED_ROWS:
        console.print(f"  ... and {len(rows) - PRINTED_MALFORMED_ROWS} more", highlight=False)
