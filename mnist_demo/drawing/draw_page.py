"""Draw-page logic without Streamlit: which models to offer, how sure a guess is, nearest digits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_demo.data import IMAGE_SHAPE
from mnist_demo.i18n import DEFAULT_LANGUAGE, translate
from mnist_demo.storage.store import MODEL_STATUSES
from mnist_demo.training import run_history

# Below this top probability the page says "not sure" and shows the runner-up as well.
UNSURE_BELOW = 0.6
# Farther than this (Euclidean, over the 784 pixels in [0, 1]) from every MNIST training digit, an
# input looks unlike any digit, whatever the model's probability. Chosen with
# benchmarks/unlike_digits.py on pendigits writers 1-30 and MNIST test digits only.
UNLIKE_DIGITS_ABOVE = 7.0
# Ink less high than this share of its width is a dash, not a digit (every digit is taller than
# wide or nearly so; pendigits writers 1-30 measured in the same benchmark).
FLAT_BELOW = 0.25


def flatness(steps) -> float:
    """Height / width of the ink's bounding box (steps: preprocess.Steps)."""
    height, width = steps.crop.shape
    return height / width


def unlike_digits(steps, nearest_distance: float) -> str | None:
    """Why an input looks unlike any digit ("flat": a dash; "far": no MNIST digit is near it),
    or None. The model gives ten probabilities for anything, so a line read as "2 · 95 % sure"."""
    if flatness(steps) < FLAT_BELOW:
        return "flat"
    if nearest_distance > UNLIKE_DIGITS_ABOVE:
        return "far"
    return None


@dataclass(frozen=True)
class RunModel:
    """A model trained on the Train page, as offered in the Draw page's model select."""

    run_id: str
    path: Path
    architecture: str
    epochs: int
    test_accuracy: float | None
    created_at: float
    orphan: bool = False  # a model file that no run record names
    status: str = "completed"
    planned_epochs: int | None = None  # the epochs the run was set to train
    network: str = ""  # "Dense(512)" or "CNN", as the Train page's Runs list names it

    @property
    def epochs_text(self) -> str:
        """Epochs as the Train page's run labels give them: the planned epochs of a completed
        run, "0/30" for one stopped before it finished its first epoch (finished of planned)."""
        if self.planned_epochs is None:
            return str(self.epochs)
        if self.status == "completed":
            return str(self.planned_epochs)
        return f"{self.epochs}/{self.planned_epochs}"


def orphan_models(paths) -> list[RunModel]:
    """Model files without a run record (health.orphan_models()), offered as "file:<name>"."""
    return [
        RunModel(
            run_id=f"file:{path.name}",
            path=Path(path),
            architecture="?",
            epochs=0,
            test_accuracy=None,
            created_at=0.0,
            orphan=True,
        )
        for path in paths
        if Path(path).is_file()
    ]


def run_models(runs: list[dict]) -> list[RunModel]:
    """The runs (store.list_runs() rows) that finished or stopped and whose model file exists."""
    usable = []
    for run in runs:
        path = run.get("model_path")
        if run.get("status") not in MODEL_STATUSES or not path or not Path(path).is_file():
            continue
        config = run.get("config") or {}
        architecture = str(config.get("architecture", "dense"))
        planned = config.get("epochs")
        usable.append(
            RunModel(
                run_id=str(run["id"]),
                path=Path(path),
                architecture=architecture,
                # Epochs that trained all their batches, as the Train page counts them (a run
                # stopped in its first epoch has one epoch record but 0 complete epochs).
                epochs=run_history.completed_epochs(run),
                test_accuracy=run.get("test_accuracy"),
                created_at=float(run.get("created_at") or 0),
                status=str(run.get("status")),
                planned_epochs=planned if isinstance(planned, int) else None,
                network=run_history.network_name(config),
            )
        )
    return usable


def run_labels(runs: list[RunModel], lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Each run's name (run id → label) in the model select, distinct between runs: named as the
    Train page's Runs list names it (start time, network, epochs), with its test accuracy."""
    labels = {}
    for run in runs:
        accuracy = "–" if run.test_accuracy is None else f"{run.test_accuracy:.2%}"
        labels[run.run_id] = translate(
            "draw.model.run",
            lang,
            when=run_history.started_text(run.created_at),
            network=run.network,
            epochs=run.epochs_text,
            accuracy=accuracy,
        )
    return run_history.distinct_labels(labels)


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
