"""The chapter's steps (Deep Learning with Python §2.1): listings and the values they print."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_demo.data import IMAGE_PIXELS, NUM_CLASSES
from mnist_demo.data.printing import chapter_repr, repl
from mnist_demo.training.config import OPTIMIZER_CLASSES, TrainConfig

# What mnist_demo.training.model.build_model compiles with (tests/test_walkthrough.py checks it
# against a real compiled model): one-hot labels, so categorical rather than sparse cross-entropy.
LOSS = "categorical_crossentropy"
METRICS = ("accuracy",)
PREDICTED_DIGITS = 10  # the chapter predicts the first ten test digits
PIXELS_SHOWN = 4  # a few converted pixel values: enough to see 0-255 became 0-1


@dataclass(frozen=True)
class Step:
    """One step of the chapter: its listing as this app runs it and the page that goes further.

    The page's text for the step lives in the catalogues under home.steps.<key>.
    """

    key: str
    listing: str | None  # the book's listing number, None for the unnumbered REPL sessions
    code: str
    page: str | None  # the page (file in pages/) that explores this step further


STEPS = (
    Step(
        "load",
        "2-1",
        "from tensorflow.keras.datasets import mnist\n"
        "(train_images, train_labels), (test_images, test_labels) = mnist.load_data()",
        "pages/explore.py",
    ),
    Step(
        "look",
        None,
        "train_images.shape\nlen(train_labels)\ntrain_labels\n"
        "test_images.shape\nlen(test_labels)\ntest_labels",
        "pages/explore.py",
    ),
    Step(
        "network",
        "2-2",
        "from tensorflow import keras\n"
        "from tensorflow.keras import layers\n"
        "model = keras.Sequential([\n"
        '    layers.Dense(512, activation="relu"),\n'
        '    layers.Dense(10, activation="softmax")\n'
        "])",
        "pages/train.py",
    ),
    Step(
        "compile",
        "2-3",
        'model.compile(optimizer="rmsprop",\n'
        f'              loss="{LOSS}",\n'
        '              metrics=["accuracy"])',
        "pages/train.py",
    ),
    Step(
        "images",
        "2-4",
        "train_images = train_images.reshape((60000, 28 * 28))\n"
        'train_images = train_images.astype("float32") / 255\n'
        "test_images = test_images.reshape((10000, 28 * 28))\n"
        'test_images = test_images.astype("float32") / 255',
        "pages/explore.py",
    ),
    Step(
        "labels",
        "2-5",
        "from tensorflow.keras.utils import to_categorical\n"
        "train_labels = to_categorical(train_labels)\n"
        "test_labels = to_categorical(test_labels)",
        "pages/explore.py",
    ),
    Step(
        "fit",
        None,
        "model.fit(train_images, train_labels, epochs=5, batch_size=128)",
        "pages/train.py",
    ),
    Step(
        "evaluate",
        None,
        "test_loss, test_acc = model.evaluate(test_images, test_labels)\n"
        'print(f"test_acc: {test_acc}")',
        "pages/train.py",
    ),
    Step(
        "predict",
        None,
        "test_digits = test_images[0:10]\n"
        "predictions = model.predict(test_digits)\n"
        "predictions.argmax(axis=1)\n"
        "predictions[0].argmax()\n"
        "predictions[0][7]\n"
        "test_labels[0].argmax()",
        "pages/draw.py",
    ),
)
STEP_KEYS = tuple(step.key for step in STEPS)


def step(key: str) -> Step:
    """The step called key; ValueError names the known ones."""
    for candidate in STEPS:
        if candidate.key == key:
            return candidate
    raise ValueError(f"unknown step {key!r}; choose one of {STEP_KEYS}")


# Printing as Python does ------------------------------------------------------------------------


# The live values, one function per step ----------------------------------------------------------


def load_output(dataset) -> str:
    """What listing 2-1 leaves behind: NumPy arrays of 8-bit integers."""
    (x_train, y_train), (x_test, y_test) = dataset
    return repl(
        [
            ("type(train_images)", repr(type(x_train))),
            ("train_images.dtype, train_labels.dtype", repr((x_train.dtype, y_train.dtype))),
            ("test_images.dtype, test_labels.dtype", repr((x_test.dtype, y_test.dtype))),
        ]
    )


def look_output(dataset) -> str:
    """The chapter's first look at the data: shapes, lengths and labels as Python prints them."""
    (x_train, y_train), (x_test, y_test) = dataset
    return repl(
        [
            ("train_images.shape", repr(x_train.shape)),
            ("len(train_labels)", repr(len(y_train))),
            ("train_labels", chapter_repr(y_train)),
            ("test_images.shape", repr(x_test.shape)),
            ("len(test_labels)", repr(len(y_test))),
            ("test_labels", chapter_repr(y_test)),
        ]
    )


def dense_param_counts(hidden_units: int = 512) -> tuple[int, int]:
    """Weights + biases of the two Dense layers: 784·512 + 512 = 401,920 and 512·10 + 10 = 5,130."""
    if hidden_units < 1:
        raise ValueError(f"hidden_units must be positive, got {hidden_units}")
    return (
        IMAGE_PIXELS * hidden_units + hidden_units,
        hidden_units * NUM_CLASSES + NUM_CLASSES,
    )


