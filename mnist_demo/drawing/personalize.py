"""Teach a model one person's handwriting: fine-tune a copy on a few of their drawings.

A model trained on MNIST (digits written by American census staff and students, scanned) has
seen few 1s with a long flag, 7s with a crossbar or 9s with a curled tail, so it reads some
European digits as other ones. A few drawings of each digit from the person at the canvas,
mixed with MNIST digits so nothing else is forgotten, move it to their way of writing in seconds.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np

from mnist_demo import data
from mnist_demo.data import NUM_CLASSES
from mnist_demo.drawing import preprocess
from mnist_demo.training.model import predict_proba, to_model_input


@dataclass(frozen=True)
class AdaptSettings:
    """How a copy of the model is fine-tuned on a user's drawings (chosen on pendigits writers
    1-30 with benchmarks/personalize.py --split train)."""

    copies: int = 8  # each drawing is seen as this many slightly changed copies per epoch
    # MNIST digits mixed in per drawing copy: the model keeps MNIST. Half as many for 6 epochs
    # instead of as many for 4 (about the same number of steps): on writers 21-30, adapting a
    # model pen-trained on 1-20 only, mean 99.59 % against 99.49 % over seeds 0-2 (99.58 %
    # against 99.47 % from the 2-epoch pen stage). No better there: 6 epochs alone (99.47 %),
    # 8 epochs with replay 0.5 (99.53 %), 6 with a learning rate of 2e-4 (99.53 %) or with
    # replay 0.25 (99.44 %), 12 copies (99.55 %, seed 0 only), 5e-4 / 1e-3 (99.36 / 99.18 %).
    replay: float = 0.5
    epochs: int = 6
    batch_size: int = 32  # small: there are only a few hundred images
    learning_rate: float = 3e-4  # Adam; higher forgets MNIST, lower learns too little in time
    max_rotation_degrees: float = 10.0  # the copies: a tilt, ...
    max_shift: float = 1.5  # ... a shift in pixels ...
    max_scale_change: float = 0.1  # ... and a size change, all small enough to stay MNIST-like
    seed: int = 0

    def __post_init__(self) -> None:
        if self.copies < 1 or self.epochs < 1 or self.batch_size < 1:
            raise ValueError("copies, epochs and batch_size must be >= 1")
        if self.replay < 0 or not 0 < self.learning_rate <= 1:
            raise ValueError("replay must be >= 0 and learning_rate in (0, 1]")


def check_drawings(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate (n, 28, 28) images in [0, 1] and (n,) labels 0-9; returns them as float32/int64."""
    images = np.asarray(images, dtype=np.float32)
    labels = np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"images must have shape (n, 28, 28), got {images.shape}")
    if len(images) == 0:
        raise ValueError("adapting needs at least one drawing")
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},), got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() > 9:
        raise ValueError("labels must be integers from 0 to 9")
    if not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
        raise ValueError("images must hold values in [0, 1] (as canvas_to_mnist returns them)")
    return images, labels.astype(np.int64)


