"""Speed of the default model's augmentation geometry: Keras' preprocessing layers against the
hand-written NumPy passes, on the same MNIST digits (28 x 28 -> 56 x 56).

Prints, from one run, each the best of --repeats (the machine is shared: other processes only
ever make a measurement slower):
- old: the hand-written affine + elastic pass that augment.py used before (rotation, shear,
  x/y scale and elastic distortion in one bilinear pass; a reference copy below, with its
  einsum for the displacement fields), and the same pass with augment's faster fields;
- Keras affine: Resizing + RandomZoom + RandomRotation in one tf.function (augment._affine);
- Keras' RandomShear and RandomElasticTransform on the 56 x 56 digits, each alone, in graph mode:
  what the hand-written pass below would otherwise be replaced by;
- new elastic: the hand-written shear + elastic pass on the 56 x 56 result
  (augment._shear_and_elastic);
- new geometry: Keras affine + new elastic (augment._warp), and everything in Keras;
- the whole augment (geometry, writing styles, thickness, renormalisation) with the new geometry
  and with the old one;
and each figure's ratio to the old pass. Usage:
    python benchmarks/augment_speed.py [--count 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import time
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np

from mnist_demo import data
from mnist_demo.tools import augment
from mnist_demo.tools.augment import UPSAMPLE, WORK, AugmentConfig


def old_warp(
    images: np.ndarray,
    rng: np.random.Generator,
    config: AugmentConfig,
    elastic_fields=None,
) -> np.ndarray:
    """The hand-written geometry before Keras' layers (commit b330dc6): every image sampled at
    affinely mapped, elastically displaced coordinates in one bilinear pass, (n, 28, 28) ->
    (n, 56, 56). `elastic_fields` replaces its displacement fields (default: the old einsum)."""
    count = len(images)
    angle = np.deg2rad(rng.uniform(-1, 1, count) * config.max_rotation_degrees)
    shear = rng.uniform(-1, 1, count) * config.max_shear
    scale_x = rng.uniform(config.min_scale, config.max_scale, count)
    scale_y = rng.uniform(config.min_scale, config.max_scale, count)
    cos, sin = np.cos(angle).astype(np.float32), np.sin(angle).astype(np.float32)
    shear, scale_x, scale_y = (v.astype(np.float32) for v in (shear, scale_x, scale_y))
    a11, a12 = cos / scale_x, (sin + shear * cos) / scale_x
    a21, a22 = -sin / scale_y, (cos - shear * sin) / scale_y
    grid = (np.arange(WORK, dtype=np.float32) + 0.5) / UPSAMPLE - 14.0
    gy, gx = np.meshgrid(grid, grid, indexing="ij")
    dy, dx = (elastic_fields or old_elastic_fields)(count, rng, config)
    gx, gy = gx + dx, gy + dy
    source_x = a11[:, None, None] * gx + a12[:, None, None] * gy + 13.5
    source_y = a21[:, None, None] * gx + a22[:, None, None] * gy + 13.5
    return old_bilinear(images, source_y, source_x)


def old_elastic_fields(
    count: int, rng: np.random.Generator, config: AugmentConfig
) -> tuple[np.ndarray, np.ndarray]:
    """The old displacement fields, as they were (an einsum where augment now multiplies)."""
    points = config.elastic_control_points
    position = np.linspace(0, points - 1, WORK)
    weights = np.maximum(0, 1 - np.abs(position[:, None] - np.arange(points)[None, :]))
    weights = weights.astype(np.float32)
    fields = []
    for _ in range(2):
        coarse = rng.uniform(-1, 1, (count, points, points)).astype(np.float32)
        fields.append(config.elastic_alpha * np.einsum("ij,njk,lk->nil", weights, coarse, weights))
    return fields[0], fields[1]


def old_bilinear(images: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The old 28 x 28-only bilinear sampler, as it was."""
    count = len(images)
    flat = np.pad(images, ((0, 0), (1, 1), (1, 1))).ravel()
    y = np.clip(y + 1, 0, 29.0 - 1e-3, dtype=np.float32)
    x = np.clip(x + 1, 0, 29.0 - 1e-3, dtype=np.float32)
    y0, x0 = y.astype(np.int32), x.astype(np.int32)
    fy, fx = y - y0, x - x0
    index = y0 * 30 + x0 + (np.arange(count, dtype=np.int32) * 900)[:, None, None]
    top = flat[index] + (flat[index + 1] - flat[index]) * fx
    bottom = flat[index + 30] + (flat[index + 31] - flat[index + 30]) * fx
    return top + (bottom - top) * fy


