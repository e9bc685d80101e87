"""fit_loop.fit against Keras' own fit, on small real slices of MNIST."""

import keras
import numpy as np
import pytest

from mnist_demo.training import fit_loop, training_run
from mnist_demo.training.config import TrainConfig
from mnist_demo.training.model import build_model

CONFIG = TrainConfig(epochs=2, batch_size=64, train_size=300)  # 4 full batches + 44 left over


def small_data(config=CONFIG):
    arrays = training_run.training_data(config)
    return np.array(arrays.x_train), arrays.y_train


def fit_recorded(recorder, *, epochs=2, model=None, **options):
    """fit_loop.fit on the small slice in the graph (no XLA), a record every 2 batches."""
    x, y = small_data()
    fit_loop.fit(
        model or build_model(CONFIG),
        x,
        y,
        epochs=epochs,
        batch_size=64,
        callbacks=[recorder],
        settings=fit_loop.FitSettings(steps_per_record=2, min_points_per_epoch=1),
        jit_compile=False,
        **options,
    )
    return recorder


class Recorder(keras.callbacks.Callback):
    """Every callback call fit makes, in order."""

    def __init__(self, stop_after_batch=None):
        super().__init__()
        self.calls = []
        self.stop_after_batch = stop_after_batch

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch, dict(logs)))
        if self.stop_after_batch is not None and batch >= self.stop_after_batch:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, dict(logs)))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end",))


@pytest.mark.parametrize("jit_compile", [False, True])
def test_fit_computes_what_keras_fit_computes_on_the_same_batches(jit_compile):
    """Keras' fit on the samples in fit_loop's shuffled order (shuffle=False), one epoch at a
    time, ends with the same weights and the same epoch logs."""
    x, y = small_data()
    ours = build_model(CONFIG, jit_compile=jit_compile)
    history = fit_loop.fit(ours, x, y, epochs=2, batch_size=64, seed=7, jit_compile=jit_compile)

    keras_model = build_model(CONFIG, jit_compile=jit_compile)
    rng = np.random.default_rng(7)
    keras_logs = []
    for _ in range(2):
        order = rng.permutation(len(x))
        result = keras_model.fit(x[order], y[order], batch_size=64, shuffle=False, verbose=0)
        keras_logs.append({name: values[-1] for name, values in result.history.items()})

    for mine, theirs in zip(ours.get_weights(), keras_model.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)
    for epoch, logs in enumerate(keras_logs):
        for name, value in logs.items():
            assert history.history[name][epoch] == pytest.approx(value, rel=1e-4)
    assert int(ours.optimizer.iterations) == 2 * 5  # 5 batches per epoch, the last one short


def test_callbacks_see_keras_protocol_with_a_record_every_few_batches():
    x, y = small_data()
    recorder = fit_recorded(Recorder(), validation_data=(x[:50], y[:50]))
    kinds = [call[0] for call in recorder.calls]
    assert kinds == ["train_begin"] + [
        "epoch_begin",
        "batch_end",
        "batch_end",
        "batch_end",
        "epoch_end",
    ] * 2 + ["train_end"]
    batch_ends = [call[1] for call in recorder.calls if call[0] == "batch_end"]
    assert batch_ends == [1, 3, 4, 1, 3, 4]  # every 2nd batch and the epoch's last (short) one
    epoch_end = recorder.calls[5]
    last_record = recorder.calls[4][2]
    assert epoch_end[2]["loss"] == pytest.approx(last_record["loss"])  # Keras' running mean
    assert set(epoch_end[2]) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_stop_training_ends_fit_after_the_current_call():
    model = build_model(CONFIG)
    recorder = fit_recorded(Recorder(stop_after_batch=1), model=model)
    # The first call runs one record (2 batches); the stop asked at its end ends the epoch there.
    assert [call[0] for call in recorder.calls] == [
        "train_begin",
        "epoch_begin",
        "batch_end",
        "epoch_end",
        "train_end",
    ]
    assert int(model.optimizer.iterations) == 2


