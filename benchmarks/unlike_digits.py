"""How far drawn digits and non-digits lie from their nearest MNIST training digit: the data behind
drawing.UNLIKE_DIGITS_ABOVE (the Draw page's "this does not look like a digit" note).

    PYTHONPATH=. python benchmarks/unlike_digits.py [--limit N] [--seed S]

Digits: pendigits trajectories of writers 1-30 (the train split; writers 31-44 are never used to
choose anything) drawn on a canvas as the Draw page's canvas draws them, and MNIST test digits,
each through the page's preprocessing. Non-digits: lines, letters of DejaVu Sans, scribbles and
blobs drawn on the same canvas. Prints the distance percentiles of each group and, for the
committed threshold, the share of each group it flags.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnist_demo import data as mnist_data  # noqa: E402
from mnist_demo.data import pendigits
from mnist_demo.drawing import draw_page as drawing  # noqa: E402
from mnist_demo.drawing import preprocess

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CANVAS = 280


def canvas_of(picture: Image.Image) -> np.ndarray:
    """A white-on-black L picture as the canvas's RGBA."""
    rgba = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    ink = np.asarray(picture)
    rgba[..., 0] = rgba[..., 1] = rgba[..., 2] = ink
    rgba[..., 3] = 255
    return rgba


def non_digits(rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    """Canvases of things that are not digits, by kind."""
    kinds: dict[str, list[np.ndarray]] = {"line": [], "letter": [], "scribble": [], "cross": []}
    for _ in range(40):
        picture = Image.new("L", (CANVAS, CANVAS), 0)
        y = int(rng.integers(60, 220))
        x0, x1 = int(rng.integers(20, 90)), int(rng.integers(190, 260))
        tilt = int(rng.integers(-25, 26))
        ImageDraw.Draw(picture).line([(x0, y), (x1, y + tilt)], 255, int(rng.integers(12, 24)))
        kinds["line"].append(canvas_of(picture))
    font = ImageFont.truetype(FONT, 200)
    for letter in "ABCDEFGHJKMNPQRUVWXYabdeghkmnpqrwxy":  # not I, O, S, Z, l, o...: digit-like
        picture = Image.new("L", (CANVAS, CANVAS), 0)
        ImageDraw.Draw(picture).text((50, 20), letter, fill=255, font=font)
        kinds["letter"].append(canvas_of(picture))
    for _ in range(40):
        picture = Image.new("L", (CANVAS, CANVAS), 0)
        points = [tuple(int(v) for v in rng.integers(30, 250, 2)) for _ in range(12)]
        ImageDraw.Draw(picture).line(points, 255, 18, joint="curve")
        kinds["scribble"].append(canvas_of(picture))
    for _ in range(20):
        picture = Image.new("L", (CANVAS, CANVAS), 0)
        draw = ImageDraw.Draw(picture)
        draw.line([(60, 60), (220, 220)], 255, 18)
        draw.line([(220, 60), (60, 220)], 255, 18)
        kinds["cross"].append(canvas_of(picture.rotate(float(rng.uniform(-30, 30)))))
    return kinds


def inputs_of(canvases) -> tuple[np.ndarray, np.ndarray]:
    """The 28x28 inputs of the canvases the page would read, and their ink's height / width."""
    steps = [preprocess.canvas_steps(rgba) for rgba in canvases]
    steps = [step for step in steps if step is not None]
    return np.stack([step.final for step in steps]), np.array([drawing.flatness(s) for s in steps])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1500, help="pendigits digits drawn")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    (train_images, train_labels), (test_images, _) = mnist_data.load_mnist()
    neighbours = drawing.PixelNeighbours(train_images, train_labels)
    rng = np.random.default_rng(args.seed)

    groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    drawn = pendigits.render_split(pendigits.load(), "train", args.seed, args.limit)
    groups["pendigits writers 1-30"] = inputs_of(rgba for _, rgba in drawn)
    picked = rng.choice(len(test_images), 1000, replace=False)
    groups["MNIST test"] = inputs_of(canvas_of(Image.fromarray(test_images[i]).resize(
        (CANVAS, CANVAS), Image.Resampling.BILINEAR)) for i in picked)  # fmt: skip
    for kind, canvases in non_digits(rng).items():
        groups[f"not a digit: {kind}"] = inputs_of(canvases)

    print(
        f"thresholds: distance > {drawing.UNLIKE_DIGITS_ABOVE}, height/width < {drawing.FLAT_BELOW}"
    )
    print(
        f"{'group':<26} {'n':>5} {'dist p50':>8} {'p99':>5} {'p99.5':>5} {'h/w p0.5':>8} "
        f"{'min':>5} {'far':>6} {'flat':>6} {'flagged':>7}"
    )
    for name, (images, flatness) in groups.items():
        distances = np.array([neighbours.nearest(image, 1)[1][0] for image in images])
        p50, p99, p995 = np.percentile(distances, [50, 99, 99.5])
        far = distances > drawing.UNLIKE_DIGITS_ABOVE
        flat = flatness < drawing.FLAT_BELOW
        print(
            f"{name:<26} {len(images):>5} {p50:8.2f} {p99:5.2f} {p995:5.2f} "
            f"{np.percentile(flatness, 0.5):8.2f} {flatness.min():5.2f} {far.mean():6.1%} "
            f"{flat.mean():6.1%} {(far | flat).mean():7.1%}"
        )
    print(f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
