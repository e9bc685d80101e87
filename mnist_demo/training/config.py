"""The training configuration: one frozen dataclass whose defaults are the chapter's network."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ARCHITECTURES = ("dense", "cnn")
# The Keras class (keras.optimizers.<class>) each optimizer name stands for; rmsprop is the
# chapter's.
OPTIMIZER_CLASSES = {"rmsprop": "RMSprop", "adam": "Adam", "sgd": "SGD"}
OPTIMIZERS = tuple(OPTIMIZER_CLASSES)
# Powers of two from 16 to 2048, the batch-size slider's steps; 128 is the chapter's.
BATCH_SIZES = (16, 32, 64, 128, 256, 512, 1024, 2048)
# Keras' own default learning rate for each optimizer, used when learning_rate is None.
DEFAULT_LEARNING_RATES = {"rmsprop": 0.001, "adam": 0.001, "sgd": 0.01}
MNIST_TRAIN_SIZE = 60_000

MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one run; the defaults reproduce Deep Learning with Python §2.1."""

    epochs: int = 5  # the chapter trains for 5 epochs (test accuracy ≈ 0.979)
    batch_size: int = 128  # the chapter's batch size
    hidden_units: int = 512  # Dense(512, relu): 407,050 parameters with the Dense(10) output
    optimizer: str = "rmsprop"  # the chapter compiles with optimizer="rmsprop"
    learning_rate: float | None = None  # None: the optimizer's Keras default (see above)
    validation_split: float = 0.0  # the chapter holds out nothing; >0 adds validation curves
    train_size: int = MNIST_TRAIN_SIZE  # fewer samples make quick classroom demos
    architecture: str = "dense"  # "dense" is the chapter's network; "cnn" a small convnet
    seed: int = 42  # fixes weight init and shuffling so a demo can be repeated
    include_corrections: bool = False  # add the digits users corrected on the Draw page

    def __post_init__(self) -> None:
        _check_range("epochs", self.epochs, 1, 30)
        if self.batch_size not in BATCH_SIZES:
            raise ValueError(f"batch_size must be one of {BATCH_SIZES}, got {self.batch_size}")
        _check_range("hidden_units", self.hidden_units, 1, 4096)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.learning_rate is not None and not 0 < self.learning_rate <= 1:
            raise ValueError(f"learning_rate must be in (0, 1], got {self.learning_rate}")
        if not 0 <= self.validation_split < 0.5:
            raise ValueError(f"validation_split must be in [0, 0.5), got {self.validation_split}")
        _check_range("train_size", self.train_size, 100, MNIST_TRAIN_SIZE)
        # Keras seeds its generators with a non-negative 32-bit integer (the page's range).
        _check_range("seed", self.seed, 0, MAX_SEED)
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {ARCHITECTURES}, got {self.architecture!r}"
            )
        training_samples = int(self.train_size * (1 - self.validation_split))
        if training_samples < self.batch_size:
            # Keras would train on one partial batch, but then the batch size means nothing:
            # say so instead of letting a demo silently ignore the slider.
            raise BatchTooLargeError(training_samples, self.batch_size, self.validation_split)

    @property
    def effective_learning_rate(self) -> float:
        """The learning rate actually used: the explicit one or the optimizer's Keras default."""
        return self.learning_rate or DEFAULT_LEARNING_RATES[self.optimizer]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Rebuild a config from to_dict() output, ignoring keys this version does not know."""
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        return cls(**known)


class BatchTooLargeError(ValueError):
    """The training samples left after the validation split do not fill one batch (the one
    invalid combination the Train page's widgets can make; the page words it in its language)."""

    def __init__(self, training_samples: int, batch_size: int, validation_split: float) -> None:
        self.training_samples = training_samples
        self.batch_size = batch_size
        self.validation_split = validation_split
        held_out = f" after holding out {validation_split:.0%}" if validation_split else ""
        super().__init__(
            f"{training_samples} training samples{held_out} do not fill one batch of "
            f"{batch_size}: choose a smaller batch or more samples."
        )


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")
