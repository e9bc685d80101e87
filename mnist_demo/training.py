"""Live training: runs fit_loop.fit in background threads behind a process-wide queue."""

from __future__ import annotations

import collections
import contextlib
import functools
import math
import os
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mnist_demo import data, fit_loop, store
from mnist_demo.config import TrainConfig
from mnist_demo.fit_loop import FitSettings

MAX_TRAINING_ENV = "MNIST_DEMO_MAX_TRAINING"
STATUSES = store.STATUSES[:5]  # a live run is never "interrupted": only a dead process's is
ACTIVE_STATUSES = store.ACTIVE_STATUSES
# Samples per second is measured over this many of the most recent seconds of training.
RATE_WINDOW_SECONDS = 5.0


@dataclass(frozen=True)
class RunSnapshot:
    """A consistent copy of a run's state, taken under its lock, for pages and the CLI."""

    run_id: str
    config: TrainConfig
    status: str  # "queued" | "running" | "completed" | "stopped" | "failed"
    queue_position: int | None  # 1-based while queued, else None
    epoch: int  # current epoch, 1-based; 0 before the first starts
    epochs: int
    step: int  # batches done in the current epoch
    steps_per_epoch: int
    progress: float  # 0..1 over the whole run
    samples_per_second: float | None
    eta_seconds: float | None
    # One record per callback call (every FitSettings.steps_per_record batches): the global
    # step after it, and the mean training loss/accuracy over the batches since the previous
    # record (not Keras' running average over the epoch, which hides the noise of the curve).
    batch_steps: list[int] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    # {"epoch", "loss", "accuracy", "seconds", "steps", ["val_loss", "val_accuracy"]}: loss and
    # accuracy are Keras' epoch averages, as fit's History reports them.
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

    @property
    def active(self) -> bool:
        """True while the run is queued or running (the page keeps polling)."""
        return self.status in ACTIVE_STATUSES


# Data ------------------------------------------------------------------------------------------


@functools.cache
def _float_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST as the chapter prepares it, once per process, read-only.

    Returns x_train (60000, 784) float32 in [0, 1], y_train (60000,) uint8, x_test (10000, 784)
    float32 and y_test (10000,) uint8. Every run slices views of these arrays, so starting a run
    copies nothing.
    """
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    arrays = (
        x_train.reshape(len(x_train), 28 * 28).astype("float32") / 255,
        np.array(y_train),
        x_test.reshape(len(x_test), 28 * 28).astype("float32") / 255,
        np.array(y_test),
    )
    for array in arrays:
        array.flags.writeable = False
    return arrays


@dataclass(frozen=True)
class TrainingData:
    """The arrays one run trains, validates and tests on (flat (n, 784) float32 images)."""

    x_train: np.ndarray  # (n, 784)
    y_train: np.ndarray  # (n, 10) one-hot
    x_val: np.ndarray | None  # (v, 784)
    y_val: np.ndarray | None  # (v, 10)
    x_test: np.ndarray  # (10000, 784)
    y_test: np.ndarray  # (10000,) labels


def training_data(config: TrainConfig) -> TrainingData:
    """The first config.train_size MNIST training images, split and extended as the config says.

    Like Keras' validation_split, the validation set is the last fraction of those images (before
    any shuffling). Draw-page corrections, when included, are appended to the training part only,
    so validation and test figures stay comparable between runs.
    """
    x_all, y_all, x_test, y_test = _float_mnist()
    x_train, labels = x_all[: config.train_size], y_all[: config.train_size]
    x_val = y_val = None
    if config.validation_split > 0:
        split_at = int(len(x_train) * (1 - config.validation_split))
        x_val, y_val = x_train[split_at:], data.one_hot(labels[split_at:])
        x_train, labels = x_train[:split_at], labels[:split_at]
    if config.include_corrections:
        images, corrected = store.load_corrections()
        if len(images):
            x_train = np.concatenate([x_train, images.reshape(len(images), 28 * 28)])
            labels = np.concatenate([labels, corrected])
    return TrainingData(x_train, data.one_hot(labels), x_val, y_val, x_test, y_test)


def _model_input(images: np.ndarray, config: TrainConfig) -> np.ndarray:
    """Flat (n, 784) images as the architecture takes them: as is, or (n, 28, 28, 1) for the CNN."""
    if config.architecture == "cnn":
        return images.reshape(len(images), 28, 28, 1)
    return images


# Speed -----------------------------------------------------------------------------------------


class Throughput:
    """Training speed in images per second over the last few seconds of training.

    It is fed the time and the images trained at each live record. The time between two records
    is training time except at an epoch's boundaries: before an epoch's first record lie the
    validation pass and the epoch's start (and, for the first epoch, compiling), and before the
    record that ends with a short last batch lies that batch's call, which has a shape of its own
    and compiles in the first epoch. Those intervals are left out (restart() and measured=False);
    measured from the last two records, a 20-second compile over 32 images read "1 images/s ·
    8 h 20 min left" in QA. The records of one compiled call arrive together, so an epoch's first
    call counts a few images without their time: about one call's worth (0.25 s) per epoch.
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


