"""Build, load and call the Keras models (Keras is imported lazily, inside each function)."""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_demo.config import TrainConfig

if TYPE_CHECKING:
    import keras

DEFAULT_MODEL_PATH = Path(__file__).parent / "assets" / "default_model.keras"
# build_model seeds Keras' process-wide random generators and then draws the initial weights
# from them: two builds at once (two sessions' runs, a run and the Train page's summary) would
# interleave their draws, so a seeded run would not repeat. One build at a time.
BUILD_LOCK = threading.Lock()
# Above this many images, predict_proba switches from one direct call to batched model.predict.
DIRECT_CALL_LIMIT = 1024


def build_model(
    config: TrainConfig, *, jit_compile: bool | str = "auto", steps_per_execution: int = 1
) -> keras.Model:
    """The network a config describes, compiled as the chapter compiles it.

    jit_compile and steps_per_execution only change how fast Keras' fit, evaluate and predict run,
    not what they compute (training itself runs mnist_demo.fit_loop.fit). Safe to call from
    several threads at once: builds take BUILD_LOCK, and every layer has an explicit name (Keras'
    automatic names come from a process-wide counter, and a Sequential refuses two equal names).
    """
    import keras

    with BUILD_LOCK:
        keras.utils.set_random_seed(config.seed)
        if config.architecture == "dense":
            # The names a fresh Python session gives the chapter's layers (its model.summary()).
            model = keras.Sequential(
                [
                    keras.Input(shape=(28 * 28,), name="input_layer"),
                    keras.layers.Dense(config.hidden_units, activation="relu", name="dense"),
                    keras.layers.Dense(10, activation="softmax", name="dense_1"),
                ],
                name="dense",
            )
        else:
            model = build_cnn(config.hidden_units)
    model.compile(
        optimizer=make_optimizer(config),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def build_cnn(hidden_units: int = 128) -> keras.Model:
    """A small convnet (two conv/pool blocks, then dense) on (28, 28, 1) inputs."""
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1), name="input_layer"),
            keras.layers.Conv2D(32, 3, activation="relu", name="conv2d"),
            keras.layers.MaxPooling2D(name="max_pooling2d"),
            keras.layers.Conv2D(64, 3, activation="relu", name="conv2d_1"),
            keras.layers.MaxPooling2D(name="max_pooling2d_1"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dropout(0.5, name="dropout"),
            keras.layers.Dense(min(hidden_units, 512), activation="relu", name="dense"),
            keras.layers.Dense(10, activation="softmax", name="dense_1"),
        ],
        name="cnn",
    )


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    """The optimizer a config names, at its effective learning rate."""
    import keras

    classes = {
        "rmsprop": keras.optimizers.RMSprop,
        "adam": keras.optimizers.Adam,
        "sgd": keras.optimizers.SGD,
    }
    return classes[config.optimizer](learning_rate=config.effective_learning_rate)


def to_model_input(images: np.ndarray, model: keras.Model) -> np.ndarray:
    """Reshape (n, 28, 28) images in [0, 1] to what the model takes: (n, 784) or (n, 28, 28, 1)."""
    images = np.asarray(images, dtype="float32")
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"images must have shape (n, 28, 28), got {images.shape}")
    input_shape = tuple(model.inputs[0].shape[1:])
    return images.reshape((len(images), *input_shape))


def predict_proba(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """(n, 28, 28) float32 images in [0, 1] -> (n, 10) class probabilities.

    model.predict costs about 70 ms for one image here and an eager model call 3 ms (dense) to
    17 ms (the default convnet); a traced graph of the call (compiled_call) about 1 ms. So small
    inputs go through the traced call and only large ones through the batched predict loop.
    """
    inputs = to_model_input(images, model)
    if len(inputs) <= DIRECT_CALL_LIMIT:
        return np.asarray(compiled_call(model)(inputs))
    return model.predict(inputs, batch_size=1024, verbose=0)


_COMPILED_CALLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_COMPILED_CALLS_LOCK = threading.Lock()


def compiled_call(model: keras.Model) -> Callable[[np.ndarray], object]:
    """model(inputs, training=False) as a tf.function traced once per model (and input rank),
    kept as long as the model lives; the plain call on backends other than TensorFlow."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return lambda inputs: model(inputs, training=False)
    with _COMPILED_CALLS_LOCK:
        call = _COMPILED_CALLS.get(model)
        if call is None:
            import tensorflow as tf

            # A weak reference: the traced function must not keep the model alive by itself.
            model_ref = weakref.ref(model)

            @tf.function(reduce_retracing=True, autograph=False)
            def call(inputs):
                return model_ref()(inputs, training=False)

            _COMPILED_CALLS[model] = call
    return call


def load_model_file(path: str | Path) -> keras.Model:
    """Load a .keras file with safe_mode, so no arbitrary code (lambdas) is deserialized."""
    import keras

    return keras.models.load_model(path, safe_mode=True)


@functools.cache
def load_default_model() -> keras.Model:
    """The committed default model for the Draw page (see README for how it is reproduced)."""
    if not DEFAULT_MODEL_PATH.is_file():
        raise FileNotFoundError(f"default model missing: {DEFAULT_MODEL_PATH}")
    return load_model_file(DEFAULT_MODEL_PATH)
