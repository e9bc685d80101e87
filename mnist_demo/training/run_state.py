"""The live state of one training run: its status, curves and log, and the tracker that keeps it.

The tracker is fed by the Keras callback of the thread (or Ray actor) that trains, and read by
pages and the CLI through snapshot(), a copy taken under its lock. It knows nothing of where the
run executes, so the local and the Ray engines share it.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from mnist_demo.training.config import TrainConfig

# Samples per second is measured over this many of the most recent seconds of training.
RATE_WINDOW_SECONDS = 5.0


class RunStatus(StrEnum):
    """Every status a run can have. A live run is never "interrupted": only a run whose server
    died (its process is gone or its heartbeat stopped) is marked so in the store."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
ENDED_STATUSES = (RunStatus.COMPLETED, RunStatus.STOPPED, RunStatus.FAILED)


@dataclass
class RunState:
    """Everything about a run that changes while it trains (guarded by its tracker's lock)."""

    status: RunStatus = RunStatus.QUEUED
    epoch: int = 0  # current epoch, 1-based; 0 before the first starts
    step: int = 0  # batches done in the current epoch
    steps_per_epoch: int = 0
    global_step: int = 0  # batches done in the whole run
    train_samples: int = 0
    # One record per callback call (every FitSettings.steps_per_record batches): the global
    # step after it, and the mean training loss/accuracy over the batches since the previous
    # record (not Keras' running average over the epoch, which hides the noise of the curve).
    batch_steps: list[int] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    # {"epoch", "loss", "accuracy", "seconds", "steps", "steps_per_epoch", ["val_loss",
    # "val_accuracy"]}: loss and accuracy are Keras' epoch averages, as fit's History reports.
    epoch_metrics: list[dict] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    test_loss: float | None = None
    test_accuracy: float | None = None
    test_predictions: np.ndarray | None = None  # (10000,) predicted digit per MNIST test image
    test_confidence: np.ndarray | None = None  # (10000,) probability of that prediction
    error: str | None = None
    # True from the end of training until the test-set evaluation and the save are done: the
    # run is still "running", at 100 %, with nothing left to train.
    evaluating: bool = False
    model_path: str | None = None
    started_at: float | None = None
    finished_at: float | None = None

    def copy(self) -> dict:
        """The fields as a dict of copies (lists and metric dicts copied, arrays shared: they are
        read-only)."""
        values = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, list):
                value = [dict(entry) if isinstance(entry, dict) else entry for entry in value]
            values[item.name] = value
        return values


@dataclass
class RunSnapshot(RunState):
    """A copy of a run's state taken under its lock, with what pages derive from it. Changing a
    snapshot changes nothing in the run."""

    run_id: str = ""
    config: TrainConfig = field(default_factory=TrainConfig)
    epochs: int = 0
    queue_position: int | None = None  # 1-based while queued, else None
    progress: float = 0.0  # 0..1 over the whole run
    samples_per_second: float | None = None
    eta_seconds: float | None = None

    @property
    def active(self) -> bool:
        """True while the run is queued or running (the page keeps polling)."""
        return self.status in ACTIVE_STATUSES


class Throughput:
    """Training speed in images per second over the last few seconds of training.

    It is fed the time and the images trained at each live record. The time between two records
    is training time except at an epoch's boundaries: before an epoch's first record lie the
    validation pass and the epoch's start (and, for the first epoch, compiling), and before the
    record that ends with a short last batch lies that batch's call, which has a shape of its own
    and compiles in the first epoch. Those intervals are left out (restart() and measured=False);
    measured from the last two records, a 20-second compile over 32 images would read "1 images/s ·
    8 h 20 min left". The records of one compiled call arrive together, so an epoch's first call
    counts a few images without their time: about one call's worth (0.25 s) per epoch.
    """

    def __init__(self, window_seconds: float = RATE_WINDOW_SECONDS) -> None:
        self.window_seconds = window_seconds
        self._intervals: collections.deque[tuple[float, int]] = collections.deque()  # (s, images)
        self._seconds = 0.0  # the sum of the intervals' seconds
        self._last_time: float | None = None

    def restart(self) -> None:
        """A pause follows (a new epoch): the next record does not measure the time up to it."""
        self._last_time = None

    def add(self, now: float, images: int, *, measured: bool = True) -> None:
        """A record at time `now` (seconds) with `images` trained since the previous record;
        measured=False keeps its interval out of the speed."""
        if measured and self._last_time is not None:
            self._intervals.append((now - self._last_time, images))
            self._seconds += now - self._last_time
            # Keep the newest intervals that still cover the window.
            while self._intervals and self._seconds - self._intervals[0][0] >= self.window_seconds:
                self._seconds -= self._intervals.popleft()[0]
        self._last_time = now

    def rate(self) -> float | None:
        """Images per second, or None before two records of one epoch have been measured."""
        if self._seconds <= 0:
            return None
        return sum(images for _, images in self._intervals) / self._seconds


