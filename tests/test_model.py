"""Model building, input shapes, prediction and safe loading."""

import numpy as np
import pytest

from mnist_demo.training.config import OPTIMIZERS, TrainConfig
from mnist_demo.training.model import (
    build_model,
    load_model_file,
    make_optimizer,
    predict_proba,
    to_model_input,
)


def test_dense_model_is_the_chapters():
    model = build_model(TrainConfig())
    assert model.count_params() == 407_050
    assert [layer.units for layer in model.layers] == [512, 10]
    assert type(model.optimizer).__name__ == "RMSprop"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)
    assert model.loss == "categorical_crossentropy"


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_optimizer_name_builds_its_keras_class(name):
    import keras

    expected = {
        "rmsprop": keras.optimizers.RMSprop,
        "adam": keras.optimizers.Adam,
        "sgd": keras.optimizers.SGD,
    }
    optimizer = make_optimizer(TrainConfig(optimizer=name, learning_rate=0.02))
    assert type(optimizer) is expected[name]
    assert float(optimizer.learning_rate) == pytest.approx(0.02)
    default = TrainConfig(optimizer=name)
    assert float(make_optimizer(default).learning_rate) == pytest.approx(
        default.effective_learning_rate
    )


def test_cnn_takes_images_and_predicts_probabilities():
    model = build_model(TrainConfig(architecture="cnn", hidden_units=64, optimizer="adam"))
    images = np.random.default_rng(0).random((3, 28, 28), dtype="float32")
    assert to_model_input(images, model).shape == (3, 28, 28, 1)
    probabilities = predict_proba(model, images)
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_to_model_input_rejects_wrong_shapes():
    model = build_model(TrainConfig(hidden_units=8))
    assert to_model_input(np.zeros((2, 28, 28)), model).shape == (2, 784)
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        to_model_input(np.zeros((2, 784)), model)


def test_fast_settings_change_speed_not_results(tmp_path):
    config = TrainConfig(hidden_units=32, seed=3)
    plain = build_model(config)
    fast = build_model(config, jit_compile=True, steps_per_execution=8)
    assert fast.steps_per_execution == 8
    images = np.random.default_rng(1).random((600, 28, 28), dtype="float32")
    labels = np.eye(10, dtype="float32")[np.arange(600) % 10]
    for model in (plain, fast):
        model.fit(to_model_input(images, model), labels, batch_size=50, shuffle=False, verbose=0)
    np.testing.assert_allclose(
        predict_proba(plain, images[:20]), predict_proba(fast, images[:20]), atol=1e-4
    )

    path = tmp_path / "fast.keras"
    fast.save(path)
    loaded = load_model_file(path)
    np.testing.assert_allclose(
        predict_proba(loaded, images[:20]), predict_proba(fast, images[:20]), atol=1e-6
    )
