"""Build, load and call the Keras models (Keras is imported lazily, inside each function)."""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_demo import ASSETS_DIR, quiet_logs
from mnist_demo.data import IMAGE_PIXELS, IMAGE_SHAPE, NUM_CLASSES
from mnist_demo.training.config import OPTIMIZER_CLASSES, TrainConfig

if TYPE_CHECKING:
    import keras

DEFAULT_MODEL_PATH = ASSETS_DIR / "default_model.keras"
# The default model before it learned from pen-drawn digits: MNIST is all it has seen.
MNIST_MODEL_PATH = ASSETS_DIR / "mnist_model.keras"
# build_model seeds Keras' process-wide random generators and then draws the initial weights
# from them: two builds at once (two sessions' runs, a run and the Train page's summary) would
# interleave their draws, so a seeded run would not repeat. One build at a time.
BUILD_LOCK = threading.Lock()
# The names a fresh Python session gives these layers (so model.summary() reads as the book's).
LAYER_NAMES = {"Input": "input_layer", "MaxPooling2D": "max_pooling2d", "Conv2D": "conv2d"}
# Above this many images, predict_proba switches from one direct call to batched model.predict.
DIRECT_CALL_LIMIT = 1024


@dataclass(frozen=True)
class Layer:
    """One layer of a network as data. build_model builds it and the Train page shows it as Keras
    code (train_settings.keras_code), so the network trained and the code shown are the same."""

    kind: str  # a keras.layers class name, or "Input" for keras.Input
    args: tuple = ()
    keywords: tuple[tuple[str, object], ...] = ()

    def build(self, name: str | None = None):
        import keras

        factory = keras.Input if self.kind == "Input" else getattr(keras.layers, self.kind)
        return factory(*self.args, name=name, **dict(self.keywords))

    def code(self) -> str:
        """The call as written in the chapter's style: `layers.Dense(512, activation="relu")`."""
        prefix = "keras." if self.kind == "Input" else "layers."
        values = [_literal(value) for value in self.args]
        values += [f"{name}={_literal(value)}" for name, value in self.keywords]
        return f"{prefix}{self.kind}({', '.join(values)})"


def _literal(value) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def network_layers(architecture: str, hidden_units: int) -> tuple[Layer, ...]:
    """The layers of the chapter's dense network, or of the small convnet (two conv/pool blocks,
    then dense; its hidden layer is capped at 512 units, as more only slows it down)."""
    relu, softmax = (("activation", "relu"),), (("activation", "softmax"),)
    if architecture == "dense":
        return (
            Layer("Input", keywords=(("shape", (IMAGE_PIXELS,)),)),
            Layer("Dense", (hidden_units,), relu),
            Layer("Dense", (NUM_CLASSES,), softmax),
        )
    return (
        Layer("Input", keywords=(("shape", (*IMAGE_SHAPE, 1)),)),
        Layer("Conv2D", (32, 3), relu),
        Layer("MaxPooling2D"),
        Layer("Conv2D", (64, 3), relu),
        Layer("MaxPooling2D"),
        Layer("Flatten"),
        Layer("Dropout", (0.5,)),
        Layer("Dense", (min(hidden_units, 512),), relu),
        Layer("Dense", (NUM_CLASSES,), softmax),
    )


def build_model(
    config: TrainConfig, *, jit_compile: bool | str = "auto", steps_per_execution: int = 1
) -> keras.Model:
    """The network a config describes, compiled as the chapter compiles it.

    jit_compile and steps_per_execution only change how fast Keras' fit, evaluate and predict run,
    not what they compute (training itself runs mnist_demo.training.fit_loop.fit). Safe to call from
    several threads at once: builds take BUILD_LOCK, and every layer has an explicit name (Keras'
    automatic names come from a process-wide counter, and a Sequential refuses two equal names).
    """
    import keras

    with BUILD_LOCK:
        keras.utils.set_random_seed(config.seed)
        layers = network_layers(config.architecture, config.hidden_units)
        model = keras.Sequential(
            [layer.build(name) for layer, name in zip(layers, layer_names(layers), strict=True)],
            name=config.architecture,
        )
    model.compile(
        optimizer=make_optimizer(config),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def layer_names(layers) -> list[str]:
    """Explicit, distinct layer names as Keras would number them in a fresh session (dense,
    dense_1, ...): Keras' automatic names come from a process-wide counter, and two models built
    at once in two threads could give one Sequential two equal names, which it refuses."""
    counts: dict[str, int] = {}
    names = []
    for layer in layers:
        base = LAYER_NAMES.get(layer.kind, layer.kind.lower())
        count = counts.get(base, 0)
        counts[base] = count + 1
        names.append(base if count == 0 else f"{base}_{count}")
    return names


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    """The optimizer a config names, at its effective learning rate."""
    import keras

    optimizer_class = getattr(keras.optimizers, OPTIMIZER_CLASSES[config.optimizer])
    return optimizer_class(learning_rate=config.effective_learning_rate)


def to_model_input(images: np.ndarray, model: keras.Model) -> np.ndarray:
    """Reshape (n, 28, 28) images in [0, 1] to what the model takes: (n, 784) or (n, 28, 28, 1)."""
    images = np.asarray(images, dtype="float32")
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
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
    quiet_logs.install()  # one trace per model is by design: no "retracing" warnings
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


# What a model of this app takes (to_model_input reshapes 28x28 images to it) and gives.
INPUT_SHAPES = ((28 * 28,), (28, 28, 1))
OUTPUT_SHAPE = (10,)


def load_model_file(path: str | Path) -> keras.Model:
    """Load a .keras file with safe_mode, so no arbitrary code (lambdas) is deserialized, and
    check it takes MNIST images and gives ten probabilities (ValueError otherwise: a valid file
    with another input shape crashed the Draw page in predict)."""
    import keras

    model = keras.models.load_model(path, safe_mode=True)
    check_shapes(model)
    return model


def check_shapes(model: keras.Model) -> None:
    """Raise ValueError unless the model has one input of an INPUT_SHAPES shape and one output
    of shape (10,)."""
    inputs, outputs = getattr(model, "inputs", None), getattr(model, "outputs", None)
    if not inputs or not outputs or len(inputs) != 1 or len(outputs) != 1:
        raise ValueError("the model must have one input and one output")
    input_shape, output_shape = tuple(inputs[0].shape[1:]), tuple(outputs[0].shape[1:])
    if input_shape not in INPUT_SHAPES:
        raise ValueError(f"the model takes inputs of shape {input_shape}, not {INPUT_SHAPES}")
    if output_shape != OUTPUT_SHAPE:
        raise ValueError(f"the model gives outputs of shape {output_shape}, not {OUTPUT_SHAPE}")


@functools.cache
def load_default_model() -> keras.Model:
    """The committed default model for the Draw page (see README for how it is reproduced)."""
    if not DEFAULT_MODEL_PATH.is_file():
        raise FileNotFoundError(f"default model missing: {DEFAULT_MODEL_PATH}")
    return load_model_file(DEFAULT_MODEL_PATH)


@functools.cache
def load_mnist_model() -> keras.Model:
    """The committed MNIST-only model: the default model before its pen-digit stage."""
    if not MNIST_MODEL_PATH.is_file():
        raise FileNotFoundError(f"MNIST-only model missing: {MNIST_MODEL_PATH}")
    return load_model_file(MNIST_MODEL_PATH)
