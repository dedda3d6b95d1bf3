"""The commit the commercial terms came from: the price book and contracts are dbt seeds in
git, reviewed like code, and every invoice names the commit of the terms it was rated from
(PRICING.md, "Where the data lives")."""

from __future__ import annotations

import subprocess
from pathlib import Path

DIRTY_SUFFIX = "-dirty"
UNCOMMITTED = "uncommitted"


def _git(directory: Path, *args: str) -> str | None:
    """git's output in directory, or None when git is missing or the command fails (not a
    work tree, say)."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def terms_commit(seed_dir: Path) -> str | None:
    """The last commit that changed anything under seed_dir, with `-dirty` appended when
    the folder holds changes not committed (new files included); `uncommitted` when the
    folder is in a git work tree but no commit has it yet; None when it is not in a git
    work tree. The commit of the terms themselves rather than HEAD, so that the same seeds
    give the same invoices whatever else was committed since."""
    if not seed_dir.is_dir() or _git(seed_dir, "rev-parse", "--is-inside-work-tree") != "true":
        return None
    commit = _git(seed_dir, "log", "-1", "--format=%H", "--", ".")
    if not commit:
        return UNCOMMITTED
    changes = _git(seed_dir, "status", "--porcelain", "--untracked-files=all", "--", ".")
    return commit + DIRTY_SUFFIX if changes else commit
