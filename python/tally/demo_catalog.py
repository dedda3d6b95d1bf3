"""The demo business: a Web3 infrastructure and AI API provider, as in the article.

The demo data generator and the demo price book (seeds/pricing, seeds/contracts) both follow
this catalogue, and a test checks that they agree: every demo account is on a plan from its
start date, and uses only what that plan sells.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The three demo billing periods (calendar months, UTC).
DEMO_PERIODS: tuple[date, ...] = (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1))
DEMO_END = date(2026, 11, 1)

# What each plan sells, as meter ids (seeds/metering/meters.csv).
RPC_METERS = ("rpc_standard_requests", "rpc_archive_requests")
ALL_METERS = (
    *RPC_METERS,
    "ipfs_storage_gb_month",
    "ipfs_bandwidth_gb",
    "ai_input_tokens",
    "ai_output_tokens",
)
PLAN_METERS: dict[str, tuple[str, ...]] = {
    "starter": RPC_METERS,
    "growth": ALL_METERS,
    "enterprise": ALL_METERS,
}
# Event types each plan's accounts emit (node.uptime is declared but never billed).
PLAN_EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "starter": ("rpc.request",),
    "growth": ("rpc.request", "ipfs.storage_reading", "ipfs.bandwidth", "ai.inference"),
    "enterprise": ("rpc.request", "ipfs.storage_reading", "ipfs.bandwidth", "ai.inference"),
}


@dataclass(frozen=True)
class DemoAccount:
    """One billing account of the demo, its plan and the contract's dates."""

    billing_account_id: str
    account_name: str
    plan_id: str
    contract_start: date
    contract_end: date | None = None  # excluded; None is open
    currency_code: str = "USD"
    note: str = ""


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("acct_001", "Blocknative Labs", "starter", date(2026, 8, 1)),
    DemoAccount("acct_002", "Ledgerline", "starter", date(2026, 8, 1)),
    DemoAccount("acct_003", "Mintlane", "starter", date(2026, 8, 1), note="promotional credit"),
    DemoAccount("acct_004", "Hashpoint", "starter", date(2026, 8, 1)),
    DemoAccount("acct_005", "Gasless Co", "starter", date(2026, 8, 1)),
    DemoAccount("acct_006", "Validator Guild", "starter", date(2026, 8, 1)),
    DemoAccount(
        "acct_007",
        "Rollup Works",
        "starter",
        date(2026, 8, 1),
        date(2026, 9, 1),
        note="moves to growth on 1 Sep (acct_007 keeps one contract at a time)",
    ),
    DemoAccount("acct_008", "Chainpulse", "starter", date(2026, 8, 22), note="starts mid-month"),
    DemoAccount("acct_009", "Nodefleet", "growth", date(2026, 8, 1)),
    DemoAccount(
        "acct_010", "Pinata Partners", "growth", date(2026, 8, 1), note="promotional credit"
    ),
    DemoAccount("acct_011", "Oracle Street", "growth", date(2026, 8, 1)),
    DemoAccount("acct_012", "Inference Harbor", "growth", date(2026, 8, 1)),
    DemoAccount("acct_013", "Merkle & Co", "growth", date(2026, 8, 1), note="regional prices"),
    DemoAccount("acct_014", "Tokenwise AI", "growth", date(2026, 8, 1)),
    DemoAccount("acct_015", "Stakehouse", "growth", date(2026, 8, 1)),
    DemoAccount("acct_016", "Relay Nine", "growth", date(2026, 8, 1), note="minimum spend"),
    DemoAccount(
        "acct_017", "Atlas Exchange", "enterprise", date(2026, 8, 1), note="prepaid annual"
    ),
    DemoAccount(
        "acct_018", "Polar Custody", "enterprise", date(2026, 8, 1), note="postpaid commitment"
    ),
    DemoAccount("acct_019", "Quanta Models", "enterprise", date(2026, 8, 1)),
    DemoAccount("acct_020", "Meridian Bank", "enterprise", date(2026, 8, 1)),
)

# acct_007's second contract: growth from 1 Sep (a plan change between periods).
ACCOUNT_PLAN_CHANGES: dict[str, tuple[str, date]] = {"acct_007": ("growth", date(2026, 9, 1))}

# The provider's own organisation: its traffic is internal (filtered), it has no contract.
INTERNAL_ACCOUNT_ID = "acct_internal"


def plan_on(account: DemoAccount, day: date) -> str | None:
    """The plan an account is on at a day, or None outside its contracts."""
    change = ACCOUNT_PLAN_CHANGES.get(account.billing_account_id)
    if change is not None and day >= change[1]:
        return change[0]
    if day < account.contract_start:
        return None
    if account.contract_end is not None and day >= account.contract_end:
        return None
    return account.plan_id
