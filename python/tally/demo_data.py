"""Deterministic demo data: identity files, usage events and a manifest of what they hold.

`generate(seed, events, out)` writes, under `out/`:

- `identity/{billing_accounts,organisations,workspaces,api_keys,wallets}.csv`
  (`tally.demo_identity`; the same for every seed);
- `events/usage_events-NNNNN.parquet`: exactly `events` rows, `CHUNK_ROWS` a file, each
  file generated from its own random stream (seed, file number) and written before the next
  is made, so memory stays flat whatever the size;
- `events/usage_events-stream.jsonl`: `STREAM_EVENTS` ordinary events of 31 October with
  `STREAM_UNPARSEABLE` lines that cannot be parsed among them (the malformed-line path);
- `manifest.json`: per period the rows landed and the bucket each falls in (billed,
  filtered, duplicates, quarantined by reason), the expected usage of the count and sum
  meters, and every file's row count and SHA-256.

The same seed gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import math
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tally.demo_events import (
    BUCKETS,
    MALFORMED,
    QUARANTINE_REASONS,
    USAGE_METERS,
    EventContext,
    IdKeys,
    Tally,
    build_context,
    generate_rows,
    render,
    stream_rows,
    tally_rows,
)
from tally.demo_identity import (
    INTERNAL_ACCOUNT_ID,
    MOVE_AT,
    MOVE_FROM_ACCOUNT_ID,
    MOVE_TO_ACCOUNT_ID,
    MOVED_KEY,
    TEST_WORKSPACE_ID,
    UNMAPPED_WALLETS,
    build_identity,
    iso_utc,
    write_identity,
)
from tally.demo_text import month_label, month_number
from tally.errors import TallyError
from tally.load import LoadReport

CHUNK_ROWS = 1_000_000
ROW_GROUP_ROWS = 250_000
MAX_EVENTS = 10_000_000_000
STREAM_EVENTS = 180
STREAM_UNPARSEABLE = 20
STREAM_FILE = "usage_events-stream.jsonl"
# The stream file's chunk number (for its random stream and its event ids).
STREAM_CHUNK = 0xFFFF
# The period the stream file's unparseable lines are counted in (see the manifest's rule).
STREAM_PERIOD = "2026-10"
# When the ingest received the stream file: the received_at of its lines that have none.
STREAM_RECEIVED_AT = "2026-10-31T23:59:59Z"

PARQUET_OPTIONS = {
    "row_group_size": ROW_GROUP_ROWS,
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": ["subject", "event_type"],
    "write_statistics": True,
}

UNPARSEABLE_RULE = (
    f"The {STREAM_UNPARSEABLE} lines of events/{STREAM_FILE} that cannot be parsed carry no "
    "readable occurred_at or received_at. Every other line of that file was received on "
    f"2026-10-31 (UTC), so they are counted in period {STREAM_PERIOD}: the period of the "
    "file's receipt. A loader that stamps its load time as their received_at puts them in "
    f"the load's month instead; reconcile by counting them in {STREAM_PERIOD}."
)


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the output folder, with forward slashes
    rows: int
    sha256: str


def _check_arguments(seed: int, events: int) -> None:
    if isinstance(events, bool) or not isinstance(events, int) or events <= 0:
        raise TallyError(f"events must be a positive whole number, not {events!r}")
    if events > MAX_EVENTS:
        raise TallyError(f"events must be at most {MAX_EVENTS:,}, not {events:,}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TallyError(f"seed must be a whole number >= 0, not {seed!r}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry(out: Path, path: Path, rows: int) -> FileEntry:
    return FileEntry(path.relative_to(out).as_posix(), rows, _sha256(path))


def _prepare(out: Path) -> Path:
    """Create the folders; remove event files a previous run left (they would be loaded)."""
    if out.exists() and not out.is_dir():
        raise TallyError(f"cannot write the demo data to {out}: it is not a folder")
    events_dir = out / "events"
    events_dir.mkdir(parents=True, exist_ok=True)
    (out / "identity").mkdir(exist_ok=True)
    for stale in sorted(events_dir.glob("usage_events-*")):
        stale.unlink()
    return events_dir


def chunk_sizes(events: int) -> list[int]:
    """Rows of each Parquet file."""
    return [
        min(CHUNK_ROWS, events - index * CHUNK_ROWS)
        for index in range(math.ceil(events / CHUNK_ROWS))
    ]


def _write_table(table: pa.Table, path: Path, out: Path) -> FileEntry:
    pq.write_table(table, path, **PARQUET_OPTIONS)
    return _entry(out, path, table.num_rows)


def _write_events(
    ctx: EventContext, seed: int, events: int, out: Path
) -> tuple[Tally, list[FileEntry]]:
    """Generate and write the Parquet files, one chunk at a time.

    A chunk is written (single-threaded, by one background thread) while the next is
    generated; at most two chunks are in memory. Each chunk depends only on (seed, its
    number), so the files do not depend on timing.
    """
    tally = Tally()
    files: list[FileEntry] = []
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: Future[FileEntry] | None = None
        for index, rows in enumerate(chunk_sizes(events)):
            generated = generate_rows(ctx, np.random.default_rng([seed, index]), rows)
            table = render(ctx, generated, IdKeys.of(seed, index))
            tally.update(tally_rows(generated))
            del generated
            if pending is not None:
                files.append(pending.result())
            path = out / "events" / f"usage_events-{index:05d}.parquet"
            pending = writer.submit(_write_table, table, path, out)
            del table
        if pending is not None:
            files.append(pending.result())
    return tally, files


def _unparseable_lines(rng: np.random.Generator, lines: list[str]) -> list[str]:
    """Lines no JSON parser reads as an object: writes cut short, plain text, an array."""
    broken = []
    for n in range(STREAM_UNPARSEABLE):
        if n % 5 == 3:
            broken.append("not json at all")
        elif n % 5 == 4:
            broken.append("[1, 2, 3]")
        else:  # the start of an ordinary line, without its closing brace
            line = lines[int(rng.integers(0, len(lines)))]
            broken.append(line[: int(rng.integers(10, len(line) - 1))])
    return broken


def _interleave(rng: np.random.Generator, lines: list[str], broken: list[str]) -> list[str]:
    """The lines in order, with the broken ones at random places among them."""
    total = len(lines) + len(broken)
    slots = set(rng.choice(total, len(broken), replace=False).tolist())
    ordinary, unparseable = iter(lines), iter(broken)
    return [next(unparseable) if slot in slots else next(ordinary) for slot in range(total)]


def _stream_lines(ctx: EventContext, seed: int) -> tuple[list[str], Tally]:
    """JSON Lines of ordinary events with unparseable lines among them, and their tally."""
    rng = np.random.default_rng([seed, STREAM_CHUNK])
    generated = stream_rows(ctx, rng, STREAM_EVENTS)
    table = render(ctx, generated, IdKeys.of(seed, STREAM_CHUNK))
    lines = []
    for record in table.to_pylist():
        record["properties"] = json.loads(record["properties"])  # an object, not its text
        lines.append(json.dumps(record))
    broken = _unparseable_lines(rng, lines)
    result = tally_rows(generated)
    result.rows[(month_number(STREAM_PERIOD), MALFORMED)] += len(broken)
    return _interleave(rng, lines, broken), result


def _bucket_counts(rows: dict[int, int]) -> dict[str, object]:
    quarantined = {reason: rows.get(BUCKETS.index(reason), 0) for reason in QUARANTINE_REASONS}
    return {
        "landed": sum(rows.values()),
        "billed": rows.get(BUCKETS.index("billed"), 0),
        "filtered": rows.get(BUCKETS.index("filtered"), 0),
        "duplicates": rows.get(BUCKETS.index("duplicates"), 0),
        "quarantined": quarantined,
    }


def _periods(tally: Tally) -> tuple[dict[str, object], dict[str, object]]:
    by_month: dict[int, dict[int, int]] = {}
    totals: dict[int, int] = {}
    for (month, bucket), count in tally.rows.items():
        by_month.setdefault(month, {})
        by_month[month][bucket] = by_month[month].get(bucket, 0) + count
        totals[bucket] = totals.get(bucket, 0) + count
    periods = {month_label(m): _bucket_counts(by_month[m]) for m in sorted(by_month)}
    return periods, _bucket_counts(totals)


def _quantity(meter: str, total: int) -> str:
    # bytes -> GB (the meter divides by 10^9), exactly
    value = Decimal(total).scaleb(-9) if meter == "ipfs_bandwidth_gb" else Decimal(total)
    return format(value, "f")


def _expected_usage(tally: Tally, account_ids: tuple[str, ...]) -> list[dict[str, str]]:
    rows = [
        {
            "billing_account_id": account_ids[account],
            "meter_id": meter,
            "period": month_label(month),
            "quantity": _quantity(meter, total),
        }
        for (account, meter, month), total in tally.usage.items()
    ]
    meter_order = {meter: n for n, meter in enumerate(USAGE_METERS)}
    return sorted(
        rows, key=lambda r: (r["billing_account_id"], meter_order[r["meter_id"]], r["period"])
    )


def _scenario() -> dict[str, object]:
    return {
        "internal_account": INTERNAL_ACCOUNT_ID,
        "test_workspace": TEST_WORKSPACE_ID,
        "moved_subject": {
            "subject": MOVED_KEY,
            "from_account": MOVE_FROM_ACCOUNT_ID,
            "to_account": MOVE_TO_ACCOUNT_ID,
            "moved_at": iso_utc(MOVE_AT),
        },
        "unmapped_wallets": list(UNMAPPED_WALLETS),
        "stream_file_unparseable_lines": STREAM_UNPARSEABLE,
    }


def _manifest(
    seed: int, events: int, tally: Tally, account_ids: tuple[str, ...], files: list[FileEntry]
) -> dict[str, object]:
    periods, totals = _periods(tally)
    return {
        "seed": seed,
        "events_requested": events,
        "rows_landed": totals["landed"],
        "periods": periods,
        "totals": totals,
        "unparseable_rows_period_rule": UNPARSEABLE_RULE,
        "unparseable_rows": {
            "file": f"events/{STREAM_FILE}",
            "rows": STREAM_UNPARSEABLE,
            "period": STREAM_PERIOD,
            "quarantine_reason": "malformed",
            "batch_received_at": STREAM_RECEIVED_AT,
        },
        "expected_usage_meters": list(USAGE_METERS),
        "expected_usage": _expected_usage(tally, account_ids),
        "scenario": _scenario(),
        "files": [{"path": f.path, "rows": f.rows, "sha256": f.sha256} for f in files],
    }


def generate(seed: int, events: int, out: Path) -> Path:
    """Write the demo data set for `seed` with `events` Parquet rows; returns manifest.json."""
    _check_arguments(seed, events)
    out = Path(out)
    try:
        events_dir = _prepare(out)
        identity = build_identity()
        files = [_entry(out, p, n) for p, n in write_identity(identity, out / "identity")]
        ctx = build_context(identity)
        tally, event_files = _write_events(ctx, seed, events, out)
        files += event_files
        lines, stream_tally = _stream_lines(ctx, seed)
        stream_path = events_dir / STREAM_FILE
        stream_path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        tally.update(stream_tally)
        files.append(_entry(out, stream_path, len(lines)))
        manifest = _manifest(seed, events, tally, ctx.account_ids, files)
        manifest_path = out / "manifest.json"
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise TallyError(f"cannot write the demo data to {out}: {error}") from error
    return manifest_path


def load_demo_data(out: Path, database: Path | None = None) -> LoadReport:
    """Load a generated data set: identity, the Parquet events, then the stream file with its
    batch receipt time (so its unparseable lines count in the period it was received)."""
    from tally.load import load_paths

    events = Path(out) / "events"
    report = load_paths([Path(out) / "identity", *sorted(events.glob("*.parquet"))], database)
    stream = load_paths([events / STREAM_FILE], database, received_at=STREAM_RECEIVED_AT)
    report.files.extend(stream.files)
    return report
