"""The demo data generator: determinism, and a manifest that matches the files it describes.

The manifest's counts are recomputed here from the files alone (DuckDB reads the Parquet,
Python the JSON Lines and CSV), by a small reference implementation of PRICING.md's ordered
checks that shares no code with the generator.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tally.demo_catalog import DEMO_ACCOUNTS, PLAN_EVENT_TYPES, plan_on
from tally.demo_data import generate
from tally.errors import TallyError

SEED = 7
EVENTS = 20_000
REPO = Path(__file__).resolve().parents[2]
METERING_SEEDS = REPO / "seeds" / "metering"
WALLET = re.compile(r"^0x[0-9a-fA-F]{40}$")
FUTURE_TOLERANCE = timedelta(hours=24)
IDENTITY_COLUMNS = {
    "billing_accounts": ["billing_account_id", "account_name", "currency_code"],
    "organisations": [
        "organisation_id",
        "organisation_name",
        "billing_account_id",
        "valid_from",
        "valid_to",
        "is_internal",
    ],
    "workspaces": [
        "workspace_id",
        "workspace_name",
        "organisation_id",
        "valid_from",
        "valid_to",
        "is_test",
    ],
    "api_keys": ["api_key_id", "workspace_id", "valid_from", "valid_to", "is_test"],
    "wallets": ["wallet_address", "workspace_id", "valid_from", "valid_to", "is_test"],
}
EVENT_COLUMNS = ["event_id", "occurred_at", "received_at", "subject", "event_type", "properties"]


# --- reading the files ------------------------------------------------------------------


@dataclass
class RawRow:
    file: str
    line: int
    values: dict[str, Any] | None  # None: the line could not be parsed


def _parquet_rows(out: Path) -> Iterator[RawRow]:
    con = duckdb.connect()
    for path in sorted((out / "events").glob("*.parquet")):
        records = con.sql(
            f"select {', '.join(EVENT_COLUMNS)} from read_parquet('{path}')"
        ).fetchall()
        for line, record in enumerate(records, start=1):
            yield RawRow(path.name, line, dict(zip(EVENT_COLUMNS, record, strict=True)))
    con.close()


def _jsonl_rows(out: Path) -> Iterator[RawRow]:
    for path in sorted((out / "events").glob("*.jsonl")):
        for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = None
            if not isinstance(value, dict):
                yield RawRow(path.name, line, None)
                continue
            properties = value.get("properties")
            if isinstance(properties, dict | list):
                value["properties"] = json.dumps(properties)
            yield RawRow(path.name, line, value)


def _csv(out: Path, table: str) -> list[dict[str, str]]:
    with (out / "identity" / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _seed(name: str) -> list[dict[str, str]]:
    with (METERING_SEEDS / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def _month(instant: datetime) -> str:
    return f"{instant.year:04d}-{instant.month:02d}"


def _subject(text: str) -> str:
    return text.lower() if WALLET.match(text) else text


def _flag(text: str) -> bool:
    return text.strip().lower() == "true"


# --- identity ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    target: str
    valid_from: datetime
    valid_to: datetime | None
    flag: bool

    def holds(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)


class IdentityMap:
    """subject -> workspace -> organisation -> billing account, effective-dated."""

    def __init__(self, out: Path) -> None:
        self.subjects: dict[str, list[Link]] = defaultdict(list)
        self.workspaces: dict[str, list[Link]] = defaultdict(list)
        self.organisations: dict[str, list[Link]] = defaultdict(list)
        for table, key in (("api_keys", "api_key_id"), ("wallets", "wallet_address")):
            for row in _csv(out, table):
                self.subjects[_subject(row[key])].append(self._link(row, "workspace_id", "is_test"))
        for row in _csv(out, "workspaces"):
            self.workspaces[row["workspace_id"]].append(
                self._link(row, "organisation_id", "is_test")
            )
        for row in _csv(out, "organisations"):
            self.organisations[row["organisation_id"]].append(
                self._link(row, "billing_account_id", "is_internal")
            )

    @staticmethod
    def _link(row: dict[str, str], target: str, flag: str) -> Link:
        valid_from = _instant(row["valid_from"])
        assert valid_from is not None
        return Link(row[target], valid_from, _instant(row["valid_to"]), _flag(row[flag]))

    @staticmethod
    def _at(links: list[Link], at: datetime) -> Link | None:
        valid = [link for link in links if link.holds(at)]
        assert len(valid) <= 1, f"overlapping links {valid}"
        return valid[0] if valid else None

    def account_at(self, subject: str, at: datetime) -> tuple[str, bool] | None:
        """The billing account and whether the traffic is test or internal, or None."""
        key = self._at(self.subjects.get(subject, []), at)
        workspace = key and self._at(self.workspaces.get(key.target, []), at)
        org = workspace and self._at(self.organisations.get(workspace.target, []), at)
        if not (key and workspace and org):
            return None
        return org.target, key.flag or workspace.flag or org.flag


# --- the reference implementation of the ordered checks ---------------------------------


@dataclass
class Event:
    row: RawRow
    event_id: str
    occurred: datetime
    received: datetime
    subject: str
    event_type: str
    properties: dict[str, Any]


@dataclass
class Reference:
    """What the files hold: rows per period and bucket, and the usage of count/sum meters."""

    rows: Counter[tuple[str, str]] = field(default_factory=Counter)
    usage: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)  # rows that passed the parse checks


class Metering:
    """The metering seeds: declared types, meters and their property filters."""

    def __init__(self) -> None:
        self.declared = {row["event_type"] for row in _seed("event_types")}
        self.meters = _seed("meters")
        self.filters: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
        for meter in self.meters:
            for n in (1, 2, 3):
                if meter.get(f"filter_property_{n}"):
                    values = set(meter[f"filter_values_{n}"].split("|"))
                    self.filters[meter["meter_id"]].append((meter[f"filter_property_{n}"], values))
        if (METERING_SEEDS / "meter_filters.csv").exists():  # the earlier layout
            for row in _seed("meter_filters"):
                self.filters[row["meter_id"]].append(
                    (row["property_name"], {row["property_value"]})
                )

    def matching(self, event: Event) -> list[dict[str, str]]:
        def matches(meter: dict[str, str]) -> bool:
            return all(
                name in event.properties and str(event.properties[name]) in values
                for name, values in self.filters[meter["meter_id"]]
            )

        return [m for m in self.meters if m["event_type"] == event.event_type and matches(m)]

    def counted_types(self) -> set[str]:
        return {m["event_type"] for m in self.meters}


def _parse_checks(row: RawRow, stream_period: str) -> tuple[str, str] | Event:
    """(period, bucket) for a row failing the parse checks, else the parsed event."""
    if row.values is None:
        return stream_period, "malformed"
    v = row.values
    occurred, received = _instant(v.get("occurred_at")), _instant(v.get("received_at"))
    assert received is not None, f"{row}: every parseable row has a received_at"
    period = _month(occurred or received)
    if any(not v.get(name) for name in ("event_id", "occurred_at", "subject", "event_type")):
        return period, "missing_field"
    properties: Any = {}
    if v.get("properties") is not None:
        try:
            properties = json.loads(v["properties"])
        except json.JSONDecodeError:
            properties = None
    if occurred is None or not isinstance(properties, dict):
        return period, "malformed"
    return Event(
        row,
        v["event_id"],
        occurred,
        received,
        _subject(v["subject"]),
        v["event_type"],
        properties,
    )


def _deduplicate(events: list[Event], reference: Reference) -> list[Event]:
    by_id: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_id[event.event_id].append(event)
    kept = []
    for group in by_id.values():
        shapes = [(e.occurred, e.subject, e.event_type, e.properties) for e in group]
        if any(shape != shapes[0] for shape in shapes):
            for event in group:
                reference.rows[(_month(event.occurred), "conflicting_duplicate")] += 1
            continue
        group.sort(key=lambda e: (e.received, e.row.file, e.row.line))
        kept.append(group[0])
        for event in group[1:]:
            reference.rows[(_month(event.occurred), "duplicates")] += 1
    return kept


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _succeeded(event: Event, meters: list[dict[str, str]]) -> bool:
    meter = meters[0]
    status = event.properties.get(meter.get("status_property") or "status")
    return status in (meter.get("success_values") or "success").split("|")


def _collapse_retries(
    candidates: list[tuple[Event, str, list[dict[str, str]]]], reference: Reference
) -> list[tuple[Event, str, list[dict[str, str]]]]:
    groups: dict[tuple[str, str, str], list[tuple[Event, str, list[dict[str, str]]]]]
    groups = defaultdict(list)
    chosen = []
    for candidate in candidates:
        event, _, meters = candidate
        if not any(m["collapses_retries"] == "true" for m in meters):
            chosen.append(candidate)
            continue
        request = event.properties.get("request_id") or f"event:{event.event_id}"
        groups[(event.subject, event.event_type, str(request))].append(candidate)
    for group in groups.values():
        successes = [c for c in group if _succeeded(c[0], c[2])]
        first = min(
            successes, key=lambda c: (c[0].occurred, c[0].received, c[0].event_id), default=None
        )
        for candidate in group:
            if candidate is first:
                chosen.append(candidate)
            else:
                reference.rows[(_month(candidate[0].occurred), "filtered")] += 1
    return chosen


def _scale(meter: dict[str, str]) -> Decimal:
    """The factor a meter's value is multiplied by (value_divisor, or the older value_scale)."""
    if meter.get("value_divisor"):
        return 1 / Decimal(meter["value_divisor"])
    return Decimal(meter.get("value_scale") or "1")


