"""Draw-page logic without Streamlit: which models to offer, how sure a guess is, nearest digits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_demo.data import IMAGE_SHAPE
from mnist_demo.store import MODEL_STATUSES

# Below this top probability the page says "not sure" and shows the runner-up as well.
UNSURE_BELOW = 0.6


@dataclass(frozen=True)
class RunModel:
    """A model trained on the Train page, as offered in the Draw page's model select."""

    run_id: str
    path: Path
    architecture: str
    epochs: int
    test_accuracy: float | None
    created_at: float


def run_models(runs: list[dict]) -> list[RunModel]:
    """The runs (store.list_runs() rows) that finished or stopped and whose model file exists."""
    usable = []
    for run in runs:
        path = run.get("model_path")
        if run.get("status") not in MODEL_STATUSES or not path or not Path(path).is_file():
            continue
        config = run.get("config") or {}
        usable.append(
            RunModel(
                run_id=str(run["id"]),
                path=Path(path),
                architecture=str(config.get("architecture", "dense")),
                epochs=len(run.get("epochs") or []),
                test_accuracy=run.get("test_accuracy"),
                created_at=float(run.get("created_at") or 0),
            )
        )
    return usable


@dataclass(frozen=True)
class Guess:
    """The model's answer for one input: top digit, its probability, and the runner-up."""

    digit: int
    probability: float
    runner_up: int
    runner_up_probability: float

    @property
    def sure(self) -> bool:
        return self.probability >= UNSURE_BELOW


def guess(probabilities: np.ndarray) -> Guess:
    """(10,) probabilities -> the top two digits."""
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.shape != (10,):
        raise ValueError(f"expected 10 probabilities, got shape {probabilities.shape}")
    first, second = np.argsort(probabilities)[::-1][:2]
    return Guess(int(first), float(probabilities[first]), int(second), float(probabilities[second]))


class PixelNeighbours:
    """Nearest MNIST training digits to an input by Euclidean distance between the 28x28 pixels.

    The training images are converted once to a float32 (n, 784) matrix with their squared norms,
    so one query is a single matrix-vector product (about 10 ms for all 60,000).
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE or len(images) != len(labels):
            raise ValueError("images must be (n, 28, 28) with one label each")
        self.matrix = images.reshape(len(images), -1).astype(np.float32) / 255  # (n, 784)
        self.matrix.flags.writeable = False
        self.norms = np.einsum("ij,ij->i", self.matrix, self.matrix)  # (n,)
        self.labels = labels

    def nearest(self, image: np.ndarray, count: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """Indices (count,) of the closest training digits, nearest first, and their distances."""
        query = np.asarray(image, dtype=np.float32).reshape(-1)  # (784,)
        squared = self.norms - 2 * (self.matrix @ query) + query @ query  # (n,)
        closest = np.argpartition(squared, count)[:count]
        closest = closest[np.argsort(squared[closest])]
        return closest, np.sqrt(np.maximum(squared[closest], 0))