# Runs ------------------------------------------------------------------------------------------


def new_run_id() -> str:
    """A unique run id such as 3fa9c1d2e4b7 (random, so any prefix of it tells runs apart)."""
    return uuid.uuid4().hex[:12]


class TrainingRun:
    """One training run: fit_loop.fit in a worker thread; state read through snapshot().

    The worker thread never calls Streamlit. All state the callback writes is guarded by
    self._lock, and snapshot() copies it under that lock.
    """

    def __init__(
        self,
        config: TrainConfig,
        *,
        run_id: str | None = None,
        settings: FitSettings | None = None,
        queue: TrainingQueue | None = None,
        callbacks: Sequence = (),
    ) -> None:
        self.run_id = run_id or new_run_id()
        self.config = config
        self.settings = settings or FitSettings()
        # Extra Keras callbacks, called after the live one (the benchmark's epoch timer).
        self._callbacks = tuple(callbacks)
        self.model = None  # the Keras model once built; usable after completed/stopped
        self._queue = queue
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._status = "queued"
        self._epoch = 0
        self._step = 0  # batches done in the current epoch
        self._global_step = 0
        self._samples_seen = 0
        self._steps_per_epoch = 0
        self._train_samples = 0
        self._batch_steps: list[int] = []
        self._batch_loss: list[float] = []
        self._batch_accuracy: list[float] = []
        self._epoch_metrics: list[dict] = []
        self._log_lines: list[str] = []
        self._epoch_started = 0.0
        # Keras' running loss, accuracy and sample count at the previous batch record.
        self._last_average = (0.0, 0.0, 0)
        self._throughput = Throughput()
        self._test_loss: float | None = None
        self._test_accuracy: float | None = None
        self._evaluating = False
        self._test_predictions: np.ndarray | None = None
        self._test_confidence: np.ndarray | None = None
        self._error: str | None = None
        self._model_path: str | None = None
        self._started_at: float | None = None
        self._finished_at: float | None = None

    # Public API -----------------------------------------------------------------------------

    def snapshot(self) -> RunSnapshot:
        """A consistent copy of the run's state (lists copied, arrays shared read-only)."""
        position = self._queue.position(self) if self._queue else None
        with self._lock:
            total_steps = self.config.epochs * self._steps_per_epoch
            if self._status == "completed":
                progress = 1.0
            elif total_steps:
                progress = min(1.0, self._global_step / total_steps)
            else:
                progress = 0.0
            rate = self._throughput.rate()
            eta = None
            if rate and self._status == "running":
                remaining = total_steps - self._global_step
                eta = remaining * self.config.batch_size / rate
            return RunSnapshot(
                run_id=self.run_id,
                config=self.config,
                status=self._status,
                queue_position=position if self._status == "queued" else None,
                epoch=self._epoch,
                epochs=self.config.epochs,
                step=self._step,
                steps_per_epoch=self._steps_per_epoch,
                progress=progress,
                samples_per_second=rate,
                eta_seconds=eta,
                batch_steps=list(self._batch_steps),
                batch_loss=list(self._batch_loss),
                batch_accuracy=list(self._batch_accuracy),
                epoch_metrics=[dict(metrics) for metrics in self._epoch_metrics],
                log_lines=list(self._log_lines),
                test_loss=self._test_loss,
                test_accuracy=self._test_accuracy,
                test_predictions=self._test_predictions,
                test_confidence=self._test_confidence,
                error=self._error,
                evaluating=self._evaluating,
                model_path=self._model_path,
                started_at=self._started_at,
                finished_at=self._finished_at,
            )

    @property
    def status(self) -> str:
        with self._lock:
            return self._status

    def request_stop(self) -> None:
        """Stop after the current compiled call of FitSettings.seconds_per_call (a fraction of a
        second); the partial model is evaluated, saved and stays usable. A queued run is
        cancelled."""
        self._stop.set()
        if self._queue is not None and self._queue.cancel(self):
            self._finish("stopped")
            return
        model = self.model
        if model is not None:
            model.stop_training = True

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the run is finished (completed, stopped or failed); True if it is."""
        return self._done.wait(timeout)

    def start(self) -> None:
        """Start the worker thread (the queue calls this when a training slot is free)."""
        self._thread = threading.Thread(
            target=self._work, name=f"training-{self.run_id}", daemon=True
        )
        self._thread.start()

    # Worker ---------------------------------------------------------------------------------

    def _work(self) -> None:
        try:
            self._train()
        except Exception as error:  # noqa: BLE001 - any failure is shown to the user and stored
            self._fail(error)
        finally:
            self._done.set()
            if self._queue is not None:
                self._queue.finished(self)

    def _train(self) -> None:
        from mnist_demo.model import build_model

        config = self.config
        arrays = training_data(config)
        steps_per_epoch = math.ceil(len(arrays.x_train) / config.batch_size)
        with self._lock:
            self._status = "running"
            self._started_at = time.time()
            self._steps_per_epoch = steps_per_epoch
            self._train_samples = len(arrays.x_train)
        store.update_run(
            self.run_id, status="running", started_at=self._started_at, pid=os.getpid()
        )
        xla = self.settings.xla_for(config.architecture)
        with _BUILD_LOCK:  # build_model seeds Keras' global RNGs: one build at a time
            # The compile settings serve evaluate and predict; fit_loop compiles its own loop.
            model = build_model(config, jit_compile=xla, steps_per_execution=16)
        self.model = model
        validation = None
        if arrays.x_val is not None:
            validation = (_model_input(arrays.x_val, config), arrays.y_val)
        if not self._stop.is_set():
            fit_loop.fit(
                model,
                _model_input(arrays.x_train, config),
                arrays.y_train,
                epochs=config.epochs,
                batch_size=config.batch_size,
                validation_data=validation,
                callbacks=[LiveCallback(self), *self._callbacks],
                seed=config.seed,
                settings=self.settings,
                jit_compile=xla,
            )
        with self._lock:
            trained = self._global_step > 0
            # A stop that arrives after the last batch changes nothing: the run completed.
            cut_short = self._stop.is_set() and self._global_step < config.epochs * steps_per_epoch
            if cut_short:
                self._log_lines.append(
                    stop_log_line(self._epoch, config.epochs, self._step, steps_per_epoch)
                )
        if trained:
            with self._lock:
                self._evaluating = True
            self._evaluate(model, _model_input(arrays.x_test, config), arrays.y_test)
            self._save(model)
        self._finish("stopped" if cut_short else "completed")

    def _evaluate(self, model, x_test: np.ndarray, y_test: np.ndarray) -> None:
        """Test loss and accuracy as model.evaluate reports them, from one predict pass."""
        probabilities = model.predict(x_test, batch_size=1024, verbose=0)  # (10000, 10)
        loss, accuracy = crossentropy_and_accuracy(probabilities, y_test)
        predictions = probabilities.argmax(axis=1).astype("uint8")  # (10000,)
        confidence = probabilities.max(axis=1).astype("float32")  # (10000,)
        predictions.flags.writeable = False
        confidence.flags.writeable = False
        with self._lock:
            self._test_loss, self._test_accuracy = loss, accuracy
            self._test_predictions, self._test_confidence = predictions, confidence
            self._log_lines.append(f"test_loss: {loss:.4f} - test_acc: {accuracy:.4f}")
        store.update_run(self.run_id, test_loss=loss, test_accuracy=accuracy)

    def _save(self, model) -> None:
        """Save the model as models/<run_id>.keras atomically (temp file, then os.replace)."""
        path = store.models_dir() / f"{self.run_id}.keras"
        # Keras insists on the .keras suffix, so the temporary file keeps it.
        temporary = path.with_name(f".{self.run_id}.{os.getpid()}.tmp.keras")
        try:
            model.save(temporary)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        with self._lock:
            self._model_path = str(path)
        store.update_run(self.run_id, model_path=str(path))

    def _finish(self, status: str) -> None:
        with self._lock:
            if self._status in ("completed", "stopped", "failed"):
                return
            self._status = status
            self._evaluating = False
            self._finished_at = time.time()
            finished_at = self._finished_at
        store.update_run(self.run_id, status=status, finished_at=finished_at)
        self._done.set()

    def _fail(self, error: Exception) -> None:
        message = f"{type(error).__name__}: {error}"
        with self._lock:
            self._status = "failed"
            self._error = message
            self._finished_at = time.time()
            self._log_lines.append(f"Training failed: {message}")
        # If the store fails too, the in-memory state still says failed with the first error.
        with contextlib.suppress(Exception):
            store.update_run(
                self.run_id, status="failed", error=message, finished_at=self._finished_at
            )

    # Callback hooks (worker thread) --------------------------------------------------------

    def _begin_epoch(self, epoch_index: int) -> None:
        with self._lock:
            self._epoch = epoch_index + 1
            self._step = 0
            self._epoch_started = time.perf_counter()
            self._epoch_samples = 0
            self._last_average = (0.0, 0.0, 0)  # running loss, accuracy, samples at last record
            self._throughput.restart()
            self._log_lines.append(f"Epoch {self._epoch}/{self.config.epochs}")

    def _record_batches(self, end_step: int, logs: dict) -> None:
        """Record the mean of the batches since the previous record, from Keras' running means.

        Keras weights its running loss and accuracy by samples, so (mean_now * n_now -
        mean_before * n_before) / (n_now - n_before) is the exact mean over the new batches.
        """
        # fit_loop reports the exact batch; the clamp keeps the count right for any caller that
        # reports past the epoch's end, as Keras' own fit does with steps_per_execution.
        steps_done = min(end_step + 1, self._steps_per_epoch)
        samples = min(steps_done * self.config.batch_size, self._train_samples)
        loss, accuracy = float(logs.get("loss", math.nan)), float(logs.get("accuracy", math.nan))
        with self._lock:
            new_steps = steps_done - self._step
            previous_loss, previous_accuracy, previous_samples = self._last_average
            window = samples - previous_samples
            if window > 0:
                self._batch_steps.append(self._global_step + new_steps)
                self._batch_loss.append(
                    (loss * samples - previous_loss * previous_samples) / window
                )
                self._batch_accuracy.append(
                    (accuracy * samples - previous_accuracy * previous_samples) / window
                )
            self._last_average = (loss, accuracy, samples)
            self._step = steps_done
            self._global_step += new_steps
            self._samples_seen += window
            short_last_batch = (
                steps_done == self._steps_per_epoch
                and self._train_samples % self.config.batch_size != 0
            )
            self._throughput.add(time.perf_counter(), max(window, 0), measured=not short_last_batch)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"the loss became {loss} at epoch {self._epoch}, batch {steps_done}: training "
                f"diverged; try a lower learning rate than {self.config.effective_learning_rate}"
            )

    def _end_epoch(self, epoch_index: int, logs: dict) -> None:
        with self._lock:
            seconds = time.perf_counter() - self._epoch_started
            metrics = {
                "epoch": epoch_index + 1,
                "loss": float(logs["loss"]),
                "accuracy": float(logs["accuracy"]),
                "seconds": seconds,
                "steps": self._step,
                # A stopped run's last epoch has fewer steps: the Runs list counts it unfinished.
                "steps_per_epoch": self._steps_per_epoch,
            }
            for name in ("val_loss", "val_accuracy"):
                if name in logs:
                    metrics[name] = float(logs[name])
            self._epoch_metrics.append(metrics)
            self._log_lines.append(keras_log_line(metrics, self._steps_per_epoch))
        store.record_epoch(self.run_id, metrics["epoch"], metrics)


def keras_log_line(metrics: dict, steps_per_epoch: int) -> str:
    """The line Keras' verbose=2 prints at an epoch's end, in the chapter's metric order."""
    parts = [f"{metrics['steps']}/{steps_per_epoch}", f"{round(metrics['seconds'])}s"]
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if name in metrics:
            parts.append(f"{name}: {metrics[name]:.4f}")
    return " - ".join(parts)


