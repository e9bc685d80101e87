"""The committed default model: present, small, right on rendered pen digits; its augmentation."""

import json

import numpy as np
import pytest

from mnist_demo.data import load_mnist, pendigits
from mnist_demo.drawing import preprocess
from mnist_demo.tools import augment, default_model, pen_stage
from mnist_demo.training import model


@pytest.fixture(scope="module")
def network():
    return model.load_default_model()


def test_committed_models_are_small_and_documented():
    for path in (model.DEFAULT_MODEL_PATH, model.MNIST_MODEL_PATH):
        assert path.is_file() and path.stat().st_size < 5 * 1024 * 1024
    mnist_facts = json.loads(default_model.facts_path(model.MNIST_MODEL_PATH).read_text())
    assert mnist_facts["mnist_test_accuracy"] >= 0.99
    assert "pendigits" in mnist_facts["trained_on"] and "never" in mnist_facts["trained_on"]
    facts = json.loads(default_model.facts_path(model.DEFAULT_MODEL_PATH).read_text())
    assert facts["mnist_test_accuracy"] >= 0.994
    assert facts["command"].startswith("python -m mnist_demo.tools.default_model")
    # Pen digits of the train writers only: writers 31-44 measure the model.
    assert set(facts["pen_settings"]["writers"]) <= set(range(1, 31))
    assert facts["base"]["mnist_test_accuracy"] == mnist_facts["mnist_test_accuracy"]


def test_probabilities_sum_to_one(network):
    (_, _), (x_test, _) = load_mnist()
    for count in (1, 3):
        probabilities = model.predict_proba(network, x_test[:count].astype(np.float32) / 255)
        assert probabilities.shape == (count, 10)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
        assert (probabilities >= 0).all()


def test_classifies_rendered_pen_digits_from_the_train_split(network):
    # 100 digits of writers 1-30, drawn as on the canvas with the benchmark's seeds.
    rendered = list(pendigits.render_split(pendigits.load(), "train", seed=7, limit=100))
    labels = np.array([label for label, _ in rendered])
    images = np.stack([preprocess.canvas_to_mnist(rgba) for _, rgba in rendered])
    predicted = model.predict_proba(network, images).argmax(axis=1)
    assert np.mean(predicted == labels) >= 0.97
    assert set(labels) == set(range(10))


def test_augmentation_keeps_mnist_normalisation():
    (x_train, y_train), _ = load_mnist()
    images, labels = x_train[:64].astype(np.float32) / 255, y_train[:64]
    config = augment.AugmentConfig()
    first = augment.augment(images, labels, np.random.default_rng(1), config)
    again = augment.augment(images, labels, np.random.default_rng(1), config)
    np.testing.assert_array_equal(first, again)  # the seed fixes everything
    assert first.shape == (64, 28, 28) and first.dtype == np.float32
    assert first.min() >= 0 and first.max() <= 1
    assert np.abs(first - images).mean() > 0.02  # it changed the digits
    for image in first:
        ink = image >= preprocess.INK_THRESHOLD
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (19, 20, 21)
        total = image.sum()
        assert abs(image.sum(axis=1) @ np.arange(28) / total - 14) < 0.6


def test_writing_styles_add_a_stroke_where_expected():
    (x_train, y_train), _ = load_mnist()
    ones = np.flatnonzero(y_train == 1)[:20]
    images = x_train[ones].astype(np.float32) / 255
    rng = np.random.default_rng(0)
    warped = augment._warp(images, rng, augment.AugmentConfig(max_rotation_degrees=0))
    before = warped.copy()
    augment._add_writing_styles(warped, y_train[ones], rng, augment.AugmentConfig(flag_one=1.0))
    added = warped - before  # (20, 56, 56): the flags
    assert (added >= 0).all() and (added.sum(axis=(1, 2)) > 5).all()
    # A flag hangs to the left of the 1, in its upper half.
    for stroke, digit in zip(added, before, strict=True):
        rows = np.flatnonzero(digit.max(axis=1) >= 0.5)
        top_x = np.flatnonzero(digit[rows[0]] >= 0.5).mean()
        assert centre(stroke)[1] < top_x  # x: left of the 1's top
        assert centre(stroke)[0] < (rows[0] + rows[-1]) / 2  # y: in the upper half


