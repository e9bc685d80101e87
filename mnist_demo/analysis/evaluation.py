"""Evaluate runs in plain NumPy: confusion matrix, mistakes, gap, weight templates, smoothing."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mnist_demo.data import IMAGE_PIXELS, IMAGE_SHAPE, NUM_CLASSES

# A training accuracy more than half a point above the test accuracy is what the chapter calls
# overfitting (98.9 % against 97.8 % after 5 epochs); smaller gaps are within run-to-run noise.
OVERFITTING_THRESHOLD = 0.005


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """(10, 10) int64 counts: row = true label, column = predicted label."""
    labels = np.asarray(labels).astype(np.int64).ravel()  # (n,)
    predictions = np.asarray(predictions).astype(np.int64).ravel()  # (n,)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"labels and predictions differ in length: {labels.shape} vs {predictions.shape}"
        )
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values.size and (values.min() < 0 or values.max() >= NUM_CLASSES):
            raise ValueError(f"{name} must be digits 0-9")
    flat = np.bincount(labels * NUM_CLASSES + predictions, minlength=NUM_CLASSES**2)
    return flat.reshape(NUM_CLASSES, NUM_CLASSES)


def misclassified(
    labels: np.ndarray, predictions: np.ndarray, confidence: np.ndarray, limit: int = 24
) -> np.ndarray:
    """Indices of up to `limit` wrong predictions, the most confident mistakes first.

    Confident mistakes are the instructive ones: often a badly written digit or a wrong label.
    Ties keep test-set order, so the gallery is the same on every rerun.
    """
    labels = np.asarray(labels).ravel()
    predictions = np.asarray(predictions).ravel()
    confidence = np.asarray(confidence, dtype=np.float64).ravel()
    if not labels.shape == predictions.shape == confidence.shape:
        raise ValueError("labels, predictions and confidence must have the same length")
    wrong = np.flatnonzero(labels != predictions)  # (k,)
    order = np.argsort(-confidence[wrong], kind="stable")
    return wrong[order[: max(limit, 0)]]


def confusion_cell(
    labels: np.ndarray, predictions: np.ndarray, confidence: np.ndarray, true: int, predicted: int
) -> np.ndarray:
    """Indices of every test digit in one confusion-matrix cell (true label, predicted label).

    Off the diagonal the most confident mistakes come first (as in misclassified); on the diagonal
    the least confident right answers do, the digits the network nearly got wrong. Ties keep
    test-set order.
    """
    labels = np.asarray(labels).ravel()
    predictions = np.asarray(predictions).ravel()
    confidence = np.asarray(confidence, dtype=np.float64).ravel()
    if not labels.shape == predictions.shape == confidence.shape:
        raise ValueError("labels, predictions and confidence must have the same length")
    for name, digit in (("true", true), ("predicted", predicted)):
        if not 0 <= int(digit) < NUM_CLASSES:
            raise ValueError(f"{name} must be a digit 0-9, got {digit}")
    members = np.flatnonzero((labels == true) & (predictions == predicted))  # (k,)
    key = confidence[members] if true == predicted else -confidence[members]
    return members[np.argsort(key, kind="stable")]


@dataclass(frozen=True)
class Gap:
    """Training accuracy against test accuracy, and what the difference suggests."""

    train_accuracy: float
    test_accuracy: float

    @property
    def gap(self) -> float:
        """Training minus test accuracy (positive: the network does better on what it saw)."""
        return self.train_accuracy - self.test_accuracy

    @property
    def verdict(self) -> str:
        """ "overfitting", "none" (within noise) or "negative" (test above training accuracy)."""
        if self.gap > OVERFITTING_THRESHOLD:
            return "overfitting"
        if self.gap < -OVERFITTING_THRESHOLD:
            return "negative"
        return "none"


def train_test_gap(epoch_metrics: list[dict], test_accuracy: float | None) -> Gap | None:
    """The gap between the last epoch's training accuracy and the test accuracy, if both exist."""
    if test_accuracy is None or not epoch_metrics:
        return None
    train_accuracy = epoch_metrics[-1].get("accuracy")
    if train_accuracy is None:
        return None
    return Gap(float(train_accuracy), float(test_accuracy))


def first_dense_kernel(model) -> np.ndarray | None:
    """The (784, units) kernel of a model's first Dense layer fed by flat pixels, else None.

    Duck-typed on the Keras layer API so this module needs no Keras import; a CNN's first Dense
    layer sees conv features, not pixels, so it has no 784-row kernel and yields None.
    """
    for layer in getattr(model, "layers", []):
        if type(layer).__name__ != "Dense":
            continue
        kernel = np.asarray(layer.get_weights()[0])
        return kernel if kernel.ndim == 2 and kernel.shape[0] == IMAGE_PIXELS else None
    return None


def weight_templates(kernel: np.ndarray, count: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """The `count` hidden units with the largest weight norm, as (count, 28, 28) templates.

    Each template is scaled by its own largest absolute weight into [-1, 1] (0 stays 0), so a
    diverging colour scale shows which pixels excite (+) or inhibit (-) the unit.
    Returns (templates, unit indices).
    """
    kernel = np.asarray(kernel, dtype=np.float64)  # (784, units)
    if kernel.ndim != 2 or kernel.shape[0] != IMAGE_PIXELS:
        raise ValueError(f"a first-layer kernel must have shape (784, units), got {kernel.shape}")
    norms = np.linalg.norm(kernel, axis=0)  # (units,)
    units = np.argsort(-norms, kind="stable")[: max(count, 0)]  # (count,)
    templates = kernel[:, units].T.reshape(len(units), *IMAGE_SHAPE)  # (count, 28, 28)
    scale = np.abs(templates).max(axis=(1, 2), keepdims=True)  # (count, 1, 1)
    templates = templates / np.where(scale > 0, scale, 1.0)
    return templates.astype(np.float32), units


def smooth(values: list[float] | np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average of a curve; weight in [0, 1).

    A plain EMA starts at 0 and so hugs zero for the first steps; dividing by 1 - weight**n removes
    that bias (as Adam does). Non-finite points (a NaN loss) are kept as they are and skipped by
    the average, as TensorBoard does.
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    values = np.asarray(values, dtype=np.float64).ravel()  # (n,)
    smoothed = values.copy()
    last, count = 0.0, 0
    for index, value in enumerate(values):
        if not math.isfinite(value):
            continue
        last = last * weight + (1 - weight) * value
        count += 1
        smoothed[index] = last / (1 - weight**count)
    return smoothed


def layer_table(model) -> list[dict]:
    """One row per layer as Keras' model.summary() prints it: name, type, output shape, params."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape)
        rows.append(
            {
                "layer": layer.name,
                "type": type(layer).__name__,
                "output_shape": "("
                + ", ".join("None" if d is None else str(d) for d in shape)
                + ")",
                "params": int(layer.count_params()),
            }
        )
    return rows