def progress_and_eta(
    state: RunState, config: TrainConfig, rate: float | None
) -> tuple[float, float | None]:
    """How far the run is (0..1) and the seconds left at `rate` images per second (None unless
    it is running and its speed is known)."""
    total_steps = config.epochs * state.steps_per_epoch
    if state.status == RunStatus.COMPLETED:
        progress = 1.0
    elif total_steps:
        progress = min(1.0, state.global_step / total_steps)
    else:
        progress = 0.0
    eta = None
    if rate and state.status == RunStatus.RUNNING:
        eta = (total_steps - state.global_step) * config.batch_size / rate
    return progress, eta


class BatchMeans:
    """The mean loss and accuracy over the batches since the previous record, worked out from
    Keras' running means over the epoch.

    Keras weights its running loss and accuracy by samples, so (mean_now * n_now -
    mean_before * n_before) / (n_now - n_before) is the exact mean over the new batches.
    """

    def __init__(self) -> None:
        # Keras' running loss, accuracy and sample count at the previous batch record.
        self._last_average = (0.0, 0.0, 0)

    def restart(self) -> None:
        """A new epoch: Keras' running means start again."""
        self._last_average = (0.0, 0.0, 0)

    def add(
        self, loss: float, accuracy: float, samples: int
    ) -> tuple[int, tuple[float, float] | None]:
        """Keras' running means after `samples` images of the epoch; returns the images since
        the previous record and their (mean loss, mean accuracy), None if there are none."""
        previous_loss, previous_accuracy, previous_samples = self._last_average
        window = samples - previous_samples
        self._last_average = (loss, accuracy, samples)
        if window <= 0:
            return window, None
        return window, (
            (loss * samples - previous_loss * previous_samples) / window,
            (accuracy * samples - previous_accuracy * previous_samples) / window,
        )


def epoch_metrics(
    epoch_index: int, logs: dict, seconds: float, steps: int, steps_per_epoch: int
) -> dict:
    """An epoch's record from Keras' epoch-end logs: epoch (1-based), loss, accuracy, seconds,
    steps, steps_per_epoch and, with a validation set, val_loss and val_accuracy."""
    metrics = {
        "epoch": epoch_index + 1,
        "loss": float(logs["loss"]),
        "accuracy": float(logs["accuracy"]),
        "seconds": seconds,
        "steps": steps,
        # A stopped run's last epoch has fewer steps: the Runs list counts it unfinished.
        "steps_per_epoch": steps_per_epoch,
    }
    for name in ("val_loss", "val_accuracy"):
        if name in logs:
            metrics[name] = float(logs[name])
    return metrics


