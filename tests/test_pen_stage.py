"""The pen stage's MNIST replay (mnist_demo.tools.pen_stage) and the settings pen_folds builds."""

from dataclasses import replace

import numpy as np
import pytest

from mnist_demo.data import load_mnist
from mnist_demo.tools import augment, pen_folds, pen_stage


@pytest.fixture(scope="module")
def mnist_slice():
    (images, labels), _ = load_mnist()
    return images[:300], labels[:300]


def test_a_plain_share_of_the_replay_is_mnist_as_it_is(mnist_slice):
    images, labels = mnist_slice
    settings = replace(pen_stage.PenSettings(), plain_replay=0.5)
    replayed = pen_stage.replayed_mnist(images, labels, np.random.default_rng(3), settings)
    assert replayed.shape == images.shape and replayed.dtype == np.float32
    plain = np.all(replayed == images.astype(np.float32) / 255, axis=(1, 2))
    # About half, drawn at random: 150 +- 4 standard deviations of a binomial(300, 0.5).
    assert 120 <= plain.sum() <= 180
    everything = replace(settings, plain_replay=1.0)
    replayed = pen_stage.replayed_mnist(images, labels, np.random.default_rng(3), everything)
    np.testing.assert_array_equal(replayed, images.astype(np.float32) / 255)


def test_without_plain_digits_the_replay_is_the_augmentation_alone(mnist_slice):
    # No random numbers are drawn for a share of 0: older settings replay what they did before.
    images, labels = mnist_slice
    settings = replace(pen_stage.PenSettings(), plain_replay=0.0)
    rng = np.random.default_rng(5)
    replayed = pen_stage.replayed_mnist(images, labels, rng, settings)
    reference_rng = np.random.default_rng(5)
    expected = augment.augment(
        images.astype(np.float32) / 255, labels, reference_rng, settings.replay_augmentation
    )
    np.testing.assert_array_equal(replayed, expected)
    assert rng.uniform() == reference_rng.uniform()


def test_the_replay_adds_no_extra_strokes_unless_asked():
    # The pen digits show flagged 1s, barred 7s and curled 9s as people draw them; flags added to
    # MNIST's 1s made the pen stage read MNIST's plain 7s as 1s.
    assert not pen_folds.has_extra_strokes(pen_stage.PenSettings().replay_augmentation)
    with_strokes = pen_folds.replay_augmentation(extra_strokes=True)
    assert with_strokes.flag_one > 0 and with_strokes.cross_seven > 0
    without = pen_folds.replay_augmentation(extra_strokes=False)
    assert not pen_folds.has_extra_strokes(without) and without.open_nine == 0
    assert without.max_rotation_degrees == with_strokes.max_rotation_degrees
    open_nines = augment.AugmentConfig(flag_one=0, cross_seven=0, curl_nine=0, open_nine=0.2)
    assert pen_folds.has_extra_strokes(open_nines)


def test_pen_folds_without_extra_strokes_replays_what_the_pen_stage_replays(mnist_slice):
    # pen_folds builds its replay from the first stage's augmentation; without the extra strokes
    # it must augment exactly as the shipped PenSettings do, or its default run is another recipe.
    images, labels = mnist_slice[0].astype(np.float32) / 255, mnist_slice[1]
    built = pen_folds.replay_augmentation(extra_strokes=False)
    shipped = pen_stage.PenSettings().replay_augmentation
    np.testing.assert_array_equal(
        augment.augment(images, labels, np.random.default_rng(3), built),
        augment.augment(images, labels, np.random.default_rng(3), shipped),
    )


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_the_plain_share_must_be_a_share(share):
    with pytest.raises(ValueError, match="plain_replay"):
        pen_stage.PenSettings(plain_replay=share)