def _rate(candidates: list[tuple[Event, str, list[dict[str, str]]]], reference: Reference) -> None:
    for event, account, meters in candidates:
        period = _month(event.occurred)
        values = [event.properties.get(m["value_property"]) for m in meters if m["value_property"]]
        if not all(_is_number(value) for value in values):
            reference.rows[(period, "invalid_quantity")] += 1
            continue
        reference.rows[(period, "billed")] += 1
        for meter in meters:
            if meter["aggregation"] not in ("count", "sum"):
                continue
            quantity = Decimal(1)
            if meter["aggregation"] == "sum":
                quantity = Decimal(str(event.properties[meter["value_property"]]))
                quantity *= _scale(meter)
            key = (account, meter["meter_id"], period)
            reference.usage[key] = reference.usage.get(key, Decimal(0)) + quantity


def reference_of(out: Path, stream_period: str) -> Reference:
    reference = Reference()
    metering = Metering()
    identity = IdentityMap(out)
    for row in [*_parquet_rows(out), *_jsonl_rows(out)]:
        outcome = _parse_checks(row, stream_period)
        if isinstance(outcome, Event):
            reference.events.append(outcome)
        else:
            reference.rows[outcome] += 1
    candidates = []
    for event in _deduplicate(reference.events, reference):
        period = _month(event.occurred)
        mapped = identity.account_at(event.subject, event.occurred)
        meters = metering.matching(event)
        if event.event_type not in metering.declared:
            reference.rows[(period, "unknown_event_type")] += 1
        elif event.event_type not in metering.counted_types():
            reference.rows[(period, "filtered")] += 1
        elif event.occurred > event.received + FUTURE_TOLERANCE:
            reference.rows[(period, "future_timestamp")] += 1
        elif mapped is None:
            reference.rows[(period, "unmapped_subject")] += 1
        elif mapped[1] or not meters:
            reference.rows[(period, "filtered")] += 1
        else:
            candidates.append((event, mapped[0], meters))
    _rate(_collapse_retries(candidates, reference), reference)
    return reference


