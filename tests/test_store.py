"""The SQLite store: runs, epochs, interrupted-run recovery, corrections, atomic writes."""

import subprocess
import sys

import numpy as np
import pytest

from mnist_demo.storage import store


def test_run_round_trip(data_home):
    store.create_run("run-a", {"epochs": 5, "batch_size": 128})
    store.update_run("run-a", status="running", started_at=10.0)
    store.record_epoch("run-a", 1, {"epoch": 1, "loss": 0.25, "accuracy": 0.93})
    store.record_epoch("run-a", 2, {"epoch": 2, "loss": 0.1, "accuracy": 0.97})
    store.update_run(
        "run-a", status="completed", finished_at=20.0, test_accuracy=0.979, model_path="m.keras"
    )

    run = store.get_run("run-a")
    assert run["config"] == {"epochs": 5, "batch_size": 128}
    assert (run["status"], run["started_at"], run["finished_at"]) == ("completed", 10.0, 20.0)
    assert (run["test_accuracy"], run["model_path"]) == (0.979, "m.keras")
    assert [epoch["loss"] for epoch in run["epochs"]] == [0.25, 0.1]
    assert (data_home / store.DB_NAME).is_file()
    assert store.get_run("missing") is None


def test_list_runs_newest_first():
    for run_id in ("old", "new"):
        store.create_run(run_id, {})
    assert [run["id"] for run in store.list_runs()] == ["new", "old"]


def test_update_run_rejects_unknown_fields():
    store.create_run("run-a", {})
    with pytest.raises(ValueError, match="unknown run fields"):
        store.update_run("run-a", config_json="{}")


def test_runs_of_a_dead_process_become_interrupted():
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(finished.stdout)
    store.create_run("dead-running", {}, status="running")
    store.create_run("dead-queued", {}, status="queued")
    store.create_run("dead-completed", {}, status="completed")
    store.create_run("alive-running", {}, status="running")
    for run_id in ("dead-running", "dead-queued", "dead-completed"):
        store.update_run(run_id, pid=dead_pid)

    assert store.mark_interrupted() == 2
    statuses = {run["id"]: run["status"] for run in store.list_runs()}
    assert statuses == {
        "dead-running": "interrupted",
        "dead-queued": "interrupted",
        "dead-completed": "completed",
        "alive-running": "running",
    }
    assert store.get_run("dead-running")["finished_at"] is not None
    assert store.mark_interrupted() == 0


def test_corrections_round_trip_and_validation():
    image = np.linspace(0, 1, 784, dtype="float32").reshape(28, 28)
    first = store.add_correction(image, label=4, predicted=9)
    second = store.add_correction(1 - image, label=7)
    assert second == first + 1
    assert store.count_corrections() == 2
    images, labels = store.load_corrections()
    assert images.shape == (2, 28, 28) and images.dtype == np.float32
    np.testing.assert_array_equal(images[0], image)
    np.testing.assert_array_equal(labels, [4, 7])

    with pytest.raises(ValueError, match="shape"):
        store.add_correction(np.zeros((28, 27)), label=1)
    with pytest.raises(ValueError, match="digit"):
        store.add_correction(image, label=10)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        store.add_correction(image * 255, label=1)
    assert store.count_corrections() == 2


def test_atomic_write_bytes_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "file.bin"
    store.atomic_write_bytes(target, b"old")
    store.atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert sorted(path.name for path in target.parent.iterdir()) == ["file.bin"]


def test_atomic_path_replaces_on_success_and_keeps_the_old_file_on_error(tmp_path):
    target = tmp_path / "models" / "model.keras"
    target.parent.mkdir()
    target.write_bytes(b"old")
    with store.atomic_path(target) as temporary:
        assert temporary.parent == target.parent and temporary.suffix == ".keras"
        temporary.write_bytes(b"half")
        assert target.read_bytes() == b"old"  # nothing visible until the block ends
        temporary.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    with pytest.raises(RuntimeError), store.atomic_path(target) as temporary:
        temporary.write_bytes(b"broken")
        raise RuntimeError("the writer failed")
    assert target.read_bytes() == b"new"
    assert sorted(path.name for path in target.parent.iterdir()) == ["model.keras"]


def test_data_home_follows_the_environment(data_home):
    assert store.data_home() == data_home
    assert store.models_dir() == data_home / "models" and store.models_dir().is_dir()


def test_a_correction_can_be_relabelled_and_withdrawn():
    image = np.zeros((28, 28), dtype="float32")
    kept = store.add_correction(image, label=1)
    changed = store.add_correction(image + 0.5, label=8)
    store.relabel_correction(changed, 5)
    assert list(store.load_corrections()[1]) == [1, 5]
    store.delete_correction(kept)
    assert list(store.load_corrections()[1]) == [5]
    with pytest.raises(KeyError):
        store.delete_correction(kept)
    with pytest.raises(ValueError):
        store.relabel_correction(changed, 10)
