"""The Train page's settings: widget choices, their URL round trip and the Keras code they mean."""

from __future__ import annotations

from dataclasses import fields

from mnist_demo.i18n import DEFAULT_LANGUAGE, translate
from mnist_demo.training.config import (
    BATCH_SIZES,
    DEFAULT_LEARNING_RATES,
    OPTIMIZER_CLASSES,
    BatchTooLargeError,
    TrainConfig,
)
from mnist_demo.training.model import network_layers

# Choices of the select sliders. A value from a shared link that is valid for TrainConfig but not
# listed here is added to the choices (see choices()), so every valid link reproduces exactly.
CHOICES: dict[str, tuple] = {
    "batch_size": BATCH_SIZES,
    "hidden_units": (16, 32, 64, 128, 256, 512, 1024, 2048),
    # None means "the optimizer's Keras default" (TrainConfig.learning_rate = None).
    "learning_rate": (None, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
    "validation_split": (0.0, 0.1, 0.2, 0.3, 0.4),
    "train_size": (256, 512, 1024, 2048, 5000, 10_000, 20_000, 30_000, 60_000),
}
# The settings a link carries; include_corrections is left out: corrections are local data.
URL_FIELDS = (
    "epochs",
    "batch_size",
    "hidden_units",
    "optimizer",
    "learning_rate",
    "validation_split",
    "train_size",
    "architecture",
    "seed",
)
# The seed box's range (numpy and Keras take seeds in [0, 2**32); the box stops at 2**31 - 1): a
# link's seed outside it is refused and said, not clamped silently by the box.
SEED_RANGE = (0, 2**31 - 1)
_DEFAULTS = TrainConfig()
_TYPES = {field.name: field.type for field in fields(TrainConfig)}


def defaults() -> dict:
    """Every setting's default value, taken from TrainConfig()."""
    return _DEFAULTS.to_dict()


def choices(name: str, current=None) -> list:
    """The select slider's choices for a setting, with `current` added in order if missing."""
    options = list(CHOICES[name])
    if current not in options:
        numbers = sorted(value for value in [*options, current] if value is not None)
        options = ([None] if None in options else []) + numbers
    return options


def from_query(params: dict[str, str]) -> dict:
    """The settings a link asks for: each value that parses and that TrainConfig accepts on its
    own (with the other defaults); anything else is ignored so a bad link still opens the page."""
    settings = {}
    for name in URL_FIELDS:
        raw = params.get(name)
        if raw is None:
            continue
        try:
            value = _parse(name, raw)
            TrainConfig(**{name: value})
            if name == "seed" and not SEED_RANGE[0] <= value <= SEED_RANGE[1]:
                raise ValueError(f"seed must be from {SEED_RANGE[0]} to {SEED_RANGE[1]}")
        except ValueError:
            continue
        settings[name] = value
    return settings


def refused_query(params: dict[str, str]) -> dict[str, str]:
    """The settings a link asks for that from_query ignores (name -> the link's text), so the
    page can say so: ?seed=-1 silently became the default seed."""
    accepted = from_query(params)
    return {
        name: str(params[name])
        for name in URL_FIELDS
        if params.get(name) is not None and name not in accepted
    }


def _parse(name: str, raw: str):
    kind = _TYPES[name]
    if name == "learning_rate":
        return None if raw in ("", "default", "None") else float(raw)
    if kind in ("int", int):
        return int(raw)
    if kind in ("float", float):
        return float(raw)
    return raw


def to_query(settings: dict) -> dict[str, str]:
    """The query parameters for the settings that differ from the defaults (short links)."""
    default = defaults()
    return {
        name: _format(settings[name])
        for name in URL_FIELDS
        if name in settings and settings[name] != default[name]
    }


def _format(value) -> str:
    if value is None:
        return "default"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def keras_code(config: TrainConfig, corrections: int = 0) -> str:
    """The chapter's listings 2-2 and 2-3 plus the fit call, rewritten for this config.

    corrections is the number of Draw-page corrections a run with include_corrections adds: the
    engine (training.training_data) appends them to the MNIST images it trains on, after holding
    out the validation part, and the code says so with the count. The convnet's images are
    reshaped to (n, 28, 28, 1) first, as the engine does.
    """
    layers = network_layers(config.architecture, config.hidden_units)
    if config.architecture == "dense":
        layers = layers[1:]  # listing 2-2 leaves the input size to the first call, as shown here
    if config.learning_rate is None:
        optimizer = f'"{config.optimizer}"'
    else:
        name = OPTIMIZER_CLASSES[config.optimizer]
        optimizer = f"keras.optimizers.{name}(learning_rate={config.learning_rate:g})"
    size = config.train_size
    corrections = corrections if config.include_corrections else 0
    prepare: list[str] = []
    extra: list[str] = []
    if corrections:
        # The engine holds out the validation part of the MNIST images, then adds the corrections.
        kept = int(size * (1 - config.validation_split)) if config.validation_split else size
        prepare = [
            f"images = np.concatenate([{_head('train_images', kept)}, corrected_images])",
            f"labels = np.concatenate([{_head('train_labels', kept)}, corrected_labels])",
            f"# {kept:,} MNIST images + {corrections:,} corrections = {kept + corrections:,}",
        ]
        images, labels = "images", "labels"
        if config.validation_split:
            held_out = f"train_images[{kept}:{size}]"
            if config.architecture == "cnn":
                held_out += ".reshape((-1, 28, 28, 1))"
            extra.append(f"validation_data=({held_out}, train_labels[{kept}:{size}])")
    else:
        images, labels = _head("train_images", size), _head("train_labels", size)
        if config.validation_split:
            extra.append(f"validation_split={config.validation_split:g}")
    if config.architecture == "cnn":
        if images == "images":
            prepare.append("images = images.reshape((-1, 28, 28, 1))  # Conv2D takes 28x28x1")
        else:
            prepare.append(f"images = {images}.reshape((-1, 28, 28, 1))  # Conv2D takes 28x28x1")
            images = "images"
    fit_args = [images, labels, f"epochs={config.epochs}", f"batch_size={config.batch_size}"]
    return "\n".join(
        [
            "model = keras.Sequential([",
            *(f"    {layer.code()}," for layer in layers),
            "])",
            "model.compile(optimizer=" + optimizer + ",",
            '              loss="categorical_crossentropy",',
            '              metrics=["accuracy"])',
            *prepare,
            "model.fit(" + ", ".join(fit_args + extra) + ")",
        ]
    )


def _head(name: str, count: int) -> str:
    """name, or its first count rows when that is fewer than all of MNIST's training set."""
    return f"{name}[:{count}]" if count < _DEFAULTS.train_size else name


def effective_learning_rate(optimizer: str) -> float:
    """The Keras default learning rate of an optimizer (shown for the "default" choice)."""
    return DEFAULT_LEARNING_RATES[optimizer]


def make_config(
    values: dict, lang: str = DEFAULT_LANGUAGE
) -> tuple[TrainConfig | None, str | None]:
    """The TrainConfig of the page's settings, or None and why it cannot be trained (in lang)."""
    try:
        return TrainConfig(**values), None
    except BatchTooLargeError as error:
        key = "train.settings.batch_too_large" + ("_split" if error.validation_split else "")
        return None, translate(
            key,
            lang,
            samples=f"{error.training_samples:,}",
            batch_size=error.batch_size,
            split=f"{error.validation_split:.0%}",
        )
    except ValueError as error:  # not reachable from the widgets; a bug if shown
        return None, str(error)