def test_open_loops_only_remove_ink_from_nines():
    (x_train, y_train), _ = load_mnist()
    chosen = np.concatenate([np.flatnonzero(y_train == 9)[:20], np.flatnonzero(y_train == 3)[:5]])
    images, labels = x_train[chosen].astype(np.float32) / 255, y_train[chosen]
    rng = np.random.default_rng(0)
    warped = augment._warp(images, rng, augment.AugmentConfig())
    before = warped.copy()
    augment._open_loops(warped, labels, rng, augment.AugmentConfig(open_nine=1.0))
    removed = before - warped  # (25, 56, 56): the gaps
    assert (removed >= 0).all()
    assert (removed[:20].sum(axis=(1, 2)) > 3).mean() >= 0.8  # most 9s got a gap ...
    assert (removed[20:] == 0).all()  # ... and no other digit
    # With open_nine at 0 no random numbers are drawn: older settings replay unchanged.
    rng = np.random.default_rng(0)
    augment._open_loops(warped, labels, rng, augment.AugmentConfig())
    assert rng.uniform() == np.random.default_rng(0).uniform()


def centre(image: np.ndarray) -> tuple[float, float]:
    """Centre of mass (y, x) of an image."""
    total = image.sum()
    return (
        image.sum(axis=1) @ np.arange(image.shape[0]) / total,
        image.sum(axis=0) @ np.arange(image.shape[1]) / total,
    )


@pytest.mark.slow
def test_training_command_writes_both_models_and_their_facts(tmp_path):
    out, mnist_out = tmp_path / "out" / "small.keras", tmp_path / "out" / "mnist.keras"
    default_model.main(
        ["--out", str(out), "--mnist-out", str(mnist_out), "--epochs", "1"]
        + ["--train-size", "512", "--pen-writers", "1-2", "--renderings", "1"]
        + ["--pen-epochs", "1", "--validation-writers", "2"]
    )
    mnist_facts = json.loads(default_model.facts_path(mnist_out).read_text())
    assert mnist_facts["settings"]["train_size"] == 512 and mnist_facts["settings"]["epochs"] == 1
    seeds = [member["seed"] for member in mnist_facts["members"]]
    assert seeds == [offset for offset, _ in default_model.MEMBERS]  # --seed 0 + each offset
    facts = json.loads(default_model.facts_path(out).read_text())
    assert facts["pen_settings"]["writers"] == [1]  # writer 2 held out for validation
    assert facts["validation_writers"] == [2] and 0 < facts["validation_accuracy"] <= 1
    assert 0 < facts["mnist_test_accuracy"] <= 1 and facts["base"] == mnist_facts
    (_, _), (x_test, _) = load_mnist()
    for path in (out, mnist_out):
        loaded = model.load_model_file(path)
        assert model.predict_proba(loaded, x_test[:2].astype(np.float32) / 255).shape == (2, 10)
    # Nothing else is left behind (the temporary files were renamed into place).
    names = sorted(path.name for path in out.parent.iterdir())
    expected = [out, default_model.facts_path(out), mnist_out, default_model.facts_path(mnist_out)]
    assert names == sorted(path.name for path in expected)


def test_writers_are_parsed_and_the_pen_stage_refuses_test_writers():
    assert default_model.parse_writers("26-30") == (26, 27, 28, 29, 30)
    assert default_model.parse_writers("3,7-8") == (3, 7, 8)
    with pytest.raises(ValueError, match="writers 1-30"):
        pen_stage.PenSettings(writers=(29, 31))
    with pytest.raises(SystemExit):
        default_model.main(["--base", "x.keras", "--validation-writers", "1-30"])
