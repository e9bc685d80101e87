"""Issue 12's widgets headless (AppTest): lesson links, the inside view, confusion cells, downloads.

AppTest cannot see charts, so these tests read the text around them (titles, captions, notes),
session state and the URL; tests/e2e/test_inside.py covers the pictures, clicks and downloads.
"""

import functools
import re
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo import data
from mnist_demo.analysis import inside
from mnist_demo.data import pendigits
from mnist_demo.storage import store
from mnist_demo.training.config import TrainConfig
from mnist_demo.training.model import load_default_model

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "pages"
# The pages import TensorFlow and build models on a busy 2-core machine.
TIMEOUT = 180


def open_page(name: str, query: dict | None = None, lang: str = "en", state=None) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    at.session_state["lang"] = lang
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, at.exception
    return at


def infos(at: AppTest) -> list[str]:
    return [info.value for info in at.info]


# Lesson links ------------------------------------------------------------------------------------


def test_a_train_lesson_holds_fixed_settings_and_hides_controls_through_a_page_change():
    link = {"epochs": "3", "fixed": "epochs", "hide": "optimizer,learning_rate"}
    at = open_page("train", link)
    note = "Lesson: your teacher fixed Epochs. Hidden for this lesson: Optimizer, Learning rate."
    assert note in infos(at)
    assert at.slider(key="train_epochs").value == 3
    # The hidden controls are not made at all (a CSS rule hid them only once the browser had
    # fetched Streamlit's code for style elements: seconds late on a busy server); their values
    # are still the page's settings. The fixed one is greyed out.
    keys = {widget.key for widget in at.main.get("radio") + at.main.get("select_slider")}
    assert "train_batch_size" in keys
    assert not keys & {"train_optimizer", "train_learning_rate"}
    assert at.session_state["train_optimizer"] == "rmsprop"
    styles = "".join(element.proto.body for element in at.get("html"))
    assert ".st-key-train_epochs { pointer-events: none" in styles
    assert "display: none" not in styles
    # A change that slips through (the keyboard) is undone on the next run.
    at.slider(key="train_epochs").set_value(7).run()
    assert at.slider(key="train_epochs").value == 3
    # A page change drops the query; the lesson comes back from the session, and into the URL.
    for name in list(at.query_params):
        del at.query_params[name]
    at.run()
    assert not at.exception, at.exception
    assert note in infos(at)
    assert at.query_params["hide"] == "optimizer,learning_rate"
    assert at.query_params["fixed"] == "epochs"
    assert at.slider(key="train_epochs").value == 3
    # A student in a lesson gets no panel to share another one.
    assert "Share as a lesson" not in [expander.label for expander in at.expander]


def test_the_share_panel_makes_a_link_with_the_current_settings_and_the_lesson():
    at = open_page("train")
    assert "Share as a lesson" in [expander.label for expander in at.expander]
    at.slider(key="train_epochs").set_value(3).run()
    assert not [code for code in at.code if "fixed=" in code.value]  # nothing picked yet
    at.multiselect(key="train_lesson_fixed").set_value(["epochs"])
    at.multiselect(key="train_lesson_hidden").set_value(["optimizer"]).run()
    assert not at.exception, at.exception
    [link] = [code.value for code in at.code if "fixed=" in code.value]
    assert link.startswith("/train?")
    assert "epochs=3" in link and "fixed=epochs" in link and "hide=optimizer" in link
    # The link opens a session with that lesson.
    query = dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))
    student = open_page("train", query)
    assert "Lesson: your teacher fixed Epochs. Hidden for this lesson: Optimizer." in infos(student)


def test_a_links_text_never_reaches_the_page_and_the_note_is_in_korean():
    at = open_page("train", {"hide": "<b>seed</b>,seed", "fixed": "**x**"}, lang="ko")
    notes = infos(at)
    assert "이 수업에서 숨긴 항목: 랜덤 시드." in notes
    assert not any("<b>" in note or "**" in note for note in notes)


def test_an_explore_lesson_holds_the_index_it_fixes():
    at = open_page("explore", {"index": "7", "fixed": "index", "hide": "label,seed"})
    assert "Lesson: your teacher fixed Sample index. Hidden for this lesson: Label filter, " in (
        " ".join(infos(at))
    )
    assert at.number_input(key="index").value == 7
    at.number_input(key="index").set_value(9).run()
    assert at.number_input(key="index").value == 7
    assert at.query_params["fixed"] == "index"
    # Hidden: no label filter and no seed box; the link's values still choose the samples.
    assert [group.key for group in at.main.get("button_group")] == ["split"]
    assert "shuffle_seed" not in {box.key for box in at.number_input}


def test_hidden_explore_controls_keep_the_links_values_through_a_page_change():
    link = {"label": "3", "shuffle": "true", "shuffle_seed": "5", "hide": "label,seed"}
    at = open_page("explore", link)
    assert {box.key for box in at.number_input} == {"grid_page", "index"}
    assert not at.toggle and [group.key for group in at.main.get("button_group")] == ["split"]
    status = [c.value for c in at.caption if "shuffled with seed 5" in c.value]
    assert status and " 6,131 " in f" {status[0]} ", status  # the training set's 3s
    for name in list(at.query_params):
        del at.query_params[name]
    at.run()
    assert not at.exception, at.exception
    assert [c.value for c in at.caption if "shuffled with seed 5" in c.value] == status
    assert at.query_params["label"] == "3" and at.query_params["shuffle_seed"] == "5"


# Inside the network (Draw page) ------------------------------------------------------------------


@functools.cache
def drawn_three() -> np.ndarray:
    """A real pen-written 3 (pendigits, train split) on a 280x280 canvas, as the canvas sends it."""
    digits = pendigits.load()
    index = next(i for i in digits.indices("train") if digits.labels[i] == 3)
    strokes = pendigits.fit_into_box(digits.strokes(int(index)), 50, 40, 180, 200)
    return pendigits.draw(strokes, 18)


