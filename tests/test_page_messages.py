"""Clear words (issue 14, item 11): a link's refused Train setting is said, not silently replaced;
a scribble over the whole canvas, or a blob, is told apart from an empty canvas."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo.drawing import preprocess
from mnist_demo.i18n import translate
from mnist_demo.training import train_settings

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120


def test_refused_link_settings_are_named():
    params = {"seed": "-1", "epochs": "abc", "batch_size": "64", "optimizer": "<b>x</b>"}
    assert train_settings.refused_query(params) == {
        "optimizer": "<b>x</b>",
        "epochs": "abc",
        "seed": "-1",
    }
    assert train_settings.refused_query({"seed": "7"}) == {}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_train_says_a_links_seed_of_minus_one_is_not_used(lang):
    at = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=TIMEOUT)
    at.session_state["lang"] = lang
    at.query_params.update({"seed": "-1", "epochs": "7"})
    at.run()
    assert not at.exception, at.exception
    expected = translate("train.settings.link_refused", lang, items="`seed=-1`")
    assert expected in [warning.value for warning in at.warning]
    assert at.number_input(key="train_seed").value == 42  # the default, as the message says
    assert at.slider(key="train_epochs").value == 7  # the valid part of the link is kept
    at.run()
    assert expected not in [warning.value for warning in at.warning]  # said once


def canvas(fill=None) -> np.ndarray:
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    if fill is not None:
        rgba[fill] = 255
    return rgba


SCRIBBLE = (slice(2, 278), slice(1, 279))
DOT = (slice(130, 150), slice(130, 150))
ONE = (slice(40, 240), slice(130, 148))


def test_ink_problem_tells_blank_blob_and_whole_canvas_apart():
    ink = preprocess.canvas_ink
    assert preprocess.ink_problem(ink(canvas())) == "blank"
    assert preprocess.ink_problem(ink(canvas(DOT))) == "blob"
    assert preprocess.ink_problem(ink(canvas(SCRIBBLE))) == "fills"
    assert preprocess.ink_problem(ink(canvas(ONE))) is None


@pytest.mark.parametrize(("fill", "problem"), [(SCRIBBLE, "fills"), (DOT, "blob")])
def test_draw_says_the_canvas_is_filled_or_a_blob(fill, problem):
    at = AppTest.from_file(str(ROOT / "pages" / "draw.py"), default_timeout=TIMEOUT)
    at.session_state["lang"] = "ko"
    at.session_state["draw_canvas_rgba"] = canvas(fill)  # what the canvas last sent
    at.run()
    assert not at.exception, at.exception
    assert translate(f"draw.problem.{problem}", "ko") in [w.value for w in at.warning]
