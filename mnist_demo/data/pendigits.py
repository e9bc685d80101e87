"""Load the pendigits pen trajectories and render them the way the Draw page's canvas draws.

The data ship with the app: mnist_demo/assets/pendigits_strokes.npz, the UCI "Pen-Based
Recognition of Handwritten Digits" original trajectories (E. Alpaydin, F. Alimoglu, CC BY 4.0;
source, citation and file layout in mnist_demo/assets/pendigits_strokes.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mnist_demo import ASSETS_DIR
from mnist_demo.drawing import preprocess

ENV_VAR = "MNIST_DEMO_PENDIGITS"
# The copy shipped with the app; $MNIST_DEMO_PENDIGITS may name another file of the same layout.
DEFAULT_PATH = ASSETS_DIR / "pendigits_strokes.npz"
TABLET_SIZE = 500  # every digit was written inside a 500x500 tablet box
SPLITS = {"train": 0, "test": 1}  # writers 1-30 and 31-44


@dataclass(frozen=True)
class RenderConfig:
    """How a trajectory is put on the canvas; the defaults are the Draw page's benchmark setting."""

    canvas_size: int = 280  # the Draw page's canvas is 280x280
    min_stroke_width: int = 14  # the stroke-width slider's plausible range around its default 18
    max_stroke_width: int = 23
    min_height_fraction: float = 0.45  # people draw digits roughly half to most of the canvas high
    max_height_fraction: float = 0.85
    max_width_fraction: float = 0.90  # wide digits are limited by the canvas width instead

    def __post_init__(self) -> None:
        if not 0 < self.min_stroke_width <= self.max_stroke_width:
            raise ValueError("stroke widths must satisfy 0 < min_stroke_width <= max_stroke_width")
        if not 0 < self.min_height_fraction <= self.max_height_fraction <= 1:
            raise ValueError("height fractions must satisfy 0 < min <= max <= 1")


@dataclass(frozen=True)
class StrokeJitter:
    """Random changes to a trajectory before it is drawn, for training renderings only: the same
    writer tilts, slants and stretches a digit a little differently each time."""

    max_rotation_degrees: float = 8.0  # a tilt either way, about the digit's centre
    max_shear: float = 0.15  # slant: x += shear * (distance above the centre)
    max_aspect_change: float = 0.15  # width scaled by up to 1 +- this against the height
    # The hand's path bends a little differently each time: each point moves by a smooth wave
    # (one along x and one along y per direction, 0.5-1.5 cycles across the digit) of up to
    # this share of the digit's size.
    max_warp: float = 0.0
    # The strokes of a digit written in several (most 4s, 5s and 7s) land a little apart each
    # time: each stroke moves by up to this share of the digit's size, along x and y.
    max_stroke_shift: float = 0.0
    # A pen lands a little late and lifts a little early: each stroke loses up to this share of
    # its points at its start and at its end (a 9's loop left open, a 4's bar short). The pen
    # stage leaves it off: 10 % made 53 mistakes over the three folds of writers 1-30 (each
    # rendering drawn once for all 30 writers, not per fold as pen_folds draws) against 48.
    max_trim: float = 0.0

    def __post_init__(self) -> None:
        maxima = (
            self.max_rotation_degrees,
            self.max_shear,
            self.max_aspect_change,
            self.max_warp,
            self.max_stroke_shift,
            self.max_trim,
        )
        if min(maxima) < 0:
            raise ValueError("StrokeJitter's maxima must be >= 0")
        if self.max_trim >= 0.5:
            raise ValueError("max_trim must be below 0.5 (a stroke cannot lose both halves)")
        if self.max_aspect_change >= 1:
            raise ValueError("max_aspect_change must be below 1 (a width cannot shrink to 0)")


