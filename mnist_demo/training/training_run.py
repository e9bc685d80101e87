"""Live training: one run of fit_loop.fit in a background thread, its progress kept by a
RunTracker and its results recorded in the store (see training_queue for the queue)."""

from __future__ import annotations

import contextlib
import functools
import hmac
import math
import os
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mnist_demo import data
from mnist_demo.storage import store
from mnist_demo.training import fit_loop
from mnist_demo.training.config import TrainConfig
from mnist_demo.training.fit_loop import FitSettings
from mnist_demo.training.run_state import RunSnapshot, RunStatus, RunTracker

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


def training_data(
    config: TrainConfig, corrections: tuple[np.ndarray, np.ndarray] | None = None
) -> TrainingData:
    """The first config.train_size MNIST training images, split and extended as the config says.

    Like Keras' validation_split, the validation set is the last fraction of those images (before
    any shuffling). Draw-page corrections, when included, are appended to the training part only,
    so validation and test figures stay comparable between runs. They are read from the store
    unless given as (images (n, 28, 28), labels (n,)) (a Ray worker has no store).
    """
    x_all, y_all, x_test, y_test = _float_mnist()
    x_train, labels = x_all[: config.train_size], y_all[: config.train_size]
    x_val = y_val = None
    if config.validation_split > 0:
        split_at = int(len(x_train) * (1 - config.validation_split))
        x_val, y_val = x_train[split_at:], data.one_hot(labels[split_at:])
        x_train, labels = x_train[:split_at], labels[:split_at]
    if config.include_corrections:
        images, corrected = corrections if corrections is not None else store.load_corrections()
        if len(images):
            x_train = np.concatenate([x_train, images.reshape(len(images), 28 * 28)])
            labels = np.concatenate([labels, corrected])
    return TrainingData(x_train, data.one_hot(labels), x_val, y_val, x_test, y_test)


def _model_input(images: np.ndarray, config: TrainConfig) -> np.ndarray:
    """Flat (n, 784) images as the architecture takes them: as is, or (n, 28, 28, 1) for the CNN."""
    if config.architecture == "cnn":
        return images.reshape(len(images), 28, 28, 1)
    return images


# Where a run's results go ----------------------------------------------------------------------


class StoreRecorder:
    """Writes a run's progress to the store and its model to models/<run id>.keras.

    The Ray engine's actors use a recorder of their own (they have no store): see ray_actor.
    """

    def started(self, run_id: str, started_at: float) -> None:
        store.update_run(run_id, status=RunStatus.RUNNING, started_at=started_at, pid=os.getpid())

    def epoch(self, run_id: str, metrics: dict) -> None:
        store.record_epoch(run_id, metrics["epoch"], metrics)

    def evaluated(self, run_id: str, loss: float, accuracy: float) -> None:
        store.update_run(run_id, test_loss=loss, test_accuracy=accuracy)

    def save(self, run_id: str, model) -> str:
        """Save the model so readers see the old file or the new one, never half of one; returns
        its path."""
        path = store.models_dir() / f"{run_id}.keras"
        with store.atomic_path(path) as temporary:
            model.save(temporary)
        store.update_run(run_id, model_path=str(path))
        return str(path)

    def ended(self, run_id: str, status: str, finished_at: float, error: str | None = None) -> None:
        fields = {"status": status, "finished_at": finished_at}
        if error is not None:
            fields["error"] = error
        store.update_run(run_id, **fields)


# Runs ------------------------------------------------------------------------------------------


def new_run_id() -> str:
    """A unique run id such as 3fa9c1d2e4b7 (random, so any prefix of it tells runs apart)."""
    return uuid.uuid4().hex[:12]


def owner_matches(owner: str | None, claimed: str | None) -> bool:
    """Whether `claimed` may stop a run started by `owner` (a run without an owner, started by
    the CLI or a test, is anyone's)."""
    if owner is None:
        return True
    return claimed is not None and hmac.compare_digest(owner, claimed)


