"""Adding a meter is a seed row: a third meter of rpc.request (all requests, no filter) is
counted beside the two tier meters. The classification meets a row's meters side by side
in as many slots as the seed's busiest event type has meters (read when it compiles), so
the new meter takes the first slot (meter_id order) and pushes the standard tier to the
third, which a build with two slots would not see."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from tally.dbt import run_dbt
from tally.errors import TallyError
from tally.load import load_paths
from tally.project import PROJECT_DIR
from tally.warehouse import query

from .test_rating_matches_reference import _relative

METERING = "+fct_usage_by_period +fct_event_reconciliation +int_events_quarantined"
ALL_REQUESTS_METER = (
    "rpc_all_requests,rpc.request,,,,,count,,,region,,,true,status,success,,request,"
    '"Every RPC request, whatever its tier."\n'
)


def _event(event_id: str, minute: int, request_id: str, status: str, tier: str) -> str:
    return json.dumps(
        {
            "event_id": event_id,
            "occurred_at": f"2026-08-03T10:{minute:02d}:00Z",
            "received_at": f"2026-08-03T10:{minute:02d}:05Z",
            "subject": "key_slots",
            "event_type": "rpc.request",
            "properties": {
                "request_id": request_id,
                "status": status,
                "endpoint_tier": tier,
                "region": "eu-west",
            },
        }
    )


def test_a_third_meter_of_one_event_type_counts_beside_the_other_two(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(PROJECT_DIR / "seeds", seeds)
    meters = seeds / "metering" / "meters.csv"
    meters.write_text(meters.read_text().rstrip("\n") + "\n" + ALL_REQUESTS_METER)

    identity = tmp_path / "identity"
    shutil.copytree(demo_data_dir / "identity", identity)
    keys = identity / "api_keys.csv"
    keys.write_text(
        keys.read_text().rstrip("\n") + "\nkey_slots,ws_001_1,2026-08-01T00:00:00Z,,false\n"
    )
    events = tmp_path / "events" / "usage_events-slots.jsonl"
    events.parent.mkdir()
    events.write_text(
        "\n".join(
            [
                _event("slot-standard", 1, "req-1", "success", "standard"),
                _event("slot-archive", 2, "req-2", "success", "archive"),
                _event("slot-retry-failed", 3, "req-3", "error", "standard"),
                _event("slot-retry-ok", 4, "req-3", "success", "standard"),
                _event("slot-other-tier", 5, "req-4", "success", "other"),
            ]
        )
        + "\n"
    )
    database = tmp_path / "slots.duckdb"
    load_paths([identity, events], database=database)
    assert run_dbt(["seed"], database=database, seed_path=_relative(seeds)).success
    outcome = run_dbt(["run", "--select", METERING], database=database, seed_path=_relative(seeds))
    assert outcome.success, outcome.failures

    rows = query(
        "select event_id, meter_id, event_status, status_reason, is_event_row, is_counted "
        "from intermediate.int_events_classified order by event_id, meter_id",
        database,
    )
    assert [tuple(row.values()) for row in rows] == [
        ("slot-archive", "rpc_all_requests", "billed", None, True, True),
        ("slot-archive", "rpc_archive_requests", "billed", None, False, True),
        ("slot-other-tier", "rpc_all_requests", "billed", None, True, True),
        (
            "slot-retry-failed",
            "rpc_all_requests",
            "filtered",
            "retry_attempt_not_chosen",
            True,
            False,
        ),
        (
            "slot-retry-failed",
            "rpc_standard_requests",
            "filtered",
            "retry_attempt_not_chosen",
            False,
            False,
        ),
        ("slot-retry-ok", "rpc_all_requests", "billed", None, True, True),
        ("slot-retry-ok", "rpc_standard_requests", "billed", None, False, True),
        ("slot-standard", "rpc_all_requests", "billed", None, True, True),
        ("slot-standard", "rpc_standard_requests", "billed", None, False, True),
    ]
    usage = query(
        "select meter_id, usage_quantity from marts.fct_usage_daily order by meter_id", database
    )
    assert [(row["meter_id"], int(row["usage_quantity"])) for row in usage] == [
        ("rpc_all_requests", 4),
        ("rpc_archive_requests", 1),
        ("rpc_standard_requests", 2),
    ]


def test_the_classification_refuses_a_meters_seed_changed_since_it_was_compiled(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    """The classification is compiled from the meters seed: a seed changed without a
    rebuild must not be counted by the old meters. Querying the stale view fails with a
    message; the rebuild compiles the new meters."""
    events = tmp_path / "events" / "usage_events-changed.jsonl"
    events.parent.mkdir()
    events.write_text(_event("changed-1", 1, "req-1", "success", "standard") + "\n")
    identity = tmp_path / "identity"
    shutil.copytree(demo_data_dir / "identity", identity)
    keys = identity / "api_keys.csv"
    keys.write_text(
        keys.read_text().rstrip("\n") + "\nkey_slots,ws_001_1,2026-08-01T00:00:00Z,,false\n"
    )
    database = tmp_path / "changed.duckdb"
    load_paths([identity, events], database=database)
    assert run_dbt(["seed"], database=database).success
    assert run_dbt(["run", "--select", METERING], database=database).success
    classified = (
        "select meter_id, event_status from intermediate.int_events_classified order by meter_id"
    )
    assert [tuple(row.values()) for row in query(classified, database)] == [
        ("rpc_standard_requests", "billed"),
    ]

    connection = duckdb.connect(str(database))
    try:
        connection.execute(
            "update price_book.meters set filter_values_1 = 'premium'"
            " where meter_id = 'rpc_standard_requests'"
        )
    finally:
        connection.close()
    with pytest.raises(TallyError, match="the meters seed changed since int_events_classified"):
        query(classified, database)

    assert run_dbt(["run", "--select", "int_events_classified"], database=database).success
    assert [tuple(row.values()) for row in query(classified, database)] == [
        ("rpc_standard_requests", "filtered"),
    ]
