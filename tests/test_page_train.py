"""The Train page headless (AppTest): settings, shared links, a real short run, stop, history."""

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo import ui
from mnist_demo.i18n import translate
from mnist_demo.storage import store
from mnist_demo.training.config import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "train.py")
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
    owner = at.session_state[ui.OWNER_KEY]
    # A reload is a new session: only the URL still knows the run. Another browser opening the
    # same link watches it: no Stop button, a note saying why.
    watcher = open_page(query=dict(at.query_params))
    assert watcher.session_state["train_run_id"] == run_id
    assert "train_stop" not in [button.key for button in watcher.button]
    assert translate("run.panel.read_only") in [caption.value for caption in watcher.caption]
    # The same browser sends its owner cookie (AppTest has no cookies: the secret is handed over).
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["lang"] = "en"
    at.session_state[ui.OWNER_KEY] = owner
    at.query_params.update(dict(watcher.query_params))
    at.run()
    assert at.session_state["train_run_id"] == run_id
    assert not at.button(key="train_stop").disabled
    at.button(key="train_stop").click().run()
    run_until(at, lambda at: store.list_runs()[0]["status"] not in ("queued", "running"))
    [stored] = store.list_runs()
    assert stored["status"] == "stopped", stored.get("error")
    assert len(stored["epochs"]) < 30
    at.run()
    assert any("Stopped" in warning.value for warning in at.warning)


def browser_labels(at: AppTest, held: dict[str, list[str]]) -> dict[str, list[str]]:
    """A model of the browser: each choice widget keeps the option label(s) it last received.

    Streamlit sends a radio's or select slider's value as its option label only when it sets the
    value; otherwise the browser keeps the label it has and sends that back on the next rerun.
    """
    for widget in [*at.radio, *at.select_slider]:
        if str(widget.key).startswith("train_") and widget.proto.set_value:
            raw = widget.proto.raw_value
            held[widget.key] = [raw] if isinstance(raw, str) else list(raw)
    return held


def test_switching_language_keeps_every_choice():
    """QA: /train?architecture=cnn, then 한국어: no network was selected, and the next click made
    it Dense. The browser must be given the new language's label of every chosen option."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update({"lang": "en", "architecture": "cnn"})
    at.run()
    at.switch_page("pages/train.py").run()
    held = browser_labels(at, {})
    # The three whose labels are translated: the network, "default (0.001)" and "none".
    assert held["train_architecture"] == ["Small CNN"]
    assert held["train_learning_rate"] == ["default (0.001)"]
    assert held["train_validation_split"] == ["none"]
    at.sidebar.radio(key="lang").set_value("ko").run()
    assert not at.exception, at.exception
    held = browser_labels(at, held)
    for widget in [*at.radio, *at.select_slider]:
        if widget.key in held:
            assert set(held[widget.key]) <= set(widget.proto.options), widget.key
    assert held["train_architecture"] == ["작은 CNN"]
    assert at.radio(key="train_architecture").value == "cnn"
    assert at.query_params["architecture"] == "cnn"


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


def stored_run(run_id: str, status: str, steps: list[int], accuracy: float | None) -> None:
    """A run in the store as the engine leaves it: 20,000 images, batch 128, 157 steps an epoch."""
    store.create_run(run_id, TrainConfig(epochs=2, train_size=20_000).to_dict())
    for epoch, done in enumerate(steps, start=1):
        metrics = {"epoch": epoch, "loss": 0.3, "accuracy": 0.9, "seconds": 5.0, "steps": done}
        store.record_epoch(run_id, epoch, {**metrics, "steps_per_epoch": 157})
    store.update_run(run_id, status=status, test_accuracy=accuracy)


def test_runs_are_named_apart_and_say_how_they_ended_in_korean():
    # Two runs with the same settings and result, started within the same second (QA saw two
    # identical labels), one stopped in its second epoch, one that failed before any result.
    stored_run("aaaaaa111111", "completed", [157, 157], 0.9766)
    stored_run("bbbbbb222222", "completed", [157, 157], 0.9766)
    stored_run("cccccc333333", "stopped", [157, 60], 0.9512)
    stored_run("dddddd444444", "failed", [], None)
    at = open_page("ko")
    picker = at.multiselect(key="train_runs_picked")
    assert picker.proto.placeholder == translate("train.runs.pick_placeholder", "ko")
    labels = list(picker.proto.options)
    assert len(set(labels)) == 4, labels
    [stopped] = [label for label in labels if "0.9512" in label]
    assert "에포크 1/2" in stopped and "중지됨" in stopped
    table = at.dataframe[-1].value.set_index("상태")  # the Runs table, after the model summary
    assert table.loc["중지됨", "에포크"] == "1/2"
    assert table.loc["실패", "에포크"] == "0/2"
    assert table.loc["실패", "테스트 정확도"] == "–"
    assert table.loc["중지됨", "테스트 정확도"] == "0.9512"


def dead_pid() -> int:
    """The id of a process that has ended, like the server that died under a running run."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def notices(at: AppTest, run_id: str) -> list[str]:
    return [box.value for box in [*at.warning, *at.info] if run_id in box.value]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["no longer running", "interrupted when the server stopped", "1 of its 2 epochs"]),
        ("ko", ["더 이상 훈련 중이 아닙니다", "중단되었습니다", "에포크 2번 중 1번"]),
    ],
)
def test_a_link_to_a_run_the_restart_interrupted_says_so_and_where_it_is(lang, words):
    """QA: after a restart, /train?run=<id> of a run that was training showed no message at all."""
    stored_run("eeeeee555555", "running", [157], None)  # one epoch done when the server died
    store.update_run("eeeeee555555", pid=dead_pid())
    store.mark_interrupted()  # what a restarted server does before its first page
    at = open_page(lang, {"run": "eeeeee555555"})
    [notice] = notices(at, "eeeeee555555")
    for word in [*words, translate("train.runs.title", lang)]:
        assert word in notice, (word, notice)
    assert translate("train.live.title", lang) not in [header.value for header in at.header]


@pytest.mark.parametrize(("lang", "words"), [("en", "it completed"), ("ko", "완료되었습니다")])
def test_a_link_to_a_run_that_ended_before_the_restart_gives_its_status(lang, words):
    stored_run("ffffff666666", "completed", [157, 157], 0.9766)
    at = open_page(lang, {"run": "ffffff666666"})
    [notice] = notices(at, "ffffff666666")
    assert words in notice and "0.9766" in notice
    assert translate("train.runs.title", lang) in notice


@pytest.mark.parametrize(("lang", "words"), [("en", "There is no run"), ("ko", "없습니다")])
def test_a_link_to_no_such_run_says_so(lang, words):
    at = open_page(lang, {"run": "0123456789ab"})
    [notice] = notices(at, "0123456789ab")
    assert words in notice and translate("train.runs.title", lang) in notice
