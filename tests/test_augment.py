"""The augmentation's geometry: Keras' layers rotate and scale as AugmentConfig says, the
hand-written pass shears about the centre and distorts a little, all reproducible from the rng."""

import subprocess
import sys

import numpy as np
import pytest

from mnist_demo.data import load_mnist
from mnist_demo.tools import augment
from mnist_demo.tools.augment import WORK, AugmentConfig

# Only one change at a time: the others set to nothing.
STILL = AugmentConfig(
    max_rotation_degrees=0, max_shear=0, min_scale=1, max_scale=1, elastic_alpha=0
)
CENTRE = (WORK - 1) / 2  # 27.5: the middle of the 56 x 56 result, in pixel centres


def vertical_bars(count: int = 200) -> np.ndarray:
    """count copies of a 2 px wide, 20 px tall bar through the middle of a 28 x 28 image."""
    images = np.zeros((count, 28, 28), np.float32)
    images[:, 4:24, 13:15] = 1
    return images


def ink_extent(image: np.ndarray, threshold: float = 0.5) -> tuple[int, int]:
    """(height, width) of the ink's bounding box."""
    rows = np.flatnonzero((image >= threshold).any(axis=1))
    cols = np.flatnonzero((image >= threshold).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def slope_degrees(image: np.ndarray) -> float:
    """Angle of a bar from the vertical, clockwise on screen positive (x grows to the right)."""
    ys, xs = np.nonzero(image >= 0.5)
    return float(np.degrees(np.arctan(np.polyfit(ys, xs, 1)[0])))


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    total = image.sum()
    return (
        np.array(
            [
                image.sum(axis=1) @ np.arange(image.shape[0]),
                image.sum(axis=0) @ np.arange(image.shape[1]),
            ]
        )
        / total
    )


def test_nothing_asked_only_doubles_the_resolution():
    images = vertical_bars(3)
    warped = augment._warp(images, np.random.default_rng(0), STILL)
    assert warped.shape == (3, WORK, WORK) and warped.dtype == np.float32
    assert ink_extent(warped[0]) == (40, 4)  # 20 x 2 px at twice the resolution
    np.testing.assert_allclose(centre_of_mass(warped[0]), [CENTRE, CENTRE], atol=0.01)


def test_rotation_stays_within_the_configured_degrees_either_way():
    # RandomRotation's factor is a fraction of a full turn: 15 degrees is 15 / 360.
    config = AugmentConfig(max_shear=0, min_scale=1, max_scale=1, elastic_alpha=0)
    warped = augment._warp(vertical_bars(), np.random.default_rng(0), config)
    angles = np.array([slope_degrees(image) for image in warped])
    assert np.abs(angles).max() <= 15.2
    assert angles.min() < -12 and angles.max() > 12  # both ways, near the limit
    # About the middle: rotation moves no bar's centre.
    for image in warped[:20]:
        np.testing.assert_allclose(centre_of_mass(image), [CENTRE, CENTRE], atol=0.05)


@pytest.mark.parametrize("scale", [0.8, 1.2])
def test_scale_is_the_digits_size_factor(scale):
    # RandomZoom's positive factor zooms out: scale 0.8 must give a smaller digit, not a larger.
    config = AugmentConfig(
        max_rotation_degrees=0, max_shear=0, min_scale=scale, max_scale=scale, elastic_alpha=0
    )
    warped = augment._warp(vertical_bars(3), np.random.default_rng(0), config)
    height, _ = ink_extent(warped[0], threshold=0.3)
    assert abs(height - 40 * scale) <= 1.5


def test_x_and_y_scales_are_drawn_independently():
    square = np.zeros((200, 28, 28), np.float32)
    square[:, 9:19, 9:19] = 1
    config = AugmentConfig(max_rotation_degrees=0, max_shear=0, elastic_alpha=0)
    warped = augment._warp(square, np.random.default_rng(0), config)
    aspect = np.array([np.divide(*ink_extent(image)) for image in warped])
    assert aspect.min() < 0.8 and aspect.max() > 1.25  # narrow and wide squares
    assert aspect.min() > 0.8 / 1.2 - 0.05 and aspect.max() < 1.2 / 0.8 + 0.05


def test_shear_slants_about_the_middle():
    # x += shear * y about the centre (RandomShear's would be about the top-left corner).
    config = AugmentConfig(max_rotation_degrees=0, min_scale=1, max_scale=1, elastic_alpha=0)
    warped = augment._warp(vertical_bars(), np.random.default_rng(0), config)
    slopes = np.tan(np.radians([slope_degrees(image) for image in warped]))
    assert np.abs(slopes).max() <= 0.31 and slopes.min() < -0.25 and slopes.max() > 0.25
    for image in warped[:20]:
        np.testing.assert_allclose(centre_of_mass(image), [CENTRE, CENTRE], atol=0.05)


def test_elastic_distortion_moves_ink_a_little():
    dot = np.zeros((100, 28, 28), np.float32)
    dot[:, 13:15, 13:15] = 1  # 2 x 2 px in the middle
    config = AugmentConfig(max_rotation_degrees=0, max_shear=0, min_scale=1, max_scale=1)
    warped = augment._warp(dot, np.random.default_rng(0), config)
    moved = np.array([np.hypot(*(centre_of_mass(image) - CENTRE)) for image in warped])
    # elastic_alpha is in MNIST pixels, two of the 56 x 56 result's, per axis.
    assert moved.max() <= 2 * config.elastic_alpha * np.sqrt(2) + 0.1
    assert np.median(moved) > 0.3


def test_bilinear_samples_any_size():
    images = np.arange(2 * 5 * 7, dtype=np.float32).reshape(2, 5, 7)
    y, x = np.meshgrid(np.arange(5.0), np.arange(7.0), indexing="ij")
    same = augment._bilinear(images, np.broadcast_to(y, (2, 5, 7)), np.broadcast_to(x, (2, 5, 7)))
    np.testing.assert_allclose(same, images)
    between = augment._bilinear(images, np.full((2, 1, 1), 1.5), np.full((2, 1, 1), 2.5))
    np.testing.assert_allclose(between[:, 0, 0], images[:, 1:3, 2:4].mean(axis=(1, 2)))
    outside = augment._bilinear(images, np.full((2, 1, 1), -3.0), np.full((2, 1, 1), 9.0))
    np.testing.assert_array_equal(outside, 0)


def test_warp_is_reproducible_from_the_rng_and_stays_in_range():
    (x_train, _), _ = load_mnist()
    images = x_train[:50].astype(np.float32) / 255
    first = augment._warp(images, np.random.default_rng(3), AugmentConfig())
    again = augment._warp(images, np.random.default_rng(3), AugmentConfig())
    other = augment._warp(images, np.random.default_rng(4), AugmentConfig())
    assert first.shape == (50, WORK, WORK)
    assert first.min() >= 0 and first.max() <= 1
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).mean() > 0.01
    # A batch of another size reuses the same graph and still follows the rng.
    np.testing.assert_array_equal(
        augment._warp(images[:7], np.random.default_rng(3), AugmentConfig()),
        augment._warp(images[:7], np.random.default_rng(3), AugmentConfig()),
    )


def test_augment_still_adds_the_writing_styles(monkeypatch):
    (x_train, y_train), _ = load_mnist()
    ones = np.flatnonzero(y_train == 1)[:30]
    images, labels = x_train[ones].astype(np.float32) / 255, y_train[ones]
    plain = augment.augment(images, labels, np.random.default_rng(0), AugmentConfig(flag_one=0))
    seen = []
    add_writing_styles = augment._add_writing_styles

    def spy(warped, *args):
        seen.append(warped.shape)
        add_writing_styles(warped, *args)

    monkeypatch.setattr(augment, "_add_writing_styles", spy)
    flagged = augment.augment(images, labels, np.random.default_rng(0), AugmentConfig(flag_one=1))
    assert seen == [(30, WORK, WORK)]  # on the warped digits, at twice the resolution
    # A flag adds ink: a fifth more on average (1s are short of ink; thickness varies).
    ink = [(digits >= 0.5).sum(axis=(1, 2)).mean() for digits in (plain, flagged)]
    assert ink[1] > 1.1 * ink[0]


def test_importing_augment_loads_no_tensorflow():
    # The first augmentation imports TensorFlow; importing the module must not.
    code = (
        "import sys, mnist_demo.tools.augment\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
