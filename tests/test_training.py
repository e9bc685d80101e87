"""TrainingRun and TrainingQueue on small real slices of MNIST."""

import re
import sqlite3
import time

import numpy as np
import pytest

from mnist_demo.storage import store
from mnist_demo.training import run_state, training_queue, training_run
from mnist_demo.training.config import TrainConfig
from mnist_demo.training.model import load_model_file, predict_proba

# A live record every 4 batches even in short epochs, like every 16 in the chapter's 469-batch
# epochs. XLA off: compiling costs more than it saves on a few dozen batches (the slow test, the
# CLI test and tests/test_fit_loop.py cover the XLA path).
FAST = training_run.FitSettings(jit_compile=False, steps_per_record=4, min_points_per_epoch=1)
SMALL = TrainConfig(epochs=2, batch_size=32, train_size=512, validation_split=0.25)


def finished(run, timeout=120):
    assert run.join(timeout), f"run {run.run_id} did not finish: {run.snapshot().status}"
    return run.snapshot()


def test_completed_run_records_metrics_evaluation_store_and_model():
    queue = training_queue.TrainingQueue(settings=FAST)
    run = queue.submit(SMALL)
    snapshot = finished(run)

    assert snapshot.status == "completed", snapshot.error
    # 384 training images, batch 32: 12 steps per epoch, one record per 4 steps.
    assert snapshot.steps_per_epoch == 12
    assert snapshot.batch_steps == [4, 8, 12, 16, 20, 24]
    assert len(snapshot.batch_loss) == len(snapshot.batch_accuracy) == 6
    assert (snapshot.epoch, snapshot.step, snapshot.progress) == (2, 12, 1.0)
    assert snapshot.samples_per_second > 0
    assert [m["epoch"] for m in snapshot.epoch_metrics] == [1, 2]
    for metrics in snapshot.epoch_metrics:
        assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"} <= set(metrics)
    # Each curve point is the mean of its own batches, so their mean is Keras' epoch average.
    for index, metrics in enumerate(snapshot.epoch_metrics):
        window = slice(3 * index, 3 * index + 3)
        assert np.mean(snapshot.batch_loss[window]) == pytest.approx(metrics["loss"], rel=1e-4)
        assert np.mean(snapshot.batch_accuracy[window]) == pytest.approx(
            metrics["accuracy"], rel=1e-4
        )
    assert snapshot.epoch_metrics[1]["loss"] < snapshot.epoch_metrics[0]["loss"]
    assert snapshot.log_lines[0] == "Epoch 1/2"
    assert re.fullmatch(
        r"12/12 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} "
        r"- val_accuracy: \d\.\d{4}",
        snapshot.log_lines[1],
    )

    _, _, _, y_test = training_run._float_mnist()
    assert snapshot.test_predictions.shape == snapshot.test_confidence.shape == (10000,)
    assert snapshot.test_accuracy == pytest.approx(np.mean(snapshot.test_predictions == y_test))
    assert 0.5 < snapshot.test_accuracy < 1
    assert np.all((snapshot.test_confidence > 0.1) & (snapshot.test_confidence <= 1))

    # The saved file is the trained model: same predictions as the one in memory.
    model = load_model_file(snapshot.model_path)
    images = training_run._float_mnist()[2][:50].reshape(50, 28, 28)
    np.testing.assert_allclose(
        predict_proba(model, images), predict_proba(run.model, images), atol=1e-5
    )

    stored = store.get_run(run.run_id)
    assert stored["status"] == "completed"
    assert stored["config"] == SMALL.to_dict()
    assert stored["test_accuracy"] == pytest.approx(snapshot.test_accuracy)
    assert stored["model_path"] == snapshot.model_path
    assert stored["epochs"] == snapshot.epoch_metrics
    assert stored["started_at"] <= stored["finished_at"]


def test_the_snapshot_says_evaluating_between_the_last_batch_and_the_end(monkeypatch):
    """The page shows "evaluating on the test images" instead of "100 % · 0 s left" there."""
    seen = []
    evaluate = training_run.TrainingRun._evaluate

    def watched(run, *args):
        snapshot = run.snapshot()
        seen.append((snapshot.status, snapshot.evaluating, snapshot.progress))
        evaluate(run, *args)

    monkeypatch.setattr(training_run.TrainingRun, "_evaluate", watched)
    queue = training_queue.TrainingQueue(settings=FAST)
    run = queue.submit(SMALL)
    snapshot = finished(run)
    assert snapshot.status == "completed", snapshot.error
    assert seen == [("running", True, 1.0)]
    assert not snapshot.evaluating


