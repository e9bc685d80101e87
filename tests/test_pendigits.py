"""Pendigits trajectories: loading, orientation, rendering the way the Draw page's canvas draws."""

from pathlib import Path

import numpy as np
import pytest

import mnist_demo
from mnist_demo.data import pendigits


@pytest.fixture(scope="module")
def data():
    return pendigits.load()


def test_the_data_ship_inside_the_package(monkeypatch):
    monkeypatch.delenv(pendigits.ENV_VAR, raising=False)
    package = Path(mnist_demo.__file__).resolve().parent
    path = pendigits.data_path().resolve()
    assert path.is_relative_to(package) and path.is_file()
    assert (path.parent / "pendigits_strokes.md").read_text().count("CC BY 4.0") >= 1


def test_the_env_var_names_another_copy_and_a_missing_one_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv(pendigits.ENV_VAR, str(tmp_path / "none.npz"))
    with pytest.raises(FileNotFoundError, match="none.npz"):
        pendigits.load()


def test_counts_and_splits(data):
    assert len(data) == 10992
    train, test = data.indices("train"), data.indices("test")
    assert (len(train), len(test)) == (7494, 3498)
    assert set(data.writer[train]) == set(range(1, 31))
    assert set(data.writer[test]) == set(range(31, 45))
    with pytest.raises(ValueError, match="split"):
        data.indices("validation")


def test_y_is_flipped_so_digits_are_upright(data):
    # A 7 starts with its top bar: the first point lies above (smaller screen y than) the middle.
    sevens = np.flatnonzero(data.labels == 7)[:200]
    starts_high = [
        data.strokes(i)[0][0, 1] < np.concatenate(data.strokes(i))[:, 1].mean() for i in sevens
    ]
    assert np.mean(starts_high) > 0.9


def test_render_matches_the_benchmark_setting(data):
    rng = np.random.default_rng(0)
    config = pendigits.RenderConfig()
    for index in data.indices("train")[:40]:
        rgba = pendigits.render(data.strokes(int(index)), rng, config)
        assert rgba.shape == (280, 280, 4) and rgba.dtype == np.uint8
        assert (rgba[..., 3] == 255).all()  # opaque: white ink on a black canvas
        ink = rgba[..., 0] > 127
        assert not (ink[0].any() or ink[-1].any() or ink[:, 0].any() or ink[:, -1].any())
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        height, width = rows[-1] - rows[0], cols[-1] - cols[0]
        # The trajectory spans 45-85 % of the height (or up to 90 % of the width); the round pen
        # adds its width (14-23 px) around it.
        assert height <= 0.85 * 280 + 24 and width <= 0.9 * 280 + 24
        assert height >= 0.45 * 280 or width >= 0.9 * 280 - 2


def test_render_split_is_reproducible(data):
    first = list(pendigits.render_split(data, "test", seed=3, limit=5))
    again = list(pendigits.render_split(data, "test", seed=3, limit=5))
    other = list(pendigits.render_split(data, "test", seed=4, limit=5))
    assert [label for label, _ in first] == [label for label, _ in again]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for (_, a), (_, b) in zip(first, other, strict=True))


def test_split_indices_name_the_digits_render_split_draws_in_its_order(data):
    # The benchmark counts mistakes per writer through these indices.
    indices = pendigits.split_indices(data, "test", seed=3, limit=40)
    drawn = [label for label, _ in pendigits.render_split(data, "test", seed=3, limit=40)]
    assert drawn == data.labels[indices].tolist()
    assert set(data.writer[indices].tolist()) <= set(range(31, 45))
    whole = pendigits.split_indices(data, "test")  # without a limit: the split in file order
    np.testing.assert_array_equal(whole, np.flatnonzero(data.split == 1))


def test_fit_into_box_keeps_aspect_and_bounds(data):
    strokes = data.strokes(0)
    fitted = pendigits.fit_into_box(strokes, 100, 200, 280, 280)
    points = np.concatenate(fitted)
    assert (points.min(axis=0) >= np.array([100, 200]) - 1e-3).all()
    assert (points.max(axis=0) <= np.array([380, 480]) + 1e-3).all()
    extent = np.ptp(points, axis=0)
    original = np.ptp(np.concatenate(strokes), axis=0)
    assert extent[0] / extent[1] == pytest.approx(original[0] / original[1], rel=1e-4)
    assert max(extent) == pytest.approx(280, rel=1e-4)


def test_jitter_without_changes_keeps_the_strokes(data):
    strokes = data.strokes(int(np.flatnonzero(data.labels == 4)[0]))
    still = pendigits.StrokeJitter(0, 0, 0)
    kept_strokes = pendigits.jitter(strokes, np.random.default_rng(0), still)
    for stroke, kept in zip(strokes, kept_strokes, strict=True):
        np.testing.assert_allclose(kept, stroke, atol=1e-3)


