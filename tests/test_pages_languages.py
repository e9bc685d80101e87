"""Every page renders in English and Korean through app.py: no exception, no raw key, no English
left on a Korean page, and the sidebar switch changes the language and the link."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo.i18n import LANGUAGES, translate

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("home", "explore", "train", "draw")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
RAW_KEY = re.compile(r"\b(?:common|home|explore|train|draw)(?:\.[a-z0-9_]+){2,}\b")
# Three English words in a row (after code spans, scripts and style sheets are removed) on a Korean
# page is prose that bypassed the catalogue.
ENGLISH_PROSE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){2,}\b")
NOT_PROSE = {"code", "json", "dataframe", "table", "plotly_chart", "arrow_data_frame"}
NOT_PROSE_MARKUP = re.compile(r"`[^`]*`|<(script|style)>.*?</\1>", re.DOTALL)


def open_page(page: str, lang: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["lang"] = lang
    at.run()
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
    return at


def texts(at: AppTest) -> list[tuple[str, str]]:
    """(element type, text) for every title, text block, caption, alert and widget label."""
    found: list[tuple[str, str]] = []

    def walk(node) -> None:
        kind = getattr(node, "type", "")
        if kind not in NOT_PROSE:
            for attribute in ("value", "label", "body", "help", "placeholder"):
                try:
                    value = getattr(node, attribute, None)
                except Exception:  # noqa: BLE001 - some widgets compute value lazily
                    continue
                if isinstance(value, str) and value:
                    found.append((kind, value))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_in_each_language(page, lang):
    at = open_page(page, lang)
    assert not at.exception, at.exception[0].value
    assert at.query_params["lang"] == lang
    shown = texts(at)
    raw = [text for _, text in shown if RAW_KEY.search(text)]
    assert not raw, f"raw catalogue keys on {page}: {raw}"
    title = at.title[0].value
    if lang == "ko":
        assert HANGUL.search(title), f"{page} title not Korean: {title}"
        english = [
            (kind, text)
            for kind, text in shown
            if not HANGUL.search(text)
            and ENGLISH_PROSE.search(NOT_PROSE_MARKUP.sub(" ", text))
            and text != LANGUAGES["en"]
        ]
        assert not english, f"English text on the Korean {page} page: {english}"
    else:
        assert not HANGUL.search(title), f"{page} title not English: {title}"
    assert at.sidebar.radio(key="lang").value == lang


@pytest.mark.parametrize("page", PAGES)
def test_sidebar_switch_changes_language_and_link(page):
    at = open_page(page, "en")
    english_title = at.title[0].value
    at.sidebar.radio(key="lang").set_value("ko").run()
    assert not at.exception, at.exception[0].value
    assert at.query_params["lang"] == "ko"
    assert HANGUL.search(at.title[0].value) and at.title[0].value != english_title
    assert at.sidebar.radio(key="lang").label == translate("common.language", "ko")


def test_language_stays_when_moving_between_pages():
    at = open_page("home", "en")
    at.sidebar.radio(key="lang").set_value("ko").run()
    for page in ("explore", "train", "draw", "home"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, at.exception[0].value
        assert at.sidebar.radio(key="lang").value == "ko"
        assert HANGUL.search(at.title[0].value), page


def test_unknown_language_in_a_link_falls_back_to_english():
    at = open_page("home", "xx")
    assert not at.exception
    assert at.query_params["lang"] == "en"
    assert at.title[0].value == translate("home.title", "en")


def test_switch_wins_over_the_link_it_came_from():
    """Opened from a ?lang=ko link, switched to English: later reruns stay English."""
    at = open_page("explore", "ko")
    at.sidebar.radio(key="lang").set_value("en").run()
    assert at.query_params["lang"] == "en"
    at.switch_page("pages/home.py").run()
    at.run()
    assert at.sidebar.radio(key="lang").value == "en"
    assert not HANGUL.search(at.title[0].value)
