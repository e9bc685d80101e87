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
