"""Languages in a real browser: the sidebar switch, shared ?lang=ko links, the Home walkthrough."""

import re
import time
from pathlib import Path

import pytest
from e2e_helpers import assert_no_exception, wait_for_app
from playwright.sync_api import expect

from mnist_demo.i18n import translate
from mnist_demo.tools.browser import streamlit_server

HANGUL = re.compile(r"[\uac00-\ud7a3]")
PAGES = {"explore": "/explore", "train": "/train", "draw": "/draw", "home": "/"}


def title(page) -> str:
    return page.locator("h1").first.inner_text()


def nav(page):
    return page.get_by_test_id("stSidebarNav")


def english_prose(page) -> list[str]:
    """Text on the page (charts included) with three English words in a row: on a Korean page
    that is text that bypassed the catalogue. Code, code spans, icon names, scripts and style
    sheets are skipped."""
    texts = page.evaluate(
        """() => {
        const found = [];
        const main = document.querySelector('[data-testid="stMain"]');
        const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
          const parent = walker.currentNode.parentElement;
          const skipped =
            '[data-testid="stCode"], code, pre, [data-testid="stIconMaterial"], script, style';
          if (parent.closest(skipped))
            continue;
          const text = walker.currentNode.textContent.trim();
          if (text) found.push(text);
        }
        return found;
      }"""
    )
    prose = re.compile(r"\b[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){2,}\b")
    return [text for text in texts if not HANGUL.search(text) and prose.search(text)]


def wait_for_title(page, text: str, timeout: float = 60_000) -> None:
    expect(page.locator("h1").first).to_have_text(text, timeout=timeout)


def full_height_screenshot(page, screenshot, name: str) -> Path:
    """Streamlit scrolls inside its main block, so grow the window to the content first."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"] *')]"
        ".slice(0, 50).map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": 1400, "height": min(max(height, 1000), 12_000)})
    time.sleep(0.5)  # let the layout settle at the new size
    return screenshot(page, name)


def test_sidebar_switch_turns_every_page_korean(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    assert title(page) == translate("home.title", "en")
    assert page.url.endswith("?lang=en")
    page.get_by_test_id("stSidebar").get_by_text("한국어", exact=True).click()
    wait_for_title(page, translate("home.title", "ko"))
    expect(page).to_have_url(re.compile(r"\?lang=ko$"))
    step = translate(
        "home.step_title", "ko", number=2, title=translate("home.steps.look.title", "ko")
    )
    expect(page.get_by_text(step, exact=True)).to_be_visible()
    for name, path in PAGES.items():
        nav(page).get_by_text(translate(f"common.nav.{name}", "ko"), exact=True).click()
        page.wait_for_url(re.compile(rf"{re.escape(app_url)}{path}\?(.*&)?lang=ko"))
        wait_for_app(page)
        expect(page.locator("h1").first).to_have_text(HANGUL, timeout=60_000)
        assert_no_exception(page)
        labels = page.get_by_test_id("stSidebar").inner_text()
        assert translate("common.language", "ko") in labels
        assert not english_prose(page), f"English on the Korean {name} page"
    # And back to English, on the page we are on.
    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    wait_for_title(page, translate("home.title", "en"))
    expect(nav(page).get_by_text("Explore", exact=True)).to_be_visible()


@pytest.mark.parametrize("name", list(PAGES))
def test_shared_link_with_lang_ko_opens_in_korean(page, app_url, name):
    page.goto(f"{app_url}{PAGES[name]}?lang=ko")
    wait_for_app(page)
    expect(page.locator("h1").first).to_have_text(HANGUL, timeout=60_000)
    assert_no_exception(page)
    for other in PAGES:
        expect(
            nav(page).get_by_text(translate(f"common.nav.{other}", "ko"), exact=True)
        ).to_be_visible()
    assert page.get_by_test_id("stSidebar").get_by_role("radio", name="한국어").is_checked()


def test_shared_explore_link_reproduces_the_view_in_korean(page, app_url):
    page.goto(f"{app_url}/explore?lang=ko&split=test&index=7")
    wait_for_app(page)
    wait_for_title(page, translate("explore.title", "ko"))
    expect(page.get_by_test_id("stMain")).to_contain_text(
        "array([7, 2, 1, ..., 4, 5, 6], dtype=uint8)", timeout=60_000
    )
    expect(page.get_by_text("test_images[7] · 레이블 9")).to_be_visible(timeout=60_000)
    assert_no_exception(page)
    assert "split=test" in page.url and "index=7" in page.url and "lang=ko" in page.url


@pytest.mark.slow
def test_home_walkthrough_trains_live_and_screenshots(page, app_url, screenshot):
    """The chapter's steps beside their values; the training step polls the shared queue and
    fills in the log, test_acc and predictions without any click (run_every only ticks in a
    real browser). Then the same session in Korean, and a step link to its page."""
    page.goto(app_url)
    wait_for_app(page)
    codes = page.get_by_test_id("stCode")
    # The first paint can come before the walkthrough's code blocks on a busy machine.
    expect(codes.filter(has_text="Total params: 407,050")).to_have_count(1, timeout=60_000)
    expect(codes.filter(has_text="array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)")).to_have_count(1)
    links = page.get_by_test_id("stPageLink")
    expect(links).to_have_count(9)
    assert_no_exception(page)

    page.get_by_role("button", name=translate("home.train.button", "en")).click()
    expect(codes.filter(has_text="Epoch 1/5")).to_have_count(1, timeout=300_000)
    expect(codes.filter(has_text=re.compile(r"test_acc: 0\.9[7-9]"))).to_have_count(
        1, timeout=300_000
    )
    log = codes.filter(has_text="Epoch 5/5").inner_text()
    assert log.count("469/469 - ") == 5, log
    expect(codes.filter(has_text="array([7, 2, 1, 0, 4, 1, 4, 9, 5, 9])")).to_have_count(1)
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_count(1)
    assert_no_exception(page)
    full_height_screenshot(page, screenshot, "home")

    page.set_viewport_size({"width": 1400, "height": 1000})
    page.get_by_test_id("stSidebar").get_by_text("한국어", exact=True).click()
    wait_for_title(page, translate("home.title", "ko"))
    expect(codes.filter(has_text="Epoch 5/5")).to_have_count(1)  # the run stays with the session
    full_height_screenshot(page, screenshot, "home_ko")

    page.set_viewport_size({"width": 1400, "height": 1000})
    links.filter(has_text=translate("home.steps.load.link", "ko")).click()
    page.wait_for_url(re.compile(r"/explore\?(.*&)?lang=ko"))
    wait_for_app(page)
    wait_for_title(page, translate("explore.title", "ko"))


# A server of our own: what this checks happens only on a server process's very first request.


@pytest.fixture
def fresh_server(tmp_path):
    with streamlit_server(tmp_path) as url:
        yield url


def test_first_request_of_a_fresh_server_to_a_page_link(page, fresh_server):
    """Streamlit starts in its folder-based mode for a `pages/` directory; the first request
    to /draw?lang=ko must still run app.py (navigation, language switch) and open in Korean."""
    page.goto(f"{fresh_server}/draw?lang=ko")
    wait_for_app(page)
    expect(nav(page).get_by_text(translate("common.nav.explore", "ko"), exact=True)).to_be_visible(
        timeout=60_000
    )
    expect(page.locator("h1").first).to_have_text(HANGUL, timeout=60_000)
    assert "lang=ko" in page.url and page.url.startswith(f"{fresh_server}/draw")
    assert_no_exception(page)
