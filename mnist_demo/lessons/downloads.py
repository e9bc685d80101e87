"""What a person takes home: a run's model and metrics, the Draw page's labelled drawings.

Each function returns the bytes of one file and a name that tells files apart: what it holds,
which run, when it was made.
"""

from __future__ import annotations

import csv
import io
import time

import numpy as np

from mnist_demo.data import IMAGE_PIXELS, IMAGE_SHAPE

# Kaggle's "Digit Recognizer" train.csv layout: a label column, then pixel0 ... pixel783 as
# integers 0-255, row by row.
KAGGLE_HEADER = ("label", *(f"pixel{index}" for index in range(IMAGE_PIXELS)))
# Per-epoch metrics in the order Keras' History prints them; missing validation columns stay empty.
METRIC_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")
PREFIX = "mnist-demo"


def kaggle_csv(images: np.ndarray, labels: np.ndarray) -> bytes:
    """(n, 28, 28) float32 images in [0, 1] and (n,) digits as a Kaggle MNIST CSV (785 columns)."""
    images = np.asarray(images, dtype="float32")
    labels = np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"images must have shape (n, 28, 28), got {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},), got {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise ValueError("labels must be digits 0-9")
    if not np.isfinite(images).all() or (len(images) and (images.min() < 0 or images.max() > 1)):
        raise ValueError("images must hold finite values in [0, 1]")
    pixels = np.rint(images.reshape(len(images), IMAGE_PIXELS) * 255).astype("uint8")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(KAGGLE_HEADER)
    for label, row in zip(labels, pixels, strict=True):
        writer.writerow([int(label), *row.tolist()])
    return buffer.getvalue().encode("ascii")


def metrics_csv(epoch_metrics: list[dict]) -> bytes:
    """A run's per-epoch metrics (store.get_run(...)["epochs"] rows) as CSV, one row per epoch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(METRIC_COLUMNS)
    for metrics in sorted(epoch_metrics, key=lambda row: row["epoch"]):
        writer.writerow(
            ["" if metrics.get(name) is None else metrics[name] for name in METRIC_COLUMNS]
        )
    return buffer.getvalue().encode("ascii")


def _stamp(when: float | None) -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if when is None else when))


def _safe(text: str) -> str:
    """Letters, digits and dashes only: a run id or architecture name cannot break a file name."""
    cleaned = "".join(character if character.isalnum() else "-" for character in str(text))
    return cleaned.strip("-")[:40] or "unnamed"


def run_file_name(run: dict, kind: str) -> str:
    """'mnist-demo_run-3fa9c1d2e4b7_dense-5ep_20261202-101500.keras' (kind "model") or
    '..._metrics.csv' (kind "metrics"); run is a store.get_run row (stamped with its start, or
    its creation if it never started)."""
    if kind not in ("model", "metrics"):
        raise ValueError(f"kind must be 'model' or 'metrics', got {kind!r}")
    config = run.get("config") or {}
    what = f"{_safe(config.get('architecture', 'model'))}-{int(config.get('epochs', 0))}ep"
    # store rows name the run "id"; a TrainingRun-like mapping may say "run_id".
    run_id = run.get("id", run.get("run_id"))
    if run_id is None:
        raise ValueError("run has no 'id' (a store.get_run row) or 'run_id'")
    when = run.get("started_at")
    if when is None:
        when = run.get("created_at")
    base = f"{PREFIX}_run-{_safe(run_id)}_{what}_{_stamp(when)}"
    return f"{base}.keras" if kind == "model" else f"{base}_metrics.csv"


def drawings_file_name(count: int, when: float | None = None) -> str:
    """'mnist-demo_drawings-12_20261202-101500.csv': how many labelled drawings, and when."""
    return f"{PREFIX}_drawings-{int(count)}_{_stamp(when)}.csv"