# --- fixtures -----------------------------------------------------------------------------


def _hashes(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "data"
    generate(seed=SEED, events=EVENTS, out=out)
    return out


@pytest.fixture(scope="module")
def manifest(demo: Path) -> dict[str, Any]:
    return json.loads((demo / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stream_period(demo: Path, manifest: dict[str, Any]) -> str:
    """The month every parseable line of the stream file was received in (the stated rule)."""
    rows = list(_jsonl_rows(demo))
    months = {_month(_instant(r.values["received_at"])) for r in rows if r.values}  # type: ignore[arg-type]
    assert len(months) == 1
    stated = manifest["unparseable_rows"]
    assert stated["rows"] == sum(r.values is None for r in rows) > 0
    assert stated["period"] == next(iter(months))
    return months.pop()


@pytest.fixture(scope="module")
def reference(demo: Path, stream_period: str) -> Reference:
    return reference_of(demo, stream_period)


def _manifest_rows(counts: dict[str, Any]) -> dict[str, int]:
    flat = {name: counts[name] for name in ("billed", "filtered", "duplicates")}
    flat.update(counts["quarantined"])
    return {name: value for name, value in flat.items() if value}


# --- tests --------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(demo: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(seed=SEED, events=EVENTS, out=again)
    first, second = _hashes(demo), _hashes(again)
    assert first == second
    assert any(name.endswith(".parquet") for name in first)


def test_a_different_seed_gives_different_events(demo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate(seed=SEED + 1, events=EVENTS, out=other)
    first, second = _hashes(demo), _hashes(other)
    assert first.keys() == second.keys()
    for name in first:
        if name.startswith("events/"):
            assert first[name] != second[name], name


def test_manifest_lists_every_file_with_rows_and_hash(demo: Path, manifest: dict[str, Any]) -> None:
    hashes = _hashes(demo)
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(hashes) - {"manifest.json"}
    for path, entry in listed.items():
        assert entry["sha256"] == hashes[path], path
    parquet_rows = sum(e["rows"] for p, e in listed.items() if p.endswith(".parquet"))
    assert parquet_rows == EVENTS == manifest["events_requested"]
    event_rows = sum(e["rows"] for p, e in listed.items() if p.startswith("events/"))
    assert event_rows == manifest["rows_landed"]


def test_events_files_follow_the_landing_contract(demo: Path) -> None:
    con = duckdb.connect()
    described = con.sql(f"describe select * from read_parquet('{demo}/events/*.parquet')")
    assert [(r[0], r[1]) for r in described.fetchall()] == [(c, "VARCHAR") for c in EVENT_COLUMNS]
    con.close()
    for table, columns in IDENTITY_COLUMNS.items():
        with (demo / "identity" / f"{table}.csv").open(encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == columns


def test_every_period_adds_up(manifest: dict[str, Any]) -> None:
    for name, counts in [*manifest["periods"].items(), ("totals", manifest["totals"])]:
        parts = counts["billed"] + counts["filtered"] + counts["duplicates"]
        assert counts["landed"] == parts + sum(counts["quarantined"].values()), name
    assert manifest["totals"]["landed"] == manifest["rows_landed"]
    assert sum(p["landed"] for p in manifest["periods"].values()) == manifest["rows_landed"]


def test_manifest_counts_match_the_files(manifest: dict[str, Any], reference: Reference) -> None:
    recomputed: dict[str, dict[str, int]] = defaultdict(dict)
    for (period, bucket), count in reference.rows.items():
        recomputed[period][bucket] = count
    stated = {period: _manifest_rows(counts) for period, counts in manifest["periods"].items()}
    assert stated == dict(recomputed)
    for period, counts in manifest["periods"].items():
        assert counts["landed"] == sum(recomputed[period].values())


def test_expected_usage_matches_the_files(manifest: dict[str, Any], reference: Reference) -> None:
    stated = {
        (u["billing_account_id"], u["meter_id"], u["period"]): Decimal(u["quantity"])
        for u in manifest["expected_usage"]
    }
    assert stated == reference.usage
    assert len(stated) == len(manifest["expected_usage"])


def test_every_failure_mode_occurs(manifest: dict[str, Any], reference: Reference) -> None:
    totals = manifest["totals"]
    assert totals["duplicates"] > 0 and totals["filtered"] > 0
    assert all(count > 0 for count in totals["quarantined"].values()), totals["quarantined"]
    assert sum(totals["quarantined"].values()) + totals["duplicates"] < 0.05 * totals["landed"]
    events = reference.events
    attempts: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if "request_id" in event.properties:
            attempts[event.properties["request_id"]].append(event)
    retried = [group for group in attempts.values() if len({e.event_id for e in group}) > 1]
    assert any(g[-1].properties["status"] == "success" for g in retried)
    assert any(all(e.properties["status"] != "success" for e in g) for g in retried)
    late = [e for e in events if _month(e.received) > _month(e.occurred)]
    assert any(e.received - e.occurred > timedelta(days=1) for e in late)
    assert any(e.event_type == "node.uptime" for e in events)
    occurred = [e.row.values["occurred_at"] for e in events if e.row.values]
    assert any(t.endswith("Z") for t in occurred)
    assert any(t.endswith(("+02:00", "-05:00")) for t in occurred)
    assert any(re.fullmatch(r"[0-9-]{10}T[0-9:]{8}", t) for t in occurred)
    subjects = [e.row.values["subject"] for e in events if e.row.values]
    assert any(WALLET.match(s) and s != s.lower() for s in subjects)


def test_accounts_emit_only_what_their_plan_sells(demo: Path, reference: Reference) -> None:
    identity = IdentityMap(demo)
    accounts = {a.billing_account_id: a for a in DEMO_ACCOUNTS}
    declared = Metering().declared - {"node.uptime"}
    checked = 0
    for event in reference.events:
        mapped = identity.account_at(event.subject, event.occurred)
        if mapped is None or mapped[0] not in accounts or event.event_type not in declared:
            continue
        plan = plan_on(accounts[mapped[0]], event.occurred.date())
        assert plan is not None, f"{event.event_id}: {mapped[0]} has no contract then"
        assert event.event_type in PLAN_EVENT_TYPES[plan], event.event_id
        checked += 1
    assert checked > EVENTS * 0.9


def test_identity_has_the_special_cases(
    demo: Path, manifest: dict[str, Any], reference: Reference
) -> None:
    scenario = manifest["scenario"]
    keys = _csv(demo, "api_keys")
    moved = [row for row in keys if row["api_key_id"] == scenario["moved_subject"]["subject"]]
    moved_at = scenario["moved_subject"]["moved_at"]
    assert len(moved) == 2 and moved[0]["valid_to"] == moved_at
    assert moved[1]["valid_from"] == moved_at and moved[1]["valid_to"] == ""
    identity = IdentityMap(demo)
    owners = {
        identity.account_at(event.subject, event.occurred)[0]  # type: ignore[index]
        for event in reference.events
        if event.subject == scenario["moved_subject"]["subject"]
    }
    assert owners == {
        scenario["moved_subject"]["from_account"],
        scenario["moved_subject"]["to_account"],
    }
    workspaces = {row["workspace_id"]: row for row in _csv(demo, "workspaces")}
    assert workspaces[scenario["test_workspace"]]["is_test"] == "true"
    internal = [o for o in _csv(demo, "organisations") if o["is_internal"] == "true"]
    assert [o["billing_account_id"] for o in internal] == [scenario["internal_account"]]
    wallets = {row["wallet_address"] for row in _csv(demo, "wallets")}
    assert all(w == w.lower() and WALLET.match(w) for w in wallets)
    unmapped = set(scenario["unmapped_wallets"])
    assert not unmapped & wallets
    assert unmapped <= {e.subject for e in reference.events}
    accounts = [row["billing_account_id"] for row in _csv(demo, "billing_accounts")]
    assert accounts == [a.billing_account_id for a in DEMO_ACCOUNTS] + ["acct_internal"]


@pytest.mark.parametrize("events", [0, -5])
def test_events_must_be_positive(tmp_path: Path, events: int) -> None:
    with pytest.raises(TallyError, match="events"):
        generate(seed=1, events=events, out=tmp_path / "out")


def test_an_unwritable_folder_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(TallyError, match="cannot write"):
        generate(seed=1, events=10, out=blocker)
    with pytest.raises(TallyError, match="cannot write"):
        generate(seed=1, events=10, out=blocker / "below")