def test_jitter_draws_the_warp_and_shifts_only_when_asked(data):
    # Renderings made before the warp and shifts existed stay the same: no extra random draws.
    strokes = data.strokes(int(np.flatnonzero(data.labels == 4)[0]))
    rng, reference = np.random.default_rng(5), np.random.default_rng(5)
    pendigits.jitter(strokes, rng, pendigits.StrokeJitter())
    reference.uniform(size=3)  # the rotation, the shear and the aspect change
    assert rng.uniform() == reference.uniform()


def test_warp_bends_each_stroke_smoothly_within_its_bound(data):
    strokes = data.strokes(int(np.flatnonzero(data.labels == 2)[0]))
    size = np.ptp(np.concatenate(strokes), axis=0).max()
    config = pendigits.StrokeJitter(0, 0, 0, max_warp=0.1)
    moves = []
    for seed in range(20):
        warped = pendigits.jitter(strokes, np.random.default_rng(seed), config)
        for stroke, bent in zip(strokes, warped, strict=True):
            move = bent - stroke  # (n, 2)
            assert np.abs(move).max() <= 0.1 * size + 1e-3
            # Smooth: two waves of at most 1.5 cycles per digit size move neighbouring points
            # apart by less than the distance between them.
            step = np.abs(np.diff(stroke, axis=0)).sum(axis=1, keepdims=True)  # (n - 1, 1)
            assert (np.abs(np.diff(move, axis=0)) <= 0.95 * step + 1e-3).all()
            moves.append(np.abs(move).max())
    assert np.mean(moves) > 0.02 * size  # and it does bend the digit


def test_stroke_shift_moves_the_strokes_of_a_digit_apart_and_leaves_one_stroke_whole(data):
    several = [i for i in np.flatnonzero(data.labels == 4) if len(data.strokes(int(i))) == 2]
    strokes = data.strokes(int(several[0]))
    size = np.ptp(np.concatenate(strokes), axis=0).max()
    config = pendigits.StrokeJitter(0, 0, 0, max_stroke_shift=0.1)
    shifted = pendigits.jitter(strokes, np.random.default_rng(1), config)
    offsets = [moved - stroke for moved, stroke in zip(shifted, strokes, strict=True)]
    for offset in offsets:  # each stroke moves whole, by at most a tenth of the digit's size
        np.testing.assert_allclose(offset, offset[:1].repeat(len(offset), axis=0), atol=1e-3)
        assert np.abs(offset).max() <= 0.1 * size + 1e-3
    assert np.abs(offsets[0][0] - offsets[1][0]).max() > 1.0  # ... and not alike
    one = next(s for i in np.flatnonzero(data.labels == 0) if len(s := data.strokes(int(i))) == 1)
    kept = pendigits.jitter(one, np.random.default_rng(1), config)
    np.testing.assert_allclose(kept[0], one[0], atol=1e-3)


def test_trim_cuts_each_stroke_at_its_ends_within_its_bound(data):
    several = [i for i in np.flatnonzero(data.labels == 4) if len(data.strokes(int(i))) == 2]
    strokes = data.strokes(int(several[0]))
    config = pendigits.StrokeJitter(0, 0, 0, max_trim=0.2)
    cuts = []
    for seed in range(20):
        trimmed = pendigits.jitter(strokes, np.random.default_rng(seed), config)
        for stroke, kept in zip(strokes, trimmed, strict=True):
            # What is left is the stroke's middle, unmoved: a run of its points.
            start = int(np.flatnonzero(np.abs(stroke - kept[0]).sum(axis=1) < 1e-3)[0])
            np.testing.assert_allclose(kept, stroke[start : start + len(kept)], atol=1e-3)
            end = len(stroke) - start - len(kept)
            assert start <= 0.2 * len(stroke) and end <= 0.2 * len(stroke)
            cuts.append(start + end)
    assert np.mean(cuts) > 1  # and it does cut
    short = np.arange(6, dtype=np.float32).reshape(3, 2)  # at least two points always stay
    assert (
        min(len(pendigits.trim(short, np.random.default_rng(seed), 0.49)) for seed in range(20))
        == 2
    )


def test_jitter_refuses_negative_maxima():
    with pytest.raises(ValueError, match=">= 0"):
        pendigits.StrokeJitter(max_warp=-0.1)
    with pytest.raises(ValueError, match=">= 0"):
        pendigits.StrokeJitter(max_stroke_shift=-0.1)
    with pytest.raises(ValueError, match=">= 0"):
        pendigits.StrokeJitter(max_trim=-0.1)
    with pytest.raises(ValueError, match="below 0.5"):
        pendigits.StrokeJitter(max_trim=0.5)