def adapt(model, images: np.ndarray, labels: np.ndarray, settings: AdaptSettings | None = None):
    """A copy of `model` fine-tuned on the drawings (plus MNIST replay); `model` is unchanged.

    images: (n, 28, 28) float32 in [0, 1] as canvas_to_mnist returns them; labels: (n,) ints.
    Batch normalisation keeps the statistics it learned on tens of thousands of digits: a few
    dozen drawings would only make them noisy."""
    import keras

    settings = settings or AdaptSettings()
    images, labels = check_drawings(images, labels)
    rng = np.random.default_rng(settings.seed)
    drawn = np.stack(
        [jitter(image, rng, settings) for image in images for _ in range(settings.copies)]
    )
    drawn_labels = np.repeat(labels, settings.copies)
    # Every epoch is whole batches: a last, smaller batch would make TensorFlow trace the
    # training step again for its shape, which costs more than the whole adaptation.
    total = -(-int(len(drawn) * (1 + settings.replay)) // settings.batch_size) * settings.batch_size
    (train_images, train_labels), _ = data.load_mnist()
    trainer = _trainer(model, settings)
    with trainer.lock:
        trainer.start_from(model, settings.seed)
        for _ in range(settings.epochs):
            replayed = rng.choice(len(train_images), total - len(drawn), replace=False)
            epoch_images = np.concatenate([drawn, train_images[replayed].astype(np.float32) / 255])
            epoch_labels = np.concatenate([drawn_labels, train_labels[replayed].astype(np.int64)])
            order = rng.permutation(total)
            trainer.network.fit(
                to_model_input(epoch_images[order], trainer.network),
                epoch_labels[order],
                batch_size=settings.batch_size,
                epochs=1,
                shuffle=False,
                verbose=0,
            )
        adapted = keras.models.clone_model(model)
        adapted.set_weights(trainer.network.get_weights())
    return adapted


class _Trainer:
    """One compiled network per model architecture, reused by every adaptation: Keras traces a
    new model's training step the first time it trains, which takes longer than the
    adaptation itself (tens of seconds on a loaded machine), so that happens once per process."""

    def __init__(self, model, settings: AdaptSettings) -> None:
        import keras

        self.lock = threading.Lock()
        self.network = keras.models.clone_model(model)
        for layer in self.network.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
        self.network.compile(
            optimizer=keras.optimizers.Adam(settings.learning_rate),
            loss="sparse_categorical_crossentropy",
            jit_compile=False,  # XLA's compile costs more than these few steps take
        )
        optimizer = self.network.optimizer
        optimizer.build(self.network.trainable_variables)
        # The optimizer's state before any step, restored for every adaptation.
        self.fresh_state = [(v, v.numpy()) for v in optimizer.variables]
        self.seed_states = [v for v in self.network.variables if "seed_generator" in v.path]

    def start_from(self, model, seed: int) -> None:
        """The model's weights, a fresh optimizer, and dropout masks drawn from `seed`: the same
        drawings and seed give the same model, in this process or any other."""
        self.network.set_weights(model.get_weights())
        for variable, value in self.fresh_state:
            variable.assign(value)
        # Keras seeds each dropout layer from Python's global random numbers when the layer is
        # made, so a snapshot of that state differs from one process to the next.
        for index, variable in enumerate(self.seed_states):
            variable.assign(np.array([seed * len(self.seed_states) + index + 1, 0], variable.dtype))


_TRAINERS: dict[tuple[str, AdaptSettings], _Trainer] = {}
_TRAINERS_LOCK = threading.Lock()
MAX_TRAINERS = 4  # architectures kept compiled (the default, MNIST-only and a few Train runs)


def _trainer(model, settings: AdaptSettings) -> _Trainer:
    key = (model.to_json(), replace(settings, seed=0))
    with _TRAINERS_LOCK:
        trainer = _TRAINERS.pop(key, None) or _Trainer(model, settings)
        _TRAINERS[key] = trainer  # most recently used last
        while len(_TRAINERS) > MAX_TRAINERS:
            del _TRAINERS[next(iter(_TRAINERS))]
    return trainer


def jitter(image: np.ndarray, rng: np.random.Generator, settings: AdaptSettings) -> np.ndarray:
    """One drawing slightly tilted, resized and shifted about the field's centre (bilinear): the
    same digit as the same hand might draw it again. (28, 28) -> (28, 28)."""
    from PIL import Image

    angle = np.deg2rad(rng.uniform(-1, 1) * settings.max_rotation_degrees)
    scale = 1 + rng.uniform(-1, 1) * settings.max_scale_change
    shift = rng.uniform(-1, 1, 2) * settings.max_shift
    # PIL maps each output pixel back to its source: the inverse of rotate-scale-shift.
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    centre = preprocess.FIELD_SIZE / 2
    source = np.array([centre, centre]) - np.array([[cos, sin], [-sin, cos]]) @ (centre + shift)
    coefficients = (cos, sin, source[0], -sin, cos, source[1])
    picture = Image.fromarray(image, mode="F").transform(
        image.shape[::-1], Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR
    )
    return np.clip(np.asarray(picture, dtype=np.float32), 0, 1)


@dataclass(frozen=True)
class Comparison:
    """How two models do on the same labelled drawings."""

    count: int
    before: float  # accuracy of the model before adapting
    after: float  # accuracy of the adapted model


def compare(before, after, images: np.ndarray, labels: np.ndarray) -> Comparison:
    """Accuracy of both models on the same drawings (n, 28, 28) with labels (n,)."""
    images, labels = check_drawings(images, labels)
    return Comparison(
        count=len(labels),
        before=float(np.mean(predict_proba(before, images).argmax(axis=1) == labels)),
        after=float(np.mean(predict_proba(after, images).argmax(axis=1) == labels)),
    )


# The Draw page's guided mode ----------------------------------------------------------------

DEFAULT_PER_DIGIT = 3  # three of each digit: enough to adapt in seconds, quick to draw


@dataclass
class Lesson:
    """The guided mode's progress: the digits to ask for, in order, and the drawings collected
    so far (mutable: it lives in one browser session and changes with every drawing)."""

    prompts: list[int]
    position: int = 0
    images: list[np.ndarray] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    skipped: int = 0

    @classmethod
    def start(cls, per_digit: int = DEFAULT_PER_DIGIT) -> Lesson:
        """Each digit 0-9 asked for `per_digit` times, in rounds (0 to 9, then again)."""
        if not 1 <= per_digit <= 10:
            raise ValueError(f"per_digit must be from 1 to 10, got {per_digit}")
        return cls(prompts=[digit for _ in range(per_digit) for digit in range(NUM_CLASSES)])

    @property
    def digit(self) -> int | None:
        """The digit to draw now, or None when every prompt was drawn or skipped."""
        return self.prompts[self.position] if self.position < len(self.prompts) else None

    @property
    def done(self) -> bool:
        return self.digit is None

    def record(self, image: np.ndarray) -> None:
        """The drawing (28, 28) for the current prompt; moves on to the next."""
        if self.done:
            raise ValueError("every prompt is already answered")
        check_drawings(image[None], np.array([self.prompts[self.position]]))
        self.images.append(np.asarray(image, dtype=np.float32))
        self.labels.append(self.prompts[self.position])
        self.position += 1

    def skip(self) -> None:
        if not self.done:
            self.skipped += 1
            self.position += 1

    def drawings(self) -> tuple[np.ndarray, np.ndarray]:
        """The collected drawings: ((n, 28, 28) float32, (n,) int64)."""
        images = np.stack(self.images) if self.images else np.zeros((0, 28, 28), np.float32)
        return images, np.array(self.labels, dtype=np.int64)


@dataclass
class Check:
    """Drawings made after adapting, each read by the model before and after: the page's
    before/after accuracy on digits the adaptation never saw."""

    prompts: list[int] = field(default_factory=lambda: list(range(NUM_CLASSES)))
    labels: list[int] = field(default_factory=list)
    before: list[int] = field(default_factory=list)  # the models' answers
    after: list[int] = field(default_factory=list)

    @property
    def digit(self) -> int | None:
        count = len(self.labels)
        return self.prompts[count] if count < len(self.prompts) else None

    def record(self, image: np.ndarray, before_model, after_model) -> None:
        digit = self.digit
        if digit is None:
            raise ValueError("every check digit is already drawn")
        check_drawings(image[None], np.array([digit]))
        self.labels.append(digit)
        self.before.append(int(predict_proba(before_model, image[None])[0].argmax()))
        self.after.append(int(predict_proba(after_model, image[None])[0].argmax()))

    def accuracy(self) -> tuple[float, float] | None:
        """(before, after) accuracy on the drawings so far; None before the first."""
        if not self.labels:
            return None
        labels = np.array(self.labels)
        return float(np.mean(np.array(self.before) == labels)), float(
            np.mean(np.array(self.after) == labels)
        )


def save_as_run(adapted, base_name: str, drawings: int) -> str:
    """Store the adapted model as a completed run (it then appears among the Draw page's models
    and in the Train page's runs); its MNIST test accuracy is measured first. Returns the id."""
    import uuid

    from mnist_demo.storage import store

    (_, _), (test_images, test_labels) = data.load_mnist()
    predicted = predict_proba(adapted, test_images.astype(np.float32) / 255).argmax(axis=1)
    run_id = f"adapted-{uuid.uuid4().hex[:12]}"
    config = {
        "architecture": "adapted",
        "adapted_from": base_name,
        "drawings": drawings,
        "epochs": AdaptSettings().epochs,
        "batch_size": AdaptSettings().batch_size,
        "optimizer": "adam",
    }
    store.create_run(run_id, config, status="running")
    path = store.models_dir() / f"{run_id}.keras"
    with store.atomic_path(path) as temporary:
        adapted.save(temporary)
    store.update_run(
        run_id,
        status="completed",
        model_path=str(path),
        test_accuracy=float(np.mean(predicted == test_labels)),
        finished_at=time.time(),
    )
    return run_id
