"""The Draw page headless (AppTest): empty canvas, model choices, Korean text."""

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from mnist_demo.drawing import personalize
from mnist_demo.storage import store
from mnist_demo.training import model

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "draw.py")
# The page loads the default model (TensorFlow import) on a busy 2-core machine.
TIMEOUT = 120


def open_page(lang: str = "en") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def test_nothing_drawn_shows_draw_a_digit():
    at = open_page()
    assert "Draw a digit" in [info.value for info in at.info]
    assert [m.value for m in at.metric if m.label == "Prediction"] == ["–"]
    assert at.slider(key="draw_stroke").value == 18
    assert at.selectbox(key="draw_model").value == "default"


def test_upload_mode_asks_for_a_picture():
    at = open_page()
    at.radio(key="draw_mode").set_value("upload").run()
    assert not at.exception, at.exception
    assert "Upload a picture of a digit" in [info.value for info in at.info]


def test_completed_and_stopped_runs_with_a_model_file_are_offered(data_home):
    models = data_home / "models"
    models.mkdir()
    for run_id, status in [("run-a", "completed"), ("run-d", "stopped")]:
        shutil.copy(model.DEFAULT_MODEL_PATH, models / f"{run_id}.keras")
        store.create_run(run_id, {"architecture": "cnn", "epochs": 2}, status=status)
        store.update_run(run_id, model_path=str(models / f"{run_id}.keras"), test_accuracy=0.991)
    store.create_run("run-b", {"architecture": "dense"}, status="running")  # not finished
    store.create_run("run-c", {"architecture": "dense"}, status="completed")
    store.update_run("run-c", model_path=str(models / "gone.keras"))  # no file
    at = open_page()
    select = at.selectbox(key="draw_model")
    assert select.options[0].startswith("Default model")
    assert select.options[1].startswith("MNIST only")
    assert len(select.options) == 4, select.options
    # Named as the Train page names runs: the completed one by its epochs, the stopped one by
    # the epochs it finished of those planned.
    assert any("CNN · epochs 2 ·" in option for option in select.options[2:])
    assert any("CNN · epochs 0/2 ·" in option for option in select.options[2:])
    assert all("99.10%" in option for option in select.options[2:])
    select.set_value("run-a").run()
    assert not at.exception, at.exception


def test_korean_page():
    at = open_page("ko")
    assert "숫자를 그려 보세요" in [info.value for info in at.info]
    assert [m.label for m in at.metric] == ["예측"]


def captions(at) -> list[str]:
    return [caption.value for caption in at.caption]


def test_the_page_says_which_data_each_model_learned_from():
    at = open_page()
    assert any("plus 7,494 digits that 30 people wrote with a pen" in c for c in captions(at))
    at.selectbox(key="draw_model").set_value("mnist").run()
    assert not at.exception, at.exception
    assert any("60,000 scanned digits only" in c for c in captions(at))
    # No adapted model yet: "Your handwriting" is not offered.
    assert "personal" not in at.selectbox(key="draw_model").options


def test_guided_mode_prompts_each_digit_counts_skips_and_starts_over():
    at = open_page()
    assert any("American census staff" in c for c in captions(at))
    at.number_input(key="draw_teach_per_digit").set_value(2)
    at.button(key="draw_teach_start").click().run()
    assert not at.exception, at.exception
    assert "### Draw a 0" in [markdown.value for markdown in at.markdown]
    assert at.button(key="draw_teach_use").disabled  # nothing drawn yet
    assert at.button(key="draw_teach_adapt").disabled  # no drawing to adapt to
    at.button(key="draw_teach_skip").click().run()
    assert "### Draw a 1" in [markdown.value for markdown in at.markdown]
    lesson = at.session_state["draw_lesson"]
    assert (lesson.position, lesson.skipped, len(lesson.prompts)) == (1, 1, 20)
    at.button(key="draw_teach_restart").click().run()
    assert not at.exception, at.exception
    assert "draw_lesson" not in at.session_state
    assert at.button(key="draw_teach_start")


def test_guided_mode_in_korean():
    at = open_page("ko")
    at.button(key="draw_teach_start").click().run()
    assert not at.exception, at.exception
    assert "### 0을(를) 그려 보세요" in [markdown.value for markdown in at.markdown]


def test_adapting_before_the_last_prompt_shows_the_next_prompt_and_the_check():
    """Adapt is offered from the first drawing on: adapted mid-lesson, the page showed the
    lesson's canvas and the check's canvas in two boxes of one key, and Streamlit refused the
    whole guided mode with a duplicate-key error."""
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    lesson = personalize.Lesson.start(1)
    lesson.skip()  # one prompt answered, nine to go
    at.session_state["draw_lesson"] = lesson
    at.session_state["draw_personal"] = {
        "model": model.load_default_model(),
        "base": "default",
        "count": 1,
        "seconds": 1.0,
        "run_id": None,
    }
    at.run()
    assert not at.exception, at.exception
    markdown = [text.value for text in at.markdown]
    assert "### Draw a 1" in markdown  # the lesson goes on
    assert "**Check it: draw a 0**" in markdown  # and the adapted model can be checked
    assert at.button(key="draw_check_use").disabled  # nothing drawn on the check yet
