"""The Ray engine: each run trains in a Ray actor on a Ray cluster, followed from this process.

The actor (ray_actor) runs the same TrainingRun as the local engine, without a store. This
process (the web server or the CLI) reads the actor's snapshot every ray_actor.FOLLOW_SECONDS,
writes the epochs and the results to its own store, and at the end fetches the model's .keras
bytes and saves them as the local engine does. Ray is imported only here, in ray_actor and in
ray_cluster (which starts or joins the Ray instance), and only when this engine is used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time

from mnist_demo.storage import store
from mnist_demo.training import ray_actor
from mnist_demo.training.config import TrainConfig
from mnist_demo.training.fit_loop import FitSettings
from mnist_demo.training.ray_cluster import LOCAL_RAY, LocalHead, connect, keep_on_loopback
from mnist_demo.training.run_state import ACTIVE_STATUSES, ENDED_STATUSES, RunSnapshot, RunStatus
from mnist_demo.training.training_queue import Heartbeat, SlotQueue, positive_int_from_env
from mnist_demo.training.training_run import new_run_id, owner_matches

RAY_CPUS_ENV = "MNIST_DEMO_RAY_CPUS_PER_RUN"
# One run takes both cores of a 2-core machine, as the local engine's single slot does: two runs
# sharing 2 cores each train at half speed, and a class waits longer for its first result.
DEFAULT_CPUS_PER_RUN = 2


def cpus_per_run_from_env() -> int:
    return positive_int_from_env(RAY_CPUS_ENV, DEFAULT_CPUS_PER_RUN)


# The run as this process sees it -----------------------------------------------------------------


class RayRun:
    """A run trained by a Ray actor, as pages and the CLI see it (the local TrainingRun's API)."""

    def __init__(self, engine: RayEngine, config: TrainConfig, owner: str | None) -> None:
        self.run_id = new_run_id()
        self.config = config
        self.owner = owner
        self._engine = engine
        self._lock = threading.Lock()
        self._snapshot = RunSnapshot(run_id=self.run_id, config=config, epochs=config.epochs)
        self._done = threading.Event()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._actor = None
        self._model = None
        self._recorded_epochs = 0

    def snapshot(self) -> RunSnapshot:
        with self._lock:
            snapshot = self._snapshot
        position = self._engine.position(self) if snapshot.status == RunStatus.QUEUED else None
        return dataclasses.replace(snapshot, queue_position=position)

    @property
    def status(self) -> RunStatus:
        with self._lock:
            return self._snapshot.status

    @property
    def model(self):
        """The saved model, loaded here once the run has one (the templates of the Train page)."""
        snapshot = self.snapshot()
        if self._model is None and snapshot.model_path and not snapshot.active:
            from mnist_demo.training.model import load_model_file

            with self._lock:
                if self._model is None:
                    self._model = load_model_file(snapshot.model_path)
        return self._model

    def may_stop(self, owner: str | None) -> bool:
        return owner_matches(self.owner, owner)

    def request_stop(self, owner: str | None = None) -> bool:
        """Cancel the run if it waits for a slot, else ask its actor to stop after the current
        compiled call; False (and nothing stopped) if `owner` may not stop it."""
        if not self.may_stop(owner):
            return False
        self._stop.set()
        self._wake.set()
        if self._engine.cancel(self):
            self._end(RunStatus.STOPPED)
            self._done.set()
        return True

    def join(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def start(self) -> None:
        """A cluster slot is free (the engine's queue calls this): place the actor and follow it."""
        self._update(status=RunStatus.RUNNING, started_at=time.time())
        threading.Thread(target=self._follow, name=f"ray-run-{self.run_id}", daemon=True).start()

    # Following the actor (this run's thread) -------------------------------------------------

    def _update(self, **changes) -> RunSnapshot:
        with self._lock:
            self._snapshot = dataclasses.replace(self._snapshot, **changes)
            return self._snapshot

    def _follow(self) -> None:
        try:
            self._train_on_cluster()
        except Exception as error:  # noqa: BLE001 - any failure is shown to the user and stored
            import ray

            if isinstance(error, ray.exceptions.RayError):
                self._fail(ray_actor.worker_error(error))
            else:
                self._fail(f"{type(error).__name__}: {error}")
        finally:
            if self._actor is not None:
                ray_actor.kill(self._actor)
            self._done.set()
            self._engine.finished(self)

    def _train_on_cluster(self) -> None:
        started_at = self.snapshot().started_at
        store.update_run(
            self.run_id, status=RunStatus.RUNNING, started_at=started_at, pid=os.getpid()
        )
        self._engine.wait_connected()
        corrections = store.load_corrections() if self.config.include_corrections else None
        if self._stop.is_set():
            self._end(RunStatus.STOPPED)
            return
        engine = self._engine
        self._actor = ray_actor.new_actor(
            self.run_id, self.config, engine.settings, corrections, engine.cpus_per_run
        )
        if not ray_actor.wait_placed(self._actor, self._stop):
            self._end(RunStatus.STOPPED)
            return
        self._conclude(ray_actor.follow(self._actor, self._stop, self._wake, self._mirror))

    def _mirror(self, snapshot: RunSnapshot) -> None:
        """Show the actor's state here and store its new epochs. Until the model is saved here
        a finished run still reads "running, evaluating"."""
        for metrics in snapshot.epoch_metrics[self._recorded_epochs :]:
            store.record_epoch(self.run_id, metrics["epoch"], metrics)
        self._recorded_epochs = len(snapshot.epoch_metrics)
        if snapshot.status in ENDED_STATUSES and snapshot.status != RunStatus.FAILED:
            snapshot = dataclasses.replace(
                snapshot, status=RunStatus.RUNNING, evaluating=True, finished_at=None
            )
        with self._lock:
            self._snapshot = dataclasses.replace(snapshot, started_at=self._snapshot.started_at)

    def _conclude(self, snapshot: RunSnapshot) -> None:
        if snapshot.status == RunStatus.FAILED:
            self._fail(snapshot.error or "?", logged=True)
            return
        model_path = None
        if snapshot.test_accuracy is not None:
            store.update_run(
                self.run_id, test_loss=snapshot.test_loss, test_accuracy=snapshot.test_accuracy
            )
            model_path = save_model_file(self.run_id, ray_actor.model_bytes(self._actor))
        self._update(model_path=model_path)
        self._end(snapshot.status)

    def _end(self, status: RunStatus) -> None:
        finished_at = time.time()
        self._update(status=status, evaluating=False, finished_at=finished_at)
        store.update_run(self.run_id, status=status, finished_at=finished_at)

    def _fail(self, message: str, *, logged: bool = False) -> None:
        with self._lock:
            self._snapshot = failed(self._snapshot, message, logged=logged)
            finished_at = self._snapshot.finished_at
        # If the store fails too, the in-memory state still says failed with the first error.
        with contextlib.suppress(Exception):
            store.update_run(
                self.run_id, status=RunStatus.FAILED, error=message, finished_at=finished_at
            )


def failed(snapshot: RunSnapshot, message: str, *, logged: bool) -> RunSnapshot:
    """The snapshot of a run that has just failed with `message`, which its log gains unless
    the actor's log already says it (`logged`)."""
    lines = snapshot.log_lines
    return dataclasses.replace(
        snapshot,
        status=RunStatus.FAILED,
        error=message,
        evaluating=False,
        finished_at=time.time(),
        log_lines=lines if logged else [*lines, f"Training failed: {message}"],
    )


def save_model_file(run_id: str, payload: bytes) -> str:
    """Write the .keras bytes of a run's model to the store's models/<run id>.keras, so readers
    see the old file or the new one, never half of one; record and return its path."""
    path = store.models_dir() / f"{run_id}.keras"
    store.atomic_write_bytes(path, payload)
    store.update_run(run_id, model_path=str(path))
    return str(path)


# The engine --------------------------------------------------------------------------------------


class RayEngine:
    """Runs train as Ray actors of cpus_per_run CPUs each; as many at once as the cluster's CPUs
    hold when this engine connects, the rest wait here in submission order (their queue
    position). Connecting happens in the background, so creating the engine never blocks a page.

    slot() reserves one of this machine's local training slots ($MNIST_DEMO_MAX_TRAINING), not
    a cluster slot: the work it guards (the Draw page's handwriting adaptation) runs in this
    process, on this machine's cores, and must not wait behind the class's cluster runs.
    """

    name = "ray"

    def __init__(
        self,
        address: str = LOCAL_RAY,
        *,
        settings: FitSettings | None = None,
        cpus_per_run: int | None = None,
        num_cpus: int | None = None,
    ) -> None:
        self.address = address
        self.settings = settings or FitSettings()
        self.cpus_per_run = cpus_per_run or cpus_per_run_from_env()
        self._num_cpus = num_cpus
        self._cluster = SlotQueue(max_concurrent=1)  # resized once the cluster is known
        self._local = SlotQueue()
        self._lock = threading.Lock()
        self._runs: dict[str, RayRun] = {}
        self.heartbeat = Heartbeat(self._active_run_ids)
        self._connected = threading.Event()
        self._connect_error: Exception | None = None
        self._owns_ray = False
        keep_on_loopback(address)
        threading.Thread(target=self._connect, name="ray-connect", daemon=True).start()

    def _connect(self) -> None:
        try:
            import ray

            self._owns_ray = connect(self.address, self._num_cpus)
            cpus = int(ray.cluster_resources().get("CPU", 0))
            if cpus < self.cpus_per_run:
                raise ValueError(
                    f"the Ray cluster has {cpus} CPUs, fewer than the {self.cpus_per_run} one run "
                    f"asks for (${RAY_CPUS_ENV})"
                )
            self._cluster.max_concurrent = cpus // self.cpus_per_run
        except Exception as error:  # noqa: BLE001 - every run waiting for Ray reports it
            self._connect_error = error
        finally:
            self._connected.set()
            self._cluster.dispatch()

    def wait_connected(self, timeout: float | None = None) -> None:
        """Block until Ray is connected; raises with the reason if it could not be."""
        self._connected.wait(timeout)
        if self._connect_error is not None:
            raise RuntimeError(
                f"could not use the Ray cluster at {self.address!r}: {self._connect_error}"
            ) from self._connect_error

    @property
    def capacity(self) -> int:
        """Runs the cluster trains at once (1 until connected)."""
        return self._cluster.max_concurrent

    def submit(self, config: TrainConfig, *, owner: str | None = None) -> RayRun:
        if not isinstance(config, TrainConfig):
            raise TypeError(f"submit takes a TrainConfig, got {type(config).__name__}")
        run = RayRun(self, config, owner)
        store.create_run(run.run_id, config.to_dict(), status=RunStatus.QUEUED)
        with self._lock:
            self._runs[run.run_id] = run
        self._cluster.enqueue(run)
        self.heartbeat.wake()
        return run

    def get(self, run_id: str) -> RayRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def runs(self) -> list[RayRun]:
        with self._lock:
            return list(self._runs.values())

    def slot(self):
        return self._local.slot()

    def position(self, run: RayRun) -> int | None:
        return self._cluster.position(run)

    def cancel(self, run: RayRun) -> bool:
        return self._cluster.cancel(run)

    def finished(self, run: RayRun) -> None:
        self._cluster.finished(run)

    def _active_run_ids(self) -> list[str]:
        return [run.run_id for run in self.runs() if run.status in ACTIVE_STATUSES]

    def shutdown(self) -> None:
        """Stop the heartbeat; disconnect from Ray if this engine connected, and stop the Ray
        head it started, if any."""
        self.heartbeat.stop()
        if self._owns_ray:
            import ray

            ray.shutdown()
            if isinstance(self._owns_ray, LocalHead):
                self._owns_ray.stop()
