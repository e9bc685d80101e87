"""The Home page: the chapter's steps in both languages, light on first render, real training."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo.i18n import translate
from mnist_demo.lessons import walkthrough
from mnist_demo.storage import store
from mnist_demo.training.config import TrainConfig

ROOT = Path(__file__).resolve().parents[1]


def home(lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    return at.run()


def codes(at: AppTest) -> list[str]:
    return [block.value for block in at.code]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_step_shows_its_listing_and_live_value(lang):
    at = home(lang)
    assert not at.exception
    assert at.title[0].value == translate("home.title", lang)
    titles = [header.value for header in at.subheader]
    assert titles == [
        translate(
            "home.step_title",
            lang,
            number=number,
            title=translate(f"home.steps.{key}.title", lang),
        )
        for number, key in enumerate(walkthrough.STEP_KEYS, start=1)
    ]
    shown = codes(at)
    for step in walkthrough.STEPS:
        assert step.code in shown, f"listing of {step.key} missing"
    text = "\n".join(shown)
    assert "array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)" in text
    assert "array([7, 2, 1, ..., 4, 5, 6], dtype=uint8)" in text
    assert " Total params: 407,050 (1.55 MB)" in text
    assert "(60000, 784)" in text and "(60000, 10)" in text
    links = at.get("page_link")
    assert [link.proto.page for link in links] == [
        step.page.removeprefix("pages/").removesuffix(".py") for step in walkthrough.STEPS
    ]
    assert links[0].proto.label == translate("home.steps.load.link", lang)
    assert at.button(key="home_train").label == translate("home.train.button", lang)
    assert at.button(key="home_stop").disabled


def test_code_is_not_translated():
    assert codes(home("en")) == codes(home("ko"))


def test_first_render_does_not_import_tensorflow():
    """Run the page in a fresh interpreter: TensorFlow's 5 s import must wait for the button."""
    script = (
        "import json, sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=60).run()\n"
        "print(json.dumps({'exception': [e.value for e in at.exception],"
        " 'subheaders': len(at.subheader),"
        " 'tf': sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"exception": [], "subheaders": len(walkthrough.STEPS), "tf": []}


def wait_for_status(at: AppTest, element: str, timeout: float) -> AppTest:
    """AppTest has no timer, so poll by rerunning until an st.<element> box appears."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception[0].value
        if at.get(element):
            return at
        time.sleep(1)
    raise AssertionError(f"no st.{element} after {timeout} s")


def test_stop_before_training_leaves_no_results():
    at = home()
    at.button(key="home_train").click().run()
    assert not at.button(key="home_stop").disabled
    # While the first run is queued or running nothing has been trained "again" yet.
    assert at.button(key="home_train").label == translate("home.train.button")
    at.button(key="home_stop").click().run()
    wait_for_status(at, "warning", timeout=60)
    assert at.warning[0].value == translate("train.live.stopped_before_start")
    assert translate("home.evaluate.waiting") in [caption.value for caption in at.caption]
    assert at.button(key="home_train").label == translate("home.train.again")


@pytest.mark.slow
def test_training_step_runs_the_chapter_network_through_the_queue(data_home):
    """Press the button: the chapter's network trains (≈ 30 s), and steps 7-9 fill in."""
    at = home()
    at.button(key="home_train").click().run()
    wait_for_status(at, "success", timeout=600)
    run_id = at.session_state["home_run_id"]
    text = "\n".join(codes(at))
    for epoch in range(1, 6):
        assert f"Epoch {epoch}/5" in text
    assert text.count("469/469 - ") == 5
    [result] = [block for block in codes(at) if block.startswith("test_acc: ")]
    accuracy = float(result.removeprefix("test_acc: "))
    assert accuracy >= 0.975
    assert "array([7, 2, 1, 0, 4, 1, 4, 9, 5, 9])" in text  # the first ten test digits, right
    record = store.get_run(run_id)
    assert record["status"] == "completed"
    assert TrainConfig.from_dict(record["config"]) == TrainConfig()
    assert record["test_accuracy"] == pytest.approx(accuracy, abs=1e-4)