def stop_log_line(epoch: int, epochs: int, step: int, steps_per_epoch: int) -> str:
    """The log's line for a stop, with the page's stop notice's numbers: the batches done of the
    epoch it stopped in (QA saw "468 of its 469 batches" above "468 of 938 batches")."""
    return (
        f"Stopped on request in epoch {epoch} of {epochs}, "
        f"after {step} of its {steps_per_epoch} batches"
    )


def crossentropy_and_accuracy(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean categorical cross-entropy and accuracy of (n, 10) probabilities as Keras computes them
    (probabilities clipped to [1e-7, 1 - 1e-7])."""
    probabilities = np.asarray(probabilities, dtype="float64")
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    picked = np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1 - 1e-7)
    loss = float(-np.log(picked).mean())
    accuracy = float((probabilities.argmax(axis=1) == labels).mean())
    return loss, accuracy


_BUILD_LOCK = threading.Lock()


def _live_callback_class():
    import keras

    class _LiveCallback(keras.callbacks.Callback):
        """Feeds a TrainingRun from fit: per-execution batch metrics, epoch metrics, stop flag."""

        def __init__(self, run: TrainingRun) -> None:
            super().__init__()
            self.run = run

        def on_train_begin(self, logs=None):
            if self.run._stop.is_set():
                self.model.stop_training = True

        def on_epoch_begin(self, epoch, logs=None):
            self.run._begin_epoch(epoch)

        def on_train_batch_end(self, batch, logs=None):
            self.run._record_batches(batch, logs or {})
            if self.run._stop.is_set():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            self.run._end_epoch(epoch, logs or {})

    return _LiveCallback


def LiveCallback(run: TrainingRun):  # noqa: N802 - a class factory, so Keras is imported lazily
    """The Keras callback that streams a run's metrics (built lazily: Keras imports slowly)."""
    return _cached_callback_class()(run)


@functools.cache
def _cached_callback_class():
    return _live_callback_class()


# Queue -----------------------------------------------------------------------------------------


def max_training_from_env() -> int:
    """$MNIST_DEMO_MAX_TRAINING, default 1: the machine has 2 cores, one run uses them both."""
    raw = os.environ.get(MAX_TRAINING_ENV, "1")
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{MAX_TRAINING_ENV} must be a positive integer, got {raw!r}")
    return value


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


class TrainingQueue:
    """Process-wide training slots: runs start in submission order as slots free up."""

    def __init__(self, max_concurrent: int | None = None, settings: FitSettings | None = None):
        self.max_concurrent = max_concurrent or max_training_from_env()
        if self.max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
        self.settings = settings or FitSettings()
        self._lock = threading.Lock()
        self._waiting: list[TrainingRun] = []
        self._active: list[TrainingRun] = []
        self._runs: dict[str, TrainingRun] = {}

    def submit(self, config: TrainConfig) -> TrainingRun:
        """Queue a run and return it at once; it starts when a training slot is free."""
        if not isinstance(config, TrainConfig):
            raise TypeError(f"submit takes a TrainConfig, got {type(config).__name__}")
        run = TrainingRun(config, settings=self.settings, queue=self)
        store.create_run(run.run_id, config.to_dict(), status="queued")
        with self._lock:
            self._runs[run.run_id] = run
            self._waiting.append(run)
        self._dispatch()
        return run

    @contextlib.contextmanager
    def slot(self):
        """Hold one training slot for work that is not a TrainingRun (a short adaptation).

        Waits in the same first-come order as submitted runs, so a class adapting at once
        queues instead of thrashing the cores; yields a ticket whose place position() reports
        while it waits. The slot is freed when the block ends, however it ends.
        """
        ticket = SlotTicket()
        with self._lock:
            self._waiting.append(ticket)
        self._dispatch()
        try:
            ticket.wait()
            yield ticket
        finally:
            with self._lock:
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
            self.finished(ticket)

    def get(self, run_id: str) -> TrainingRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def runs(self) -> list[TrainingRun]:
        """Every run submitted to this queue, oldest first."""
        with self._lock:
            return list(self._runs.values())

    def position(self, run: TrainingRun) -> int | None:
        """1-based place of a waiting run in the queue, None once it started."""
        with self._lock:
            if run in self._waiting:
                return self._waiting.index(run) + 1
            return None

    def cancel(self, run: TrainingRun) -> bool:
        """Remove a run that has not started yet; True if it was waiting."""
        with self._lock:
            if run in self._waiting:
                self._waiting.remove(run)
                return True
            return False

    def finished(self, run: TrainingRun) -> None:
        """Called by a run's thread when it ends: frees its slot for the next one."""
        with self._lock:
            if run in self._active:
                self._active.remove(run)
        self._dispatch()

    def _dispatch(self) -> None:
        starting = []
        with self._lock:
            while self._waiting and len(self._active) < self.max_concurrent:
                run = self._waiting.pop(0)
                self._active.append(run)
                starting.append(run)
        for run in starting:
            run.start()
