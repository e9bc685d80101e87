"""Look inside a trained network for one image: saliency, hidden units and feature maps.

Everything here takes a Keras model and one (28, 28) float32 image in [0, 1], as
preprocess.canvas_to_mnist returns it, and returns NumPy arrays for the Draw page to draw.
Keras and TensorFlow are imported lazily, inside the functions.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mnist_demo.data import IMAGE_PIXELS, IMAGE_SHAPE
from mnist_demo.training.model import to_model_input

if TYPE_CHECKING:
    import keras

# The Draw page shows this many hidden units of the chapter's network, the ones that push the
# predicted digit's score up the most.
TOP_UNITS = 8
# Layers that follow a convolution and still belong to its "feature map" (its normalisation and
# activation): the map shown is the last of them, what the next convolution or pooling reads.
_CONV_BLOCK_FOLLOWERS = ("BatchNormalization", "Activation", "ReLU")


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype="float32")
    if image.shape != IMAGE_SHAPE:
        raise ValueError(f"image must have shape (28, 28), got {image.shape}")
    if not np.isfinite(image).all():
        raise ValueError("image holds NaN or infinite values")
    return image


# Saliency ---------------------------------------------------------------------------------------


def saliency(model: keras.Model, image: np.ndarray) -> np.ndarray:
    """Gradient x input of the predicted digit's score: (28, 28), larger = more evidence for it.

    The score is the predicted class's logit (the last Dense layer's input times its weights, before
    softmax) where the model ends in a softmax Dense layer, else its log-probability: the logit
    does not saturate when the network is sure, so confident drawings still get a map. Pixels
    that speak against the digit get 0. benchmarks/saliency.py checks that blanking the pixels this
    ranks highest lowers the prediction far more than blanking random ink.
    """
    image = _check_image(image)
    inputs = to_model_input(image[None], model)
    gradient, _ = _saliency_function(model)(tf_constant(inputs))
    evidence = np.asarray(gradient).reshape(IMAGE_SHAPE) * image
    return np.maximum(evidence, 0.0).astype("float32")


def tf_constant(array: np.ndarray):
    """The array as a TensorFlow tensor (GradientTape watches tensors, not NumPy arrays)."""
    import tensorflow as tf

    return tf.constant(array)


_SALIENCY_FUNCTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SALIENCY_LOCK = threading.Lock()


def _saliency_function(model: keras.Model):
    """A tf.function computing (d score / d input, predicted class), traced once per model."""
    with _SALIENCY_LOCK:
        function = _SALIENCY_FUNCTIONS.get(model)
        if function is None:
            function = _trace_saliency(model)
            _SALIENCY_FUNCTIONS[model] = function
    return function


def _trace_saliency(model: keras.Model):
    import keras
    import tensorflow as tf

    last = model.layers[-1]
    # The logit is reachable by running every layer but the last, which a Sequential model allows.
    use_logits = (
        isinstance(model, keras.Sequential)
        and isinstance(last, keras.layers.Dense)
        and getattr(last.activation, "__name__", "") == "softmax"
    )
    # A weak reference: the traced function must not keep the model alive by itself.
    model_ref = weakref.ref(model)

    @tf.function(reduce_retracing=True, autograph=False)
    def gradient_and_class(inputs):
        network = model_ref()
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            if use_logits:
                features = inputs
                for layer in network.layers[:-1]:
                    features = layer(features, training=False)
                scores = tf.matmul(features, last.kernel) + last.bias
            else:
                scores = tf.math.log(network(inputs, training=False) + 1e-12)
            predicted = tf.argmax(scores[0])
            score = scores[0, predicted]
        return tape.gradient(score, inputs), predicted

    return gradient_and_class


# The chapter's dense network ----------------------------------------------------------------------


@dataclass(frozen=True)
class DenseInside:
    """What the chapter's Dense(units, relu) -> Dense(10, softmax) network does with one image.

    The predicted digit's score (logit) is exactly contributions.sum() + output_bias: each hidden
    unit adds its activation times its weight to that digit.
    """

    hidden: np.ndarray  # (units,) ReLU activations of the hidden layer
    contributions: np.ndarray  # (units,) hidden * output weight to the predicted digit
    output_bias: float  # the predicted digit's bias in the output layer
    logits: np.ndarray  # (10,) scores before softmax
    probabilities: np.ndarray  # (10,) after softmax
    top_units: np.ndarray  # (TOP_UNITS,) unit indices, largest contribution first
    top_unit_weights: np.ndarray  # (TOP_UNITS, 28, 28) each top unit's input weights as a picture

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.logits))

    def hidden_grid(self) -> np.ndarray:
        """The hidden activations as a heat-map grid: 512 units -> 16 x 32 (rows x columns)."""
        return as_grid(self.hidden)


def as_grid(values: np.ndarray) -> np.ndarray:
    """A 1-D vector laid out as the most nearly square rows x columns grid with columns >= rows
    (512 -> 16 x 32); a length with no such factorisation is padded with NaN (blank cells)."""
    values = np.asarray(values, dtype="float32").ravel()
    count = len(values)
    if count == 0:
        raise ValueError("nothing to lay out: the vector is empty")
    rows = int(np.sqrt(count / 2)) or 1
    while count % rows:
        rows -= 1
    columns = count // rows
    if columns > 4 * rows:  # a prime-ish length: pad to a near-square grid instead of one long row
        rows = int(np.ceil(np.sqrt(count / 2)))
        columns = int(np.ceil(count / rows))
    grid = np.full(rows * columns, np.nan, dtype="float32")
    grid[:count] = values
    return grid.reshape(rows, columns)


def dense_layers(model: keras.Model) -> list | None:
    """The hidden and output Dense layers if the model is the chapter's kind of network (784
    inputs, one hidden Dense layer, a softmax Dense output, nothing else but Dropout), else None."""
    import keras

    kinds = [layer for layer in model.layers if not isinstance(layer, keras.layers.Dropout)]
    if len(kinds) != 2 or not all(isinstance(layer, keras.layers.Dense) for layer in kinds):
        return None
    if tuple(model.inputs[0].shape[1:]) != (IMAGE_PIXELS,):
        return None
    if getattr(kinds[1].activation, "__name__", "") != "softmax":
        return None
    return kinds


def dense_inside(model: keras.Model, image: np.ndarray, top: int = TOP_UNITS) -> DenseInside:
    """The hidden activations, contributions and output scores of the chapter's network.

    Computed with NumPy from the layers' weights (a 784 x 512 product: well under a millisecond),
    so it is the same arithmetic Keras does, in float32.
    """
    layers = dense_layers(model)
    if layers is None:
        raise ValueError(
            "dense_inside needs the chapter's network: Dense(units, relu) -> Dense(10, softmax) "
            "on 784 inputs"
        )
    image = _check_image(image)
    hidden_layer, output_layer = layers
    hidden_kernel, hidden_bias = (
        np.asarray(w, dtype="float32") for w in hidden_layer.get_weights()
    )
    output_kernel, output_bias = (
        np.asarray(w, dtype="float32") for w in output_layer.get_weights()
    )
    hidden = np.maximum(image.reshape(-1) @ hidden_kernel + hidden_bias, 0.0)
    logits = hidden @ output_kernel + output_bias
    shifted = np.exp(logits - logits.max())
    probabilities = shifted / shifted.sum()
    predicted = int(np.argmax(logits))
    contributions = hidden * output_kernel[:, predicted]
    top = min(top, len(hidden))
    order = np.argsort(-contributions, kind="stable")[:top]
    weights = hidden_kernel[:, order].T.reshape(top, *IMAGE_SHAPE)
    return DenseInside(
        hidden=hidden,
        contributions=contributions,
        output_bias=float(output_bias[predicted]),
        logits=logits,
        probabilities=probabilities,
        top_units=order,
        top_unit_weights=weights,
    )


# Convolutional networks -------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureMaps:
    """One convolution block's output for the image: (height, width, channels)."""

    layer_name: str
    maps: np.ndarray


