"""The same behaviour from both training engines: local (threads of this process) and ray (Ray
actors on one real Ray instance on 127.0.0.1 with 2 CPUs, started once for the session).

Each Ray run starts a worker process that imports TensorFlow (5-30 s on a busy machine), so the
runs here are few and small.
"""

import os
import signal
import sqlite3
import threading
import time
from contextlib import closing

import numpy as np
import pytest

from mnist_demo.storage import store
from mnist_demo.training import engines, ray_cluster, ray_engine, run_state, training_run
from mnist_demo.training.config import TrainConfig
from mnist_demo.training.model import build_model, load_model_file, predict_proba

FAST = training_run.FitSettings(jit_compile=False, steps_per_record=4, min_points_per_epoch=1)
SMALL = TrainConfig(epochs=2, batch_size=32, train_size=512)
OWNER = "o" * 40
RUN_TIMEOUT = 300


@pytest.fixture(scope="session")
def ray_instance():
    """One Ray instance for the whole session, on 127.0.0.1 with 2 CPUs, shut down at the end
    (only what this fixture started)."""
    ray_cluster.keep_on_loopback(ray_cluster.LOCAL_RAY)  # before Ray is imported
    import ray

    if ray.is_initialized():
        pytest.skip("Ray is already initialised in this process by something else")
    head = ray_cluster.connect(ray_cluster.LOCAL_RAY, num_cpus=2)
    yield ray
    ray.shutdown()
    head.stop()


@pytest.fixture(params=["local", "ray"])
def engine(request):
    if request.param == "ray":
        request.getfixturevalue("ray_instance")
        made = ray_engine.RayEngine(settings=FAST, cpus_per_run=2)
        made.wait_connected(120)
        assert made.capacity == 1  # 2 CPUs, 2 per run: one run at a time, the rest queue
    else:
        made = engines.make_engine("local", settings=FAST, max_concurrent=1)
    yield made
    for run in made.runs():
        run.request_stop(run.owner)
        run.join(RUN_TIMEOUT)
    made.shutdown()


def finished(run):
    assert run.join(RUN_TIMEOUT), f"run {run.run_id} did not finish: {run.snapshot().status}"
    return run.snapshot()