def test_queue_runs_one_at_a_time_and_reports_position():
    queue = training_queue.TrainingQueue(max_concurrent=1, settings=FAST)
    config = TrainConfig(epochs=1, batch_size=32, train_size=512)
    first, second = queue.submit(config), queue.submit(config)
    assert second.snapshot().status == "queued"
    assert second.snapshot().queue_position == 1
    assert store.get_run(second.run_id)["status"] == "queued"

    seen = []
    while not second.join(0.02):
        status = second.snapshot().status
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "running":
            assert first.snapshot().status == "completed"
    seen.append(second.snapshot().status)
    assert seen[0] == "queued" and seen[-1] == "completed"
    assert set(seen) <= {"queued", "running", "completed"}
    assert first.snapshot().finished_at <= second.snapshot().started_at
    assert queue.get(first.run_id) is first
    assert queue.get("no-such-run") is None


def test_stop_mid_run_keeps_evaluated_saved_partial_model():
    queue = training_queue.TrainingQueue(settings=FAST)
    run = queue.submit(TrainConfig(epochs=30, batch_size=16, train_size=4096))
    deadline = time.monotonic() + 60
    while not run.snapshot().batch_steps:
        assert time.monotonic() < deadline, "no batch recorded within 60 s"
        time.sleep(0.01)
    run.request_stop()
    snapshot = finished(run)

    assert snapshot.status == "stopped"
    assert 0 < snapshot.progress < 0.5
    assert snapshot.epoch < 30
    assert snapshot.test_accuracy > 0.5  # trained a few batches on 4,096 images
    assert load_model_file(snapshot.model_path) is not None
    stored = store.get_run(run.run_id)
    assert (stored["status"], stored["model_path"]) == ("stopped", snapshot.model_path)


def test_the_stop_log_line_counts_batches_as_the_stop_notice_does():
    """QA: the notice said "epoch 1 of 2, after 468 of its 469 batches" and the log "after 468 of
    938 batches": the log now counts the batches of the epoch it stopped in, as the notice does."""
    queue = training_queue.TrainingQueue(settings=FAST)
    # 512 images in batches of 16: 32 batches an epoch; stopped in the second epoch or later, so
    # the run's batches so far (32 or more) and its epoch's differ. The stop lands after the
    # current compiled call, which may finish the epoch.
    run = queue.submit(TrainConfig(epochs=30, batch_size=16, train_size=512))
    deadline = time.monotonic() + 60
    while not (run.snapshot().epoch >= 2 and run.snapshot().step > 0):
        assert time.monotonic() < deadline, "the second epoch did not start within 60 s"
        time.sleep(0.01)
    run.request_stop()
    snapshot = finished(run)

    assert snapshot.status == "stopped"
    assert snapshot.epoch >= 2 and 0 < snapshot.step <= snapshot.steps_per_epoch == 32
    # The page's notice is built from these same fields (train.live.stopped).
    expected = (
        f"Stopped on request in epoch {snapshot.epoch} of 30, "
        f"after {snapshot.step} of its 32 batches"
    )
    assert expected in snapshot.log_lines, snapshot.log_lines


def test_stopping_a_queued_run_cancels_it():
    queue = training_queue.TrainingQueue(settings=FAST)
    config = TrainConfig(epochs=1, batch_size=32, train_size=512)
    first, second = queue.submit(config), queue.submit(config)
    second.request_stop()
    assert second.join(1)
    assert second.snapshot().status == "stopped"
    assert second.snapshot().model_path is None
    assert finished(first).status == "completed"
    assert store.get_run(second.run_id)["status"] == "stopped"


def _insert_raw_correction(image_bytes: bytes, label: int = 3) -> None:
    """A row as a crashed writer or an older version could have left it (add_correction would
    refuse it)."""
    connection = store.connect()
    try:
        connection.execute(
            "INSERT INTO corrections (created_at, label, image) VALUES (?, ?, ?)",
            (time.time(), label, sqlite3.Binary(image_bytes)),
        )
    finally:
        connection.close()


