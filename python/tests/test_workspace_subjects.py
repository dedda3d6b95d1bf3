"""A workspace id is a subject (docs/data-contract.md): its usage bills to the workspace's
organisation's account; an identifier that is both an API key and a workspace fails the
build, naming it, instead of billing its usage twice."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tally.dbt import run_dbt
from tally.load import load_paths
from tally.warehouse import query

METERING = "+fct_usage_by_period +fct_event_reconciliation +int_events_quarantined"


def _events(path: Path, subject: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        {
            "event_id": f"ws-test-{index}",
            "occurred_at": f"2026-08-0{index}T10:00:00Z",
            "received_at": f"2026-08-0{index}T10:00:05Z",
            "subject": subject,
            "event_type": "rpc.request",
            "properties": {
                "request_id": f"req-ws-{index}",
                "status": "success",
                "endpoint_tier": "standard",
                "region": "eu-west",
            },
        }
        for index in (1, 2)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_workspace_id_subject_bills_to_its_organisations_account(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    database = tmp_path / "workspace.duckdb"
    workspace = "ws_001_1"
    with (demo_data_dir / "identity" / "workspaces.csv").open() as handle:
        row = next(r for r in csv.DictReader(handle) if r["workspace_id"] == workspace)
    assert row["is_test"] == "false"
    with (demo_data_dir / "identity" / "organisations.csv").open() as handle:
        account = next(
            r["billing_account_id"]
            for r in csv.DictReader(handle)
            if r["organisation_id"] == row["organisation_id"]
        )
    load_paths(
        [
            demo_data_dir / "identity",
            _events(tmp_path / "events" / "usage_events-ws.jsonl", workspace),
        ],
        database=database,
    )
    assert run_dbt(["seed"], database=database).success
    outcome = run_dbt(["run", "--select", METERING], database=database)
    assert outcome.success, outcome.failures

    rows = query(
        "select event_id, event_status, billing_account_id, meter_id "
        "from intermediate.int_events_classified where is_event_row order by event_id",
        database,
    )
    assert rows == [
        {
            "event_id": f"ws-test-{index}",
            "event_status": "billed",
            "billing_account_id": account,
            "meter_id": "rpc_standard_requests",
        }
        for index in (1, 2)
    ]

    # The same identifier as an API key too: two ranges at once, which would bill twice.
    keys = tmp_path / "collision" / "api_keys-collision.csv"
    keys.parent.mkdir()
    keys.write_text(
        "api_key_id,workspace_id,valid_from,valid_to,is_test\n"
        f"{workspace},{workspace},2026-08-02T00:00:00Z,,false\n"
    )
    load_paths([keys], database=database)
    checked = run_dbt(
        [
            "build",
            "--select",
            "int_identity_subject_timeline+",
            "--exclude",
            "resource_type:unit_test",
        ],
        database=database,
    )
    assert not checked.success
    failures = "\n".join(checked.failures)
    assert "assert_subject_ranges_do_not_overlap" in failures
    assert (
        f"subject {workspace} has overlapping identity ranges "
        "(workspace from 2026-08-01 00:00:00, api_key from 2026-08-02 00:00:00)"
    ) in failures
