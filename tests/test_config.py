"""TrainConfig: the chapter's defaults and helpful errors for bad values."""

import dataclasses

import pytest

from mnist_demo.training.config import BATCH_SIZES, TrainConfig


def test_defaults_are_the_chapters():
    config = TrainConfig()
    assert (config.epochs, config.batch_size, config.hidden_units) == (5, 128, 512)
    assert (config.optimizer, config.effective_learning_rate) == ("rmsprop", 0.001)
    assert (config.validation_split, config.train_size, config.architecture) == (0, 60000, "dense")
    assert 128 in BATCH_SIZES and BATCH_SIZES[0] == 16 and BATCH_SIZES[-1] == 2048


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainConfig().epochs = 3


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"epochs": 0}, "epochs must be an integer from 1 to 30"),
        ({"epochs": 31}, "epochs"),
        ({"epochs": 2.5}, "epochs"),
        ({"batch_size": 100}, "batch_size must be one of"),
        ({"hidden_units": 0}, "hidden_units"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": 2.0}, "learning_rate"),
        ({"validation_split": 0.5}, "validation_split"),
        ({"validation_split": -0.1}, "validation_split"),
        ({"train_size": 99}, "train_size"),
        ({"train_size": 60001}, "train_size"),
        ({"architecture": "rnn"}, "architecture"),
        ({"train_size": 1000, "batch_size": 2048}, "do not fill one batch of 2048"),
        ({"train_size": 300, "validation_split": 0.4, "batch_size": 256}, "one batch of 256"),
    ],
)
def test_invalid_values_are_explained(values, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**values)


def test_dict_round_trip_ignores_unknown_keys():
    config = TrainConfig(epochs=3, optimizer="adam", learning_rate=0.01, architecture="cnn")
    values = config.to_dict() | {"a_future_field": 1}
    assert TrainConfig.from_dict(values) == config
    assert config.effective_learning_rate == 0.01
    assert TrainConfig(optimizer="sgd").effective_learning_rate == 0.01
