"""The local training engine: runs train in this process, behind a process-wide queue."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable

from mnist_demo.storage import store
from mnist_demo.training.config import TrainConfig
from mnist_demo.training.fit_loop import FitSettings
from mnist_demo.training.run_state import ACTIVE_STATUSES, RunStatus
from mnist_demo.training.training_run import TrainingRun

MAX_TRAINING_ENV = "MNIST_DEMO_MAX_TRAINING"


def positive_int_from_env(name: str, default: int) -> int:
    """$name as a positive integer, `default` when unset; ValueError naming it otherwise."""
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return value


def max_training_from_env() -> int:
    """$MNIST_DEMO_MAX_TRAINING, default 1: the machine has 2 cores, one run uses them both."""
    return positive_int_from_env(MAX_TRAINING_ENV, 1)


class Heartbeat:
    """Writes the store's heartbeat of an engine's queued and running runs while it has any, so
    another server on the same data directory can tell them from the runs of a dead server."""

    def __init__(self, active_ids: Callable[[], list[str]], seconds: float | None = None) -> None:
        self._active_ids = active_ids
        self.seconds = seconds or store.HEARTBEAT_SECONDS
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def wake(self) -> None:
        """Make sure the heartbeat runs (call after a run was submitted)."""
        with self._lock:
            if self._thread is None and not self._stopped.is_set():
                self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _beat(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                run_ids = self._active_ids()
                if not run_ids:
                    self._thread = None
                    return
            # A store that fails now and then must not end the heartbeat; the next beat retries.
            with contextlib.suppress(Exception):
                store.beat(run_ids)
            self._stopped.wait(self.seconds)


class SlotTicket:
    """A place in a TrainingQueue for work that is not a TrainingRun; see TrainingQueue.slot."""

    def __init__(self) -> None:
        self._granted = threading.Event()

    def start(self) -> None:
        """Called by the queue when a slot is free for this ticket."""
        self._granted.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the queue grants the slot; True once it has."""
        return self._granted.wait(timeout)


class SlotQueue:
    """First-come training slots: waiting work starts as slots free up."""

    def __init__(self, max_concurrent: int | None = None) -> None:
        self.max_concurrent = max_concurrent or max_training_from_env()
        if self.max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
        self._lock = threading.Lock()
        self._waiting: list = []  # TrainingRuns and SlotTickets, first come first
        self._active: list = []

    @contextlib.contextmanager
    def slot(self):
        """Hold one training slot for work that is not a TrainingRun (a short adaptation).

        Waits in the same first-come order as submitted runs, so a class adapting at once
        queues instead of thrashing the cores; yields a ticket whose place position() reports
        while it waits. The slot is freed when the block ends, however it ends.
        """
        ticket = SlotTicket()
        self.enqueue(ticket)
        try:
            ticket.wait()
            yield ticket
        finally:
            self.cancel(ticket)
            self.finished(ticket)

    def position(self, item) -> int | None:
        """1-based place of waiting work in the queue, None once it started."""
        with self._lock:
            if item in self._waiting:
                return self._waiting.index(item) + 1
            return None

    def cancel(self, item) -> bool:
        """Remove work that has not started yet; True if it was waiting."""
        with self._lock:
            if item in self._waiting:
                self._waiting.remove(item)
                return True
            return False

    def finished(self, item) -> None:
        """Called when started work ends: frees its slot for the next one."""
        with self._lock:
            if item in self._active:
                self._active.remove(item)
        self.dispatch()

    def enqueue(self, item) -> None:
        with self._lock:
            self._waiting.append(item)
        self.dispatch()

    def dispatch(self) -> None:
        starting = []
        with self._lock:
            while self._waiting and len(self._active) < self.max_concurrent:
                item = self._waiting.pop(0)
                self._active.append(item)
                starting.append(item)
        for item in starting:
            item.start()


class TrainingQueue(SlotQueue):
    """The local engine: runs start in submission order as this process's training slots free
    up, each in a thread of this process. No Ray needed."""

    name = "local"

    def __init__(self, max_concurrent: int | None = None, settings: FitSettings | None = None):
        super().__init__(max_concurrent)
        self.settings = settings or FitSettings()
        self._runs: dict[str, TrainingRun] = {}
        self.heartbeat = Heartbeat(self._active_run_ids)

    def submit(self, config: TrainConfig, *, owner: str | None = None) -> TrainingRun:
        """Queue a run and return it at once; it starts when a training slot is free. Only
        `owner` (a secret of the session that starts it) may stop it; None: anyone."""
        if not isinstance(config, TrainConfig):
            raise TypeError(f"submit takes a TrainConfig, got {type(config).__name__}")
        run = TrainingRun(config, settings=self.settings, queue=self, owner=owner)
        store.create_run(run.run_id, config.to_dict(), status=RunStatus.QUEUED)
        with self._lock:
            self._runs[run.run_id] = run
        self.enqueue(run)
        self.heartbeat.wake()
        return run

    def _active_run_ids(self) -> list[str]:
        return [run.run_id for run in self.runs() if run.status in ACTIVE_STATUSES]

    def get(self, run_id: str) -> TrainingRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def runs(self) -> list[TrainingRun]:
        """Every run submitted to this queue, oldest first."""
        with self._lock:
            return list(self._runs.values())

    def shutdown(self) -> None:
        """Stop the heartbeat; the runs' threads are daemons of this process."""
        self.heartbeat.stop()