def _memory_size(params: int) -> str:
    """Keras' readable size of float32 weights: 407,050 params -> "1.55 MB", 0 -> "0.00 B"."""
    size = params * 4.0
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def model_summary(hidden_units: int = 512) -> str:
    """The text model.summary() prints for the chapter's network once it has seen 784-wide inputs.

    Computed from the layer sizes, so the Home page shows it without importing TensorFlow (≈ 5 s);
    tests/test_walkthrough.py compares it with the summary Keras itself prints.
    """
    first, second = dense_param_counts(hidden_units)
    total = first + second
    widths = (33, 24, 15)

    def row(left: str, cells: tuple[str, str, str], separator: str, right: str) -> str:
        name, shape, params = cells
        return (
            left
            + f" {name:<{widths[0] - 2}} "
            + separator
            + f" {shape:<{widths[1] - 2}} "
            + separator
            + f" {params:>{widths[2] - 2}} "
            + right
        )

    def rule(left: str, fill: str, joint: str, right: str) -> str:
        return left + joint.join(fill * width for width in widths) + right

    lines = [
        'Model: "sequential"',
        rule("┏", "━", "┳", "┓"),
        row("┃", ("Layer (type)", "Output Shape", "Param #"), "┃", "┃"),
        rule("┡", "━", "╇", "┩"),
        row("│", ("dense (Dense)", f"(None, {hidden_units})", f"{first:,}"), "│", "│"),
        rule("├", "─", "┼", "┤"),
        row("│", ("dense_1 (Dense)", f"(None, {NUM_CLASSES})", f"{second:,}"), "│", "│"),
        rule("└", "─", "┴", "┘"),
        f" Total params: {total:,} ({_memory_size(total)})",
        f" Trainable params: {total:,} ({_memory_size(total)})",
        f" Non-trainable params: 0 ({_memory_size(0)})",
    ]
    return "\n".join(lines)


def compile_settings(config: TrainConfig | None = None) -> str:
    """The compile and fit settings this app trains with by default (the chapter's)."""
    config = config or TrainConfig()
    rows = [
        (
            "optimizer",
            f"{OPTIMIZER_CLASSES[config.optimizer]}"
            f"(learning_rate={config.effective_learning_rate})",
        ),
        ("loss", LOSS),
        ("metrics", repr(list(METRICS))),
        ("epochs", str(config.epochs)),
        ("batch_size", str(config.batch_size)),
    ]
    return "\n".join(f"{name + ':':<12}{value}" for name, value in rows)


def images_output(images: np.ndarray) -> str:
    """Listing 2-4's result on the training images: (60000, 784) float32 in [0, 1].

    Computed from the uint8 array without building the 188 MB float copy: reshaping is free,
    and min/max/mean of x / 255 are min/max/mean of x, divided by 255.
    """
    flat = images.reshape(len(images), -1)  # (n, 784), a view
    low, high = np.float32(flat.min()) / np.float32(255), np.float32(flat.max()) / np.float32(255)
    mean = float(flat.mean(dtype="float64") / 255)
    first = flat[0].astype("float32") / 255  # (784,) the only pixels actually converted
    start = int(np.flatnonzero(first)[0])  # the first inked pixel of the first digit
    return repl(
        [
            ("train_images.shape", repr(flat.shape)),
            ("train_images.dtype", "dtype('float32')"),
            ("train_images.min(), train_images.max()", chapter_repr((low, high))),
            ("round(float(train_images.mean()), 4)", repr(round(mean, 4))),
            (
                f"train_images[0][{start}:{start + PIXELS_SHOWN}]",
                chapter_repr(first[start : start + PIXELS_SHOWN]),
            ),
        ]
    )


def one_hot_rows(labels: np.ndarray, count: int = 3) -> np.ndarray:
    """The first count labels one-hot encoded, as keras.utils.to_categorical returns them.

    Keras 3 returns float64 rows (NumPy prints no dtype for those); the training engine feeds
    the same values as float32 (mnist_demo.data.one_hot).
    """
    rows = np.zeros((count, NUM_CLASSES), dtype="float64")  # (count, 10)
    rows[np.arange(count), labels[:count]] = 1.0
    return rows


def labels_output(labels: np.ndarray) -> str:
    """Listing 2-5's result: (60000, 10) one-hot rows; the first label, 5, has its 1 at index 5."""
    return repl(
        [
            ("train_labels.shape", repr((len(labels), NUM_CLASSES))),
            ("train_labels[:3]", chapter_repr(one_hot_rows(labels))),
        ]
    )


def fit_output(log_lines: list[str]) -> str:
    """The fit step's log: the run's Keras-style epoch lines, without the evaluation line."""
    return "\n".join(line for line in log_lines if not line.startswith("test_loss"))


def evaluate_output(test_accuracy: float) -> str:
    """The chapter's print of the test accuracy."""
    return f"test_acc: {test_accuracy:.4f}"


def predict_output(predictions: np.ndarray, confidence: np.ndarray, labels: np.ndarray) -> str:
    """The chapter's look at the first predictions, from the run's test predictions.

    predictions and confidence are the run's (10000,) predicted digits and their probabilities;
    labels the (10000,) true test labels.
    """
    first = int(predictions[0])
    return repl(
        [
            (
                "predictions.argmax(axis=1)",
                chapter_repr(predictions[:PREDICTED_DIGITS].astype("int64")),
            ),
            ("predictions[0].argmax()", str(first)),
            (f"predictions[0][{first}]", chapter_repr(np.float32(confidence[0]))),
            ("test_labels[0].argmax()", str(int(labels[0]))),
        ]
    )
