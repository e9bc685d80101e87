"""The Train page's run history: how many epochs a stored run finished, labels that tell runs
apart."""

from __future__ import annotations

import math
import time

from mnist_demo.i18n import DEFAULT_LANGUAGE, translate
from mnist_demo.training.run_state import RunStatus


def epoch_steps(config: dict) -> int | None:
    """Batches in one full epoch of a stored config, or None when it cannot be known (corrections
    added a number of digits the record does not keep)."""
    if config.get("include_corrections"):
        return None
    try:
        samples = int(config.get("train_size", 60_000))
        split = float(config.get("validation_split", 0.0))
        batch_size = int(config.get("batch_size", 128))
    except (TypeError, ValueError):
        return None
    if split > 0:
        samples = int(samples * (1 - split))  # as training.training_data holds out the last part
    return math.ceil(samples / batch_size) if samples > 0 and batch_size > 0 else None


def completed_epochs(run: dict) -> int:
    """The stored run's epochs that trained all their batches.

    A stop ends the current epoch early and Keras still reports it, so a run stopped in epoch 2
    has two epoch records; the second has fewer steps than a full epoch. Records carry the full
    epoch's step count ("steps_per_epoch"); older ones have it worked out from the config.
    """
    full = epoch_steps(run.get("config", {}))
    done = 0
    for metrics in run.get("epochs", []):
        steps, expected = metrics.get("steps"), metrics.get("steps_per_epoch", full)
        if steps is None or expected is None or steps >= expected:
            done += 1
    return done


def network_name(config: dict) -> str:
    """The network of a stored config as the Runs list and the Draw page name it."""
    if config.get("architecture", "dense") == "dense":
        return f"Dense({config.get('hidden_units', 512)})"
    return "CNN"


def started_text(timestamp: float | None) -> str:
    """When a run was created, to the second, as the Train and Draw pages name runs."""
    if not timestamp:
        return "–"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


# How a stored run that this server's queue no longer holds ended, each with its own message.
ENDED_STATUSES = ("interrupted", "completed", "stopped", "failed")


def gone_run(record: dict | None) -> tuple[str, dict]:
    """Why a run that a link (?run=) or the session asks for cannot be shown live: the kind of
    train.live.gone_<kind> message and its values, from the run's stored record (None: no such
    run). A run still queued or running in the store belongs to another server process."""
    if record is None:
        return "missing", {}
    status = record["status"]
    return status if status in ENDED_STATUSES else "elsewhere", {
        "status": status,
        "done": completed_epochs(record),
        "epochs": record.get("config", {}).get("epochs", "?"),
        "accuracy": record.get("test_accuracy"),
        "error": record.get("error") or "?",
    }


def distinct_labels(labels: dict[str, str]) -> dict[str, str]:
    """labels (run id → label) with the start of the run id added to each label shared by
    several runs, so a picker and a chart legend never show two runs under one name."""
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    return {
        run_id: f"{label} · #{run_id[:6]}" if counts[label] > 1 else label
        for run_id, label in labels.items()
    }


def status_text(status: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A stored run's status in the page's language (an unknown one as it is stored)."""
    known = status in tuple(RunStatus)
    return translate(f"train.status.{status}", lang) if known else status


def accuracy_text(accuracy: float | None) -> str:
    """A test accuracy as the Runs list shows it; "–" for a run without one."""
    return f"{accuracy:.4f}" if accuracy is not None else "–"


def epochs_text(run: dict) -> str:
    """Finished epochs of the planned ones ("1/2" for a run stopped in its second epoch)."""
    return f"{completed_epochs(run)}/{run['config'].get('epochs', '?')}"


def run_labels(runs: list[dict], lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Each stored run's name (run id → label) in the Train page's compare picker, its chart
    legend and its download list, distinct between runs."""
    labels = {}
    for run in runs:
        config, status = run["config"], run["status"]
        result = accuracy_text(run["test_accuracy"])
        # A stopped run's accuracy is not what its settings reach: say how it ended.
        if status != RunStatus.COMPLETED and run["test_accuracy"] is None:
            result = status_text(status, lang)
        elif status != RunStatus.COMPLETED:
            result = f"{status_text(status, lang)} · {result}"
        labels[run["id"]] = translate(
            "train.runs.label",
            lang,
            when=started_text(run["created_at"]),
            network=network_name(config),
            epochs=epochs_text(run) if status != RunStatus.COMPLETED else config.get("epochs", "?"),
            batch=config.get("batch_size", "?"),
            accuracy=result,
        )
    return distinct_labels(labels)


def duration_text(seconds: float | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """A duration as the pages show it ("42 s", "3 min 05 s", "1 h 02 min" in English)."""
    if seconds is None or seconds < 0:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return translate("train.units.seconds", lang, seconds=seconds)
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return translate("train.units.minutes", lang, minutes=minutes, seconds=seconds)
    hours, minutes = divmod(minutes, 60)
    return translate("train.units.hours", lang, hours=hours, minutes=minutes)


def started_minute_text(timestamp: float | None) -> str:
    """When a run was created, to the minute, as the Runs table shows it."""
    if not timestamp:
        return "–"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def runs_table(runs: list[dict], lang: str = DEFAULT_LANGUAGE) -> list[dict]:
    """The Train page's Runs table: a row per stored run, its columns named in lang."""

    def column(name: str) -> str:
        return translate(f"train.runs.{name}", lang)

    rows = []
    for run in runs:
        config = run["config"]
        started, finished = run["started_at"], run["finished_at"]
        rows.append(
            {
                column("when"): started_minute_text(run["created_at"]),
                column("status"): status_text(run["status"], lang),
                column("network"): network_name(config),
                column("epochs"): epochs_text(run),
                column("batch_size"): config.get("batch_size"),
                column("optimizer"): config.get("optimizer"),
                column("train_size"): config.get("train_size"),
                # Text, so a run without a result shows "–" rather than the grid's "None".
                column("test_accuracy"): accuracy_text(run["test_accuracy"]),
                column("duration"): duration_text(
                    finished - started if started and finished else None, lang
                ),
            }
        )
    return rows
