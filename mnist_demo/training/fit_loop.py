"""Keras' fit, many batches per compiled call: same callbacks, logs and result, less overhead."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class FitSettings:
    """How fit executes (not what it learns): the speed settings measured by the benchmark."""

    # XLA fuses the training steps into one compiled loop: for the dense network about 1.5x
    # faster than Keras' own fit with XLA on this CPU (2.9x faster than its plain fit). None
    # means: XLA for the dense network, TensorFlow's graph (oneDNN kernels) for the CNN, whose
    # convolutions XLA's CPU backend runs about 4x slower.
    jit_compile: bool | None = None
    # Batches per live record: the callbacks' on_train_batch_end runs once per this many batches
    # (logs are Keras' running epoch means at that batch), so this is also how many batches each
    # live-curve point averages over: 30 points per epoch of the chapter's 469 batches.
    steps_per_record: int = 16
    # Fewer batches per record when an epoch is short (large batches, small training sets), so
    # every epoch still draws at least this many curve points (if it has that many batches).
    min_points_per_epoch: int = 24
    # One compiled call runs whole records for about this long: long enough that the call's fixed
    # cost (about 2 ms) vanishes, short enough that a stop request or a live update waits little.
    seconds_per_call: float = 0.25
    # ... and never more batches than this (the size of the compiled loop's index buffer).
    max_steps_per_call: int = 512

    def __post_init__(self) -> None:
        for name in ("steps_per_record", "min_points_per_epoch", "max_steps_per_call"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not self.seconds_per_call > 0:
            raise ValueError(f"seconds_per_call must be positive, got {self.seconds_per_call!r}")

    def steps_per_record_for(self, steps_per_epoch: int) -> int:
        """Batches per live record for an epoch of steps_per_epoch batches."""
        per_record = min(self.steps_per_record, steps_per_epoch // self.min_points_per_epoch)
        return max(1, min(per_record, self.max_steps_per_call))

    def xla_for(self, architecture: str) -> bool:
        """Whether the training loop of this architecture is compiled with XLA."""
        return architecture == "dense" if self.jit_compile is None else self.jit_compile


def fit(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    callbacks: Sequence = (),
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int = 0,
    settings: FitSettings | None = None,
    jit_compile: bool = True,
) -> keras.callbacks.History:
    """model.fit(x, y, epochs=, batch_size=, validation_data=, callbacks=) with shuffling seeded.

    It computes what Keras' fit computes: each epoch shuffles the samples and runs one
    model.train_step per batch (the last batch holds the remainder), with the metrics reset at the
    epoch's start. The difference is speed: the batches are gathered inside one compiled loop of
    a few hundred train steps, where Keras makes one call per batch (or per steps_per_execution
    batches, still stepping a tf.data iterator from a TensorFlow loop in between).

    The callbacks see Keras' protocol: on_train_begin, on_epoch_begin, on_train_batch_begin/end
    once per record of settings.steps_per_record batches (with the running means Keras logs),
    on_epoch_end with val_ metrics, on_train_end. They run after the compiled call that computed
    their batches, so a stop (model.stop_training) takes effect at the end of that call; a stop
    set by on_train_begin trains nothing.
    """
    import keras
    import tensorflow as tf

    settings = settings or FitSettings()
    samples = len(x)
    if samples == 0 or len(y) != samples:
        raise ValueError(f"fit needs as many labels as images (and some): got {samples}, {len(y)}")
    full_steps, remainder = divmod(samples, batch_size)
    steps_per_epoch = full_steps + (remainder > 0)
    per_record = settings.steps_per_record_for(steps_per_epoch)
    max_call = max(per_record, settings.max_steps_per_call // per_record * per_record)

    x_all, y_all = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    names = _metric_names(model, x_all, y_all)
    train_steps = _compiled_train_steps(model, names, jit_compile)
    callback_list = keras.callbacks.CallbackList(
        list(callbacks), add_history=True, model=model, epochs=epochs, steps=steps_per_epoch
    )
    rng = np.random.default_rng(seed)
    model.stop_training = False
    callback_list.on_train_begin()
    epoch_logs: dict = {}
    call_steps = per_record  # the first call also compiles, so it is kept short
    for epoch in range(epochs):
        if model.stop_training:  # asked before training began (on_train_begin): train nothing
            break
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        order = rng.permutation(samples).astype(np.int32)  # (samples,)
        step = 0
        logs: dict = {}
        # As in Keras' fit, a stop is looked at after each call: every epoch begun runs one.
        while step == 0 or (step < steps_per_epoch and not model.stop_training):
            if step < full_steps:
                count = min(call_steps, full_steps - step)
                indices = np.zeros((max_call, batch_size), np.int32)  # padded: one compiled shape
                indices[:count] = order[step * batch_size : (step + count) * batch_size].reshape(
                    count, batch_size
                )
            else:  # the remainder batch, alone in its call (another shape)
                count, indices = 1, order[full_steps * batch_size :][None, :]
            started = time.perf_counter()
            history = train_steps(x_all, y_all, indices, tf.constant(count)).numpy()  # (k, m)
            seconds = time.perf_counter() - started
            last, ends = step + count - 1, _record_ends(step, count, per_record, steps_per_epoch)
            for end in ends:
                logs = _report(callback_list, names, history[end - step], end, per_record)
            if model.stop_training and last not in ends:
                # Stopping after a call that ends inside a record: report the batches it trained.
                logs = _report(callback_list, names, history[last - step], last, per_record)
            if step < full_steps and (step > 0 or epoch > 0):  # the first call also compiled
                call_steps = _next_call_steps(seconds / count, settings, per_record, max_call)
            step += count
        epoch_logs = dict(logs)
        if validation_data is not None:
            scores = model.evaluate(
                *validation_data, batch_size=batch_size, verbose=0, return_dict=True
            )
            epoch_logs.update({f"val_{name}": value for name, value in scores.items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    model.optimizer.finalize_variable_values(model.trainable_weights)
    callback_list.on_train_end(logs=epoch_logs)
    return model.history


def _report(callback_list, names: list[str], row: np.ndarray, end: int, per_record: int) -> dict:
    """Call the callbacks for the record that ends at batch `end`; returns its logs."""
    logs = dict(zip(names, row.tolist(), strict=True))
    callback_list.on_train_batch_begin(end - (end % per_record))
    callback_list.on_train_batch_end(end, logs)
    return logs


def _record_ends(step: int, count: int, per_record: int, steps_per_epoch: int) -> list[int]:
    """The 0-based batch indexes inside [step, step + count) that end a record: every
    per_record-th batch, and the epoch's last batch."""
    ends = [end for end in range(step, step + count) if (end + 1) % per_record == 0]
    if step + count == steps_per_epoch and (not ends or ends[-1] != steps_per_epoch - 1):
        ends.append(steps_per_epoch - 1)
    return ends


