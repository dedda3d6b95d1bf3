"""The demo's usage events, generated one chunk at a time with each row's known fate.

A chunk is planned as logical events of a *kind* (a normal event, a retried request, a
duplicated delivery, a malformed row, ...), each kind at a fixed rate; every row carries
the bucket PRICING.md's ordered checks put it in (`BUCKETS`), so the manifest counts what
the data holds. Rows are kept as numpy columns (`Rows`) and rendered to text only at the
end, vectorised (see `tally.demo_text`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tally.demo_catalog import DEMO_ACCOUNTS, DEMO_END, DEMO_PERIODS, PLAN_EVENT_TYPES, plan_on
from tally.demo_identity import (
    INTERNAL_ACCOUNT_ID,
    ROLE_CUSTOMER,
    ROLE_INTERNAL,
    ROLE_TEST,
    UNMAPPED_WALLETS,
    Identity,
    mixed_case,
)
from tally.demo_text import (
    hex16,
    int_text,
    iso_seconds,
    join,
    mix64,
    month_index,
    pick,
)

Rows = dict[str, np.ndarray]

DAY = 86_400
WINDOW_START = int(datetime(2026, 8, 1, tzinfo=UTC).timestamp())
DEMO_END_AT = int(datetime(DEMO_END.year, DEMO_END.month, DEMO_END.day, tzinfo=UTC).timestamp())
# Normal usage stops 15 minutes before the end, so retries and offsets stay in October.
WINDOW_END = DEMO_END_AT - 900
# A request's first attempt is at least this long before its subject's link ends, so all
# its attempts (at most 40 s apart in total) belong to the same account.
RETRY_GUARD = 60
DEMO_DAYS = (DEMO_END_AT - WINDOW_START) // DAY
MONTH_ENDS = tuple(
    int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())
    for d in (*DEMO_PERIODS[1:], DEMO_END)
)

# The buckets of PRICING.md's "Nothing is silently dropped", in manifest order.
BUCKETS = (
    "billed",
    "filtered",
    "duplicates",
    "malformed",
    "missing_field",
    "conflicting_duplicate",
    "unknown_event_type",
    "invalid_quantity",
    "future_timestamp",
    "unmapped_subject",
)
QUARANTINE_REASONS = BUCKETS[3:]
(
    BILLED,
    FILTERED,
    DUPLICATE,
    MALFORMED,
    MISSING_FIELD,
    CONFLICTING,
    UNKNOWN_TYPE,
    INVALID_QUANTITY,
    FUTURE,
    UNMAPPED,
) = range(len(BUCKETS))

# Event types as written; the first five are declared in seeds/metering/event_types.csv.
EVENT_TYPES = (
    "rpc.request",
    "ipfs.storage_reading",
    "ipfs.bandwidth",
    "ai.inference",
    "node.uptime",
    "rpc.websocket",
    "ai.embedding",
    "",
)
RPC, STORAGE, BANDWIDTH, AI, NODE, WEBSOCKET, EMBEDDING, NO_TYPE = range(len(EVENT_TYPES))
DECLARED_TYPES = EVENT_TYPES[:5]
METERED_TYPES = (RPC, STORAGE, BANDWIDTH, AI)
# Property templates: the first five follow the event type; BROKEN is unparseable text.
BROKEN = 5
EVENT_ID_PREFIXES = ("rpc", "ipfs", "ipfs", "ai", "node", "rpc")

STATUSES = ("success", "error", "timeout")
SUCCESS = 0
TIERS = ("standard", "archive")
REGIONS = ("us-east", "eu-west", "ap-south")
METHODS = (
    "eth_call",
    "eth_getBalance",
    "eth_blockNumber",
    "eth_getLogs",
    "eth_sendRawTransaction",
    "eth_getTransactionReceipt",
    "debug_traceTransaction",
)
MODELS = ("tally-small", "tally-large")
# occurred_at renderings of one instant: mostly `Z`, some offsets, some with none (UTC).
OFFSETS = (("Z", 0), ("+02:00", 7_200), ("-05:00", -18_000), ("", 0), ("+05:30", 19_800))
OFFSET_P = (0.86, 0.05, 0.04, 0.04, 0.01)
BAD_TIMESTAMPS = ("yesterday", "not a timestamp", "2026-02-30T25:61:00Z")
BAD_PROPERTIES = ("[1,2]", "not json", '{"status":"success"', '"rpc"')

# Normal traffic: the mix of event types (taken only when the plan sells it, else RPC).
TYPE_MIX = (0.80, 0.04, 0.05, 0.11)
FAILED_SINGLE_RATE = 0.015
WALLET_MIXED_CASE_RATE = 0.3

# Kinds of logical events and their rates (normal takes the rest).
KIND_RATES: dict[str, float] = {
    "retry": 0.015,
    "duplicate": 0.010,
    "conflict": 0.002,
    "test": 0.005,
    "internal": 0.005,
    "uptime": 0.005,
    "late": 0.004,
    "bad_timestamp": 0.0005,
    "bad_properties": 0.0005,
    "missing_field": 0.001,
    "future": 0.0005,
    "unmapped": 0.001,
    "unknown_type": 0.0005,
    "invalid_quantity": 0.0005,
}
KINDS = ("normal", *KIND_RATES)
KIND_P = (1.0 - sum(KIND_RATES.values()), *KIND_RATES.values())
RETRY_KIND, DUPLICATE_KIND, CONFLICT_KIND = (
    KINDS.index(k) for k in ("retry", "duplicate", "conflict")
)

_FIELDS: dict[str, type] = {
    "eid": np.uint64,  # serial of the event id within the block (mixed when rendered)
    "eid_null": np.bool_,
    "type": np.int8,
    "tmpl": np.int8,
    "occ": np.int64,
    "off": np.int8,
    "occ_bad": np.int8,  # 0 fine, 1 null, 2+ a BAD_TIMESTAMPS text
    "rec": np.int64,
    "subj": np.int32,
    "subj_null": np.bool_,
    "acct": np.int16,  # -1: no billing account
    "bucket": np.int8,
    "req": np.uint64,  # serial of the request id within the block
    "attempt": np.int8,
    "status": np.int8,
    "tier": np.int8,
    "region": np.int8,
    "method": np.int8,
    "model": np.int8,
    "tok_in": np.int64,
    "tok_out": np.int64,
    "nbytes": np.int64,
    "stored": np.int64,
    "node": np.int16,
    "secs": np.int32,
    "qty_text": np.bool_,
    "bad_props": np.int8,
}


def new_rows(n: int) -> Rows:
    return {name: np.zeros(n, dtype=dtype) for name, dtype in _FIELDS.items()}


def take_rows(rows: Rows, index: np.ndarray) -> Rows:
    return {name: values[index] for name, values in rows.items()}


def concat_rows(blocks: list[Rows]) -> Rows:
    """Blocks one after the other; each block's id serials are moved past the previous'."""
    offset = 0
    shifted = []
    for block in blocks:
        size = len(block["eid"])
        block = dict(block)
        block["eid"] = block["eid"] + np.uint64(offset)
        block["req"] = block["req"] + np.uint64(offset)
        shifted.append(block)
        offset += size
    return {
        name: np.concatenate([b[name] for b in shifted]).astype(dtype, copy=False)
        for name, dtype in _FIELDS.items()
    }


@dataclass(frozen=True)
class EventContext:
    """What the generator needs from the identity map, as arrays."""

    account_ids: tuple[str, ...]
    subjects: pa.Array  # subject texts; the last is the empty subject
    subject_twin: np.ndarray  # the other-case variant of a wallet (itself for a key)
    storage_base: np.ndarray  # bytes stored at the start, per subject text
    link_subject: np.ndarray
    link_is_wallet: np.ndarray
    link_account: np.ndarray
    link_start: np.ndarray
    link_end: np.ndarray
    pools: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (link indices, probabilities)
    sells: np.ndarray  # bool [account, day, event type]
    unmapped_subjects: np.ndarray
    node_names: pa.Array  # two per account

    @property
    def empty_subject(self) -> int:
        return len(self.subjects) - 1


def _hash_unit(text: str) -> float:
    return int(hashlib.sha256(f"tally-demo/{text}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def _instant(value: datetime | None) -> int:
    return DEMO_END_AT if value is None else int(value.timestamp())


def _sells_table(account_ids: tuple[str, ...]) -> np.ndarray:
    sells = np.zeros((len(account_ids), DEMO_DAYS, len(DECLARED_TYPES)), dtype=bool)
    by_id = {a.billing_account_id: a for a in DEMO_ACCOUNTS}
    days = [DEMO_PERIODS[0] + timedelta(days=d) for d in range(DEMO_DAYS)]
    for a, account_id in enumerate(account_ids):
        for d, day in enumerate(days):
            if account_id == INTERNAL_ACCOUNT_ID:
                sold: tuple[str, ...] = ("rpc.request", "ai.inference")
            else:
                plan = plan_on(by_id[account_id], day)
                sold = PLAN_EVENT_TYPES[plan] if plan is not None else ()
            for event_type in sold:
                sells[a, d, DECLARED_TYPES.index(event_type)] = True
    return sells


def _account_weight(account_id: str) -> float:
    plan = {a.billing_account_id: a.plan_id for a in DEMO_ACCOUNTS}.get(account_id, "starter")
    scale = {"starter": 1.0, "growth": 2.5, "enterprise": 5.0}[plan]
    return scale * (0.5 + _hash_unit(f"volume/{account_id}"))


def _pools(
    identity: Identity, account_index: dict[str, int], sells: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    links = identity.links
    per_account = Counter(link.billing_account_id for link in links)
    span = WINDOW_END - WINDOW_START
    weights = np.array(
        [
            _account_weight(link.billing_account_id)
            / per_account[link.billing_account_id]
            * (min(_instant(link.valid_to), WINDOW_END) - _instant(link.valid_from))
            / span
            for link in links
        ]
    )

    def sells_throughout(link_index: int, event_type: int) -> bool:
        link = links[link_index]
        first = (_instant(link.valid_from) - WINDOW_START) // DAY
        last = (min(_instant(link.valid_to), WINDOW_END) - 1 - WINDOW_START) // DAY
        account = account_index[link.billing_account_id]
        return bool(sells[account, first : last + 1, event_type].all())

    customer = [i for i, link in enumerate(links) if link.role == ROLE_CUSTOMER]
    members: dict[str, list[int]] = {
        "customer": customer,
        # open from before the last two days of August: usage at every month end
        "late": [
            i
            for i in customer
            if links[i].valid_to is None
            and _instant(links[i].valid_from) <= MONTH_ENDS[0] - 2 * DAY
        ],
        "stream": [i for i in customer if links[i].valid_to is None],
        "ai": [i for i in customer if sells_throughout(i, AI)],
        "test": [i for i, link in enumerate(links) if link.role == ROLE_TEST],
        "internal": [i for i, link in enumerate(links) if link.role == ROLE_INTERNAL],
    }
    pools = {}
    for name, indices in members.items():
        chosen = np.array(indices, dtype=np.int64)
        pools[name] = (chosen, weights[chosen] / weights[chosen].sum())
    return pools


def build_context(identity: Identity) -> EventContext:
    """Arrays of the identity map for the generator."""
    account_ids = tuple(a.billing_account_id for a in identity.accounts)
    account_index = {account_id: i for i, account_id in enumerate(account_ids)}
    texts: list[str] = []
    twins: list[int] = []

    def add_subject(text: str, is_wallet: bool) -> int:
        if text in texts:
            return texts.index(text)
        texts.append(text)
        twins.append(len(texts) - 1)
        if is_wallet:
            texts.append(mixed_case(text))
            twins[-1] = len(texts) - 1
            twins.append(len(texts) - 2)
        return len(texts) - 1 - int(is_wallet)

    link_subject = [add_subject(link.subject, link.is_wallet) for link in identity.links]
    unmapped = [add_subject(address, True) for address in UNMAPPED_WALLETS]
    texts.append("")
    twins.append(len(texts) - 1)
    sells = _sells_table(account_ids)
    return EventContext(
        account_ids=account_ids,
        subjects=pa.array(texts, type=pa.string()),
        subject_twin=np.array(twins, dtype=np.int32),
        storage_base=np.array([(1 + 499 * _hash_unit(f"stored/{t.lower()}")) * 1e9 for t in texts]),
        link_subject=np.array(link_subject, dtype=np.int32),
        link_is_wallet=np.array([link.is_wallet for link in identity.links]),
        link_account=np.array(
            [account_index[link.billing_account_id] for link in identity.links], dtype=np.int16
        ),
        link_start=np.array([_instant(link.valid_from) for link in identity.links]),
        link_end=np.array([_instant(link.valid_to) for link in identity.links]),
        pools=_pools(identity, account_index, sells),
        sells=sells,
        unmapped_subjects=np.array(unmapped, dtype=np.int32),
        node_names=pa.array(
            [f"node-{a.removeprefix('acct_')}-{n}" for a in account_ids for n in (1, 2)]
        ),
    )


# --- sampling ---------------------------------------------------------------------------


def _latency(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds from occurrence to receipt: a few seconds to some minutes (at most an hour)."""
    return np.minimum(1 + rng.exponential(40.0, n).astype(np.int64), 3_600)


