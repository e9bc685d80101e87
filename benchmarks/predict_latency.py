"""Server-side latency of one Draw-page answer: canvas_to_mnist + predict_proba on one canvas.

    python benchmarks/predict_latency.py [--count N] [--model PATH]

Canvases are pendigits test digits rendered as the canvas draws them. Each is timed separately
(preprocessing, prediction, total) after a warm-up; the target is a median total <= 5 ms. For
comparison it also times Keras' model.predict on one image, which the page avoids.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from mnist_demo.data import pendigits
from mnist_demo.drawing import preprocess
from mnist_demo.training import model as model_module

TARGET_MS = 5.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="canvases to time")
    parser.add_argument("--model", type=Path, help="a .keras file (default: the committed model)")
    args = parser.parse_args(argv)

    network = (
        model_module.load_model_file(args.model)
        if args.model
        else model_module.load_default_model()
    )
    canvases = [rgba for _, rgba in pendigits.render_split(pendigits.load(), "test", 0, args.count)]
    for rgba in canvases[:20]:  # warm-up: first calls trace and allocate
        model_module.predict_proba(network, preprocess.canvas_to_mnist(rgba)[None])

    prep, pred, total = [], [], []
    for rgba in canvases:
        start = time.perf_counter()
        image = preprocess.canvas_to_mnist(rgba)
        middle = time.perf_counter()
        probabilities = model_module.predict_proba(network, image[None])
        end = time.perf_counter()
        assert probabilities.shape == (1, 10)
        prep.append(middle - start)
        pred.append(end - middle)
        total.append(end - start)

    keras_predict = []
    for rgba in canvases[:20]:
        image = preprocess.canvas_to_mnist(rgba)[None]
        start = time.perf_counter()
        network.predict(model_module.to_model_input(image, network), verbose=0)
        keras_predict.append(time.perf_counter() - start)

    def row(name: str, seconds: list[float]) -> str:
        ms = np.array(seconds) * 1000
        return f"{name:<28} median {np.median(ms):6.2f} ms   p90 {np.percentile(ms, 90):6.2f} ms"

    print(f"{len(canvases)} canvases of 280x280, model {args.model or 'default'}")
    print(row("canvas_to_mnist", prep))
    print(row("predict_proba (n=1)", pred))
    print(row("total", total))
    print(row("model.predict (for contrast)", keras_predict))
    median = np.median(total) * 1000
    verdict = "OK" if median <= TARGET_MS else "TOO SLOW"
    print(f"median total {median:.2f} ms vs target {TARGET_MS} ms: {verdict}")


if __name__ == "__main__":
    main()
