"""The walkthrough's listings really produce the values the Home page shows beside them."""

import numpy as np
import pytest

from mnist_demo import data
from mnist_demo.i18n import LANGUAGES, catalogue
from mnist_demo.lessons import walkthrough
from mnist_demo.training.config import TrainConfig


@pytest.fixture(scope="module")
def dataset():
    return data.load_mnist()


@pytest.fixture(scope="module")
def listings_namespace(dataset):
    """Run the chapter's data listings (2-1, 2-4, 2-5) as the Home page shows them.

    Only `mnist.load_data()` is swapped for the offline loader (no internet here); everything
    else is the listing's own code, executed with the real TensorFlow/Keras.
    """
    from tensorflow.keras.datasets import mnist

    original = mnist.load_data
    mnist.load_data = data.load_mnist
    try:
        namespace: dict = {}
        exec(walkthrough.step("load").code, namespace)
        before = {name: namespace[name] for name in ("train_labels", "test_labels")}
        for key in ("images", "labels", "network", "compile"):
            exec(walkthrough.step(key).code, namespace)
    finally:
        mnist.load_data = original
    namespace["raw_labels"] = before
    return namespace


def test_steps_follow_the_chapter():
    assert walkthrough.STEP_KEYS == (
        "load", "look", "network", "compile", "images", "labels", "fit", "evaluate", "predict",
    )  # fmt: skip
    listings = {step.key: step.listing for step in walkthrough.STEPS if step.listing}
    assert listings == {
        "load": "2-1",
        "network": "2-2",
        "compile": "2-3",
        "images": "2-4",
        "labels": "2-5",
    }
    assert "from tensorflow.keras.datasets import mnist" in walkthrough.step("load").code
    assert 'layers.Dense(512, activation="relu")' in walkthrough.step("network").code
    assert "epochs=5, batch_size=128" in walkthrough.step("fit").code
    with pytest.raises(ValueError, match="unknown step 'nope'"):
        walkthrough.step("nope")


@pytest.mark.parametrize("step", walkthrough.STEPS, ids=walkthrough.STEP_KEYS)
def test_every_step_is_valid_python_with_text_and_a_page(step):
    compile(step.code, step.key, "exec")
    assert step.page in ("pages/explore.py", "pages/train.py", "pages/draw.py")
    for lang in LANGUAGES:
        for part in ("title", "text", "link"):
            assert catalogue(lang)[f"home.steps.{step.key}.{part}"].strip()


def test_look_output_is_what_python_prints_for_the_listing(dataset, listings_namespace):
    expected = walkthrough.look_output(dataset)
    assert "array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)" in expected
    assert "array([7, 2, 1, ..., 4, 5, 6], dtype=uint8)" in expected
    (x_train, _), (x_test, _) = dataset
    namespace = {"train_images": x_train, "test_images": x_test, **listings_namespace["raw_labels"]}
    lines = walkthrough.step("look").code.splitlines()
    with np.printoptions(legacy="1.25"):
        session = walkthrough.repl([(line, repr(eval(line, namespace))) for line in lines])
    assert session == expected


def test_load_output_describes_the_loaded_arrays(dataset):
    text = walkthrough.load_output(dataset)
    assert "<class 'numpy.ndarray'>" in text
    assert text.count("(dtype('uint8'), dtype('uint8'))") == 2


def test_images_output_matches_listing_2_4(dataset, listings_namespace):
    train_images = listings_namespace["train_images"]  # (60000, 784) float32, from the listing
    assert train_images.shape == (60000, 784) and train_images.dtype == np.float32
    text = walkthrough.images_output(dataset[0][0])
    assert ">>> train_images.shape\n(60000, 784)" in text
    assert f"({train_images.min()}, {train_images.max()})" == "(0.0, 1.0)"
    assert f"\n{round(float(train_images.mean()), 4)}\n" in text  # 0.1307
    start = int(np.flatnonzero(train_images[0])[0])
    pixels = train_images[0][start : start + walkthrough.PIXELS_SHOWN]
    assert walkthrough.chapter_repr(pixels) in text