def test_corrupt_correction_fails_the_run_with_a_message():
    _insert_raw_correction(np.full((28, 28), np.nan, dtype="float32").tobytes())
    queue = training_queue.TrainingQueue(settings=FAST)
    run = queue.submit(TrainConfig(epochs=1, train_size=512, include_corrections=True))
    snapshot = finished(run)

    assert snapshot.status == "failed"
    assert snapshot.error.startswith("ValueError: correction 1 ")
    assert "non-finite" in snapshot.error
    assert snapshot.model_path is None
    stored = store.get_run(run.run_id)
    assert (stored["status"], stored["error"]) == ("failed", snapshot.error)
    # The slot is free again: the next run trains normally.
    assert finished(queue.submit(TrainConfig(epochs=1, train_size=512))).status == "completed"


def test_unwritable_model_directory_fails_the_run_after_training():
    (store.data_home() / "models").write_text("a file where the models directory should be")
    run = training_queue.TrainingQueue(settings=FAST).submit(TrainConfig(epochs=1, train_size=512))
    snapshot = finished(run)

    assert snapshot.status == "failed"
    assert "FileExistsError" in snapshot.error
    assert snapshot.test_accuracy is not None  # evaluated before the save failed
    assert run.model is not None  # the trained model is still usable in memory
    assert store.get_run(run.run_id)["status"] == "failed"


def test_a_non_finite_loss_stops_training_with_advice():
    tracker = run_state.RunTracker("r", TrainConfig(learning_rate=0.5))
    tracker.update(steps_per_epoch=469, train_samples=60000)
    tracker.begin_epoch(0)
    tracker.record_batches(3, {"loss": 2.3, "accuracy": 0.1})
    with pytest.raises(FloatingPointError, match="lower learning rate than 0.5"):
        tracker.record_batches(7, {"loss": float("nan"), "accuracy": 0.1})


def test_training_data_slices_splits_and_appends_corrections():
    image = np.linspace(0, 1, 784, dtype="float32").reshape(28, 28)
    store.add_correction(image, label=7)
    config = TrainConfig(train_size=1000, validation_split=0.2, include_corrections=True)
    arrays = training_run.training_data(config)
    x_all, y_all, _, _ = training_run._float_mnist()

    assert arrays.x_train.shape == (801, 784) and arrays.y_train.shape == (801, 10)
    np.testing.assert_array_equal(arrays.x_train[:800], x_all[:800])
    np.testing.assert_array_equal(arrays.x_train[800], image.reshape(784))
    assert arrays.y_train[800].argmax() == 7
    np.testing.assert_array_equal(arrays.x_val, x_all[800:1000])
    np.testing.assert_array_equal(arrays.y_val.argmax(axis=1), y_all[800:1000])
    plain = training_run.training_data(TrainConfig(train_size=1000))
    assert plain.x_val is None and len(plain.x_train) == 1000


def test_crossentropy_matches_keras_evaluate():
    from mnist_demo.training.model import build_model

    model = build_model(TrainConfig(hidden_units=16))
    x, y, _, _ = training_run._float_mnist()
    labels = y[:300]
    probabilities = model.predict(x[:300], verbose=0)
    loss, accuracy = training_run.crossentropy_and_accuracy(probabilities, labels)
    keras_loss, keras_accuracy = model.evaluate(
        x[:300], np.eye(10, dtype="float32")[labels], verbose=0
    )
    assert loss == pytest.approx(keras_loss, rel=1e-4)
    assert accuracy == pytest.approx(keras_accuracy)


def test_max_concurrent_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(training_queue.MAX_TRAINING_ENV, "3")
    assert training_queue.TrainingQueue().max_concurrent == 3
    monkeypatch.setenv(training_queue.MAX_TRAINING_ENV, "none")
    with pytest.raises(ValueError, match="MNIST_DEMO_MAX_TRAINING"):
        training_queue.TrainingQueue()


def test_keras_log_line_uses_the_chapters_order():
    metrics = {"epoch": 1, "loss": 0.25561, "accuracy": 0.92651, "seconds": 3.2, "steps": 469}
    line = run_state.keras_log_line(metrics, 469)
    assert line == "469/469 - 3s - loss: 0.2556 - accuracy: 0.9265"


