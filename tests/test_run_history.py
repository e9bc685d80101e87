"""The Train page's run history logic: finished epochs of stored runs, distinct labels."""

from mnist_demo.i18n import translate
from mnist_demo.training import run_history


def run(config: dict, steps: list[int], per_epoch: int | None = None) -> dict:
    epochs = [{"epoch": i + 1, "steps": s} for i, s in enumerate(steps)]
    if per_epoch is not None:
        for metrics in epochs:
            metrics["steps_per_epoch"] = per_epoch
    return {"config": config, "epochs": epochs}


def test_a_run_stopped_inside_an_epoch_has_not_finished_it():
    # 20,000 images in batches of 128: 157 steps per epoch.
    config = {"epochs": 2, "train_size": 20_000, "batch_size": 128}
    assert run_history.completed_epochs(run(config, [157, 60], per_epoch=157)) == 1
    assert run_history.completed_epochs(run(config, [157, 157], per_epoch=157)) == 2
    # Older records lack steps_per_epoch: the config tells it (a validation split shrinks it).
    assert run_history.completed_epochs(run(config, [157, 60])) == 1
    split = {**config, "validation_split": 0.2}  # 16,000 images: 125 steps
    assert run_history.epoch_steps(split) == 125
    assert run_history.completed_epochs(run(split, [125, 125, 12])) == 2
    # With corrections added the full size is unknown: every record counts.
    assert run_history.completed_epochs(run({**config, "include_corrections": True}, [157, 3])) == 2


def test_identical_labels_get_the_run_id():
    labels = {"aaaaaa111": "09:18 · CNN", "bbbbbb222": "09:18 · CNN", "cccccc333": "09:19 · CNN"}
    assert run_history.distinct_labels(labels) == {
        "aaaaaa111": "09:18 · CNN · #aaaaaa",
        "bbbbbb222": "09:18 · CNN · #bbbbbb",
        "cccccc333": "09:19 · CNN",
    }


def stored(run_id: str, status: str, accuracy: float | None, steps: list[int]) -> dict:
    config = {"epochs": 2, "batch_size": 128, "architecture": "dense", "hidden_units": 512}
    return {
        **run(config, steps, per_epoch=469),
        "id": run_id,
        "status": status,
        "test_accuracy": accuracy,
        "created_at": 0,  # "–": the label's time does not depend on the machine's time zone
    }


def test_run_labels_say_how_a_run_ended_and_tell_runs_apart():
    runs = [
        stored("aaaaaa111", "completed", 0.97891, [469, 469]),
        stored("bbbbbb222", "stopped", 0.9, [469, 100]),
        stored("cccccc333", "stopped", None, [10]),
        stored("dddddd444", "completed", 0.97891, [469, 469]),
    ]
    labels = run_history.run_labels(runs, "en")
    assert labels["bbbbbb222"] == "– · Dense(512) · epochs 1/2 · batch 128 · stopped · 0.9000"
    # Stopped before it was evaluated: no accuracy, only how it ended.
    assert labels["cccccc333"] == "– · Dense(512) · epochs 0/2 · batch 128 · stopped"
    # Two completed runs with the same settings and result are told apart by their ids.
    assert labels["aaaaaa111"] == "– · Dense(512) · epochs 2 · batch 128 · 0.9789 · #aaaaaa"
    assert labels["dddddd444"].endswith("· #dddddd")
    assert run_history.run_labels(runs, "ko")["cccccc333"].endswith(
        run_history.status_text("stopped", "ko")
    )
    assert run_history.status_text("stopped", "ko") != "stopped"
    assert run_history.status_text("unheard-of", "en") == "unheard-of"


def test_durations_read_in_seconds_minutes_or_hours():
    assert run_history.duration_text(None) == run_history.duration_text(-1) == "–"
    assert run_history.duration_text(41.6, "en") == translate("train.units.seconds", seconds=42)
    assert run_history.duration_text(185, "ko") == translate(
        "train.units.minutes", "ko", minutes=3, seconds=5
    )
    assert run_history.duration_text(3720, "en") == translate(
        "train.units.hours", hours=1, minutes=2
    )


def test_the_runs_table_has_a_row_per_run_with_its_columns_in_the_pages_language():
    finished = stored("aaaaaa111", "completed", 0.97891, [469, 469])
    finished.update(started_at=100.0, finished_at=145.0)
    finished["config"]["optimizer"] = "adam"
    running = stored("bbbbbb222", "running", None, [469])
    running.update(started_at=5.0, finished_at=None)
    rows = run_history.runs_table([finished, running], "ko")
    column = {name: translate(f"train.runs.{name}", "ko") for name in ("status", "duration")}
    assert rows[0][translate("train.runs.test_accuracy", "ko")] == "0.9789"
    assert rows[0][translate("train.runs.optimizer", "ko")] == "adam"
    assert rows[0][column["duration"]] == translate("train.units.seconds", "ko", seconds=45)
    assert rows[1][column["status"]] == translate("train.status.running", "ko")
    assert rows[1][column["duration"]] == "–"  # not finished yet
    assert rows[1][translate("train.runs.epochs", "ko")] == "1/2"