@dataclass(frozen=True)
class Pendigits:
    """The UCI pendigits-orig trajectories (layout in mnist_demo/assets/pendigits_strokes.md)."""

    points: np.ndarray  # (n_points, 2) float32, tablet x and y (y up)
    stroke_offsets: np.ndarray  # (n_strokes + 1,) int64
    digit_offsets: np.ndarray  # (n_digits + 1,) int64
    labels: np.ndarray  # (n_digits,) uint8
    writer: np.ndarray  # (n_digits,) int16
    split: np.ndarray  # (n_digits,) uint8, 0 = train, 1 = test

    def __len__(self) -> int:
        return len(self.labels)

    def indices(self, split: str) -> np.ndarray:
        """Indices of the digits in "train" (writers 1-30) or "test" (writers 31-44)."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
        return np.flatnonzero(self.split == SPLITS[split])

    def writer_indices(self, writers) -> np.ndarray:
        """Indices of the digits written by these writer ids (1-30 train, 31-44 test)."""
        return np.flatnonzero(np.isin(self.writer, np.asarray(list(writers))))

    def strokes(self, index: int) -> list[np.ndarray]:
        """Digit `index` as a list of strokes, each (n, 2) float32 screen x, y (y flipped: down)."""
        first, last = self.digit_offsets[index], self.digit_offsets[index + 1]
        strokes = []
        for stroke in range(first, last):
            start, stop = self.stroke_offsets[stroke], self.stroke_offsets[stroke + 1]
            xy = self.points[start:stop].copy()  # (n, 2)
            xy[:, 1] = TABLET_SIZE - xy[:, 1]  # the tablet's y grows upward, the screen's downward
            strokes.append(xy)
        return strokes


def data_path() -> Path:
    return Path(os.environ.get(ENV_VAR) or DEFAULT_PATH)


def load(path: str | os.PathLike | None = None) -> Pendigits:
    """Read the npz (no pickle); raises FileNotFoundError naming the path when it is missing."""
    path = Path(path) if path is not None else data_path()
    if not path.is_file():
        raise FileNotFoundError(f"pendigits data not found at {path} (set ${ENV_VAR})")
    with np.load(path, allow_pickle=False) as npz:
        return Pendigits(
            points=npz["points"],
            stroke_offsets=npz["stroke_offsets"],
            digit_offsets=npz["digit_offsets"],
            labels=npz["labels"],
            writer=npz["writer"],
            split=npz["split"],
        )


def fit_into_box(
    strokes: list[np.ndarray], left: float, top: float, width: float, height: float
) -> list[np.ndarray]:
    """Scale the digit uniformly (aspect kept) to fit the box, centred in it."""
    allpoints = np.concatenate(strokes)  # (n, 2)
    low, high = allpoints.min(axis=0), allpoints.max(axis=0)
    extent = np.maximum(high - low, 1e-6)
    scale = min(width / extent[0], height / extent[1])
    offset = np.array([left, top]) + (np.array([width, height]) - extent * scale) / 2
    return [(stroke - low) * scale + offset for stroke in strokes]


def place(
    strokes: list[np.ndarray], rng: np.random.Generator, config: RenderConfig, stroke_width: float
) -> list[np.ndarray]:
    """Scale the digit to a random height (45-85 % of the canvas, width <= 90 %) and put it at a
    random place where it stays whole, its round stroke ends included."""
    allpoints = np.concatenate(strokes)  # (n, 2)
    low, high = allpoints.min(axis=0), allpoints.max(axis=0)
    extent = np.maximum(high - low, 1.0)  # a "1" can be a vertical line of zero width
    size = config.canvas_size
    fraction = rng.uniform(config.min_height_fraction, config.max_height_fraction)
    scale = min(fraction * size / extent[1], config.max_width_fraction * size / extent[0])
    scaled = extent * scale
    margin = stroke_width / 2 + 1
    room = np.maximum(size - 2 * margin - scaled, 0)
    origin = margin + rng.uniform(0, 1, size=2) * room
    return [(stroke - low) * scale + origin for stroke in strokes]


def draw(strokes: list[np.ndarray], stroke_width: float, canvas_size: int = 280) -> np.ndarray:
    """White round-capped, round-joined strokes on black, as (size, size, 4) uint8 RGBA."""
    image = Image.new("L", (canvas_size, canvas_size), 0)
    pen = ImageDraw.Draw(image)
    radius = stroke_width / 2
    for stroke in strokes:
        xy = [tuple(point) for point in stroke.tolist()]
        if len(xy) > 1:
            pen.line(xy, fill=255, width=int(round(stroke_width)), joint="curve")
        for x, y in (xy[0], xy[-1]) if len(xy) > 1 else xy:
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    gray = np.asarray(image)  # (size, size)
    rgba = np.empty((canvas_size, canvas_size, 4), dtype=np.uint8)
    rgba[..., :3] = gray[..., None]
    rgba[..., 3] = 255
    return rgba


def render(
    strokes: list[np.ndarray], rng: np.random.Generator, config: RenderConfig = RenderConfig()
) -> np.ndarray:
    """One digit on a canvas with a random stroke width, size and place: (size, size, 4) RGBA."""
    width = int(rng.integers(config.min_stroke_width, config.max_stroke_width + 1))
    return draw(place(strokes, rng, config, width), width, config.canvas_size)


def jitter(strokes: list[np.ndarray], rng: np.random.Generator, config: StrokeJitter):
    """The strokes rotated, slanted and stretched about the digit's centre (one random map), then
    (if the config asks) bent by a smooth wave and, where there are several, moved apart."""
    angle = np.deg2rad(rng.uniform(-1, 1) * config.max_rotation_degrees)
    shear = rng.uniform(-1, 1) * config.max_shear
    aspect = 1 + rng.uniform(-1, 1) * config.max_aspect_change
    cos, sin = np.cos(angle), np.sin(angle)
    # Screen y grows downward, so a slant to the right moves points above the centre right.
    matrix = np.array([[aspect, -shear], [0.0, 1.0]]) @ np.array([[cos, -sin], [sin, cos]])
    centre = np.concatenate(strokes).mean(axis=0)
    strokes = [(stroke - centre) @ matrix.T + centre for stroke in strokes]
    allpoints = np.concatenate(strokes)  # (n, 2)
    size = max(float((allpoints.max(axis=0) - allpoints.min(axis=0)).max()), 1.0)
    # Drawn only when asked for, so a jitter without them repeats the renderings it made before.
    if config.max_warp > 0:
        # [moved axis, axis the wave runs along]
        frequency = rng.uniform(0.5, 1.5, size=(2, 2)) * 2 * np.pi / size
        phase = rng.uniform(0, 2 * np.pi, size=(2, 2))
        amplitude = rng.uniform(-1, 1, size=(2, 2)) * config.max_warp * size / 2
        strokes = [
            stroke + (amplitude * np.sin(stroke[:, None, :] * frequency + phase)).sum(axis=2)
            for stroke in strokes
        ]
    if config.max_stroke_shift > 0 and len(strokes) > 1:
        strokes = [
            stroke + rng.uniform(-1, 1, size=2) * config.max_stroke_shift * size
            for stroke in strokes
        ]
    if config.max_trim > 0:
        strokes = [trim(stroke, rng, config.max_trim) for stroke in strokes]
    return [stroke.astype(np.float32) for stroke in strokes]


def trim(stroke: np.ndarray, rng: np.random.Generator, max_trim: float) -> np.ndarray:
    """The stroke without up to `max_trim` of its points at each end; at least two are kept."""
    start, end = (rng.uniform(0, max_trim, size=2) * len(stroke)).astype(int)
    if len(stroke) - start - end < 2:
        return stroke
    return stroke[start : len(stroke) - end]


def render_images(
    data: Pendigits,
    indices: np.ndarray,
    rng: np.random.Generator,
    config: RenderConfig = RenderConfig(),
    stroke_jitter: StrokeJitter | None = None,
) -> np.ndarray:
    """The digits at `indices` drawn on a canvas and prepared exactly as the Draw page prepares a
    drawing (canvas_to_mnist): (n, 28, 28) float32 in [0, 1]."""
    images = np.zeros((len(indices), 28, 28), np.float32)
    for row, index in enumerate(indices):
        strokes = data.strokes(int(index))
        if stroke_jitter is not None:
            strokes = jitter(strokes, rng, stroke_jitter)
        image = preprocess.canvas_to_mnist(render(strokes, rng, config))
        if image is not None:  # a dot-sized digit stays blank, as the page would show it
            images[row] = image
    return images


def split_indices(data: Pendigits, split: str, seed: int = 0, limit: int | None = None):
    """The digits render_split draws, in its order: the split in file order, or `limit` of
    them chosen at random with the seed."""
    indices = data.indices(split)
    if limit is not None:
        indices = np.random.default_rng(seed).permutation(indices)[:limit]
    return indices


def render_split(
    data: Pendigits,
    split: str,
    seed: int = 0,
    limit: int | None = None,
    config: RenderConfig = RenderConfig(),
) -> Iterator[tuple[int, np.ndarray]]:
    """(label, canvas RGBA) for the digits of a split in file order (split_indices); the seed
    fixes every choice, so the benchmark sees the same canvases on every run."""
    rng = np.random.default_rng(seed)
    for index in split_indices(data, split, seed, limit):
        yield int(data.labels[index]), render(data.strokes(int(index)), rng, config)