class RunTracker:
    """The state of one run and the rules that change it, safe to call from several threads.

    The training thread calls start, begin_epoch, record_batches, end_epoch, finish and fail;
    anyone may call snapshot and request_stop.
    """

    def __init__(self, run_id: str, config: TrainConfig) -> None:
        self.run_id = run_id
        self.config = config
        self.state = RunState()
        self.lock = threading.Lock()
        self.stop_requested = threading.Event()
        self.throughput = Throughput()
        self._epoch_started = 0.0
        self._batch_means = BatchMeans()

    def snapshot(self, queue_position: int | None = None) -> RunSnapshot:
        """A consistent copy of the state with progress, speed and time left worked out."""
        with self.lock:
            state = self.state
            rate = self.throughput.rate()
            progress, eta = progress_and_eta(state, self.config, rate)
            return RunSnapshot(
                **state.copy(),
                run_id=self.run_id,
                config=self.config,
                epochs=self.config.epochs,
                queue_position=queue_position if state.status == RunStatus.QUEUED else None,
                progress=progress,
                samples_per_second=rate,
                eta_seconds=eta,
            )

    @property
    def status(self) -> RunStatus:
        with self.lock:
            return self.state.status

    def update(self, **changes) -> None:
        """Set fields of the state under the lock."""
        with self.lock:
            for name, value in changes.items():
                setattr(self.state, name, value)

    def log(self, line: str) -> None:
        with self.lock:
            self.state.log_lines.append(line)

    def start(self) -> float:
        """The run leaves the queue (its data loads next); returns the start time."""
        started_at = time.time()
        self.update(status=RunStatus.RUNNING, started_at=started_at)
        return started_at

    def finish(self, status: RunStatus) -> float | None:
        """End the run as status; returns the finish time, or None if it had already ended."""
        with self.lock:
            if self.state.status in ENDED_STATUSES:
                return None
            self.state.status = status
            self.state.evaluating = False
            self.state.finished_at = time.time()
            return self.state.finished_at

    def fail(self, error: BaseException | str) -> tuple[str, float]:
        """End the run as failed with the error's message; returns (message, finish time)."""
        message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        with self.lock:
            self.state.status = RunStatus.FAILED
            self.state.error = message
            self.state.evaluating = False
            self.state.finished_at = time.time()
            self.state.log_lines.append(f"Training failed: {message}")
            return message, self.state.finished_at

    def cut_short(self) -> bool:
        """After fit returns: True if a stop ended training before its last batch, and the log
        says where. A stop that arrives after the last batch changes nothing."""
        with self.lock:
            state = self.state
            short = (
                self.stop_requested.is_set()
                and state.global_step < self.config.epochs * state.steps_per_epoch
            )
            if short:
                state.log_lines.append(
                    stop_log_line(
                        state.epoch, self.config.epochs, state.step, state.steps_per_epoch
                    )
                )
            return short

    # Callback hooks (training thread) ---------------------------------------------------------

    def begin_epoch(self, epoch_index: int) -> None:
        with self.lock:
            self.state.epoch = epoch_index + 1
            self.state.step = 0
            self._epoch_started = time.perf_counter()
            self._batch_means.restart()
            self.throughput.restart()
            self.state.log_lines.append(f"Epoch {self.state.epoch}/{self.config.epochs}")

    def record_batches(self, end_step: int, logs: dict) -> None:
        """Record the mean of the batches since the previous record (see BatchMeans)."""
        state = self.state
        # fit_loop reports the exact batch; the clamp keeps the count right for any caller that
        # reports past the epoch's end, as Keras' own fit does with steps_per_execution.
        steps_done = min(end_step + 1, state.steps_per_epoch)
        samples = min(steps_done * self.config.batch_size, state.train_samples)
        loss, accuracy = float(logs.get("loss", math.nan)), float(logs.get("accuracy", math.nan))
        with self.lock:
            new_steps = steps_done - state.step
            window, means = self._batch_means.add(loss, accuracy, samples)
            if means is not None:
                state.batch_steps.append(state.global_step + new_steps)
                state.batch_loss.append(means[0])
                state.batch_accuracy.append(means[1])
            state.step = steps_done
            state.global_step += new_steps
            short_last_batch = (
                steps_done == state.steps_per_epoch
                and state.train_samples % self.config.batch_size != 0
            )
            self.throughput.add(time.perf_counter(), max(window, 0), measured=not short_last_batch)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"the loss became {loss} at epoch {state.epoch}, batch {steps_done}: training "
                f"diverged; try a lower learning rate than {self.config.effective_learning_rate}"
            )

    def end_epoch(self, epoch_index: int, logs: dict) -> dict:
        """Record the epoch's metrics (and its Keras log line); returns them."""
        with self.lock:
            seconds = time.perf_counter() - self._epoch_started
            metrics = epoch_metrics(
                epoch_index, logs, seconds, self.state.step, self.state.steps_per_epoch
            )
            self.state.epoch_metrics.append(metrics)
            self.state.log_lines.append(keras_log_line(metrics, self.state.steps_per_epoch))
            return dict(metrics)


def keras_log_line(metrics: dict, steps_per_epoch: int) -> str:
    """The line Keras' verbose=2 prints at an epoch's end, in the chapter's metric order."""
    parts = [f"{metrics['steps']}/{steps_per_epoch}", f"{round(metrics['seconds'])}s"]
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if name in metrics:
            parts.append(f"{name}: {metrics[name]:.4f}")
    return " - ".join(parts)


def stop_log_line(epoch: int, epochs: int, step: int, steps_per_epoch: int) -> str:
    """The log's line for a stop, with the page's stop notice's numbers: the batches done of the
    epoch it stopped in, as the notice counts them (not the batches of the whole run)."""
    return (
        f"Stopped on request in epoch {epoch} of {epochs}, "
        f"after {step} of its {steps_per_epoch} batches"
    )