@pytest.mark.slow
def test_default_config_reaches_the_chapters_accuracy():
    """The chapter's network, 5 epochs on all 60,000 images with the fast default settings."""
    run = training_queue.TrainingQueue().submit(TrainConfig())
    snapshot = finished(run, timeout=600)
    assert snapshot.status == "completed", snapshot.error
    assert snapshot.steps_per_epoch == 469
    assert snapshot.test_accuracy >= 0.975
    print(f"default run: test_acc {snapshot.test_accuracy:.4f}", *snapshot.log_lines, sep="\n")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_speed_and_time_left_stay_sensible_across_epoch_boundaries(monkeypatch):
    """QA saw "Epoch 1/2 · 50 % · 1 images/s · 8 h 20 min left": the short last batch of an
    epoch (20,000 = 156 × 128 + 32) has a call of its own that compiles, and the next epoch
    begins after the validation pass. Neither pause may count as training time."""
    clock = FakeClock()
    monkeypatch.setattr(run_state.time, "perf_counter", clock)
    config = TrainConfig(epochs=2, batch_size=128, train_size=20_000)
    run = run_state.RunTracker("r", config)
    run.update(status="running", steps_per_epoch=157, train_samples=20_000)
    logs = {"loss": 0.5, "accuracy": 0.9}

    def epoch(index: int) -> None:
        clock.now += 3.0  # the epoch's first call compiles (epoch 1) or validation ran before it
        run.begin_epoch(index)
        for end in range(15, 156, 16):  # a record every 16 batches, 2,048 images a second
            clock.now += 1.0
            run.record_batches(end, logs)
        clock.now += 30.0  # the 32-image last batch compiles its own shape
        run.record_batches(156, logs)

    epoch(0)
    half = run.snapshot()
    assert half.progress == 0.5
    assert half.samples_per_second == pytest.approx(2048)
    assert half.eta_seconds == pytest.approx(20_000 / 2048, rel=0.01)  # the second epoch
    run.begin_epoch(1)
    clock.now += 10.0  # validation and the next epoch's first call
    run.record_batches(15, logs)
    assert run.snapshot().samples_per_second == pytest.approx(2048)
    clock.now += 1.0
    run.record_batches(31, logs)
    assert run.snapshot().samples_per_second == pytest.approx(2048)


def test_throughput_covers_the_latest_window_and_waits_for_two_records():
    meter = run_state.Throughput(window_seconds=5.0)
    assert meter.rate() is None
    meter.add(0.0, 1000)
    assert meter.rate() is None  # the first record's interval holds compiling: not measured
    for second in range(1, 11):
        meter.add(float(second), 1000 if second <= 5 else 3000)  # the machine got 3× faster
    assert meter.rate() == pytest.approx(3000)  # the last 5 seconds only
    meter.add(40.0, 32, measured=False)
    meter.restart()
    meter.add(45.0, 1000)
    assert meter.rate() == pytest.approx(3000)


def test_a_slot_waits_behind_a_running_run_and_frees_its_place():
    queue = training_queue.TrainingQueue(max_concurrent=1, settings=FAST)
    run = queue.submit(TrainConfig(epochs=1, batch_size=32, train_size=512))
    with queue.slot() as ticket:
        # The slot is granted only once the run has freed the only training slot.
        assert run.snapshot().status in {"completed", "stopped", "failed"}
        assert queue.position(ticket) is None
    later = queue.submit(TrainConfig(epochs=1, batch_size=32, train_size=256))
    assert finished(later).status == "completed"


def test_a_waiting_slot_reports_its_place_in_the_queue():
    import threading

    queue = training_queue.TrainingQueue(max_concurrent=1, settings=FAST)
    places = []
    with queue.slot():
        waiter = threading.Thread(target=lambda: _hold(queue, places))
        waiter.start()
        deadline = time.monotonic() + 10
        while not queue._waiting and time.monotonic() < deadline:
            time.sleep(0.01)
        assert queue.position(queue._waiting[0]) == 1
    waiter.join(10)
    assert places == ["granted"]


def _hold(queue, places):
    with queue.slot():
        places.append("granted")


def test_a_failed_model_save_keeps_the_stored_model_and_leaves_no_temporary_file(data_home):
    from mnist_demo.training.model import build_model

    recorder = training_run.StoreRecorder()
    store.create_run("savetest", {"epochs": 1})
    model = build_model(TrainConfig(hidden_units=8))
    path = recorder.save("savetest", model)
    before = load_model_file(path).get_weights()

    class BrokenDisk:
        """A model whose save writes half a file, then fails (a full disk)."""

        def save(self, target):
            with open(target, "wb") as handle:
                handle.write(b"PK\x03\x04 half")
            raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space"):
        recorder.save("savetest", BrokenDisk())
    after = load_model_file(path).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    assert sorted(p.name for p in store.models_dir().iterdir()) == ["savetest.keras"]