def conv_block_outputs(model: keras.Model) -> list:
    """For each Conv2D layer, the layer whose output is its block's feature map (the convolution
    itself, or the normalisation/activation right after it)."""
    import keras

    outputs = []
    layers = list(model.layers)
    for position, layer in enumerate(layers):
        if not isinstance(layer, keras.layers.Conv2D):
            continue
        end = layer
        for follower in layers[position + 1 :]:
            if type(follower).__name__ not in _CONV_BLOCK_FOLLOWERS:
                break
            end = follower
        outputs.append((layer.name, end))
    return outputs


_FEATURE_MODELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def feature_maps(model: keras.Model, image: np.ndarray) -> list[FeatureMaps]:
    """Every convolution block's feature maps for one image; [] for a model without convolutions."""
    import keras

    image = _check_image(image)
    blocks = conv_block_outputs(model)
    if not blocks:
        return []
    with _SALIENCY_LOCK:
        extractor = _FEATURE_MODELS.get(model)
        if extractor is None:
            extractor = keras.Model(model.inputs[0], [end.output for _, end in blocks])
            _FEATURE_MODELS[model] = extractor
    values = extractor(to_model_input(image[None], model), training=False)
    if not isinstance(values, list | tuple):
        values = [values]
    return [
        FeatureMaps(layer_name=name, maps=np.asarray(value)[0])
        for (name, _), value in zip(blocks, values, strict=True)
    ]
