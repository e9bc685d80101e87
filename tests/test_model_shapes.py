"""A loaded model's input and output shapes are checked (issue 14, item 6): a valid .keras file
with another input shape crashed the Draw page ("cannot reshape array of size 784 into shape
(1,10)"); now it gets the page's "could not be loaded, using the default model" message."""

import shutil
from pathlib import Path

import keras
import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo.i18n import translate
from mnist_demo.storage import store
from mnist_demo.training import model

ROOT = Path(__file__).resolve().parents[1]


def save(network: keras.Model, path: Path) -> Path:
    network.save(path)
    return path


def other_models():
    return {
        "input 10": keras.Sequential([keras.Input((10,)), keras.layers.Dense(10)]),
        "input 32x32x3": keras.Sequential(
            [keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10)]
        ),
        "output 3": keras.Sequential([keras.Input((784,)), keras.layers.Dense(3)]),
    }


@pytest.mark.parametrize("name", ["input 10", "input 32x32x3", "output 3"])
def test_a_model_of_another_shape_is_refused(tmp_path, name):
    path = save(other_models()[name], tmp_path / "other.keras")
    with pytest.raises(ValueError, match="shape"):
        model.load_model_file(path)


def test_the_apps_own_models_pass(tmp_path):
    assert model.load_model_file(model.DEFAULT_MODEL_PATH) is not None
    dense = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
    assert model.load_model_file(save(dense, tmp_path / "dense.keras")) is not None


def test_draw_says_the_model_could_not_be_loaded(data_home):
    """The Draw page with a stored run whose file is a model of another shape."""
    models = data_home / "models"
    models.mkdir()
    path = save(other_models()["input 10"], models / "wrong.keras")
    store.create_run("wrong", {"architecture": "dense", "epochs": 1}, status="completed")
    store.update_run("wrong", model_path=str(path), test_accuracy=0.5)
    at = AppTest.from_file(str(ROOT / "pages" / "draw.py"), default_timeout=120)
    at.run()
    at.selectbox(key="draw_model").set_value("wrong").run()
    assert not at.exception, at.exception
    expected = translate("draw.model.load_error", "en", error="ValueError")
    assert expected in [warning.value for warning in at.warning]
    shutil.rmtree(models)
