"""The loader: raw landing tables, idempotence, malformed rows, refused files, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console
from tally.cli import app
from tally.errors import TallyError
from tally.load import LoadError, LoadReport, load_paths, print_report
from tally.raw_tables import TABLES_BY_NAME
from typer.testing import CliRunner

EVENT_COLUMNS = TABLES_BY_NAME["usage_events"].columns
EVENTS = [
    {
        "event_id": "evt-1",
        "occurred_at": "2026-11-01T10:00:00Z",
        "received_at": "2026-11-01T10:00:02Z",
        "subject": "key_1",
        "event_type": "api_call",
        "properties": '{"requests":1,"region":"eu, west"}',
    },
    {
        "event_id": "evt-2",
        "occurred_at": "2026-11-01T11:00:00+02:00",
        "received_at": "2026-11-01T09:00:05Z",
        "subject": "0xAbCdEf0123456789abcdef0123456789ABCDEF01",
        "event_type": "tokens",
        "properties": '{"tokens":1.50,"model":"m-1"}',
    },
    {
        "event_id": "evt-3",
        "occurred_at": "2026-11-02T00:00:00",
        "received_at": "2026-11-02T00:00:01Z",
        "subject": "ws_1",
        "event_type": "storage",
        "properties": '{"bytes":123456789012345678901234567890}',
    },
]


# ---------------------------------------------------------------------------------------------
# Helpers


def query(database: Path, sql: str) -> list[tuple]:
    connection = duckdb.connect(str(database), read_only=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def event_rows(database: Path) -> list[tuple]:
    columns = ", ".join(EVENT_COLUMNS)
    return query(database, f"select {columns} from raw.usage_events order by event_id")


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def csv_field(value: str) -> str:
    if any(char in value for char in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_events_csv(path: Path, events: list[dict[str, str]]) -> Path:
    lines = [",".join(EVENT_COLUMNS)]
    lines += [",".join(csv_field(event[column]) for column in EVENT_COLUMNS) for event in events]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_events_parquet(path: Path, events: list[dict[str, str]]) -> Path:
    table = pa.table({column: [event[column] for event in events] for column in EVENT_COLUMNS})
    pq.write_table(table, path)
    return path


def run_cli(*args: str) -> object:
    return CliRunner().invoke(app, ["load", *args])


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "tally.duckdb"


# ---------------------------------------------------------------------------------------------
# Idempotence


def test_same_file_twice_is_skipped(tmp_path: Path, database: Path) -> None:
    path = write_jsonl(tmp_path / "usage_events_a.jsonl", [json.dumps(e) for e in EVENTS])

    first = load_paths([path], database=database)
    second = load_paths([path], database=database)

    assert first.files[0].rows_loaded == 3 and not first.files[0].skipped
    assert second.files[0].skipped and second.files[0].rows_loaded == 0
    assert query(database, "select count(*) from raw.usage_events") == [(3,)]
    assert query(database, "select file_name, table_name, row_count from raw._loaded_files") == [
        ("usage_events_a.jsonl", "usage_events", 3)
    ]


def test_same_content_under_another_name_is_skipped(tmp_path: Path, database: Path) -> None:
    first = write_jsonl(tmp_path / "usage_events_a.jsonl", [json.dumps(e) for e in EVENTS])
    copy = tmp_path / "usage_events_copy.jsonl"
    copy.write_bytes(first.read_bytes())

    report = load_paths([first, copy], database=database)

    assert [file.skipped for file in report.files] == [False, True]
    assert report.files[1].already_loaded_as == "usage_events_a.jsonl"
    assert query(database, "select count(*) from raw.usage_events") == [(3,)]


def test_connection_is_closed_after_loading(tmp_path: Path, database: Path) -> None:
    path = write_jsonl(tmp_path / "usage_events.jsonl", [json.dumps(EVENTS[0])])
    load_paths([path], database=database)

    # Another process can take the file lock (as dbt must) once load_paths has returned.
    code = f"import duckdb; duckdb.connect({str(database)!r}).close()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ---------------------------------------------------------------------------------------------
# Malformed rows


MALFORMED_JSONL = [
    json.dumps(EVENTS[0]),
    '{"event_id": "evt-x", "subject": ',
    json.dumps(EVENTS[1]),
    "[1, 2, 3]",
    json.dumps(EVENTS[2]),
]


def test_malformed_jsonl_lines_land_with_reason(tmp_path: Path, database: Path) -> None:
    path = write_jsonl(tmp_path / "usage_events.jsonl", MALFORMED_JSONL)

    report = load_paths([path], database=database, received_at="2026-10-31T23:59:59Z")

    file = report.files[0]
    assert file.path == path and file.rows_loaded == 5
    assert file.malformed == [
        (2, "malformed: line is not valid JSON"),
        (4, "malformed: line is not a JSON object"),
    ]
    rows = query(
        database,
        "select _line_number, event_id, received_at, properties, _load_error, _raw_record "
        "from raw.usage_events where _load_error is not null order by _line_number",
    )
    # A malformed line has no received_at of its own: it gets the batch's receipt time.
    batch = "2026-10-31T23:59:59Z"
    assert rows == [
        (2, None, batch, None, "malformed: line is not valid JSON", MALFORMED_JSONL[1]),
        (4, None, batch, None, "malformed: line is not a JSON object", "[1, 2, 3]"),
    ]
    good = query(
        database,
        "select _line_number, _raw_record from raw.usage_events where _load_error is null "
        "order by _line_number",
    )
    assert good == [(1, MALFORMED_JSONL[0]), (3, MALFORMED_JSONL[2]), (5, MALFORMED_JSONL[4])]


def test_cli_prints_malformed_rows_and_exits_zero(tmp_path: Path, database: Path) -> None:
    path = write_jsonl(tmp_path / "usage_events.jsonl", MALFORMED_JSONL)

    result = run_cli(str(path), "--database", str(database))

    assert result.exit_code == 0, result.output
    assert f"{path} line 2: malformed: line is not valid JSON" in result.output
    assert f"{path} line 4: malformed: line is not a JSON object" in result.output


def test_printed_malformed_rows_are_capped(tmp_path: Path, database: Path) -> None:
    path = write_jsonl(tmp_path / "usage_events.jsonl", ["not json"] * 25)
    report = load_paths([path], database=database)
    console = Console(record=True, width=200)

    print_report(report, console)

    text = console.export_text()
    assert text.count("malformed: line is not valid JSON") == 20
    assert "... and 5 more" in text


def test_csv_short_row_is_reported_and_the_rest_loaded(tmp_path: Path, database: Path) -> None:
    path = write_events_csv(tmp_path / "usage_events.csv", EVENTS)
    lines = path.read_text().splitlines()
    lines.insert(2, "evt-short,2026-11-01T10:00:00Z")
    path.write_text("\n".join(lines) + "\n")

    report = load_paths([path], database=database)

    assert report.files[0].rows_loaded == 4
    assert report.files[0].malformed == [(3, "malformed: 2 fields, the header has 6")]
    assert query(
        database,
        "select _line_number, event_id, _raw_record from raw.usage_events "
        "where _load_error is not null",
    ) == [(2, None, "evt-short,2026-11-01T10:00:00Z")]
    assert [row[0] for row in event_rows(database) if row[0]] == ["evt-1", "evt-2", "evt-3"]


def test_csv_quoted_newlines_keep_physical_lines(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "usage_events.csv"
    path.write_bytes(
        b"event_id,occurred_at,subject,event_type,properties\r\n"
        b'e1,2026-11-01,k1,api_call,"{""a"": 1,\r\n""b"": 2}"\r\n'
        b"\r\n"
        b"e2,2026-11-01,k1,api_call\r\n"
        b"e3,2026-11-01,k1,api_call,\r\n"
    )

    report = load_paths([path], database=database)

    assert report.files[0].malformed == [(5, "malformed: 4 fields, the header has 5")]
    rows = query(
        database,
        "select _line_number, event_id, properties, _raw_record from raw.usage_events "
        "order by _line_number",
    )
    assert rows == [
        (1, "e1", '{"a": 1,\r\n"b": 2}', 'e1,2026-11-01,k1,api_call,"{""a"": 1,\r\n""b"": 2}"'),
        (4, None, None, "e2,2026-11-01,k1,api_call"),
        (5, "e3", None, "e3,2026-11-01,k1,api_call,"),
    ]


# ---------------------------------------------------------------------------------------------
# Values


def test_jsonl_values_become_text(tmp_path: Path, database: Path) -> None:
    line = (
        '{"event_id": 42, "occurred_at": "2026-11-01T10:00:00Z", "subject": 1.50, '
        '"event_type": true, "properties": {"b": 1.10, "a": [1e3, "\\u00e9", null], '
        '"n": 123456789012345678901234567890}, "extra": "ignored"}'
    )
    path = write_jsonl(tmp_path / "usage_events.jsonl", [line, '{"event_id": "e2", "x": 0.5}'])

    load_paths([path], database=database)

    assert query(
        database,
        "select event_id, subject, event_type, properties from raw.usage_events "
        "order by _line_number",
    ) == [
        ("42", "1.50", "true", '{"b":1.10,"a":[1e3,"é",null],"n":123456789012345678901234567890}'),
        ("e2", None, None, None),
    ]


def test_jsonl_object_properties_match_json_dumps(tmp_path: Path, database: Path) -> None:
    properties = {"z": 1, "a": {"nested": [0.25, 'x, "y"', False]}, "é": None}
    line = json.dumps({"event_id": "e1", "properties": properties})
    path = write_jsonl(tmp_path / "usage_events.jsonl", [line])

    load_paths([path], database=database)

    expected = json.dumps(properties, separators=(",", ":"), ensure_ascii=False)
    assert query(database, "select properties from raw.usage_events") == [(expected,)]


def test_parquet_and_csv_give_the_same_data_columns(tmp_path: Path) -> None:
    csv_database, parquet_database = tmp_path / "csv.duckdb", tmp_path / "parquet.duckdb"
    csv_path = write_events_csv(tmp_path / "usage_events.csv", EVENTS)
    parquet_path = write_events_parquet(tmp_path / "usage_events.parquet", EVENTS)

    load_paths([csv_path], database=csv_database)
    load_paths([parquet_path], database=parquet_database)

    expected = [tuple(event[column] for column in EVENT_COLUMNS) for event in EVENTS]
    assert event_rows(csv_database) == expected
    assert event_rows(parquet_database) == expected
    assert query(parquet_database, "select _line_number, _raw_record from raw.usage_events") == [
        (1, None),
        (2, None),
        (3, None),
    ]


def test_parquet_nested_and_typed_columns(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "usage_events[1].parquet"  # glob characters are taken literally
    table = pa.table(
        {
            "event_id": ["e1", "e2"],
            "occurred_at": ["2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z"],
            "subject": ["k1", "k2"],
            "event_type": ["api_call", "api_call"],
            "properties": [{"tokens": 5, "model": "m"}, {"tokens": 7, "model": None}],
            "EXTRA": [1, 2],
        }
    )
    pq.write_table(table, path)
    pq.write_table(table.slice(0, 1), tmp_path / "usage_events1.parquet")

    load_paths([path], database=database)

    assert query(database, "select event_id, properties from raw.usage_events") == [
        ("e1", '{"tokens":5,"model":"m"}'),
        ("e2", '{"tokens":7,"model":null}'),
    ]


def test_received_at_defaults_to_the_load_time(tmp_path: Path, database: Path) -> None:
    without = {key: value for key, value in EVENTS[0].items() if key != "received_at"}
    jsonl = write_jsonl(tmp_path / "usage_events.jsonl", [json.dumps(without)])
    empty = dict(EVENTS[1], received_at="")
    csv_path = write_events_csv(tmp_path / "usage_events.csv", [empty, EVENTS[2]])
    parquet_path = tmp_path / "usage_events.parquet"
    pq.write_table(pa.table({k: [v] for k, v in without.items()}), parquet_path)
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    load_paths([jsonl, csv_path, parquet_path], database=database)

    rows = query(
        database,
        "select _file_name, event_id, received_at, _loaded_at from raw.usage_events "
        "order by _loaded_at, event_id",
    )
    defaulted = [row for row in rows if row[1] != "evt-3"]
    assert [row[:2] for row in defaulted] == [
        ("usage_events.jsonl", "evt-1"),
        ("usage_events.csv", "evt-2"),
        ("usage_events.parquet", "evt-1"),
    ]
    for _name, _event, received_at, loaded_at in defaulted:
        assert loaded_at >= before
        assert received_at == loaded_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert rows[2][:3] == ("usage_events.csv", "evt-3", "2026-11-02T00:00:01Z")
    assert len({row[3] for row in rows}) == 3  # one _loaded_at per file, in load order


def test_jsonl_bom_crlf_and_blank_lines(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "usage_events.ndjson"
    path.write_bytes(
        b'\xef\xbb\xbf{"event_id": "e1"}\r\n\r\n   \n{"event_id": "e2"}\r\n{"event_id": "e3"}'
    )

    report = load_paths([path], database=database)

    assert report.files[0].rows_loaded == 3 and report.files[0].malformed == []
    assert query(
        database, "select _line_number, event_id, _raw_record from raw.usage_events order by 1"
    ) == [
        (1, "e1", '{"event_id": "e1"}'),
        (4, "e2", '{"event_id": "e2"}'),
        (5, "e3", '{"event_id": "e3"}'),
    ]


def test_identity_csv_header_is_matched_loosely(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "Organisations_2026.CSV"
    path.write_text(
        " Organisation_ID ,organisation_name,billing_account_id,valid_from,valid_to,"
        "is_internal,notes\n"
        'org_1,"Acme, Inc.",ba_1,2026-01-01,,TRUE,ignored\n'
    )

    load_paths([path], database=database)

    assert query(
        database,
        "select organisation_id, organisation_name, valid_to, is_internal, _line_number "
        "from raw.organisations",
    ) == [("org_1", "Acme, Inc.", None, "TRUE", 1)]


def test_header_only_csv_is_recorded_with_no_rows(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "wallets.csv"
    path.write_text("wallet_address,workspace_id,valid_from,valid_to,is_test\n")

    report = load_paths([path], database=database)

    assert report.files[0].rows_loaded == 0
    assert query(database, "select table_name, row_count from raw._loaded_files") == [
        ("wallets", 0)
    ]


# ---------------------------------------------------------------------------------------------
# Folders and several files


def test_a_folder_loads_every_file_in_sorted_order(tmp_path: Path, database: Path) -> None:
    folder = tmp_path / "drop"
    (folder / "b").mkdir(parents=True)
    write_jsonl(folder / "usage_events_2.jsonl", [json.dumps(EVENTS[1])])
    write_events_csv(folder / "b" / "usage_events_3.csv", [EVENTS[2]])
    write_events_parquet(folder / "usage_events_1.parquet", [EVENTS[0]])
    (folder / "api_keys.csv").write_text(
        "api_key_id,workspace_id,valid_from,valid_to,is_test\nkey_1,ws_1,2026-01-01,,false\n"
    )
    (folder / ".DS_Store").write_bytes(b"\x00\x01")

    report = load_paths([folder], database=database)

    assert [file.path.name for file in report.files] == [
        "api_keys.csv",
        "usage_events_3.csv",
        "usage_events_1.parquet",
        "usage_events_2.jsonl",
    ]
    assert [row[0] for row in event_rows(database)] == ["evt-1", "evt-2", "evt-3"]
    assert query(database, "select api_key_id, valid_to, is_test from raw.api_keys") == [
        ("key_1", None, "false")
    ]


def test_good_files_load_and_bad_ones_are_listed(tmp_path: Path, database: Path) -> None:
    good = write_jsonl(tmp_path / "usage_events.jsonl", [json.dumps(EVENTS[0])])
    bad = tmp_path / "customers.csv"
    bad.write_text("id\n1\n")
    missing = tmp_path / "usage_events_missing.csv"

    with pytest.raises(LoadError) as raised:
        load_paths([bad, good, missing], database=database)

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("2 file(s) not loaded:")
    assert f"{bad}: no raw table for this file name" in message
    assert f"{missing}: no such file or folder" in message
    assert isinstance(raised.value.report, LoadReport)
    assert [file.path for file in raised.value.report.files] == [good]
    assert query(database, "select count(*) from raw.usage_events") == [(1,)]
    console = Console(record=True, width=300)
    print_report(raised.value.report, console)
    assert f"not loaded: {bad}: no raw table" in console.export_text()


# ---------------------------------------------------------------------------------------------
# Refused files: exit code 2, one line, nothing loaded


def assert_refused(result: object, path: Path, reason: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert str(path) in lines[0] and reason in lines[0]


def test_unknown_extension_is_refused(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "usage_events.xml"
    path.write_text("<events/>")

    result = run_cli(str(path), "--database", str(database))

    assert_refused(result, path, "unsupported file type '.xml'")
    assert not database.exists()


def test_unknown_table_is_refused(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("customer_id\nc1\n")

    result = run_cli(str(path), "--database", str(database))

    assert_refused(result, path, "no raw table for this file name")
    assert not database.exists()


def test_corrupt_parquet_is_refused(tmp_path: Path, database: Path) -> None:
    path = write_events_parquet(tmp_path / "usage_events.parquet", EVENTS)
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
    path.write_bytes(bytes(data[:-12]) + b"garbagePAR1")

    result = run_cli(str(path), "--database", str(database))

    assert_refused(result, path, "not a readable Parquet file")
    assert query(database, "select count(*) from raw.usage_events") == [(0,)]
    assert query(database, "select count(*) from raw._loaded_files") == [(0,)]


def test_corrupt_parquet_pages_leave_nothing(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "usage_events.parquet"
    events = [dict(EVENTS[0], event_id=f"evt-{i}") for i in range(5000)]
    pq.write_table(
        pa.table({column: [e[column] for e in events] for column in EVENT_COLUMNS}),
        path,
        compression="snappy",
        use_dictionary=False,
        row_group_size=1000,
    )
    data = bytearray(path.read_bytes())
    start = len(data) // 2
    data[start : start + 2000] = bytes(range(256)) * 7 + bytes(208)
    path.write_bytes(bytes(data))

    with pytest.raises(TallyError, match="not a readable Parquet file"):
        load_paths([path], database=database)

    assert query(database, "select count(*) from raw.usage_events") == [(0,)]


def test_csv_without_required_columns_is_refused(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "usage_events.csv"
    path.write_text("event_id,occurred_at\ne1,2026-11-01\n")

    with pytest.raises(TallyError) as raised:
        load_paths([path], database=database)

    assert str(raised.value) == (
        f"{path}: the CSV header lacks required column(s): subject, event_type, properties "
        "(nothing loaded)"
    )
    assert query(database, "select count(*) from raw.usage_events") == [(0,)]


def test_parquet_without_required_columns_is_refused(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "usage_events.parquet"
    pq.write_table(pa.table({"event_id": ["e1"]}), path)

    with pytest.raises(TallyError, match="the Parquet file lacks required column"):
        load_paths([path], database=database)


def test_file_that_is_not_utf8_loads_nothing(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "usage_events.jsonl"
    good = json.dumps(EVENTS[0]).encode()
    path.write_bytes(good + b"\n" + good + b"\n" + b'{"event_id": "caf\xe9"}\n')

    with pytest.raises(TallyError) as raised:
        load_paths([path], database=database)

    assert str(raised.value) == f"{path}: not UTF-8 text (line 3) (nothing loaded)"
    assert query(database, "select count(*) from raw.usage_events") == [(0,)]


def test_missing_path_is_refused(tmp_path: Path, database: Path) -> None:
    path = tmp_path / "nowhere" / "usage_events.csv"

    result = run_cli(str(path), "--database", str(database))

    assert_refused(result, path, "no such file or folder")
