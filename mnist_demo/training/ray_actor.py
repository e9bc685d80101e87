"""The Ray actor that trains one run on a cluster node, and the calls the following process
makes to it: place it, follow its state, fetch its model, kill it (see ray_engine's RayRun).

The actor runs the same TrainingRun as the local engine, without a store. Ray is imported only
when these are called, that is only when the ray engine is used.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from mnist_demo.training.config import TrainConfig
from mnist_demo.training.fit_loop import FitSettings
from mnist_demo.training.run_state import ENDED_STATUSES, RunSnapshot
from mnist_demo.training.training_run import TrainingRun

# This process reads a running run's state from its actor this often; pages redraw once a
# second, and a stop reaches the actor within this delay.
FOLLOW_SECONDS = 0.25
# An actor that answers no call for this long is taken for lost (a hung or unreachable node).
CALL_TIMEOUT_SECONDS = 120.0


# The actor (runs on a cluster node) --------------------------------------------------------------


class ActorRecorder:
    """A run's recorder inside an actor: no store there, so only the model is kept, as the bytes
    of its .keras file, for the process that follows the run to save."""

    def __init__(self) -> None:
        self.model_bytes: bytes | None = None

    def started(self, run_id: str, started_at: float) -> None:
        pass

    def epoch(self, run_id: str, metrics: dict) -> None:
        pass

    def evaluated(self, run_id: str, loss: float, accuracy: float) -> None:
        pass

    def save(self, run_id: str, model) -> None:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"{run_id}.keras"
            model.save(path)
            self.model_bytes = path.read_bytes()

    def ended(self, run_id: str, status: str, finished_at: float, error: str | None = None) -> None:
        pass


class RunActor:
    """One run on a Ray worker: it starts training when Ray has placed it (its CPUs are free)."""

    def __init__(self, run_id: str, config: TrainConfig, settings: FitSettings, corrections):
        self.recorder = ActorRecorder()
        self.run = TrainingRun(
            config,
            run_id=run_id,
            settings=settings,
            recorder=self.recorder,
            corrections=corrections,
        )
        self.run.start()

    def pid(self) -> int:
        return os.getpid()

    def snapshot(self) -> RunSnapshot:
        return self.run.snapshot()

    def stop(self) -> None:
        self.run.request_stop()

    def model_bytes(self) -> bytes | None:
        return self.recorder.model_bytes


@functools.cache
def _remote_actor_class():
    import ray

    return ray.remote(max_restarts=0)(RunActor)


# The calls to it (the process that follows the run) ----------------------------------------------


def new_actor(run_id: str, config: TrainConfig, settings: FitSettings, corrections, cpus: int):
    """The run's actor of `cpus` CPUs; Ray places it (and it starts training) once they are free."""
    remote = _remote_actor_class().options(num_cpus=cpus)
    return remote.remote(run_id, config, settings, corrections)


def wait_placed(actor, stop: threading.Event) -> bool:
    """Wait until Ray has placed the actor; False if `stop` is set while it still waits for the
    cluster's CPUs (nothing trained)."""
    import ray

    placed = actor.pid.remote()
    while not ray.wait([placed], timeout=FOLLOW_SECONDS)[0]:
        if stop.is_set():
            return False
    ray.get(placed)
    return True


def follow(
    actor, stop: threading.Event, wake: threading.Event, mirror: Callable[[RunSnapshot], None]
) -> RunSnapshot:
    """Hand the actor's snapshot to `mirror` every FOLLOW_SECONDS (at once when `wake` is set),
    and pass a stop on once `stop` is set, until the run has ended; returns its last snapshot."""
    import ray

    stop_sent = False
    while True:
        if stop.is_set() and not stop_sent:
            actor.stop.remote()
            stop_sent = True
        snapshot = ray.get(actor.snapshot.remote(), timeout=CALL_TIMEOUT_SECONDS)
        mirror(snapshot)
        if snapshot.status in ENDED_STATUSES:
            return snapshot
        wake.wait(FOLLOW_SECONDS)
        wake.clear()


def model_bytes(actor) -> bytes:
    """The .keras file of the actor's saved model."""
    import ray

    return ray.get(actor.model_bytes.remote(), timeout=CALL_TIMEOUT_SECONDS)


def kill(actor) -> None:
    """End the actor and free its CPUs (an actor already gone is no error)."""
    with contextlib.suppress(Exception):
        import ray

        ray.kill(actor)


def worker_error(error: Exception) -> str:
    """A short reason for a run whose actor was lost: Ray's messages run over many lines."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = lines[0] if lines else type(error).__name__
    return f"the Ray worker training this run was lost ({type(error).__name__}: {reason})"
