"""The run store's health: a damaged or unreachable store must not break a page. A server checks
its data directory and database once; a database SQLite cannot read is set aside, never deleted."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from mnist_demo.storage import store

SQLITE_HEADER = b"SQLite format 3\x00"
DAMAGED_SUFFIX = ".damaged-"  # runs.sqlite.damaged-20261202-103000: a store set aside
MODEL_SUFFIX = ".keras"


@dataclass(frozen=True)
class StoreHealth:
    """What check_health found. problem is None when runs and corrections can be stored."""

    home: str  # the data directory as configured ($MNIST_DEMO_HOME or ~/.mnist_demo)
    problem: str | None = None  # "home_unusable", "read_only" or "unreadable"
    detail: str = ""  # the system's words for the problem
    moved_to: Path | None = None  # where a damaged database was moved, when one was
    moved_reason: str = ""
    damaged_runs: int = 0  # run records whose settings cannot be read (not listed)
    orphan_models: tuple[Path, ...] = ()  # model files that no run record names

    @property
    def usable(self) -> bool:
        return self.problem is None


def check_health() -> StoreHealth:
    """Check the data directory and the database once (a server does it at start): a database
    that SQLite cannot read is moved aside, never deleted, and a new one started; a directory
    that is a file or read-only is reported, not raised."""
    home = Path(os.environ.get(store.HOME_ENV) or Path.home() / ".mnist_demo")
    try:
        home.mkdir(parents=True, exist_ok=True)
        if not home.is_dir():
            raise NotADirectoryError(f"{home} is not a directory")
    except OSError as error:
        return StoreHealth(str(home), "home_unusable", _words(error))
    try:
        with tempfile.TemporaryFile(dir=home):
            pass  # os.access says yes to root even on a read-only or immutable directory
    except OSError as error:
        return StoreHealth(str(home), "read_only", _words(error))
    path = home / store.DB_NAME
    moved_to, reason = None, damage(path)
    if reason is not None:
        moved_to = set_aside(path)
    try:
        with closing(store.connect(home)) as connection:
            connection.execute("SELECT COUNT(*) FROM runs").fetchone()
            connection.execute("CREATE TABLE IF NOT EXISTS _write_check (x)")
            connection.execute("DROP TABLE _write_check")
    except sqlite3.OperationalError as error:
        problem = "read_only" if "readonly" in str(error) else "unreadable"
        return StoreHealth(str(home), problem, _words(error), moved_to, reason or "")
    except sqlite3.DatabaseError as error:
        return StoreHealth(str(home), "unreadable", _words(error), moved_to, reason or "")
    return StoreHealth(
        str(home),
        moved_to=moved_to,
        moved_reason=reason or "",
        damaged_runs=store.count_damaged_runs(),
        orphan_models=tuple(orphan_models()),
    )


def damage(path: Path) -> str | None:
    """Why the database file at path cannot be used (None when it can, or does not exist):
    empty (a store whose content was lost), not a SQLite file, or failing SQLite's quick check."""
    if not path.exists():
        return None
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        return _words(error)
    if not header:
        return "the file is empty"
    if header != SQLITE_HEADER:
        return "the file is not a SQLite database"
    try:
        with closing(sqlite3.connect(path, timeout=30)) as connection:
            result = connection.execute("PRAGMA quick_check").fetchone()
    except sqlite3.OperationalError:
        return None  # locked or busy (another server writing): not damage
    except sqlite3.DatabaseError as error:
        return _words(error)
    return None if result and result[0] == "ok" else f"quick_check: {result[0] if result else '?'}"


def set_aside(path: Path) -> Path:
    """Move a damaged database (and its -wal and -shm files, which SQLite would otherwise apply to
    the new one) to runs.sqlite.damaged-<time>; returns the new path. Nothing is deleted."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}{stamp}-{number}")
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, target.with_name(target.name + suffix))
    os.replace(path, target)
    return target


def orphan_models() -> list[Path]:
    """Model files in the models directory that no readable run record names (the store was
    reset, or their record is damaged), oldest first. Temporary files are not models."""
    directory = store.data_home() / "models"
    if not directory.is_dir():
        return []
    named = {
        Path(run["model_path"]).resolve() for run in store.list_runs() if run.get("model_path")
    }
    files = [
        path
        for path in directory.glob(f"*{MODEL_SUFFIX}")
        if not path.name.startswith(".") and path.is_file() and path.resolve() not in named
    ]
    return sorted(files, key=lambda path: path.stat().st_mtime)


def _words(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