def _day(occ: np.ndarray) -> np.ndarray:
    return np.clip((occ - WINDOW_START) // DAY, 0, DEMO_DAYS - 1)


def _sold(
    ctx: EventContext, acct: np.ndarray, occ: np.ndarray, event_type: np.ndarray
) -> np.ndarray:
    return ctx.sells[acct, _day(occ), event_type]


def _fill_properties(ctx: EventContext, rng: np.random.Generator, rows: Rows) -> None:
    n = len(rows["eid"])
    rows["tier"] = rng.choice(2, n, p=(0.85, 0.15))
    rows["region"] = rng.choice(3, n, p=(0.5, 0.3, 0.2))
    rows["method"] = rng.integers(0, len(METHODS), n)
    rows["model"] = rng.choice(2, n, p=(0.7, 0.3))
    rows["tok_in"] = np.clip(rng.lognormal(6.0, 1.0, n), 1, 100_000).astype(np.int64)
    rows["tok_out"] = (rows["tok_in"] * rng.uniform(0.0, 1.5, n)).astype(np.int64)
    rows["nbytes"] = np.clip(rng.lognormal(14.0, 2.5, n), 1, 5e9).astype(np.int64)
    growth = 1 + 0.6 * (rows["occ"] - WINDOW_START) / (DEMO_END_AT - WINDOW_START)
    deletion = np.where(rng.random(n) < 0.08, rng.uniform(0.4, 0.9, n), 1.0)
    rows["stored"] = (ctx.storage_base[rows["subj"]] * growth * deletion).astype(np.int64)
    rows["node"] = rows["acct"].astype(np.int16) * 2 + rng.integers(0, 2, n)
    rows["secs"] = rng.integers(60, 3_601, n)


def _natural_bucket(rows: Rows) -> np.ndarray:
    """Billed, unless a failed single request or a type no meter counts (filtered)."""
    failed = np.isin(rows["type"], (RPC, AI)) & (rows["status"] != SUCCESS)
    return np.where(failed | (rows["type"] == NODE), FILTERED, BILLED).astype(np.int8)


def _base(
    ctx: EventContext,
    rng: np.random.Generator,
    n: int,
    pool: str,
    *,
    event_type: int | None = None,
    times: np.ndarray | None = None,
    may_fail: bool = False,
) -> Rows:
    """n single-row events of subjects from a pool, at times in their links (or given)."""
    indices, probabilities = ctx.pools[pool]
    links = rng.choice(indices, n, p=probabilities) if n else indices[:0]
    if times is None:
        start = ctx.link_start[links]
        end = np.minimum(ctx.link_end[links], WINDOW_END) - RETRY_GUARD
        times = start + (rng.random(n) * (end - start)).astype(np.int64)
    rows = new_rows(n)
    rows["eid"] = np.arange(n, dtype=np.uint64)
    rows["req"] = np.arange(n, dtype=np.uint64)
    rows["acct"] = ctx.link_account[links]
    mixed = ctx.link_is_wallet[links] & (rng.random(n) < WALLET_MIXED_CASE_RATE)
    subjects = ctx.link_subject[links]
    rows["subj"] = np.where(mixed, ctx.subject_twin[subjects], subjects)
    rows["occ"] = times
    rows["off"] = rng.choice(len(OFFSETS), n, p=OFFSET_P)
    rows["rec"] = times + _latency(rng, n)
    if event_type is None:
        drawn = rng.choice(len(TYPE_MIX), n, p=TYPE_MIX)
        types = np.where(_sold(ctx, rows["acct"], times, drawn), drawn, RPC)
    else:
        types = np.full(n, event_type)
    rows["type"] = types
    rows["tmpl"] = types
    _fill_properties(ctx, rng, rows)
    rows["attempt"][:] = 1
    failed = may_fail & (rng.random(n) < FAILED_SINGLE_RATE)
    rows["status"] = np.where(failed, rng.integers(1, 3, n), SUCCESS)
    rows["bucket"] = _natural_bucket(rows)
    return rows


def _set_bucket(rows: Rows, bucket: int) -> Rows:
    rows["bucket"][:] = bucket
    return rows


# --- kinds of logical events ------------------------------------------------------------


def _normal(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    return _base(ctx, rng, n, "customer", may_fail=True)


def _retry(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    """Requests of 2-3 attempts (one row each); only the last may succeed."""
    first = _base(ctx, rng, n, "customer", event_type=RPC)
    to_ai = (rng.random(n) < 0.3) & _sold(ctx, first["acct"], first["occ"], np.full(n, AI))
    first["type"] = np.where(to_ai, AI, RPC).astype(np.int8)
    first["tmpl"] = first["type"]
    attempts = extra + 1
    group = np.repeat(np.arange(n), attempts)
    starts = np.cumsum(attempts) - attempts
    rows = take_rows(first, group)
    total = len(group)
    position = np.arange(total) - starts[group]
    last = position == attempts[group] - 1
    gaps = np.where(position == 0, 0, rng.integers(1, 21, total))
    elapsed = np.cumsum(gaps)
    rows["occ"] = rows["occ"] + elapsed - (elapsed - gaps)[starts][group]
    rows["rec"] = rows["occ"] + _latency(rng, total)
    rows["off"] = rng.choice(len(OFFSETS), total, p=OFFSET_P)
    rows["eid"] = np.arange(total, dtype=np.uint64)
    rows["req"] = starts[group].astype(np.uint64)
    rows["attempt"] = position + 1
    succeeds = (rng.random(n) < 0.7)[group] & last
    rows["status"] = np.where(succeeds, SUCCESS, rng.integers(1, 3, total))
    rows["tok_out"] = np.where(succeeds, rows["tok_out"], 0)
    rows["bucket"] = np.where(succeeds, BILLED, FILTERED).astype(np.int8)
    return rows


def _copies(rng: np.random.Generator, rows: Rows, counts: np.ndarray) -> Rows:
    """Later deliveries of rows (counts[i] copies of row i)."""
    copies = take_rows(rows, np.repeat(np.arange(len(counts)), counts))
    copies["rec"] = copies["rec"] + rng.integers(1, 7_201, len(copies["rec"]))
    return copies


def _duplicate(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    """Events delivered 2-3 times; a quarter of the copies render the same values differently
    (another UTC offset for the same instant, the wallet in the other case)."""
    rows = _base(ctx, rng, n, "customer")
    copies = _copies(rng, rows, extra)
    restyle = rng.random(len(copies["eid"])) < 0.25
    shift = rng.integers(1, len(OFFSETS), len(restyle))
    copies["off"] = np.where(restyle, (copies["off"] + shift) % len(OFFSETS), copies["off"])
    copies["subj"] = np.where(restyle, ctx.subject_twin[copies["subj"]], copies["subj"])
    _set_bucket(copies, DUPLICATE)
    return _joined(rows, copies)


def _joined(first: Rows, second: Rows) -> Rows:
    """Two parts of one block, sharing its id serials."""
    return {name: np.concatenate([first[name], second[name]]) for name in _FIELDS}


def _conflict(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    """Events delivered twice with different properties."""
    rows = _base(ctx, rng, n, "customer")
    copies = _copies(rng, rows, extra)
    copies["region"] = (copies["region"] + 1) % len(REGIONS)
    copies["tok_out"] = copies["tok_out"] + rng.integers(1, 101, n)
    copies["stored"] = copies["stored"] + rng.integers(1, 1_000_001, n)
    return _set_bucket(_joined(rows, copies), CONFLICTING)


def _test(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    return _set_bucket(_base(ctx, rng, n, "test"), FILTERED)


def _internal(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    rows = _base(ctx, rng, n, "internal", event_type=RPC)
    rows["type"] = np.where(rng.random(n) < 0.3, AI, RPC).astype(np.int8)
    rows["tmpl"] = rows["type"]
    return _set_bucket(rows, FILTERED)


def _uptime(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    return _base(ctx, rng, n, "customer", event_type=NODE)


def _late(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    """Usage of a month's last two days, received 1 hour to 5 days into the next month."""
    month_end = np.array(MONTH_ENDS)[rng.integers(0, len(MONTH_ENDS), n)]
    times = month_end - 2 * DAY + rng.integers(0, 2 * DAY - 900, n)
    rows = _base(ctx, rng, n, "late", times=times)
    rows["rec"] = month_end + rng.integers(3_600, 5 * DAY, n)
    return rows


def _bad_timestamp(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    rows = _base(ctx, rng, n, "customer", event_type=RPC)
    rows["occ_bad"] = 2 + rng.integers(0, len(BAD_TIMESTAMPS), n)
    return _set_bucket(rows, MALFORMED)


def _bad_properties(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    rows = _base(ctx, rng, n, "customer", event_type=RPC)
    rows["tmpl"][:] = BROKEN
    rows["bad_props"] = rng.integers(0, len(BAD_PROPERTIES), n)
    return _set_bucket(rows, MALFORMED)


def _missing_field(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    """One of: null event_id, empty subject, null subject, empty event_type, null occurred_at."""
    rows = _base(ctx, rng, n, "customer", event_type=RPC)
    variant = rng.integers(0, 5, n)
    rows["eid_null"] = variant == 0
    rows["subj"] = np.where(variant == 1, ctx.empty_subject, rows["subj"])
    rows["subj_null"] = variant == 2
    rows["type"] = np.where(variant == 3, NO_TYPE, rows["type"])
    rows["occ_bad"] = np.where(variant == 4, 1, 0)
    return _set_bucket(rows, MISSING_FIELD)


def _future(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    """occurred_at 3 to 60 days after received_at."""
    rows = _base(ctx, rng, n, "customer", event_type=RPC)
    rows["occ"] = rows["rec"] + rng.integers(3 * DAY, 60 * DAY, n)
    return _set_bucket(rows, FUTURE)


def _unmapped(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    rows = _base(ctx, rng, n, "customer", event_type=RPC)
    chosen = ctx.unmapped_subjects[rng.integers(0, len(ctx.unmapped_subjects), n)]
    mixed = rng.random(n) < WALLET_MIXED_CASE_RATE
    rows["subj"] = np.where(mixed, ctx.subject_twin[chosen], chosen)
    rows["acct"][:] = -1
    rows["type"] = np.where(rng.random(n) < 0.2, BANDWIDTH, RPC).astype(np.int8)
    rows["tmpl"] = rows["type"]
    return _set_bucket(rows, UNMAPPED)


def _unknown_type(ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray) -> Rows:
    rows = _base(ctx, rng, n, "customer", event_type=RPC)
    embedding = rng.random(n) < 0.3
    rows["type"] = np.where(embedding, EMBEDDING, WEBSOCKET).astype(np.int8)
    rows["tmpl"] = np.where(embedding, AI, RPC).astype(np.int8)
    return _set_bucket(rows, UNKNOWN_TYPE)


def _invalid_quantity(
    ctx: EventContext, rng: np.random.Generator, n: int, extra: np.ndarray
) -> Rows:
    """Successful single-attempt inferences with a negative or non-numeric token count."""
    rows = _base(ctx, rng, n, "ai", event_type=AI)
    variant = rng.integers(0, 3, n)
    rows["tok_in"] = np.where(variant == 0, -rows["tok_in"], rows["tok_in"])
    rows["tok_out"] = np.where(variant == 1, -1 - rows["tok_out"], rows["tok_out"])
    rows["qty_text"] = variant == 2
    return _set_bucket(rows, INVALID_QUANTITY)


KindGenerator = Callable[[EventContext, np.random.Generator, int, np.ndarray], Rows]
GENERATORS: dict[str, KindGenerator] = {
    "normal": _normal,
    "retry": _retry,
    "duplicate": _duplicate,
    "conflict": _conflict,
    "test": _test,
    "internal": _internal,
    "uptime": _uptime,
    "late": _late,
    "bad_timestamp": _bad_timestamp,
    "bad_properties": _bad_properties,
    "missing_field": _missing_field,
    "future": _future,
    "unmapped": _unmapped,
    "unknown_type": _unknown_type,
    "invalid_quantity": _invalid_quantity,
}


def plan_kinds(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Kinds of the logical events of a chunk and their extra rows, totalling `rows` rows."""
    kinds = rng.choice(len(KINDS), rows, p=KIND_P)
    extra = np.zeros(rows, dtype=np.int64)
    retry, duplicate = kinds == RETRY_KIND, kinds == DUPLICATE_KIND
    extra[retry] = rng.choice((1, 2), int(retry.sum()), p=(0.7, 0.3))
    extra[duplicate] = rng.choice((1, 2), int(duplicate.sum()), p=(0.8, 0.2))
    extra[kinds == CONFLICT_KIND] = 1
    used = np.cumsum(1 + extra)
    whole = int(np.searchsorted(used, rows, side="right"))
    short = rows - (int(used[whole - 1]) if whole else 0)
    kinds = np.concatenate([kinds[:whole], np.zeros(short, dtype=kinds.dtype)])
    return kinds, np.concatenate([extra[:whole], np.zeros(short, dtype=np.int64)])


def generate_rows(ctx: EventContext, rng: np.random.Generator, rows: int) -> Rows:
    """Exactly `rows` rows of all kinds, ordered by received_at."""
    kinds, extra = plan_kinds(rng, rows)
    blocks = []
    for code, name in enumerate(KINDS):
        chosen = kinds == code
        blocks.append(GENERATORS[name](ctx, rng, int(chosen.sum()), extra[chosen]))
    combined = concat_rows(blocks)
    return take_rows(combined, np.argsort(combined["rec"], kind="stable"))


def stream_rows(ctx: EventContext, rng: np.random.Generator, n: int) -> Rows:
    """Ordinary RPC requests of 31 October (00:00-23:00 UTC), received the same day."""
    last_day = DEMO_END_AT - DAY
    rows = _base(
        ctx, rng, n, "stream", event_type=RPC, times=last_day + rng.integers(0, 23 * 3_600, n)
    )
    return take_rows(rows, np.argsort(rows["rec"], kind="stable"))


# --- rendering --------------------------------------------------------------------------

EVENT_COLUMNS = ("event_id", "occurred_at", "received_at", "subject", "event_type", "properties")
EVENTS_SCHEMA = pa.schema([(name, pa.string()) for name in EVENT_COLUMNS])


@dataclass(frozen=True)
class IdKeys:
    """Where a chunk's ids live: serial numbers are offset by the chunk, then mixed."""

    chunk_base: int
    event_key: int
    request_key: int

    @classmethod
    def of(cls, seed: int, chunk: int) -> IdKeys:
        digest = hashlib.sha256(f"tally-demo/ids/{seed}".encode()).digest()
        return cls(
            chunk_base=(chunk + 1) << 32,
            event_key=int.from_bytes(digest[:8], "big"),
            request_key=int.from_bytes(digest[8:16], "big"),
        )


def _texts(values: tuple[str, ...]) -> pa.Array:
    return pa.array(values, type=pa.string())


def _with_nulls(values: pa.Array, mask: np.ndarray) -> pa.Array:
    if not mask.any():
        return values
    return pc.if_else(pa.array(mask), pa.nulls(len(values), pa.string()), values)


def _replace(values: pa.Array, mask: np.ndarray, replacement: pa.Array) -> pa.Array:
    if not mask.any():
        return values
    return pc.if_else(pa.array(mask), replacement, values)


def _request_ids(rows: Rows, index: np.ndarray, keys: IdKeys) -> pa.Array:
    """`req_` + 16 hex digits: the request's serial in the chunk, mixed."""
    serial = rows["req"][index] + np.uint64(keys.chunk_base)
    return hex16(mix64(serial, keys.request_key))


ATTEMPTS = (1, 2, 3)
# The categorical tail of each template, pre-rendered for every combination of values
# (joining two strings per row is much faster than joining a dozen).
RPC_TAILS = _texts(
    tuple(
        f'","attempt":{a},"status":"{s}","endpoint_tier":"{t}","region":"{r}","method":"{m}"}}'
        for a in ATTEMPTS
        for s in STATUSES
        for t in TIERS
        for r in REGIONS
        for m in METHODS
    )
)
AI_MIDDLES = _texts(
    tuple(
        f'","attempt":{a},"status":"{s}","model":"{m}","input_tokens":'
        for a in ATTEMPTS
        for s in STATUSES
        for m in MODELS
    )
)
BANDWIDTH_TAILS = _texts(tuple(f',"region":"{r}"}}' for r in REGIONS))


def _combination(rows: Rows, index: np.ndarray, fields: dict[str, int]) -> np.ndarray:
    """Row-major code of several categorical fields (name -> number of values)."""
    code = np.zeros(len(index), dtype=np.int64)
    for name, size in fields.items():
        values = rows[name][index].astype(np.int64) - (1 if name == "attempt" else 0)
        code = code * size + values
    return code


def _rpc_properties(ctx: EventContext, rows: Rows, index: np.ndarray, keys: IdKeys) -> pa.Array:
    fields = {
        "attempt": len(ATTEMPTS),
        "status": len(STATUSES),
        "tier": len(TIERS),
        "region": len(REGIONS),
        "method": len(METHODS),
    }
    tail = pick(RPC_TAILS, _combination(rows, index, fields))
    return join('{"request_id":"req_', _request_ids(rows, index, keys), tail)


def _storage_properties(ctx: EventContext, rows: Rows, index: np.ndarray, keys: IdKeys) -> pa.Array:
    return join('{"bytes_stored":', int_text(rows["stored"][index]), "}")


def _bandwidth_properties(
    ctx: EventContext, rows: Rows, index: np.ndarray, keys: IdKeys
) -> pa.Array:
    tail = pick(BANDWIDTH_TAILS, rows["region"][index])
    return join('{"bytes":', int_text(rows["nbytes"][index]), tail)


def _ai_properties(ctx: EventContext, rows: Rows, index: np.ndarray, keys: IdKeys) -> pa.Array:
    input_tokens = _replace(
        int_text(rows["tok_in"][index]),
        rows["qty_text"][index],
        pa.array(np.full(len(index), '"many"')),
    )
    fields = {"attempt": len(ATTEMPTS), "status": len(STATUSES), "model": len(MODELS)}
    return join(
        '{"request_id":"req_',
        _request_ids(rows, index, keys),
        pick(AI_MIDDLES, _combination(rows, index, fields)),
        input_tokens,
        ',"output_tokens":',
        int_text(rows["tok_out"][index]),
        "}",
    )


def _node_properties(ctx: EventContext, rows: Rows, index: np.ndarray, keys: IdKeys) -> pa.Array:
    return join(
        '{"node_id":"',
        pick(ctx.node_names, rows["node"][index]),
        '","seconds_up":',
        int_text(rows["secs"][index]),
        "}",
    )


def _broken_properties(ctx: EventContext, rows: Rows, index: np.ndarray, keys: IdKeys) -> pa.Array:
    return pick(_texts(BAD_PROPERTIES), rows["bad_props"][index])


PROPERTY_RENDERERS = (
    _rpc_properties,
    _storage_properties,
    _bandwidth_properties,
    _ai_properties,
    _node_properties,
    _broken_properties,
)


def _properties(ctx: EventContext, rows: Rows, keys: IdKeys) -> pa.Array:
    """Each row's properties text, rendered template by template then put back in order."""
    template = rows["tmpl"].astype(np.int64)
    order = np.argsort(template, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(template, minlength=BROKEN + 1))])
    parts = [
        PROPERTY_RENDERERS[code](ctx, rows, order[bounds[code] : bounds[code + 1]], keys)
        for code in range(BROKEN + 1)
    ]
    grouped = pa.concat_arrays([part.cast(pa.string()) for part in parts])
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return grouped.take(pa.array(inverse))


OFFSET_TEXTS = _texts(tuple(text for text, _ in OFFSETS))


def _occurred_at(rows: Rows) -> pa.Array:
    offset_seconds = np.array([seconds for _, seconds in OFFSETS])
    local = rows["occ"] + offset_seconds[rows["off"]]
    text = join(iso_seconds(local), pick(OFFSET_TEXTS, rows["off"]))
    broken = rows["occ_bad"] >= 2
    text = _replace(text, broken, pick(_texts(BAD_TIMESTAMPS), np.maximum(rows["occ_bad"] - 2, 0)))
    return _with_nulls(text, rows["occ_bad"] == 1)


def render(ctx: EventContext, rows: Rows, keys: IdKeys) -> pa.Table:
    """The rows as the six text columns of raw.usage_events."""
    serial = rows["eid"] + np.uint64(keys.chunk_base)
    event_id = join(
        pick(_texts(EVENT_ID_PREFIXES), rows["tmpl"]), "-", hex16(mix64(serial, keys.event_key))
    )
    columns = {
        "event_id": _with_nulls(event_id, rows["eid_null"]),
        "occurred_at": _occurred_at(rows),
        "received_at": iso_seconds(rows["rec"], "Z"),
        "subject": _with_nulls(pick(ctx.subjects, rows["subj"]), rows["subj_null"]),
        "event_type": pick(_texts(EVENT_TYPES), rows["type"]),
        "properties": _properties(ctx, rows, keys),
    }
    return pa.table(
        {name: values.cast(pa.string()) for name, values in columns.items()},
        schema=EVENTS_SCHEMA,
    )


# --- counting ---------------------------------------------------------------------------

# Count and sum meters whose expected quantity the manifest states (meters.csv ids).
USAGE_METERS = (
    "rpc_standard_requests",
    "rpc_archive_requests",
    "ipfs_bandwidth_gb",
    "ai_input_tokens",
    "ai_output_tokens",
)


@dataclass
class Tally:
    """Rows per (month index, bucket) and metered quantities per (account, meter, month)."""

    rows: Counter[tuple[int, int]] = field(default_factory=Counter)
    usage: Counter[tuple[int, str, int]] = field(default_factory=Counter)
    counted: Counter[tuple[int, str, int]] = field(default_factory=Counter)

    def add_rows(self, months: np.ndarray, buckets: np.ndarray) -> None:
        keys, counts = np.unique(months * 16 + buckets, return_counts=True)
        for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
            self.rows[divmod(key, 16)] += count

    def add_usage(
        self, meter: str, acct: np.ndarray, months: np.ndarray, values: np.ndarray
    ) -> None:
        keys, inverse = np.unique(acct.astype(np.int64) * 100_000 + months, return_inverse=True)
        sums = np.zeros(len(keys), dtype=np.int64)
        np.add.at(sums, inverse, values)
        counts = np.bincount(inverse, minlength=len(keys))
        for key, total, count in zip(keys.tolist(), sums.tolist(), counts.tolist(), strict=True):
            account, month = divmod(key, 100_000)
            self.usage[(account, meter, month)] += total
            self.counted[(account, meter, month)] += count

    def update(self, other: Tally) -> None:
        self.rows.update(other.rows)
        self.usage.update(other.usage)
        self.counted.update(other.counted)


def tally_rows(rows: Rows) -> Tally:
    """What the rows should come to: bucket counts per period and the metered quantities."""
    result = Tally()
    period_at = np.where(rows["occ_bad"] != 0, rows["rec"], rows["occ"])
    months = month_index(period_at)
    result.add_rows(months, rows["bucket"].astype(np.int64))
    billed = rows["bucket"] == BILLED
    is_rpc = billed & (rows["type"] == RPC)
    is_ai = billed & (rows["type"] == AI)
    is_bandwidth = billed & (rows["type"] == BANDWIDTH)
    for meter, mask, values in (
        ("rpc_standard_requests", is_rpc & (rows["tier"] == 0), None),
        ("rpc_archive_requests", is_rpc & (rows["tier"] == 1), None),
        ("ipfs_bandwidth_gb", is_bandwidth, rows["nbytes"]),
        ("ai_input_tokens", is_ai, rows["tok_in"]),
        ("ai_output_tokens", is_ai, rows["tok_out"]),
    ):
        if mask.any():
            quantity = np.ones(int(mask.sum()), np.int64) if values is None else values[mask]
            result.add_usage(meter, rows["acct"][mask], months[mask], quantity)
    return result
