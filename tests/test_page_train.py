"""The Train page headless (AppTest): settings, shared links, a real short run, stop, history."""

import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo import store

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "train.py")
# The first run imports TensorFlow and builds the model summary: slow on a busy 2-core machine.
TIMEOUT = 120


def open_page(lang: str = "en", query: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["lang"] = lang
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r} among {[m.label for m in at.metric]}"
    return values[0]


def run_until(at: AppTest, done, timeout: float = 120) -> None:
    """AppTest has no timer, so the live fragment never ticks: rerun the page to poll."""
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "the run did not finish in time"
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception


def test_defaults_are_the_chapters_network():
    at = open_page()
    assert at.slider(key="train_epochs").value == 5
    assert at.select_slider(key="train_batch_size").value == 128
    assert at.select_slider(key="train_hidden_units").value == 512
    assert at.radio(key="train_optimizer").value == "rmsprop"
    assert at.select_slider(key="train_validation_split").value == 0.0
    assert metric(at, "Parameters") == "407,050"
    assert any("layers.Dense(512" in code.value for code in at.code)
    assert not at.button(key="train_start").disabled
    assert at.button(key="train_stop").disabled
    assert "epochs" not in at.query_params  # defaults keep the link short


def test_a_shared_link_sets_the_widgets_and_changes_write_the_link():
    link = {"epochs": "3", "architecture": "cnn", "batch_size": "64", "seed": "abc", "lang": "ko"}
    at = open_page(query=link)
    assert at.slider(key="train_epochs").value == 3
    assert at.radio(key="train_architecture").value == "cnn"
    assert at.select_slider(key="train_batch_size").value == 64
    assert at.number_input(key="train_seed").value == 42  # a bad value is ignored
    # The CNN: 320 + 18,496 (conv) + 819,712 (Dense 512 on 1,600 features) + 5,130 (output).
    assert metric(at, "Parameters") == "843,658"
    at.slider(key="train_epochs").set_value(7).run()
    assert at.query_params["epochs"] == "7"
    assert at.query_params["architecture"] == "cnn"
    assert at.query_params["lang"] == "ko"  # the language parameter is left alone


@pytest.mark.parametrize(
    ("lang", "words"), [("en", "do not fill one batch of 2048"), ("ko", "배치 하나(2048개)")]
)
def test_impossible_settings_are_explained_in_the_pages_language_and_cannot_start(lang, words):
    at = open_page(lang)
    at.select_slider(key="train_train_size").set_value(256)
    at.select_slider(key="train_batch_size").set_value(2048).run()
    assert at.error and words in at.error[0].value and "256" in at.error[0].value
    assert at.button(key="train_start").disabled


def test_the_validation_split_is_named_when_it_empties_the_batch():
    at = open_page("ko")
    at.select_slider(key="train_train_size").set_value(1024)
    at.select_slider(key="train_validation_split").set_value(0.4)
    at.select_slider(key="train_batch_size").set_value(1024).run()
    assert "40%" in at.error[0].value and "614개" in at.error[0].value
    assert "training" not in at.error[0].value  # no English left in the Korean page


@pytest.mark.slow
def test_train_one_epoch_then_results_and_stored_run():
    at = open_page()
    at.slider(key="train_epochs").set_value(1)
    at.select_slider(key="train_train_size").set_value(1024).run()
    at.button(key="train_start").click().run()
    run_id = at.session_state["train_run_id"]
    run_until(at, lambda at: any(m.label == "Test accuracy" for m in at.metric))
    accuracy = float(metric(at, "Test accuracy"))
    assert 0.5 < accuracy <= 1.0  # 1,024 images, one epoch: about 0.8
    assert any("Epoch 1/1" in code.value for code in at.code)
    assert any(f"test_acc: {accuracy:.4f}" in code.value for code in at.code)
    assert not at.button(key="train_start").disabled
    [stored] = store.list_runs()
    assert stored["id"] == run_id and stored["status"] == "completed"
    assert stored["config"]["train_size"] == 1024 and stored["config"]["epochs"] == 1
    assert round(stored["test_accuracy"], 4) == accuracy
    assert len(stored["epochs"]) == 1
    assert at.multiselect(key="train_runs_picked").value == [run_id]


def test_a_reloaded_page_finds_its_run_and_stops_it():
    at = open_page()
    # All 60,000 images for 30 epochs: about 15 s of training, far longer than the reload takes.
    at.slider(key="train_epochs").set_value(30).run()
    at.button(key="train_start").click().run()
    assert not at.button(key="train_stop").disabled
    run_id = at.session_state["train_run_id"]
    assert at.query_params["run"] == run_id
    # A reload is a new session: only the URL still knows the run.
    at = open_page(query=dict(at.query_params))
    assert at.session_state["train_run_id"] == run_id
    assert not at.button(key="train_stop").disabled
    at.button(key="train_stop").click().run()
    run_until(at, lambda at: store.list_runs()[0]["status"] not in ("queued", "running"))
    [stored] = store.list_runs()
    assert stored["status"] == "stopped", stored.get("error")
    assert len(stored["epochs"]) < 30
    at.run()
    assert any("Stopped" in warning.value for warning in at.warning)


def test_korean_page_uses_the_books_terms():
    at = open_page(lang="ko")
    labels = [widget.label for widget in [*at.slider, *at.select_slider, *at.radio]]
    assert "에포크" in labels and "옵티마이저" in labels and "훈련 세트 크기" in labels
    assert at.button(key="train_start").label == "훈련"
    assert metric(at, "파라미터") == "407,050"


def test_draw_page_corrections_can_be_added_when_there_are_some():
    at = open_page()
    assert not at.checkbox  # nothing corrected yet: no checkbox
    image = np.zeros((28, 28), dtype="float32")
    store.add_correction(image, label=3, predicted=8)
    store.add_correction(image, label=5, predicted=6)
    at.run()
    [checkbox] = at.checkbox
    assert checkbox.key == "train_include_corrections"
    assert "2" in checkbox.label and checkbox.value is False
