"""Unit tests of mnist_demo.analysis.evaluation on hand-made inputs and real MNIST test labels."""

import numpy as np
import pytest

from mnist_demo.analysis import evaluation
from mnist_demo.data import load_mnist


def test_confusion_matrix_counts_rows_true_columns_predicted():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predictions = np.array([0, 1, 1, 2, 2, 7])
    matrix = evaluation.confusion_matrix(labels, predictions)
    assert matrix.shape == (10, 10)
    assert matrix[0, 0] == 1 and matrix[0, 1] == 1
    assert matrix[2, 2] == 2 and matrix[2, 7] == 1
    assert matrix.sum() == 6
    assert np.trace(matrix) == 4


def test_confusion_matrix_on_real_test_labels_sums_to_class_counts():
    (_, _), (_, y_test) = load_mnist()
    rng = np.random.default_rng(0)
    predictions = np.where(rng.random(len(y_test)) < 0.9, y_test, rng.integers(0, 10, len(y_test)))
    matrix = evaluation.confusion_matrix(y_test, predictions)
    assert matrix.sum() == 10_000
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(y_test, minlength=10))
    assert np.trace(matrix) == int((predictions == y_test).sum())


def test_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="length"):
        evaluation.confusion_matrix([1, 2], [1])
    with pytest.raises(ValueError, match="digits"):
        evaluation.confusion_matrix([1, 12], [1, 2])


def test_misclassified_lists_most_confident_mistakes_first():
    labels = np.array([1, 2, 3, 4, 5, 6])
    predictions = np.array([1, 3, 3, 9, 0, 6])
    confidence = np.array([0.99, 0.6, 0.9, 0.95, 0.6, 0.5])
    indices = evaluation.misclassified(labels, predictions, confidence, limit=10)
    assert indices.tolist() == [3, 1, 4]  # 0.95, then the two 0.6 in test-set order
    assert evaluation.misclassified(labels, predictions, confidence, limit=2).tolist() == [3, 1]
    assert evaluation.misclassified(labels, labels, confidence).size == 0


def test_gap_verdicts():
    assert evaluation.Gap(0.989, 0.978).verdict == "overfitting"  # the chapter's numbers
    assert evaluation.Gap(0.989, 0.978).gap == pytest.approx(0.011)
    assert evaluation.Gap(0.980, 0.979).verdict == "none"
    assert evaluation.Gap(0.80, 0.88).verdict == "negative"


def test_train_test_gap_uses_last_epoch():
    epochs = [{"epoch": 1, "accuracy": 0.92}, {"epoch": 2, "accuracy": 0.97}]
    gap = evaluation.train_test_gap(epochs, 0.96)
    assert gap.train_accuracy == 0.97 and gap.test_accuracy == 0.96
    assert evaluation.train_test_gap([], 0.96) is None
    assert evaluation.train_test_gap(epochs, None) is None


def test_weight_templates_pick_strongest_units_and_scale_them():
    rng = np.random.default_rng(1)
    kernel = rng.normal(0, 0.01, size=(784, 32))
    kernel[:, 7] *= 50  # the strongest unit
    kernel[:, 3] *= 20
    kernel[100, 7] = -10.0  # its largest absolute weight, negative
    templates, units = evaluation.weight_templates(kernel, count=4)
    assert templates.shape == (4, 28, 28)
    assert units[:2].tolist() == [7, 3]
    assert templates[0].reshape(-1)[100] == pytest.approx(-1.0)
    assert np.abs(templates).max(axis=(1, 2)) == pytest.approx(np.ones(4))
    np.testing.assert_allclose(templates[1].reshape(-1), kernel[:, 3] / np.abs(kernel[:, 3]).max())
    with pytest.raises(ValueError, match="784"):
        evaluation.weight_templates(np.zeros((10, 3)))


def test_smooth_is_debiased_ema():
    values = [1.0, 1.0, 1.0, 1.0]
    # A biased EMA would start at 0.1; the debiased one reproduces a constant exactly.
    np.testing.assert_allclose(evaluation.smooth(values, 0.9), values)
    np.testing.assert_allclose(evaluation.smooth([3.0, 1.0], 0.0), [3.0, 1.0])
    weight = 0.5
    expected_second = (0.5 * 0.5 * 3.0 + 0.5 * 1.0) / (1 - 0.25)
    assert evaluation.smooth([3.0, 1.0], weight)[1] == pytest.approx(expected_second)


def test_smooth_skips_nan_and_rejects_bad_weight():
    smoothed = evaluation.smooth([2.0, float("nan"), 2.0], 0.8)
    assert np.isnan(smoothed[1])
    assert smoothed[0] == pytest.approx(2.0) and smoothed[2] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="smoothing"):
        evaluation.smooth([1.0], 1.0)


def test_first_dense_kernel_and_layer_table_on_a_real_keras_model():
    pytest.importorskip("keras")
    from mnist_demo.training.config import TrainConfig
    from mnist_demo.training.model import build_model

    dense = build_model(TrainConfig(hidden_units=32))
    assert evaluation.first_dense_kernel(dense).shape == (784, 32)
    cnn = build_model(TrainConfig(architecture="cnn", hidden_units=32))
    assert evaluation.first_dense_kernel(cnn) is None
    default_rows = evaluation.layer_table(build_model(TrainConfig()))
    assert [row["params"] for row in default_rows] == [401_920, 5_130]
    assert sum(row["params"] for row in default_rows) == 407_050
    assert default_rows[0]["output_shape"] == "(None, 512)"


def test_a_confusion_cell_holds_all_its_digits_confident_mistakes_or_shaky_right_answers_first():
    labels = np.array([4, 4, 4, 4, 9, 4, 4])
    predictions = np.array([9, 4, 9, 4, 9, 9, 4])
    confidence = np.array([0.6, 0.99, 0.9, 0.5, 0.8, 0.9, 0.7])
    cell = evaluation.confusion_cell(labels, predictions, confidence, true=4, predicted=9)
    assert list(cell) == [2, 5, 0]  # all three 4-read-as-9, most confident first, ties in order
    matrix = evaluation.confusion_matrix(labels, predictions)
    assert len(cell) == matrix[4, 9]
    right = evaluation.confusion_cell(labels, predictions, confidence, true=4, predicted=4)
    assert list(right) == [3, 6, 1]  # the least confident right answers first
    assert len(evaluation.confusion_cell(labels, predictions, confidence, 0, 0)) == 0
    with pytest.raises(ValueError, match="digit 0-9"):
        evaluation.confusion_cell(labels, predictions, confidence, true=10, predicted=1)
