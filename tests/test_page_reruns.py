"""A visit runs its page once (AppTest through app.py): no extra full rerun on first load.

Each full run of app.py counts itself in session state (ui.count_full_run); a fragment's rerun
does not run app.py. The browser tests (tests/e2e/test_fragments.py) check that a stroke and a
page turn rerun only their fragment; AppTest reruns the whole script on every interaction.
"""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo import ui

ROOT = Path(__file__).resolve().parents[1]


def full_runs(at: AppTest) -> int:
    return at.session_state[ui.FULL_RUNS_KEY]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_home_then_each_page_runs_the_app_once_per_visit(lang):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    assert full_runs(at) == 1
    for visits, page in enumerate(("explore", "draw", "train"), start=2):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, at.exception
        assert full_runs(at) == visits, f"{page} ran the app {full_runs(at) - visits + 1} times"


def test_a_linked_explore_view_runs_once():
    """A shared link's split, label filter and index are applied on the first run."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.query_params.update({"split": "test", "label": "3", "index": "123"})
    at.switch_page("pages/explore.py").run()
    assert not at.exception, at.exception
    assert full_runs(at) == 2
    assert at.number_input(key="index").value == 123
    assert any("test_images[123]" in text.value for text in at.markdown)
