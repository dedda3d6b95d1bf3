"""The demo's identity map: accounts, organisations, workspaces, API keys and wallets.

The identity is the same for every seed (only the events depend on it), so tests and the
metering models can name its special cases:

- `acct_internal` is the provider's own organisation (`is_internal`), with no contract.
- `ws_012_sandbox` (acct_012) is the test workspace (`is_test`): its traffic is filtered.
- `MOVED_KEY` moves from a workspace of acct_011 to one of acct_015 at `MOVE_AT`.
- `UNMAPPED_WALLETS` emit usage but are in no identity file.

Ids are derived from fixed text by SHA-256, so they look random but never change.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tally.demo_catalog import DEMO_ACCOUNTS, DEMO_END, DEMO_PERIODS, DemoAccount, plan_on

INTERNAL_ACCOUNT_ID = "acct_internal"
TEST_ACCOUNT_ID = "acct_012"
TEST_WORKSPACE_ID = "ws_012_sandbox"
MOVE_FROM_ACCOUNT_ID = "acct_011"
MOVE_TO_ACCOUNT_ID = "acct_015"
MOVE_AT = datetime(2026, 9, 15, 12, 0, 0, tzinfo=UTC)
UNMAPPED_WALLET_COUNT = 3
WALLET_PLANS = ("growth", "enterprise")
WORKSPACE_NAMES = ("production", "staging", "analytics")

ROLE_CUSTOMER = "customer"
ROLE_TEST = "test"
ROLE_INTERNAL = "internal"


def _digest(text: str) -> str:
    return hashlib.sha256(f"tally-demo/{text}".encode()).hexdigest()


def _number(text: str) -> int:
    return int(_digest(text)[:8], 16)


def api_key_id(label: str) -> str:
    """A stable API key id (`key_` + 24 hex digits) for a label."""
    return "key_" + _digest(f"key/{label}")[:24]


def wallet_address(label: str) -> str:
    """A stable lowercase EVM address (`0x` + 40 hex digits) for a label."""
    return "0x" + _digest(f"wallet/{label}")[:40]


def mixed_case(address: str) -> str:
    """The address with some hex letters upper-cased (as a checksummed address looks)."""
    bits = _digest(f"case/{address}")
    chars = [
        c.upper() if c.isalpha() and int(bits[i % 64], 16) >= 8 else c
        for i, c in enumerate(address[2:])
    ]
    return "0x" + "".join(chars)


MOVED_KEY = api_key_id("moving/acct_011-to-acct_015")
UNMAPPED_WALLETS: tuple[str, ...] = tuple(
    wallet_address(f"unmapped/{n}") for n in range(1, UNMAPPED_WALLET_COUNT + 1)
)


@dataclass(frozen=True)
class BillingAccount:
    billing_account_id: str
    account_name: str
    currency_code: str


@dataclass(frozen=True)
class Organisation:
    organisation_id: str
    organisation_name: str
    billing_account_id: str
    valid_from: datetime
    is_internal: bool


@dataclass(frozen=True)
class Workspace:
    workspace_id: str
    workspace_name: str
    organisation_id: str
    billing_account_id: str
    valid_from: datetime
    is_test: bool


@dataclass(frozen=True)
class SubjectLink:
    """One effective-dated link of a subject (API key or wallet) to a workspace."""

    subject: str
    is_wallet: bool
    workspace_id: str
    billing_account_id: str
    valid_from: datetime
    valid_to: datetime | None
    role: str  # customer, test or internal


@dataclass(frozen=True)
class Identity:
    accounts: tuple[BillingAccount, ...]
    organisations: tuple[Organisation, ...]
    workspaces: tuple[Workspace, ...]
    links: tuple[SubjectLink, ...]


def _at_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def account_start(account: DemoAccount) -> datetime:
    """The first instant of the demo at which the account has a plan (identity starts then)."""
    day = DEMO_PERIODS[0]
    while plan_on(account, day) is None:
        day += timedelta(days=1)
        if day >= DEMO_END:
            raise ValueError(f"demo account {account.billing_account_id} never has a plan")
    return _at_midnight(day)


def _customer_entities(
    account: DemoAccount,
) -> tuple[list[Organisation], list[Workspace], list[SubjectLink]]:
    acct = account.billing_account_id
    suffix = acct.removeprefix("acct_")
    start = account_start(account)
    org_count = 2 if account.plan_id == "enterprise" or _number(f"orgs/{acct}") % 3 == 0 else 1
    workspace_count = max(org_count, 1 + _number(f"workspaces/{acct}") % 3)
    orgs = [
        Organisation(
            f"org_{suffix}_{n}",
            account.account_name if n == 1 else f"{account.account_name} Research",
            acct,
            start,
            False,
        )
        for n in range(1, org_count + 1)
    ]
    workspaces = [
        Workspace(
            f"ws_{suffix}_{n}",
            WORKSPACE_NAMES[n - 1],
            orgs[(n - 1) % org_count].organisation_id,
            acct,
            start,
            False,
        )
        for n in range(1, workspace_count + 1)
    ]
    links: list[SubjectLink] = []
    for ws in workspaces:
        for n in range(1, 2 + _number(f"keys/{ws.workspace_id}") % 2):
            key = api_key_id(f"{ws.workspace_id}/{n}")
            links.append(SubjectLink(key, False, ws.workspace_id, acct, start, None, ROLE_CUSTOMER))
    if account.plan_id in WALLET_PLANS:
        for n in range(1, 3 + _number(f"wallets/{acct}") % 3):
            ws = workspaces[(n - 1) % workspace_count]
            address = wallet_address(f"{acct}/{n}")
            links.append(
                SubjectLink(address, True, ws.workspace_id, acct, start, None, ROLE_CUSTOMER)
            )
    return orgs, workspaces, links


def _test_entities(start: datetime) -> tuple[Workspace, list[SubjectLink]]:
    org_id = f"org_{TEST_ACCOUNT_ID.removeprefix('acct_')}_1"
    workspace = Workspace(TEST_WORKSPACE_ID, "sandbox", org_id, TEST_ACCOUNT_ID, start, True)
    links = [
        SubjectLink(
            api_key_id(f"{TEST_WORKSPACE_ID}/{n}"),
            False,
            TEST_WORKSPACE_ID,
            TEST_ACCOUNT_ID,
            start,
            None,
            ROLE_TEST,
        )
        for n in (1, 2)
    ]
    address = wallet_address(f"{TEST_WORKSPACE_ID}/1")
    links.append(
        SubjectLink(address, True, TEST_WORKSPACE_ID, TEST_ACCOUNT_ID, start, None, ROLE_TEST)
    )
    return workspace, links


def _internal_entities(
    start: datetime,
) -> tuple[BillingAccount, Organisation, Workspace, list[SubjectLink]]:
    account = BillingAccount(INTERNAL_ACCOUNT_ID, "Tally Internal", "USD")
    org = Organisation("org_internal", "Tally Internal", INTERNAL_ACCOUNT_ID, start, True)
    workspace = Workspace(
        "ws_internal_ops", "operations", org.organisation_id, INTERNAL_ACCOUNT_ID, start, False
    )
    links = [
        SubjectLink(
            api_key_id(f"internal/{n}"),
            False,
            workspace.workspace_id,
            INTERNAL_ACCOUNT_ID,
            start,
            None,
            ROLE_INTERNAL,
        )
        for n in (1, 2)
    ]
    return account, org, workspace, links


def _moved_key_links(workspaces: list[Workspace]) -> list[SubjectLink]:
    first = {ws.billing_account_id: ws for ws in reversed(workspaces)}
    source, target = first[MOVE_FROM_ACCOUNT_ID], first[MOVE_TO_ACCOUNT_ID]
    return [
        SubjectLink(
            MOVED_KEY,
            False,
            source.workspace_id,
            MOVE_FROM_ACCOUNT_ID,
            source.valid_from,
            MOVE_AT,
            ROLE_CUSTOMER,
        ),
        SubjectLink(
            MOVED_KEY, False, target.workspace_id, MOVE_TO_ACCOUNT_ID, MOVE_AT, None, ROLE_CUSTOMER
        ),
    ]


def build_identity() -> Identity:
    """The demo's identity map (the same for every seed)."""
    start = _at_midnight(DEMO_PERIODS[0])
    accounts = [
        BillingAccount(a.billing_account_id, a.account_name, a.currency_code) for a in DEMO_ACCOUNTS
    ]
    orgs: list[Organisation] = []
    workspaces: list[Workspace] = []
    links: list[SubjectLink] = []
    for account in DEMO_ACCOUNTS:
        account_orgs, account_workspaces, account_links = _customer_entities(account)
        orgs += account_orgs
        workspaces += account_workspaces
        links += account_links
    test_workspace, test_links = _test_entities(start)
    internal_account, internal_org, internal_workspace, internal_links = _internal_entities(start)
    links += _moved_key_links(workspaces) + test_links + internal_links
    return Identity(
        accounts=(*accounts, internal_account),
        organisations=(*orgs, internal_org),
        workspaces=(*workspaces, test_workspace, internal_workspace),
        links=tuple(links),
    )


