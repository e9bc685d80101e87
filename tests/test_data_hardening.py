"""Bad MNIST files (issue 14, item 11): an all-zero "MNIST" fails validation, a .npy is named as
one, and a MNIST_DEMO_DATA file that cannot be used is said on the page, not only in the log."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo import data, ui
from mnist_demo.i18n import translate

ROOT = Path(__file__).resolve().parents[1]


def zeros_like_mnist() -> data.Dataset:
    return (
        (np.zeros((60000, 28, 28), np.uint8), np.zeros(60000, np.uint8)),
        (np.zeros((10000, 28, 28), np.uint8), np.zeros(10000, np.uint8)),
    )


def test_an_all_zero_mnist_fails_validation():
    with pytest.raises(ValueError, match="all ten digits"):
        data.validate(zeros_like_mnist())
    (x_train, _), (x_test, _) = zeros_like_mnist()
    labels = np.arange(60000, dtype=np.uint8) % 10
    test_labels = np.arange(10000, dtype=np.uint8) % 10
    with pytest.raises(ValueError, match="all zeros"):
        data.validate(((x_train, labels), (x_test, test_labels)))


def test_the_real_mnist_still_passes():
    data.validate(data.load_pureml())


def test_a_npy_file_is_named_as_one(tmp_path):
    path = tmp_path / "mnist.npy"
    np.save(path, np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"single array of shape \(3, 28, 28\), not an .npz"):
        data.load_npz(path)


def test_an_npz_without_the_four_arrays_is_named(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, images=np.zeros(3))
    with pytest.raises(ValueError, match="has no x_train, y_train, x_test, y_test"):
        data.load_npz(path)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_an_unusable_data_file_is_said_on_the_page(tmp_path, monkeypatch, lang):
    path = tmp_path / "mnist.npy"
    np.save(path, np.zeros((3, 28, 28), np.uint8))
    monkeypatch.setenv(data.ENV_VAR, str(path))
    ui._mnist_loaded.clear()  # this process may hold MNIST from the packaged copy already
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["lang"] = lang
        at.run()
        assert not at.exception, at.exception
        warnings = [warning.value for warning in at.warning]
        start = translate("data.file_unusable", lang, path=f"`{path}`", reason="@").split("@")[0]
        assert any(text.startswith(start) and "single array" in text for text in warnings), warnings
    finally:
        ui._mnist_loaded.clear()
