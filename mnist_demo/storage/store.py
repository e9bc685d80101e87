"""Persist runs, per-epoch metrics and Draw-page corrections in one SQLite file."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np

from mnist_demo.data import IMAGE_PIXELS, IMAGE_SHAPE
from mnist_demo.training import run_state
from mnist_demo.training.run_state import RunStatus

HOME_ENV = "MNIST_DEMO_HOME"
DB_NAME = "runs.sqlite"
# Every status a run can have; the engines (training_run.py, ray_engine.py) move runs through them.
STATUSES = tuple(RunStatus)
ACTIVE_STATUSES = tuple(run_state.ACTIVE_STATUSES)
# Runs that leave a saved model behind (a stopped run saves its partial weights too).
MODEL_STATUSES = (RunStatus.COMPLETED, RunStatus.STOPPED)
# The server holding a queued or running run writes its heartbeat this often; a run whose
# heartbeat is older than the timeout belongs to a server that died (killed, or its machine
# gone) and is shown as interrupted, even while other servers on the same directory live on.
HEARTBEAT_SECONDS = 5.0
HEARTBEAT_TIMEOUT_SECONDS = 30.0
CORRECTION_BYTES = IMAGE_PIXELS * 4  # one (28, 28) float32 image

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    status TEXT NOT NULL,
    config_json TEXT NOT NULL,
    test_loss REAL,
    test_accuracy REAL,
    model_path TEXT,
    error TEXT,
    pid INTEGER,
    heartbeat_at REAL
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    metrics_json TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
);
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted INTEGER,
    image BLOB NOT NULL
);
"""


def data_home() -> Path:
    """The data directory: $MNIST_DEMO_HOME, or ~/.mnist_demo; created on first use."""
    home = Path(os.environ.get(HOME_ENV) or Path.home() / ".mnist_demo")
    home.mkdir(parents=True, exist_ok=True)
    return home


def models_dir() -> Path:
    path = data_home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def connect(home: Path | None = None) -> sqlite3.Connection:
    """A new connection to the store, schema created; WAL lets pages read while a run writes."""
    path = (home or data_home()) / DB_NAME
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.executescript(SCHEMA)
    _add_missing_columns(connection)
    return connection


# Columns added after the first release: a store written by an older version gains them.
ADDED_COLUMNS = {"heartbeat_at": "REAL"}


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    present = {row[1] for row in connection.execute("PRAGMA table_info(runs)")}
    for name, kind in ADDED_COLUMNS.items():
        if name not in present:
            try:
                connection.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError as error:  # another process added it first
                if "duplicate column" not in str(error):
                    raise


