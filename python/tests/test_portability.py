"""The same project on the Snowflake target, through fakesnow: seeds, every model and the
data tests build (dbt unit tests need a real account: fakesnow's JSON and division
emulation differ from Snowflake's, see DECISIONLOG.md)."""

from __future__ import annotations

import json
from pathlib import Path

from tally.demo_catalog import DEMO_ACCOUNTS
from tally.portability import build_on_fakesnow

LOADER = ("fixture.csv", "0" * 64, 1, "2026-11-01 00:00:00", None, None)
ROWS = {
    "billing_accounts": [
        (account.billing_account_id, account.account_name, account.currency_code, *LOADER)
        for account in DEMO_ACCOUNTS
    ],
    "organisations": [("org_1", "Org", "acct_001", "2026-08-01T00:00:00Z", "", "false", *LOADER)],
    "workspaces": [("ws_1", "Main", "org_1", "2026-08-01T00:00:00Z", "", "false", *LOADER)],
    "api_keys": [("key_1", "ws_1", "2026-08-01T00:00:00Z", "", "false", *LOADER)],
    "wallets": [],
    "usage_events": [
        (
            f"rpc-{number}",
            "2026-08-02T10:00:00+02:00",
            "2026-08-02T08:00:01Z",
            "key_1",
            "rpc.request",
            json.dumps(
                {"request_id": f"r{number}", "status": "success", "endpoint_tier": "standard"}
            ),
            "usage_events.jsonl",
            "1" * 64,
            number + 1,
            "2026-11-01 00:00:00",
            None,
            None,
        )
        for number in range(5)
    ],
}


def test_project_builds_on_the_snowflake_target_through_fakesnow(tmp_path: Path) -> None:
    outcome = build_on_fakesnow(
        tmp_path / "fakesnow", ("build", "--exclude", "test_type:unit"), rows=ROWS
    )
    assert outcome.success, "\n".join(outcome.failures)