def test_calls_grow_to_fill_the_time_budget_in_whole_records():
    settings = fit_loop.FitSettings(seconds_per_call=0.25)
    assert fit_loop._next_call_steps(0.001, settings, 16, 512) == 240  # 250 steps, whole records
    assert fit_loop._next_call_steps(0.0001, settings, 16, 512) == 512  # capped
    assert fit_loop._next_call_steps(1.0, settings, 16, 512) == 16  # at least one record


def test_record_ends_fall_every_few_batches_and_at_the_epochs_end():
    assert fit_loop._record_ends(0, 32, 16, 469) == [15, 31]
    assert fit_loop._record_ends(464, 4, 16, 469) == []  # the remainder batch ends the epoch
    assert fit_loop._record_ends(468, 1, 16, 469) == [468]
    assert fit_loop._record_ends(0, 4, 4, 4) == [3]


def test_short_epochs_record_more_often_to_keep_the_curve_smooth():
    settings = fit_loop.FitSettings(steps_per_record=16, min_points_per_epoch=24)
    assert settings.steps_per_record_for(469) == 16  # the chapter: 30 points per epoch
    assert settings.steps_per_record_for(118) == 4  # batch 512
    assert settings.steps_per_record_for(30) == 1  # batch 2048
    assert settings.steps_per_record_for(4) == 1


def test_xla_compiles_the_dense_network_and_leaves_the_cnn_to_onednn():
    assert fit_loop.FitSettings().xla_for("dense") is True
    assert fit_loop.FitSettings().xla_for("cnn") is False
    assert fit_loop.FitSettings(jit_compile=True).xla_for("cnn") is True


def test_bad_settings_and_data_are_refused_with_a_message():
    with pytest.raises(ValueError, match="steps_per_record"):
        fit_loop.FitSettings(steps_per_record=0)
    with pytest.raises(ValueError, match="seconds_per_call"):
        fit_loop.FitSettings(seconds_per_call=0)
    with pytest.raises(ValueError, match="as many labels"):
        fit_loop.fit(
            build_model(CONFIG), np.zeros((3, 784)), np.zeros((2, 10)), epochs=1, batch_size=2
        )


def test_a_stop_asked_before_an_epoch_starts_still_runs_one_call_like_keras():
    """Keras' fit looks at stop_training after each call, so an epoch it begins has logs."""

    class StopAtEpochBegin(Recorder):
        def on_epoch_begin(self, epoch, logs=None):
            super().on_epoch_begin(epoch, logs)
            self.model.stop_training = True

    recorder = fit_recorded(StopAtEpochBegin(), epochs=3)
    [epoch_end] = [call for call in recorder.calls if call[0] == "epoch_end"]
    assert set(epoch_end[2]) == {"loss", "accuracy"}


def test_a_stop_asked_before_training_begins_trains_nothing():
    class StopAtTrainBegin(Recorder):
        def on_train_begin(self, logs=None):
            super().on_train_begin(logs)
            self.model.stop_training = True

    model = build_model(CONFIG)
    recorder = fit_recorded(StopAtTrainBegin(), model=model)
    assert [call[0] for call in recorder.calls] == ["train_begin", "train_end"]
    assert int(model.optimizer.iterations) == 0


def test_a_stop_inside_a_call_still_reports_every_batch_it_trained():
    """The page's stop button sets stop_training while a call runs: fit ends after the call, and
    its last batches are reported even when they do not fill a record."""

    class StopAtBatchFive(Recorder):
        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(batch, logs)
            self.model.stop_training = batch >= 5

    model = build_model(CONFIG)
    x, y = small_data(TrainConfig(train_size=600))  # 9 full batches of 64 and 24 left over
    recorder = StopAtBatchFive()
    # Records every 2 batches; calls of 2, 2, then (with all the time they want) the other 5.
    settings = fit_loop.FitSettings(
        steps_per_record=2, min_points_per_epoch=1, seconds_per_call=1e3
    )
    fit_loop.fit(
        model,
        x,
        y,
        epochs=2,
        batch_size=64,
        callbacks=[recorder],
        settings=settings,
        jit_compile=False,
    )
    batch_ends = [call[1] for call in recorder.calls if call[0] == "batch_end"]
    assert batch_ends == [1, 3, 5, 7, 8]  # 8: the call's last batch, reported on stopping
    assert int(model.optimizer.iterations) == 9