def iso_utc(instant: datetime | None) -> str:
    """`2026-08-01T00:00:00Z`, or empty for an open end."""
    return "" if instant is None else instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def identity_tables(identity: Identity) -> dict[str, list[list[str]]]:
    """Each identity file's rows (header first), as docs/data-contract.md names them."""
    keys = [link for link in identity.links if not link.is_wallet]
    wallets = [link for link in identity.links if link.is_wallet]
    test_workspaces = {ws.workspace_id for ws in identity.workspaces if ws.is_test}

    def subject_row(link: SubjectLink) -> list[str]:
        return [
            link.subject,
            link.workspace_id,
            iso_utc(link.valid_from),
            iso_utc(link.valid_to),
            # The workspace carries the test flag; a subject in it is test traffic as well.
            _flag(link.workspace_id in test_workspaces),
        ]

    return {
        "billing_accounts": [
            ["billing_account_id", "account_name", "currency_code"],
            *([a.billing_account_id, a.account_name, a.currency_code] for a in identity.accounts),
        ],
        "organisations": [
            [
                "organisation_id",
                "organisation_name",
                "billing_account_id",
                "valid_from",
                "valid_to",
                "is_internal",
            ],
            *(
                [
                    o.organisation_id,
                    o.organisation_name,
                    o.billing_account_id,
                    iso_utc(o.valid_from),
                    "",
                    _flag(o.is_internal),
                ]
                for o in identity.organisations
            ),
        ],
        "workspaces": [
            [
                "workspace_id",
                "workspace_name",
                "organisation_id",
                "valid_from",
                "valid_to",
                "is_test",
            ],
            *(
                [
                    w.workspace_id,
                    w.workspace_name,
                    w.organisation_id,
                    iso_utc(w.valid_from),
                    "",
                    _flag(w.is_test),
                ]
                for w in identity.workspaces
            ),
        ],
        "api_keys": [
            ["api_key_id", "workspace_id", "valid_from", "valid_to", "is_test"],
            *(subject_row(link) for link in keys),
        ],
        "wallets": [
            ["wallet_address", "workspace_id", "valid_from", "valid_to", "is_test"],
            *(subject_row(link) for link in wallets),
        ],
    }


def write_identity(identity: Identity, folder: Path) -> list[tuple[Path, int]]:
    """Write the five identity CSV files; returns each file and its data row count."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table, rows in identity_tables(identity).items():
        path = folder / f"{table}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
        written.append((path, len(rows) - 1))
    return written
