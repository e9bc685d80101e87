"""The default model's augmentation, vectorised over the batch: a random rotation and x/y scale
(Keras' preprocessing layers, in a TensorFlow graph), a shear and an elastic distortion (NumPy),
the writing styles MNIST lacks (a flag on the 1, a crossbar on the 7, a curled tail on the 9, an
open loop), a stroke-thickness change, then MNIST's normalisation again.
Used by default_model, the training script of the committed Draw-page models."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from mnist_demo.drawing import preprocess


@dataclass(frozen=True)
class AugmentConfig:
    """Random changes applied to every MNIST digit, each epoch anew."""

    max_rotation_degrees: float = 15.0  # people tilt digits a little either way
    max_shear: float = 0.3  # slanted handwriting (x += shear * y)
    min_scale: float = 0.8  # independent x and y scale: narrow and wide digits, the
    max_scale: float = 1.2  # canvas fits the longer side to 20 px, so aspect is what remains
    # (RandomZoom draws 1 / scale uniformly: a little more often narrow than wide)
    elastic_alpha: float = 1.5  # elastic distortion: max smooth displacement in pixels ...
    elastic_control_points: int = 5  # ... varying smoothly over a 5x5 grid (about 7 px apart)
    flag_one: float = 0.6  # share of 1s given a flag at the top (as many Europeans write it)
    max_flag_length: float = 0.55  # a flag is a quarter to this share of the 1's height long
    cross_seven: float = 0.5  # share of 7s given a bar across the stem
    min_crossbar_height: float = 0.45  # the bar crosses the stem this far down, at the highest
    curl_nine: float = 0.5  # share of 9s whose tail gets a curl to the left
    open_nine: float = 0.0  # share of 9s whose loop gets a gap on its left (not closed by the pen)
    dilate_probability: float = 0.3  # share of digits made about 1 px bolder first
    min_cut: float = 0.15  # stroke edge cut low on its profile: bolder strokes ...
    max_cut: float = 0.7  # ... cut high: thinner strokes


# Augmentation works at twice MNIST's resolution so the final shrink to the 20 px box is an
# anti-aliased reduction, as it is for a canvas; at 28 px every step would blur the strokes.
UPSAMPLE = 2
WORK = 28 * UPSAMPLE


def augment(
    images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, config: AugmentConfig
) -> np.ndarray:
    """(n, 28, 28) float32 in [0, 1] and their labels -> augmented, MNIST-normalised (n, 28, 28)."""
    out = np.empty_like(images)
    for start in range(0, len(images), 2000):  # chunks keep the (n, 56, 56) temporaries small
        chunk = images[start : start + 2000]
        warped = _warp(chunk, rng, config)  # (n, 56, 56)
        _add_writing_styles(warped, labels[start : start + 2000], rng, config)
        _open_loops(warped, labels[start : start + 2000], rng, config)
        thick = _change_thickness(warped, rng, config)
        out[start : start + len(chunk)] = [_renormalise(image) for image in thick]
    return out


def _add_writing_styles(
    images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, config: AugmentConfig
) -> None:
    """Give some digits the strokes many writers outside the US add, in place on (n, 56, 56):
    a 1 with a flag at its top, a 7 with a bar across its stem, a 9 whose tail curls left.

    MNIST's writers (US census staff and students) rarely wrote these, so a model trained on it
    reads a flagged 1 as a 7 and a curled 9 as a 3 or 5. The added stroke is as thick as the
    digit's own and is drawn anti-aliased (at twice the resolution, then box-shrunk)."""
    chances = {1: config.flag_one, 7: config.cross_seven, 9: config.curl_nine}
    draw_stroke = {1: _flag, 7: _crossbar, 9: _curl}
    for index in np.flatnonzero(np.isin(labels, list(chances))):
        label = int(labels[index])
        if rng.uniform() >= chances[label]:
            continue
        image = images[index]
        ink = image >= 0.5
        if ink.sum() < 8:
            continue
        points = draw_stroke[label](ink, rng, config)
        width = max(2.0, preprocess.stroke_thickness(image))
        images[index] = np.maximum(image, _stroke_image(points, width, image.shape))