def wait_for(condition, timeout=RUN_TIMEOUT, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError("condition not met in time")


def test_two_runs_at_once_queue_train_live_and_save_loadable_models(engine):
    first = engine.submit(SMALL, owner=OWNER)
    second = engine.submit(TrainConfig(epochs=1, batch_size=64, train_size=512), owner=OWNER)
    assert second.snapshot().status == "queued"
    assert second.snapshot().queue_position == 1
    assert store.get_run(second.run_id)["status"] == "queued"
    # Live records arrive while the first run trains, before it ends.
    seen_live = []
    wait_for(lambda: seen_live.append(first.snapshot()) or not seen_live[-1].active)
    assert any(s.status == "running" and s.batch_steps for s in seen_live[:-1])

    one, two = finished(first), finished(second)
    assert (one.status, two.status) == ("completed", "completed"), (one.error, two.error)
    assert one.steps_per_epoch == 16 and one.batch_steps == list(range(4, 33, 4))
    assert [line for line in one.log_lines if line.startswith("Epoch")] == [
        "Epoch 1/2",
        "Epoch 2/2",
    ]
    assert one.log_lines[-1].startswith("test_loss: ")
    assert 0.5 < one.test_accuracy < 1 and one.test_predictions.shape == (10000,)
    # The second run started only after the first had ended.
    assert two.started_at >= one.finished_at - 1
    for snapshot in (one, two):
        stored = store.get_run(snapshot.run_id)
        assert stored["status"] == "completed"
        assert stored["test_accuracy"] == pytest.approx(snapshot.test_accuracy)
        assert len(stored["epochs"]) == snapshot.epochs
        assert stored["model_path"] == str(store.models_dir() / f"{snapshot.run_id}.keras")
        model = load_model_file(stored["model_path"])
        _, _, x_test, y_test = training_run._float_mnist()
        probabilities = predict_proba(model, x_test[:200].reshape(200, 28, 28))
        assert np.mean(probabilities.argmax(axis=1) == y_test[:200]) > 0.5
    assert first.model is not None and first.model.count_params() == 407_050


def test_only_the_owner_stops_a_run_and_the_partial_model_is_saved(engine):
    run = engine.submit(TrainConfig(epochs=30, batch_size=32, train_size=2048), owner=OWNER)
    wait_for(lambda: run.snapshot().epoch_metrics or not run.snapshot().active)
    assert run.request_stop("someone with the link") is False
    assert run.request_stop() is False  # no secret at all
    assert run.snapshot().active
    assert run.request_stop(OWNER) is True
    snapshot = finished(run)
    assert snapshot.status == "stopped", snapshot.error
    assert 1 <= len(snapshot.epoch_metrics) < 30
    assert snapshot.log_lines[-2].startswith("Stopped on request in epoch ")
    stored = store.get_run(run.run_id)
    assert stored["status"] == "stopped" and stored["model_path"]
    assert load_model_file(stored["model_path"]).count_params() == 407_050


def test_a_queued_run_is_cancelled_and_a_failing_run_is_reported(engine):
    with closing(store.connect()) as connection:  # the store's own schema, autocommit
        connection.execute(
            "INSERT INTO corrections (created_at, label, image) VALUES (0, 1, ?)",
            (np.full((28, 28), np.nan, dtype="float32").tobytes(),),
        )
    failing = engine.submit(TrainConfig(epochs=1, train_size=512, include_corrections=True))
    queued = engine.submit(SMALL, owner=OWNER)
    if queued.snapshot().status == "queued":
        assert queued.request_stop(OWNER)
        assert finished(queued).status == "stopped"
        assert store.get_run(queued.run_id)["status"] == "stopped"
    snapshot = finished(failing)
    assert snapshot.status == "failed"
    assert "non-finite" in snapshot.error
    assert snapshot.log_lines[-1] == f"Training failed: {snapshot.error}"
    stored = store.get_run(failing.run_id)
    assert (stored["status"], stored["error"]) == ("failed", snapshot.error)


def test_a_run_whose_ray_worker_dies_is_marked_failed(ray_instance):
    engine = ray_engine.RayEngine(settings=FAST, cpus_per_run=2)
    run = engine.submit(TrainConfig(epochs=30, batch_size=32, train_size=2048))
    wait_for(lambda: run.snapshot().batch_steps or not run.snapshot().active)
    pid = ray_instance.get(run._actor.pid.remote())
    os.kill(pid, signal.SIGKILL)
    snapshot = finished(run)
    assert snapshot.status == "failed"
    assert snapshot.error.startswith("the Ray worker training this run was lost")
    stored = store.get_run(run.run_id)
    assert (stored["status"], stored["error"]) == ("failed", snapshot.error)
    # The cluster's slot is free again.
    after = engine.submit(SMALL)
    assert engine.position(after) is None
    after.request_stop()
    finished(after)
    engine.shutdown()


def test_engine_chosen_by_environment(monkeypatch):
    monkeypatch.delenv(engines.RAY_ADDRESS_ENV, raising=False)
    assert engines.make_engine().name == "local"
    with pytest.raises(ValueError, match="engine must be one of"):
        engines.make_engine("spark")
    monkeypatch.setenv(ray_engine.RAY_CPUS_ENV, "0")
    with pytest.raises(ValueError, match=ray_engine.RAY_CPUS_ENV):
        ray_engine.cpus_per_run_from_env()


def test_models_build_from_many_threads_at_once():
    """Keras names layers from a process-wide counter; two builds at once gave a CNN two layers
    of one name ('All layers added to a Sequential model should have unique names')."""
    configs = [TrainConfig(architecture=a, hidden_units=32) for a in ("cnn", "dense")] * 4
    built, errors = [], []

    def build(config):
        try:
            built.append(build_model(config, jit_compile=False))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=build, args=(config,)) for config in configs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(built) == len(configs)
    for model in built:
        names = [layer.name for layer in model.layers]
        assert len(names) == len(set(names))
    # The same seed gives the same weights whatever was built at the same time.
    dense = [m for m in built if m.name == "dense"]
    for model in dense[1:]:
        assert np.array_equal(model.layers[0].kernel.numpy(), dense[0].layers[0].kernel.numpy())


def test_a_run_whose_heartbeat_stopped_is_interrupted():
    store.create_run("alive", {}, status="running")
    store.create_run("silent", {}, status="running")
    stale = time.time() - store.HEARTBEAT_TIMEOUT_SECONDS - 1
    store.update_run("silent", heartbeat_at=stale)
    store.beat(["alive"])
    assert store.mark_interrupted() == 1
    assert store.get_run("silent")["status"] == run_state.RunStatus.INTERRUPTED
    assert store.get_run("alive")["status"] == "running"


def test_an_engine_beats_for_its_active_runs():
    engine = engines.make_engine("local", settings=FAST, max_concurrent=1)
    engine.heartbeat.seconds = 0.05
    run = engine.submit(SMALL)
    first = store.get_run(run.run_id)["heartbeat_at"]
    wait_for(lambda: store.get_run(run.run_id)["heartbeat_at"] > first, timeout=30)
    finished(run)
    engine.shutdown()


def test_an_older_store_gains_the_heartbeat_column():
    path = store.data_home() / store.DB_NAME
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE runs (id TEXT PRIMARY KEY, created_at REAL NOT NULL, started_at REAL,"
        " finished_at REAL, status TEXT NOT NULL, config_json TEXT NOT NULL, test_loss REAL,"
        " test_accuracy REAL, model_path TEXT, error TEXT, pid INTEGER)"
    )
    old.execute(
        "INSERT INTO runs (id, created_at, status, config_json) VALUES ('a', 1, 'completed', '{}')"
    )
    old.commit()
    old.close()
    store.beat(["a"])
    assert store.get_run("a")["heartbeat_at"] > 0