def draw_page_with_drawing(model: str = "default") -> AppTest:
    """The Draw page with a drawing on the canvas (restored from session state, as after a
    visit to another page) and the inside view open."""
    state = {
        "draw_canvas_json": {"objects": [{"type": "path"}]},
        "draw_canvas_rgba": drawn_three(),
        "draw_inside": True,
        "draw_model": model,
    }
    return open_page("draw", state=state)


def test_the_inside_view_of_the_default_convnet_shows_saliency_and_its_feature_maps():
    at = draw_page_with_drawing()
    predicted = [m.value for m in at.metric if m.label == "Prediction"][0]
    subheaders = [header.value for header in at.subheader]
    assert f"Which pixels made it a {predicted}" in subheaders
    assert "What the convolution layers see" in subheaders
    blocks = [text.value for text in at.markdown if text.value.startswith("**Block ")]
    expected = inside.feature_maps(load_default_model(), np.zeros((28, 28), "float32"))
    assert len(blocks) == len(expected) >= 2
    for number, (block, maps) in enumerate(zip(blocks, expected, strict=True), start=1):
        height, width, channels = maps.maps.shape
        assert block == f"**Block {number}: {channels} feature maps of {height} × {width}**"
    assert "The 512 hidden units" not in subheaders


def test_the_inside_view_of_a_dense_run_adds_up_its_units_to_the_score(data_home):
    import keras

    from mnist_demo.training.model import build_model

    (images, labels), _ = data.load_mnist()
    network = build_model(TrainConfig(), jit_compile=False)
    network.fit(
        images[:2048].reshape(-1, 784).astype("float32") / 255,
        keras.utils.to_categorical(labels[:2048], 10),
        epochs=1,
        batch_size=128,
        verbose=0,
    )
    path = data_home / "models" / "dense-run.keras"
    path.parent.mkdir(exist_ok=True)
    network.save(path)
    store.create_run("dense-run", TrainConfig(epochs=1, train_size=2048).to_dict())
    store.update_run("dense-run", status="completed", model_path=str(path), test_accuracy=0.9)
    at = draw_page_with_drawing("dense-run")
    subheaders = [header.value for header in at.subheader]
    assert "The 512 hidden units" in subheaders
    assert "The 10 output scores, before and after softmax" in subheaders
    assert "What the convolution layers see" not in subheaders
    [sums] = [c.value for c in at.caption if "all units together add" in c.value]
    top, total, bias, score = (
        float(value)
        for value in re.search(
            r"These 8 add (-?\d+\.\d\d); all units together add (-?\d+\.\d\d), and with the output "
            r"bias \(([+-]\d+\.\d\d)\) that makes the score of \d: (-?\d+\.\d\d)",
            sums,
        ).groups()
    )
    assert total + bias == pytest.approx(score, abs=0.011)  # each printed to 2 decimals
    assert 0 < top <= total + 0.005  # the top 8 contribute positively, and not beyond all
    [hidden] = [c.value for c in at.caption if "Dense(512, relu)" in c.value]
    assert "16 × 32" in hidden


def test_the_inside_view_stays_closed_and_uncomputed_until_opened():
    state = {
        "draw_canvas_json": {"objects": [{"type": "path"}]},
        "draw_canvas_rgba": drawn_three(),
    }
    at = open_page("draw", state=state)
    assert "Inside the network" in [expander.label for expander in at.expander]
    assert not [h for h in at.subheader if h.value.startswith("Which pixels made it")]


# Confusion cells and downloads (Train page) ------------------------------------------------------


def run_until(at: AppTest, done, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "the run did not finish in time"
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception


def cell_title(at: AppTest) -> str:
    titles = [text.value for text in at.markdown if "test digits that are a" in text.value]
    return titles[0].strip("*") if titles else ""


@pytest.mark.slow
def test_confusion_cells_hold_every_test_digit_and_the_run_downloads_its_files():
    at = open_page("train")
    at.slider(key="train_epochs").set_value(1)
    at.select_slider(key="train_train_size").set_value(1024).run()
    at.button(key="train_start").click().run()
    run_until(at, lambda at: any(m.label == "Test accuracy" for m in at.metric))
    accuracy = float([m.value for m in at.metric if m.label == "Test accuracy"][0])
    assert "Click a cell of the matrix" in " ".join(c.value for c in at.caption)

    # The diagonal's cells hold exactly the right answers: their counts add up to test_acc.
    right = 0
    for digit in range(10):
        at.selectbox(key="train_cell_true").set_value(digit)
        at.selectbox(key="train_cell_predicted").set_value(digit).run()
        title = cell_title(at)
        assert "the least confident right answers first" in title
        right += int(title.split(" ")[0].replace(",", ""))
    assert right == round(accuracy * 10_000)

    # The 9s read as 9 (hundreds of them) page through, 24 at a time.
    status = [c.value for c in at.caption if c.value.startswith("Page 1 of")]
    count = int(title.split(" ")[0].replace(",", ""))
    assert status == [f"Page 1 of {-(-count // 24)} · digits 1–24 of {count}"]
    at.button(key="train_cell_next").click().run()
    assert any(c.value.startswith("Page 2 of") and "digits 25–48" in c.value for c in at.caption)

    # Both files of the run are offered, under names that tell runs apart.
    [stored] = store.list_runs()
    assert at.selectbox(key="train_download_run").value == stored["id"]
    model_button = at.download_button(key="train_download_model")
    metrics_button = at.download_button(key="train_download_metrics")
    assert not model_button.disabled and not metrics_button.disabled
    assert model_button.label == "Model (.keras)"