def test_labels_output_matches_listing_2_5(dataset, listings_namespace):
    train_labels = listings_namespace["train_labels"]  # (60000, 10) from to_categorical
    text = walkthrough.labels_output(dataset[0][1])
    assert f">>> train_labels.shape\n{train_labels.shape}" in text
    assert walkthrough.chapter_repr(train_labels[:3]) in text
    rows = walkthrough.one_hot_rows(dataset[0][1])
    assert rows.dtype == train_labels.dtype
    np.testing.assert_array_equal(rows, train_labels[:3])
    np.testing.assert_array_equal(rows, data.one_hot(dataset[0][1][:3]))  # what the engine feeds


def test_model_summary_is_the_one_keras_prints(listings_namespace):
    model = listings_namespace["model"]  # built by listing 2-2 and compiled by listing 2-3
    model.build((None, 28 * 28))
    lines: list[str] = []
    model.summary(print_fn=lambda text, line_break=None: lines.append(text))
    printed = "\n".join(lines).rstrip("\n")
    # Keras numbers layer names per process (dense_2, ...); the chapter's fresh session has these.
    names = [layer.name for layer in model.layers]
    printed = printed.replace(f"{names[0]} (Dense)", "dense (Dense)".ljust(len(names[0]) + 8))
    printed = printed.replace(f"{names[1]} (Dense)", "dense_1 (Dense)".ljust(len(names[1]) + 8))
    printed = printed.replace(f'Model: "{model.name}"', 'Model: "sequential"')
    assert walkthrough.model_summary() == printed
    assert model.count_params() == 407_050 == sum(walkthrough.dense_param_counts())


def test_listing_2_3_is_how_the_app_compiles(listings_namespace):
    from mnist_demo.training.model import build_model

    app_model = build_model(TrainConfig())
    assert app_model.loss == walkthrough.LOSS == listings_namespace["model"].loss
    assert app_model.count_params() == 407_050
    settings = walkthrough.compile_settings()
    optimizer = type(app_model.optimizer).__name__
    learning_rate = float(app_model.optimizer.learning_rate)
    assert f"{optimizer}(learning_rate={round(learning_rate, 6)})" in settings
    assert f"loss:       {app_model.loss}" in settings
    assert "epochs:     5" in settings and "batch_size: 128" in settings


def test_summary_follows_hidden_units():
    assert walkthrough.dense_param_counts(64) == (784 * 64 + 64, 64 * 10 + 10)
    assert "(None, 64)" in walkthrough.model_summary(64)
    assert " Total params: 50,890 (198.79 KB)" in walkthrough.model_summary(64)
    with pytest.raises(ValueError):
        walkthrough.dense_param_counts(0)


def test_fit_output_keeps_the_epoch_lines_only():
    lines = [
        "Epoch 1/5",
        "469/469 - 3s - loss: 0.2556 - accuracy: 0.9265",
        "test_loss: 0.0700 - test_acc: 0.9790",
    ]
    assert walkthrough.fit_output(lines) == "\n".join(lines[:2])


def test_evaluate_and_predict_outputs(dataset):
    assert walkthrough.evaluate_output(0.97912) == "test_acc: 0.9791"
    y_test = dataset[1][1]
    predictions = y_test.copy()
    predictions[1] = 3  # one mistake among the first ten
    confidence = np.full(len(y_test), 0.5, dtype="float32")
    confidence[0] = 0.99998
    text = walkthrough.predict_output(predictions, confidence, y_test)
    assert "array([7, 3, 1, 0, 4, 1, 4, 9, 5, 9])" in text
    assert ">>> predictions[0][7]\n0.99998\n" in text
    assert text.endswith(">>> test_labels[0].argmax()\n7")