def _next_call_steps(
    seconds_per_step: float, settings: FitSettings, per_record: int, max_call: int
) -> int:
    """Whole records filling about settings.seconds_per_call at the last call's pace."""
    steps = int(settings.seconds_per_call / max(seconds_per_step, 1e-6))
    return int(np.clip(steps // per_record * per_record, per_record, max_call))


def _metric_names(model, x_all, y_all) -> list[str]:
    """The names of the logs train_step returns, from a trace that runs nothing. Tracing also
    builds what Keras builds lazily (optimizer slots, metrics) before the compiled loop."""
    import tensorflow as tf

    def one_step(x, y):
        return model.train_step((x, y))

    spec_x = tf.TensorSpec((None, *x_all.shape[1:]), x_all.dtype)
    spec_y = tf.TensorSpec((None, *y_all.shape[1:]), y_all.dtype)
    traced = tf.function(one_step).get_concrete_function(spec_x, spec_y)
    return list(traced.structured_outputs)


def _compiled_train_steps(model, names: list[str], jit_compile: bool):
    """A compiled function (x_all, y_all, indices (k, batch), count) that runs train_step on the
    batches x_all[indices[i]] for i < count and returns each step's logs as a (k, metrics) array."""
    import tensorflow as tf

    def train_steps(x_all, y_all, indices, count):
        history = tf.zeros((tf.shape(indices)[0], len(names)))

        def body(i, history):
            batch = indices[i]
            logs = model.train_step((tf.gather(x_all, batch), tf.gather(y_all, batch)))
            row = tf.stack([tf.cast(logs[name], tf.float32) for name in names])
            return i + 1, tf.tensor_scatter_nd_update(history, [[i]], [row])

        _, history = tf.while_loop(lambda i, _: i < count, body, (tf.constant(0), history))
        return history

    return tf.function(train_steps, jit_compile=jit_compile, reduce_retracing=True)
