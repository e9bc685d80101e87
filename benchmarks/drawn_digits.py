"""Accuracy on digits real people drew: pendigits trajectories replayed onto a Draw-page canvas.

    python benchmarks/drawn_digits.py [--split test|train] [--model PATH] [--limit N] [--seed S]
                                      [--neighbours]

Each pen trajectory is drawn as the canvas draws it (white round-capped strokes, width 14-23 px,
on a black 280x280 canvas; the digit 45-85 % of the canvas high, at a random place where it
stays whole; fixed seed), then goes through `canvas_to_mnist` and the model. Prints accuracy per
digit and overall, the most common confusions, the writers with the most mistakes, and the naive
baseline (whole canvas resized to 28x28) for the same model. The test split (writers 31-44) is
for the reported figure only.

With --neighbours, each common confusion also gets the labels of its digits' 10 nearest MNIST
training digits (pixel distance, as the Draw page shows them): whether MNIST itself, the only
training data, holds digits of the predicted class that look like these drawings.
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_demo import data as mnist_data
from mnist_demo.data import pendigits
from mnist_demo.drawing import draw_page, preprocess
from mnist_demo.training import model as model_module


def naive_resize(rgba: np.ndarray) -> np.ndarray:
    """The baseline: the whole canvas shrunk to 28x28, no cropping or centring."""
    ink = preprocess.canvas_ink(rgba)
    return np.asarray(Image.fromarray(ink, mode="F").resize((28, 28), Image.Resampling.BOX))


def print_neighbours(
    inputs: np.ndarray, labels: np.ndarray, predicted: np.ndarray, confusions: collections.Counter
) -> None:
    """For each common confusion, the labels of its digits' 10 nearest MNIST training digits."""
    (train_images, train_labels), _ = mnist_data.load_mnist()
    neighbours = draw_page.PixelNeighbours(train_images, train_labels)
    print("10 nearest MNIST training digits of those mistakes (label: count):")
    for (true, guess), count in confusions.most_common(8):
        votes = collections.Counter()
        for index in np.flatnonzero((labels == true) & (predicted == guess)):
            nearest, _ = neighbours.nearest(inputs[index], 10)
            votes.update(int(label) for label in train_labels[nearest])
        shown = ", ".join(f"{label}: {votes[label]}" for label, _ in votes.most_common(3))
        print(f"  {true} -> {guess} ({count} digits): {shown}")


def print_writers(writers: np.ndarray, wrong: np.ndarray) -> None:
    """The writers with the most mistakes: how much of the error is a few people's handwriting."""
    mistakes = collections.Counter(writers[wrong].tolist())
    if not mistakes:
        return
    shown = ", ".join(
        f"{writer}: {count} of {np.sum(writers == writer)}"
        for writer, count in mistakes.most_common(5)
    )
    print(f"most mistakes by writer (writer: mistakes of digits): {shown}")
    top_two = sum(count for _, count in mistakes.most_common(2))
    print(
        f"the 2 writers with the most mistakes make {top_two} of {wrong.sum()}; "
        f"{len(mistakes)} of {len(set(writers.tolist()))} writers make any"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(pendigits.SPLITS), default="test")
    parser.add_argument("--model", type=Path, help="a .keras file (default: the committed model)")
    parser.add_argument("--limit", type=int, help="a random subset of this many digits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    parser.add_argument(
        "--neighbours", action="store_true", help="MNIST's nearest digits to the mistakes"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    data = pendigits.load()
    labels, inputs, naive = [], [], []
    for label, rgba in pendigits.render_split(data, args.split, args.seed, args.limit):
        image = preprocess.canvas_to_mnist(rgba)
        labels.append(label)
        inputs.append(np.zeros((28, 28), np.float32) if image is None else image)
        if not args.no_baseline:
            naive.append(naive_resize(rgba))
    labels = np.array(labels)
    rendered = time.perf_counter() - started
    network = (
        model_module.load_model_file(args.model)
        if args.model
        else model_module.load_default_model()
    )
    predicted = model_module.predict_proba(network, np.stack(inputs)).argmax(axis=1)

    name = args.model or model_module.DEFAULT_MODEL_PATH
    print(f"model {name}")
    print(f"pendigits {args.split} split, {len(labels)} digits, seed {args.seed}")
    print(f"rendered and preprocessed in {rendered:.1f} s")
    print("digit  count  accuracy")
    for digit in range(10):
        chosen = labels == digit
        print(f"{digit:>5}  {chosen.sum():>5}  {np.mean(predicted[chosen] == digit):8.2%}")
    accuracy = np.mean(predicted == labels)
    print(f"overall accuracy (MNIST-style preprocessing): {accuracy:.2%}")
    confusions = collections.Counter(
        (int(true), int(guess))
        for true, guess in zip(labels, predicted, strict=True)
        if true != guess
    )
    print("most common confusions (true -> predicted: count):")
    for (true, guess), count in confusions.most_common(8):
        print(f"  {true} -> {guess}: {count}")
    writers = data.writer[pendigits.split_indices(data, args.split, args.seed, args.limit)]
    print_writers(writers, predicted != labels)
    if args.neighbours:
        print_neighbours(np.stack(inputs), labels, predicted, confusions)
    if naive:
        naive_predicted = model_module.predict_proba(network, np.stack(naive)).argmax(axis=1)
        naive_accuracy = np.mean(naive_predicted == labels)
        print(f"naive baseline (whole canvas resized to 28x28): {naive_accuracy:.2%}")


if __name__ == "__main__":
    main()
