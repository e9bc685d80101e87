"""Is the Draw page's saliency map faithful, and fast enough? (mnist_demo.analysis.inside.saliency)

    python benchmarks/saliency.py [--digits 200] [--fraction 0.1] [--random-draws 5]

Over the first --digits MNIST test digits, for the committed default model (a convnet) and for
the chapter's dense network (trained here for 2 epochs with Keras' own fit): blank the --fraction
of ink pixels that the saliency map ranks highest and, separately, as many random ink pixels
(averaged over --random-draws draws), and measure the drop in the predicted digit's probability.
Faithful maps make the first drop far larger: the target is a ratio of at least 5x. Also prints
the median time of one map (target <= 60 ms).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mnist_demo import data
from mnist_demo.analysis import inside
from mnist_demo.training.config import TrainConfig
from mnist_demo.training.model import build_model, load_default_model, predict_proba

TARGET_RATIO = 5.0
TARGET_MS = 60.0
INK_THRESHOLD = 0.1  # a pixel counts as ink above 10 % of full brightness


def blanked(image: np.ndarray, ranking: np.ndarray, fraction: float) -> np.ndarray:
    """A copy of image with the top `fraction` of its ink pixels (by `ranking`) set to 0."""
    ink = np.flatnonzero(image.ravel() > INK_THRESHOLD)
    count = max(1, round(fraction * len(ink)))
    chosen = ink[np.argsort(-ranking.ravel()[ink], kind="stable")[:count]]
    copy = image.copy().ravel()
    copy[chosen] = 0.0
    return copy.reshape(image.shape)


def measure(network, images: np.ndarray, fraction: float, draws: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    before = predict_proba(network, images)
    predicted = before.argmax(axis=1)
    rows = np.arange(len(images))
    inside.saliency(network, images[0])  # warm-up: the first call traces
    maps, seconds = [], []
    for image in images:
        start = time.perf_counter()
        maps.append(inside.saliency(network, image))
        seconds.append(time.perf_counter() - start)
    salient = np.stack([blanked(image, m, fraction) for image, m in zip(images, maps, strict=True)])
    salient_drop = before[rows, predicted] - predict_proba(network, salient)[rows, predicted]
    random_drops = []
    for _ in range(draws):
        noise = [rng.random(image.shape) for image in images]
        shuffled = np.stack(
            [blanked(image, ranks, fraction) for image, ranks in zip(images, noise, strict=True)]
        )
        random_drops.append(
            before[rows, predicted] - predict_proba(network, shuffled)[rows, predicted]
        )
    random_drop = np.mean(random_drops, axis=0)
    return {
        "salient_drop": float(salient_drop.mean()),
        "random_drop": float(random_drop.mean()),
        "ratio": float(salient_drop.mean() / max(random_drop.mean(), 1e-9)),
        "median_ms": 1000 * float(np.median(seconds)),
    }


def chapter_network():
    """The chapter's Dense(512) -> Dense(10) network after 2 epochs of Keras' own fit."""
    import keras

    (train_images, train_labels), _ = data.load_mnist()
    network = build_model(TrainConfig(epochs=2))
    network.fit(
        train_images.reshape(-1, 784).astype("float32") / 255,
        keras.utils.to_categorical(train_labels, 10),
        epochs=2,
        batch_size=128,
        verbose=0,
    )
    return network


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=200)
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--random-draws", type=int, default=5)
    args = parser.parse_args(argv)

    _, (test_images, _) = data.load_mnist()
    images = test_images[: args.digits].astype("float32") / 255
    print(f"{args.digits} MNIST test digits, blanking {args.fraction:.0%} of the ink pixels")
    print(f"{'model':<22}{'salient drop':>14}{'random drop':>13}{'ratio':>8}{'ms/map':>9}")
    failed = False
    for name, network in (
        ("default (convnet)", load_default_model()),
        ("chapter (dense)", chapter_network()),
    ):
        result = measure(network, images, args.fraction, args.random_draws)
        ok = result["ratio"] >= TARGET_RATIO and result["median_ms"] <= TARGET_MS
        failed |= not ok
        print(
            f"{name:<22}{result['salient_drop']:>14.4f}{result['random_drop']:>13.4f}"
            f"{result['ratio']:>7.1f}x{result['median_ms']:>9.2f}  {'ok' if ok else 'MISSED'}"
        )
    print(f"targets: ratio >= {TARGET_RATIO:g}x, median <= {TARGET_MS:g} ms per map")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