class TrainingRun:
    """One training run: fit_loop.fit in a worker thread; state read through snapshot().

    The worker thread never calls Streamlit; all it changes lives in self.tracker.
    """

    def __init__(
        self,
        config: TrainConfig,
        *,
        run_id: str | None = None,
        settings: FitSettings | None = None,
        queue=None,
        callbacks: Sequence = (),
        recorder=None,
        owner: str | None = None,
        corrections: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.tracker = RunTracker(run_id or new_run_id(), config)
        self.run_id = self.tracker.run_id
        self.config = config
        self.settings = settings or FitSettings()
        self.owner = owner  # the secret of the session that started the run (see may_stop)
        # Extra Keras callbacks, called after the live one (the benchmark's epoch timer).
        self._callbacks = tuple(callbacks)
        self._recorder = recorder or StoreRecorder()
        self._corrections = corrections
        self.model = None  # the Keras model once built; usable after completed/stopped
        self._queue = queue
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    # Public API -----------------------------------------------------------------------------

    def snapshot(self) -> RunSnapshot:
        """A consistent copy of the run's state (lists copied, arrays shared read-only)."""
        position = self._queue.position(self) if self._queue else None
        return self.tracker.snapshot(position)

    @property
    def status(self) -> RunStatus:
        return self.tracker.status

    def may_stop(self, owner: str | None) -> bool:
        """Whether the holder of this owner secret may stop the run (others watch it)."""
        return owner_matches(self.owner, owner)

    def request_stop(self, owner: str | None = None) -> bool:
        """Stop after the current compiled call of FitSettings.seconds_per_call (a fraction of a
        second); the partial model is evaluated, saved and stays usable. A queued run is
        cancelled. Returns False (and stops nothing) if `owner` may not stop the run."""
        if not self.may_stop(owner):
            return False
        self.tracker.stop_requested.set()
        if self._queue is not None and self._queue.cancel(self):
            self._finish(RunStatus.STOPPED)
            return True
        model = self.model
        if model is not None:
            model.stop_training = True
        return True

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the run is finished (completed, stopped or failed); True if it is."""
        return self._done.wait(timeout)

    def start(self) -> None:
        """Start the worker thread (the queue calls this when a training slot is free). The run
        is running from here on: loading its data is part of it, not waiting for a slot."""
        self.tracker.start()
        self._thread = threading.Thread(
            target=self._work, name=f"training-{self.run_id}", daemon=True
        )
        self._thread.start()

    # Worker ---------------------------------------------------------------------------------

    def _work(self) -> None:
        try:
            self._train()
        except Exception as error:  # noqa: BLE001 - any failure is shown to the user and stored
            message, finished_at = self.tracker.fail(error)
            # If the store fails too, the in-memory state still says failed with the first error.
            with contextlib.suppress(Exception):
                self._recorder.ended(self.run_id, RunStatus.FAILED, finished_at, message)
        finally:
            self._done.set()
            if self._queue is not None:
                self._queue.finished(self)

    def _train(self) -> None:
        from mnist_demo.training.model import build_model

        config, tracker = self.config, self.tracker
        self._recorder.started(self.run_id, tracker.snapshot().started_at)
        arrays = training_data(config, self._corrections)
        tracker.update(
            steps_per_epoch=math.ceil(len(arrays.x_train) / config.batch_size),
            train_samples=len(arrays.x_train),
        )
        if tracker.stop_requested.is_set():  # stopped while the data loaded: skip TensorFlow
            self._finish(RunStatus.STOPPED)
            return
        xla = self.settings.xla_for(config.architecture)
        # The compile settings serve evaluate and predict; fit_loop compiles its own loop.
        model = build_model(config, jit_compile=xla, steps_per_execution=16)
        self.model = model
        validation = None
        if arrays.x_val is not None:
            validation = (_model_input(arrays.x_val, config), arrays.y_val)
        if not tracker.stop_requested.is_set():
            fit_loop.fit(
                model,
                _model_input(arrays.x_train, config),
                arrays.y_train,
                epochs=config.epochs,
                batch_size=config.batch_size,
                validation_data=validation,
                callbacks=[LiveCallback(tracker, self._recorder), *self._callbacks],
                seed=config.seed,
                settings=self.settings,
                jit_compile=xla,
            )
        cut_short = tracker.cut_short()
        if tracker.snapshot().global_step > 0:
            tracker.update(evaluating=True)
            self._evaluate(model, _model_input(arrays.x_test, config), arrays.y_test)
            tracker.update(model_path=self._recorder.save(self.run_id, model))
        self._finish(RunStatus.STOPPED if cut_short else RunStatus.COMPLETED)

    def _evaluate(self, model, x_test: np.ndarray, y_test: np.ndarray) -> None:
        """Test loss and accuracy as model.evaluate reports them, from one predict pass."""
        results = evaluate_on_test_set(model, x_test, y_test)
        loss, accuracy = results["test_loss"], results["test_accuracy"]
        self.tracker.update(**results)
        self.tracker.log(f"test_loss: {loss:.4f} - test_acc: {accuracy:.4f}")
        self._recorder.evaluated(self.run_id, loss, accuracy)

    def _finish(self, status: RunStatus) -> None:
        finished_at = self.tracker.finish(status)
        if finished_at is not None:
            self._recorder.ended(self.run_id, status, finished_at)
        self._done.set()


def evaluate_on_test_set(model, x_test: np.ndarray, y_test: np.ndarray) -> dict:
    """The RunState fields of a test-set evaluation from one predict pass: test_loss and
    test_accuracy (as model.evaluate reports them), and per image the predicted digit
    (test_predictions, (10000,) uint8) and its probability (test_confidence, float32), both
    read-only."""
    probabilities = model.predict(x_test, batch_size=1024, verbose=0)  # (10000, 10)
    loss, accuracy = crossentropy_and_accuracy(probabilities, y_test)
    predictions = probabilities.argmax(axis=1).astype("uint8")  # (10000,)
    confidence = probabilities.max(axis=1).astype("float32")  # (10000,)
    predictions.flags.writeable = False
    confidence.flags.writeable = False
    return {
        "test_loss": loss,
        "test_accuracy": accuracy,
        "test_predictions": predictions,
        "test_confidence": confidence,
    }


def crossentropy_and_accuracy(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean categorical cross-entropy and accuracy of (n, 10) probabilities as Keras computes them
    (probabilities clipped to [1e-7, 1 - 1e-7])."""
    probabilities = np.asarray(probabilities, dtype="float64")
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    picked = np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1 - 1e-7)
    loss = float(-np.log(picked).mean())
    accuracy = float((probabilities.argmax(axis=1) == labels).mean())
    return loss, accuracy


def _live_callback_class():
    import keras

    class _LiveCallback(keras.callbacks.Callback):
        """Feeds a RunTracker from fit: per-execution batch metrics, epoch metrics, stop flag."""

        def __init__(self, tracker: RunTracker, recorder) -> None:
            super().__init__()
            self.tracker = tracker
            self.recorder = recorder

        def on_train_begin(self, logs=None):
            if self.tracker.stop_requested.is_set():
                self.model.stop_training = True

        def on_epoch_begin(self, epoch, logs=None):
            self.tracker.begin_epoch(epoch)

        def on_train_batch_end(self, batch, logs=None):
            self.tracker.record_batches(batch, logs or {})
            if self.tracker.stop_requested.is_set():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            metrics = self.tracker.end_epoch(epoch, logs or {})
            self.recorder.epoch(self.tracker.run_id, metrics)

    return _LiveCallback


def LiveCallback(tracker: RunTracker, recorder):  # noqa: N802 - a class factory (lazy Keras)
    """The Keras callback that streams a run's metrics (built lazily: Keras imports slowly)."""
    return _cached_callback_class()(tracker, recorder)


@functools.cache
def _cached_callback_class():
    return _live_callback_class()