def _execute(sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    with closing(connect()) as connection:
        return connection.execute(sql, params).fetchall()


# Runs ------------------------------------------------------------------------------------------


def create_run(run_id: str, config: dict, status: str = "queued") -> None:
    now = time.time()
    _execute(
        "INSERT INTO runs (id, created_at, status, config_json, pid, heartbeat_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (run_id, now, status, json.dumps(config), os.getpid(), now),
    )


def update_run(run_id: str, **fields) -> None:
    """Set the given columns of one run (status, started_at, test_accuracy, model_path, ...)."""
    allowed = {
        "started_at",
        "finished_at",
        "status",
        "test_loss",
        "test_accuracy",
        "model_path",
        "error",
        "pid",
        "heartbeat_at",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"unknown run fields: {sorted(unknown)}")
    if not fields:
        return
    assignments = ", ".join(f"{name} = ?" for name in fields)
    _execute(f"UPDATE runs SET {assignments} WHERE id = ?", (*fields.values(), run_id))


def record_epoch(run_id: str, epoch: int, metrics: dict) -> None:
    _execute(
        "INSERT OR REPLACE INTO epochs (run_id, epoch, metrics_json) VALUES (?, ?, ?)",
        (run_id, epoch, json.dumps(metrics)),
    )


def list_runs() -> list[dict]:
    """All runs, newest first, each with its config and per-epoch metrics."""
    with closing(connect()) as connection:
        rows = connection.execute("SELECT * FROM runs ORDER BY created_at DESC").fetchall()
        epochs = connection.execute(
            "SELECT run_id, metrics_json FROM epochs ORDER BY run_id, epoch"
        ).fetchall()
    metrics: dict[str, list[dict]] = {}
    for epoch in epochs:
        parsed = _json_object(epoch["metrics_json"])
        if parsed is not None:  # a damaged epoch record is left out, not fatal
            metrics.setdefault(epoch["run_id"], []).append(parsed)
    runs = [_run_dict(row, metrics.get(row["id"], [])) for row in rows]
    return [run for run in runs if run is not None]


def get_run(run_id: str) -> dict | None:
    """One run with its config and per-epoch metrics, or None if there is no such run."""
    with closing(connect()) as connection:
        row = connection.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        epochs = connection.execute(
            "SELECT metrics_json FROM epochs WHERE run_id = ? ORDER BY epoch", (run_id,)
        ).fetchall()
    if row is None:
        return None
    parsed = [_json_object(epoch["metrics_json"]) for epoch in epochs]
    return _run_dict(row, [metrics for metrics in parsed if metrics is not None])


def _run_dict(row: sqlite3.Row, epochs: list[dict]) -> dict | None:
    """The row as a dict, or None when its settings are damaged (count_damaged_runs counts them,
    and the Train page says so)."""
    run = dict(row)
    config = _json_object(run.pop("config_json"))
    if config is None:
        return None
    run["config"] = config
    run["epochs"] = epochs
    return run


def _json_object(text) -> dict | None:
    """A JSON object, or None for anything else (bad JSON, a list, NULL)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def beat(run_ids: list[str]) -> None:
    """The heartbeat of this server's queued and running runs: they are still looked after."""
    if run_ids:
        _execute(
            f"UPDATE runs SET heartbeat_at = ? WHERE id IN ({', '.join('?' * len(run_ids))})",
            (time.time(), *run_ids),
        )


def mark_interrupted() -> int:
    """Runs left queued or running by a process that no longer exists, or whose heartbeat
    stopped more than HEARTBEAT_TIMEOUT_SECONDS ago, become 'interrupted'."""
    rows = _execute(
        "SELECT id, pid, heartbeat_at FROM runs"
        f" WHERE status IN ({', '.join('?' * len(ACTIVE_STATUSES))})",
        ACTIVE_STATUSES,
    )
    stale_before = time.time() - HEARTBEAT_TIMEOUT_SECONDS
    dead = [
        row["id"]
        for row in rows
        if not _process_alive(row["pid"])
        or (row["heartbeat_at"] is not None and row["heartbeat_at"] < stale_before)
    ]
    for run_id in dead:
        update_run(run_id, status="interrupted", finished_at=time.time())
    return len(dead)


def count_damaged_runs() -> int:
    """Run records whose settings are not a JSON object (list_runs leaves them out)."""
    rows = _execute("SELECT config_json FROM runs")
    return sum(1 for row in rows if _json_object(row["config_json"]) is None)


def _process_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# Corrections from the Draw page ----------------------------------------------------------------


def add_correction(image: np.ndarray, label: int, predicted: int | None = None) -> int:
    """Store a user's corrected label for a (28, 28) float32 input in [0, 1]; returns its id."""
    image = np.asarray(image, dtype="float32")
    if image.shape != IMAGE_SHAPE:
        raise ValueError(f"a correction image must have shape (28, 28), got {image.shape}")
    if not np.isfinite(image).all() or image.min() < 0 or image.max() > 1:
        raise ValueError("a correction image must hold finite values in [0, 1]")
    if not 0 <= int(label) <= 9:
        raise ValueError(f"a corrected label must be a digit 0-9, got {label}")
    with closing(connect()) as connection:
        cursor = connection.execute(
            "INSERT INTO corrections (created_at, label, predicted, image) VALUES (?, ?, ?, ?)",
            (time.time(), int(label), predicted, image.tobytes()),
        )
        return int(cursor.lastrowid)


def relabel_correction(correction_id: int, label: int) -> None:
    """Change a stored correction's label (the user picked the wrong digit)."""
    if not 0 <= int(label) <= 9:
        raise ValueError(f"a corrected label must be a digit 0-9, got {label}")
    _change_correction("UPDATE corrections SET label = ? WHERE id = ?", (int(label), correction_id))


def delete_correction(correction_id: int) -> None:
    """Withdraw a stored correction."""
    _change_correction("DELETE FROM corrections WHERE id = ?", (correction_id,))


def _change_correction(sql: str, parameters: tuple) -> None:
    with closing(connect()) as connection:  # autocommit: each statement is its own transaction
        if connection.execute(sql, parameters).rowcount != 1:
            raise KeyError(f"no correction with id {parameters[-1]}")


def count_corrections() -> int:
    return int(_execute("SELECT COUNT(*) FROM corrections")[0][0])


def load_corrections() -> tuple[np.ndarray, np.ndarray]:
    """All corrections as images (n, 28, 28) float32 in [0, 1] and labels (n,) uint8."""
    rows = _execute("SELECT id, label, image FROM corrections ORDER BY id")
    images = np.zeros((len(rows), 28, 28), dtype="float32")  # (n, 28, 28)
    for index, row in enumerate(rows):
        if len(row["image"]) != CORRECTION_BYTES:
            raise ValueError(
                f"correction {row['id']} in {data_home() / DB_NAME} is corrupt: its image has "
                f"{len(row['image'])} bytes, expected {CORRECTION_BYTES}"
            )
        images[index] = np.frombuffer(row["image"], dtype="float32").reshape(IMAGE_SHAPE)
        if not np.isfinite(images[index]).all():
            raise ValueError(
                f"correction {row['id']} in {data_home() / DB_NAME} is corrupt: "
                "its image holds non-finite values"
            )
    labels = np.array([row["label"] for row in rows], dtype="uint8")  # (n,)
    return images, labels


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` to write; once the block ends without an error it replaces
    `path` in one step, so readers see the old or the new content, never half of it. On an error
    it is removed and `path` stays as it was. It keeps path's suffix (Keras' model.save insists on
    .keras) and names its process and thread, so concurrent writers never share one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = f"{os.getpid()}-{threading.get_ident()}"
    temporary = path.with_name(f".{path.stem}.{writer}.tmp{path.suffix}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write a file so readers see the old or the new content, never half of it."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(payload)


# What a damaged, locked or unreachable store raises from the functions above: pages catch these
# and say so instead of showing a traceback.
STORE_ERRORS = (sqlite3.Error, OSError, ValueError)