def keras_rest(config: AugmentConfig):
    """Graph-mode calls of Keras' RandomShear, RandomElasticTransform and both after
    augment's Keras affine part, on (n, 56, 56) or (n, 28, 28) digits."""
    import keras
    import tensorflow as tf

    fill = {"fill_mode": "constant", "fill_value": 0.0, "interpolation": "bilinear"}
    shear = keras.layers.RandomShear(config.max_shear, 0.0, seed=1, **fill)
    # Every image distorted (factor (1, 1)) by about elastic_alpha MNIST pixels: Keras' alpha
    # is 0.1 x scale x size. Its sigma is tied to the same scale (0.05 x scale x size, 1.5 px
    # here) and the scale is one per batch: not the smooth 5 x 5-point field of augment.
    scale = config.elastic_alpha * UPSAMPLE / (0.1 * WORK)
    elastic = keras.layers.RandomElasticTransform(
        (1.0, 1.0), (scale, scale), value_range=(0, 1), seed=1, **fill
    )
    affine = augment._affine_graph(config.max_rotation_degrees, config.min_scale, config.max_scale)

    # Traced for the batch's own size: with the batch size unknown, Keras' elastic_transform
    # (TensorFlow backend) distorts the first image only and repeats it for the whole batch.
    @tf.function
    def shear_only(images):
        return shear(images[..., None], training=True)[..., 0]

    @tf.function
    def elastic_only(images):
        return elastic(images[..., None], training=True)[..., 0]

    def everything(images: np.ndarray, seed: int) -> np.ndarray:
        warped = affine(tf.constant(images), tf.constant(seed, tf.int64))
        return elastic_only(shear_only(warped)).numpy()

    return (
        lambda images: shear_only(tf.constant(images)).numpy(),
        lambda images: elastic_only(tf.constant(images)).numpy(),
        everything,
    )


def best_ms(call, repeats: int) -> float:
    call()  # warm-up: traces the graphs, fills caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="MNIST training digits")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    (x_train, y_train), _ = data.load_mnist()
    images = x_train[: args.count].astype(np.float32) / 255
    labels = y_train[: args.count]
    config = AugmentConfig()
    rng = np.random.default_rng(0)
    warped = augment._affine(images, np.random.default_rng(0), config)  # (n, 56, 56)
    keras_shear, keras_elastic, all_keras = keras_rest(config)

    def old_augment():
        with mock.patch.object(augment, "_warp", old_warp):
            augment.augment(images, labels, rng, config)

    figures = {
        "old: hand-written affine + elastic, one pass": lambda: old_warp(images, rng, config),
        "old pass with the new displacement fields (matmul)": lambda: old_warp(
            images, rng, config, augment._elastic_fields
        ),
        "Keras affine: Resizing + RandomZoom + RandomRotation": lambda: augment._affine(
            images, rng, config
        ),
        "Keras RandomShear alone (56 x 56)": lambda: keras_shear(warped),
        "Keras RandomElasticTransform alone (56 x 56)": lambda: keras_elastic(warped),
        "new elastic: hand-written shear + elastic (56 x 56)": lambda: augment._shear_and_elastic(
            warped, rng, config
        ),
        "new geometry: Keras affine + new elastic": lambda: augment._warp(images, rng, config),
        "all Keras: affine + RandomShear + RandomElasticTransform": lambda: all_keras(
            images, int(rng.integers(2**31 - 1))
        ),
        "whole augment, new geometry": lambda: augment.augment(images, labels, rng, config),
        "whole augment, old geometry": old_augment,
    }
    print(f"{args.count} MNIST digits -> 56 x 56, best of {args.repeats} (graph mode for Keras)")
    measured = {name: best_ms(call, args.repeats) for name, call in figures.items()}
    old = measured["old: hand-written affine + elastic, one pass"]
    for name, ms in measured.items():
        print(f"  {name:<58} {ms:8.1f} ms  {ms / old:5.2f}x old")
    whole = measured["whole augment, new geometry"] / measured["whole augment, old geometry"]
    print(f"whole augment new / old: {whole:.2f}x")


if __name__ == "__main__":
    main()