def _flag(ink: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """From the top of the 1, a stroke down to the left (25-65 degrees below horizontal), a
    quarter to a half of the digit's height long; a 7's bar is longer and near horizontal."""
    rows = np.flatnonzero(ink.any(axis=1))
    height = rows[-1] - rows[0] + 1
    top_y = rows[0]
    top_x = np.flatnonzero(ink[top_y]).mean()
    length = rng.uniform(0.25, config.max_flag_length) * height
    angle = np.deg2rad(rng.uniform(25, 65))
    end = (top_x - length * np.cos(angle), top_y + length * np.sin(angle))
    return np.array([end, (top_x, top_y)])


def _crossbar(ink: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """A short horizontal bar across the 7's stem, from its middle to well below it."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    y = int(rows[0] + rng.uniform(config.min_crossbar_height, 0.8) * height)
    stem = np.flatnonzero(ink[y])
    x = stem.mean() if len(stem) else cols.mean()
    half = rng.uniform(0.2, 0.35) * max(width, 0.6 * height)
    tilt = rng.uniform(-0.1, 0.1) * half
    return np.array([(x - half, y + tilt), (x + half, y - tilt)])


def _curl(ink: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """The end of the 9's tail bent into an arc that curls down and back to the left.

    The arc leaves the tail one radius above its end and reaches down to the end's level, so
    the digit keeps its height (and stays inside the frame)."""
    rows = np.flatnonzero(ink.any(axis=1))
    height = rows[-1] - rows[0] + 1
    radius = rng.uniform(0.15, 0.3) * height
    start_y = int(rows[-1] - radius)
    tail = np.flatnonzero(ink[start_y])
    start_x = tail[-1] if len(tail) else np.flatnonzero(ink[rows[-1]]).mean()
    sweep = np.deg2rad(rng.uniform(100, 150))
    # Centre to the left of the start; clockwise on screen: down, then left, then up.
    angles = np.linspace(0, sweep, 12)
    return np.stack(
        [start_x - radius + radius * np.cos(angles), start_y + radius * np.sin(angles)], axis=1
    )


def _open_loops(
    images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, config: AugmentConfig
) -> None:
    """Open some 9s' loops in place on (n, 56, 56): a gap, about a stroke wide, where the loop's
    left or lower-left side would close. Many writers leave the loop open there ("9" drawn as a
    hook on a stem), which a model trained on MNIST's closed loops reads as a 3, 5 or 7."""
    if config.open_nine <= 0:
        return  # no random draws: settings from before this step replay unchanged
    for index in np.flatnonzero(labels == 9):
        if rng.uniform() >= config.open_nine:
            continue
        image = images[index]
        ink = image >= 0.5
        rows = np.flatnonzero(ink.any(axis=1))
        if ink.sum() < 8 or len(rows) < 8:
            continue
        height = rows[-1] - rows[0] + 1
        # The loop: the upper part of the digit; its centre is where a ray starts.
        top = ink[rows[0] : rows[0] + int(0.5 * height)]
        ys, xs = np.nonzero(top)
        centre_y, centre_x = rows[0] + ys.mean(), xs.mean()
        angle = np.deg2rad(rng.uniform(110, 220))  # left and lower-left (y grows downwards)
        step_x, step_y = np.cos(angle), np.sin(angle)
        # Walk out from the centre to the ring of ink on that side.
        hit = None
        for distance in np.arange(0, 0.6 * height, 0.5):
            y, x = int(centre_y + distance * step_y), int(centre_x + distance * step_x)
            if not (0 <= y < ink.shape[0] and 0 <= x < ink.shape[1]):
                break
            if ink[y, x]:
                hit = (y, x)
            elif hit is not None:
                break
        if hit is None:
            continue
        width = max(2.0, preprocess.stroke_thickness(image))
        radius = rng.uniform(0.8, 1.5) * width
        yy, xx = np.ogrid[: ink.shape[0], : ink.shape[1]]
        distance = np.sqrt((yy - hit[0]) ** 2 + (xx - hit[1]) ** 2)
        images[index] = image * np.clip(distance - radius, 0, 1)


def _stroke_image(points: np.ndarray, width: float, shape: tuple[int, int]) -> np.ndarray:
    """A round-capped polyline through points (x, y) as a float image in [0, 1] of `shape`."""
    scale = 2
    canvas = Image.new("L", (shape[1] * scale, shape[0] * scale), 0)
    pen = ImageDraw.Draw(canvas)
    scaled = [(float(x) * scale, float(y) * scale) for x, y in points]
    pen.line(scaled, fill=255, width=max(1, round(width * scale)), joint="curve")
    radius = width * scale / 2
    for x, y in (scaled[0], scaled[-1]):
        pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    small = canvas.resize((shape[1], shape[0]), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255


def _warp(images: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """The random geometry: (n, 28, 28) -> (n, 56, 56) rotated, scaled, sheared, distorted."""
    return _shear_and_elastic(_affine(images, rng, config), rng, config)


def _affine(images: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """Keras' preprocessing layers in one graph: (n, 28, 28) -> (n, 56, 56), doubled (Resizing),
    scaled in x and y independently (RandomZoom) and rotated (RandomRotation), bilinear, with
    background outside. Their random draws start from a seed drawn from `rng`: the same rng
    gives the same digits."""
    import tensorflow as tf

    run = _affine_graph(config.max_rotation_degrees, config.min_scale, config.max_scale)
    seed = int(rng.integers(2**31 - 1))
    with _AFFINE_LOCK:  # the graph's seed state is shared: calls from two threads take turns
        warped = run(tf.constant(images, tf.float32), tf.constant(seed, tf.int64))
    return warped.numpy()


_AFFINE_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _affine_graph(max_rotation_degrees: float, min_scale: float, max_scale: float):
    """The tf.function behind _affine for one setting, built once (tracing takes a second)."""
    import keras
    import tensorflow as tf

    layer = {"fill_mode": "constant", "fill_value": 0.0, "interpolation": "bilinear"}
    resize = keras.layers.Resizing(WORK, WORK, interpolation="bilinear")
    # RandomZoom samples the input at (1 + factor) x the output coordinates, so a positive
    # factor zooms out: a digit `scale` times as wide needs 1 / scale - 1.
    zoom_range = (1 / max_scale - 1, 1 / min_scale - 1)
    zoom = keras.layers.RandomZoom(zoom_range, zoom_range, **layer)
    # RandomRotation's factor is a fraction of a full turn, either way.
    rotate = keras.layers.RandomRotation(max_rotation_degrees / 360, **layer)
    generator = keras.random.SeedGenerator(0)
    spec = (tf.TensorSpec([None, 28, 28], tf.float32), tf.TensorSpec([], tf.int64))

    @tf.function(input_signature=spec)
    def run(images, seed):
        generator.state.assign(tf.cast(tf.stack([seed, 0]), generator.state.dtype))
        warped = resize(images[..., None])
        for step in (zoom, rotate):
            transformation = step.get_random_transformation(warped, training=True, seed=generator)
            warped = step.transform_images(warped, transformation)
        return tf.clip_by_value(warped[..., 0], 0.0, 1.0)

    return run


def _shear_and_elastic(
    images: np.ndarray, rng: np.random.Generator, config: AugmentConfig
) -> np.ndarray:
    """Each (n, 56, 56) image sheared about its centre (x += shear * y) and elastically
    distorted, sampled in one bilinear pass.

    Keras' RandomShear shears about the top-left corner (a 0.3 shear moves the middle row 8 px
    and the bottom row 17 px, off the canvas). Its RandomElasticTransform blurs white noise with
    a sigma tied to the displacement (1.5 px here: a ripple, not a bend over 14 px), one strength
    per batch, the same noise for x and y, and one map_coordinates per image in the graph."""
    count = len(images)
    shear = (rng.uniform(-1, 1, count) * config.max_shear).astype(np.float32)[:, None, None]
    centre = (WORK - 1) / 2
    grid = np.arange(WORK, dtype=np.float32) - centre  # pixel centres about the middle
    gy, gx = np.meshgrid(grid, grid, indexing="ij")  # (56, 56)
    dy, dx = _elastic_fields(count, rng, config)  # (n, 56, 56) each, in MNIST pixels
    gy, gx = gy + UPSAMPLE * dy, gx + UPSAMPLE * dx
    return _bilinear(images, gy + centre, gx + shear * gy + centre)


def _elastic_fields(
    count: int, rng: np.random.Generator, config: AugmentConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Two smooth random displacement fields (n, 56, 56) in source pixels, at most elastic_alpha:
    random values on a coarse grid of control points, interpolated (bilinear) in between."""
    points = config.elastic_control_points
    # (56, points): interpolation weights from the coarse grid to the fine one.
    position = np.linspace(0, points - 1, WORK)
    weights = np.maximum(0, 1 - np.abs(position[:, None] - np.arange(points)[None, :]))
    weights = weights.astype(np.float32)
    fields = []
    for _ in range(2):
        coarse = rng.uniform(-1, 1, (count, points, points)).astype(np.float32)
        # weights @ coarse @ weights.T per image, the small product first: batched matmuls take
        # a tenth of the time of the same einsum.
        fields.append(config.elastic_alpha * (weights @ (coarse @ weights.T)))
    return fields[0], fields[1]


def _bilinear(images: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """images (n, h, w) sampled at (n, H, W) coordinates (pixel centres at whole numbers);
    outside counts as background."""
    count, height, width = images.shape
    flat = np.pad(images, ((0, 0), (1, 1), (1, 1))).ravel()  # a border of zeros
    row, size = width + 2, (height + 2) * (width + 2)
    y = np.clip(y + 1, 0, height + 1 - 1e-3, dtype=np.float32)
    x = np.clip(x + 1, 0, width + 1 - 1e-3, dtype=np.float32)
    fy, fx = y - np.floor(y), x - np.floor(x)  # float32, as the images
    y0, x0 = y.astype(np.int32), x.astype(np.int32)  # floor: the coordinates are >= 0
    index = y0 * row + x0 + (np.arange(count, dtype=np.int32) * size)[:, None, None]
    top = flat[index] + (flat[index + 1] - flat[index]) * fx
    bottom = flat[index + row] + (flat[index + row + 1] - flat[index + row]) * fx
    return top + (bottom - top) * fy


def _change_thickness(
    images: np.ndarray, rng: np.random.Generator, config: AugmentConfig
) -> np.ndarray:
    """Thicker or thinner strokes: optionally a 3x3 dilation, then a contrast window whose cut
    level moves the stroke edge in or out along its anti-aliased profile (and keeps it crisp)."""
    count = len(images)
    dilate = rng.uniform(0, 1, count) < config.dilate_probability
    padded = np.pad(images[dilate], ((0, 0), (1, 1), (1, 1)))
    shifted = [padded[:, dy : dy + WORK, dx : dx + WORK] for dy in range(3) for dx in range(3)]
    if dilate.any():
        images = images.copy()
        images[dilate] = np.max(shifted, axis=0)
    cut = rng.uniform(config.min_cut, config.max_cut, count)[:, None, None]
    return np.clip((images - cut) / EDGE_WIDTH + 0.5, 0, 1)


# The contrast window's width: a stroke edge goes from background to full ink over this range.
EDGE_WIDTH = 0.3


def _renormalise(image: np.ndarray) -> np.ndarray:
    """MNIST's normalisation again after augmentation: crop, longer side to 20 px, centre.
    (n, 56, 56) -> (28, 28)."""
    mask = image >= preprocess.INK_THRESHOLD
    if not mask.any():
        return image
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    factor = preprocess.BOX_SIZE / max(crop.shape)
    small = preprocess.resize(crop, preprocess.scaled_shape(*crop.shape, factor))
    peak = small.max()
    return preprocess.centre(small / peak if peak > 0 else small)
