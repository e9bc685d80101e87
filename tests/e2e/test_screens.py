"""Every screen in a classroom, in Chromium: a phone (390x844 and 360-430 px wide, touch), the
projector (1280x720, projector mode), and pages that name themselves in their language."""

from __future__ import annotations

import re

import numpy as np
import pytest
from e2e_helpers import (
    assert_no_exception,
    canvas_ink,
    mouse_stroke,
    one_chart,
    wait_for_app,
    wait_for_layout,
)
from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
PHONE_WIDTHS = (360, 390, 430)  # small Android, iPhone 12-15, large phones
PROJECTOR = {"width": 1280, "height": 720}
PAGES = ["", "explore", "train", "draw"]

# Elements whose box runs past the window's right (or left) edge, as "testid-or-tag @ right-px".
# A box inside a sideways scroller or clipping box (a code block, the runs table, a slider's
# native input) is fine as long as that box itself fits; so is what nobody sees (opacity 0,
# visibility hidden). QA's cut +/- buttons sat in a column 10 px wider than the screen.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const out = (r) => r.right > width + 0.5 || r.left < -0.5;
  const unseen = (el) => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.visibility === 'hidden' || style.opacity === '0' || style.display === 'none') {
        return true;
      }
    }
    return false;
  };
  const clipper = (el) => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      if (a.matches('[data-testid=stMain], [data-testid=stAppViewContainer], body, html')) {
        return null;
      }
      if (getComputedStyle(a).overflowX !== 'visible') return a;
    }
    return null;
  };
  const found = [];
  for (const el of document.querySelectorAll('[data-testid=stMain] *')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || !out(r) || unseen(el)) continue;
    const box = clipper(el);
    if (box && !out(box.getBoundingClientRect())) continue;
    found.push((el.getAttribute('data-testid') || el.tagName) + ' @ ' + Math.round(r.right));
  }
  const main = document.querySelector('[data-testid=stMain]');
  if (main.scrollWidth > main.clientWidth + 1) found.push('stMain scrolls sideways');
  if (document.documentElement.scrollWidth > width + 1) found.push('the page scrolls sideways');
  return found.slice(0, 20);
}"""

# Plotly text (legend entries, titles, tick labels) that runs past its own figure's edges.
CUT_CHART_TEXT_JS = """() => {
  const found = [];
  for (const plot of document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')) {
    const svg = plot.querySelector('svg.main-svg').getBoundingClientRect();
    const texts = '.legend text, .gtitle, .annotation-text, .xtick text, .ytick text';
    for (const text of plot.querySelectorAll(texts)) {
      const r = text.getBoundingClientRect();
      if (r.width && (r.right > svg.right + 1 || r.left < svg.left - 1)) {
        found.push(text.textContent.slice(0, 40) + ' @ ' + Math.round(r.right));
      }
    }
  }
  return found;
}"""


def sideways(page) -> list[str]:
    return page.evaluate(OVERFLOW_JS)


@pytest.fixture
def phone(browser):
    """A fresh tab in a phone-sized touch window (a desktop user agent, like a tablet or a
    narrow window: Streamlit then does none of its own mobile adjustments)."""
    context = browser.new_context(viewport=PHONE, has_touch=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def settle(page, milliseconds: int = 1500) -> None:
    """Wait for the rerun a window-size change brings: the shell reports a phone-narrow window
    (late on a busy machine: CI checked a phone-wide Train page before its narrow rerun, legend
    run names unwrapped), the page's layout marker says the width the window has now, and the
    run is over. The pause first lets plotly redraw at the new size."""
    page.wait_for_timeout(milliseconds)
    wait_for_layout(page)


def whole_page(page, screenshot, name: str) -> None:
    """A picture of the whole page at the window's width (for the README; tools/screenshots.py
    writes it to docs/). Streamlit scrolls inside its main block, so the window is made as tall
    as the page first (at most 4,000 px), and given back its height after."""
    size = page.viewport_size
    height = page.evaluate(
        "document.querySelector('[data-testid=stMainBlockContainer]').scrollHeight"
    )
    page.set_viewport_size({"width": size["width"], "height": min(height + 120, 4000)})
    page.wait_for_timeout(1000)  # plotly redraws at the new size
    screenshot(page, name)
    page.set_viewport_size(size)


def grid_columns(page) -> int:
    """Columns of Explore's sample grid, read from the figure's tile markers."""
    return page.evaluate(
        "() => new Set(document.querySelector('.st-key-explore_grid .js-plotly-plot')"
        "._fullData[1].x).size"
    )


def wait_for_grid_columns(page, columns: int, timeout: float = 30_000) -> None:
    """Wait for the page's rerun after a resize: the grid has this many columns."""
    page.wait_for_function(
        "(columns) => { const plot = document.querySelector("
        "'.st-key-explore_grid .js-plotly-plot');"
        " return plot && plot._fullData && new Set(plot._fullData[1].x).size === columns; }",
        arg=columns,
        timeout=timeout,
    )
    wait_for_app(page)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_fits_a_phone_without_sideways_scrolling(phone, app_url, path, screenshot):
    phone.goto(f"{app_url}/{path}")
    wait_for_app(phone)
    expect(phone.locator("[data-testid=stMainBlockContainer] h1").first).to_be_visible()
    if path == "explore":
        expect(phone.locator(".st-key-explore_grid .js-plotly-plot")).to_be_visible(timeout=30_000)
    for width in PHONE_WIDTHS:
        phone.set_viewport_size({"width": width, "height": PHONE["height"]})
        settle(phone)
        if path == "explore":
            wait_for_grid_columns(phone, 4)  # the 8x8 grid reflows to 4 columns
        assert sideways(phone) == [], f"{width} px"
        assert phone.evaluate(CUT_CHART_TEXT_JS) == [], f"{width} px"
    if path in ("", "explore"):  # Train and Draw are pictured with a run and a drawing
        phone.set_viewport_size(PHONE)
        settle(phone)
        whole_page(phone, screenshot, f"{path or 'home'}_phone")
    if path == "explore":  # and back to 8 in a wide window
        phone.set_viewport_size({"width": 1280, "height": 900})
        wait_for_grid_columns(phone, 8)
    assert_no_exception(phone)


def test_train_on_a_phone_live_chart_results_and_compare_fit(phone, app_url, screenshot):
    """QA: on a phone the Compare chart's legend was cut and its toolbar covered "Accuracy"."""
    phone.goto(f"{app_url}/train?epochs=2&train_size=256&batch_size=16&validation_split=0.25")
    start = phone.locator(".st-key-train_start button")
    start.wait_for(timeout=180_000)  # the model summary imports TensorFlow first
    wait_for_app(phone, timeout=180_000)
    start.tap()
    phone.locator(".st-key-train_live_chart .js-plotly-plot").first.wait_for(timeout=180_000)
    main = phone.get_by_test_id("stMain")
    main.get_by_test_id("stMetric").filter(has_text="Test accuracy").wait_for(timeout=180_000)
    compare = one_chart(phone, "train_runs_chart", timeout=60_000)
    settle(phone)
    for width in PHONE_WIDTHS:
        phone.set_viewport_size({"width": width, "height": PHONE["height"]})
        settle(phone)
        assert sideways(phone) == [], f"{width} px"
        assert phone.evaluate(CUT_CHART_TEXT_JS) == [], f"{width} px"
        # On a phone the loss and accuracy panels are stacked and plotly's toolbar is off.
        titles = compare.locator(".annotation-text")
        loss, accuracy = titles.nth(0).bounding_box(), titles.nth(1).bounding_box()
        assert accuracy["y"] > loss["y"] + loss["height"]
        assert compare.locator(".modebar").count() == 0
    phone.set_viewport_size(PHONE)
    settle(phone)
    whole_page(phone, screenshot, "train_phone")
    assert_no_exception(phone)


def touch_stroke(page, points) -> None:
    """One finger stroke through points (page pixels), sent as real touch input through the
    DevTools protocol: the browser turns it into touch and pointer events as on a phone."""
    session = page.context.new_cdp_session(page)
    kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
    for kind, (x, y) in zip(kinds, points, strict=True):
        session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    session.detach()


def prediction_value(page):
    return (
        page.get_by_test_id("stMetric")
        .filter(has_text="Prediction")
        .get_by_test_id("stMetricValue")
    )


def test_draw_with_a_finger_undo_and_clear_with_the_pages_buttons(phone, app_url, screenshot):
    """QA: on a touch screen the canvas's toolbar never shows (it appears on hover), the hint
    said "Hover over the canvas", and a tap added a dot: no way to undo or clear."""
    phone.goto(f"{app_url}/draw")
    wait_for_app(phone, timeout=180_000)  # the first visit loads TensorFlow and the model
    canvas = phone.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible(timeout=30_000)
    expect(phone.get_by_text("Draw a digit", exact=True)).to_be_visible(timeout=60_000)
    assert "Hover" not in phone.get_by_test_id("stMain").inner_text()
    undo = phone.locator(".st-key-draw_undo button")
    clear = phone.locator(".st-key-draw_clear button")
    for button in (undo, clear):
        expect(button).to_be_visible()
        expect(button).to_be_disabled()  # nothing to undo yet
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    # A 7 drawn with a finger: the bar, then the stem.
    draw_seven(phone, canvas)
    value = prediction_value(phone)
    expect(value).to_have_text("7", timeout=90_000)
    wait_for_app(phone)
    expect(undo).to_be_enabled()
    whole_page(phone, screenshot, "draw_phone")

    # Undo (a tap) takes back the stem, a second Undo the bar: the page is empty again.
    drawn = canvas_ink(phone)
    undo.tap()
    wait_for_ink(phone, lambda ink: 0 < ink < 0.8 * drawn)  # the bar is still there
    wait_for_app(phone)
    expect(undo).to_be_enabled(timeout=30_000)
    expect(value).not_to_have_text("–")  # the bar alone is read as something
    undo.tap()
    expect(phone.get_by_text("Draw a digit", exact=True)).to_be_visible(timeout=30_000)
    expect(undo).to_be_disabled()
    wait_for_ink(phone, lambda ink: ink == 0)
    # Drawn again, the 7 is read again: the canvas kept working after its redraws.
    draw_seven(phone, canvas)
    expect(value).to_have_text("7", timeout=60_000)
    wait_for_app(phone)

    clear.tap()
    expect(phone.get_by_text("Draw a digit", exact=True)).to_be_visible(timeout=30_000)
    expect(value).to_have_text("–")
    expect(clear).to_be_disabled()
    wait_for_ink(phone, lambda ink: ink == 0)
    assert_no_exception(phone)


def draw_seven(page, canvas) -> None:
    """A 7 drawn with a finger where the canvas is now (a tap on a button below it scrolls)."""
    canvas.scroll_into_view_if_needed()
    for stroke in seven(canvas.bounding_box()):
        touch_stroke(page, stroke)


def seven(box) -> list[list[tuple[float, float]]]:
    """A 7 in the canvas's middle: a bar to the right, then a stem down to the lower left."""
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    bar = [(x + w * (0.3 + 0.4 * t), y + h * 0.25) for t in np.linspace(0, 1, 12)]
    stem = [(x + w * (0.7 - 0.25 * t), y + h * (0.25 + 0.55 * t)) for t in np.linspace(0, 1, 16)]
    return [bar, stem]


def steady_box(page, locator, seconds: float = 30) -> dict:
    """The element's box once it stays put for 0.25 s (a sliding sidebar or a rerun's layout
    moves it), so that strokes aimed at it land where they are meant to."""
    previous = None
    for _ in range(int(seconds / 0.25)):
        box = locator.bounding_box()
        if box is not None and box == previous:
            return box
        previous = box
        page.wait_for_timeout(250)
    raise AssertionError(f"the element kept moving: last at {previous}")


def wait_for_ink(page, wanted, seconds: float = 30) -> None:
    """Wait until the canvas's ink satisfies wanted (it redraws a moment after Undo or Clear)."""
    ink = None
    for _ in range(int(seconds / 0.25)):
        ink = canvas_ink(page)
        if wanted(ink):
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the canvas's ink stayed at {ink}")


def test_the_sidebar_closes_after_choosing_a_page_on_a_phone(phone, app_url):
    """QA: the sidebar stayed open over the page after a page was picked, and a first drawing
    landed on it. Then (issue 15) it stayed open when the page was picked right after the first
    one showed: the closer's script had not run yet (Streamlit draws a script's element only
    once its own code for it has loaded, seconds later on a busy server). The page is picked
    here as soon as the first one shows. Then (CI) it stayed open when the closer's script ran
    between the tap and the new address: the click had come before its listener and the address
    was still the first page's; the closer now watches the address (4 of 8 taps failed without)."""
    phone.goto(f"{app_url}/explore")
    wait_for_app(phone)
    sidebar = phone.get_by_test_id("stSidebar")
    phone.get_by_test_id("stExpandSidebarButton").tap()
    expect(sidebar).to_have_attribute("data-collapsed", "false")
    phone.get_by_test_id("stSidebarNav").get_by_text("Draw", exact=True).tap()
    phone.wait_for_url("**/draw*", timeout=60_000)
    expect(sidebar).to_have_attribute("data-collapsed", "true", timeout=30_000)
    canvas = phone.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible(timeout=30_000)
    canvas.scroll_into_view_if_needed()  # below the fold at 390x844: elementFromPoint needs it seen
    box = canvas.bounding_box()
    # Nothing covers the canvas's middle: a finger there reaches the canvas.
    assert phone.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('[data-testid=stSidebar]') === null",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert_no_exception(phone)


# Projector mode -------------------------------------------------------------------------------


def tick_font_sizes(chart) -> list[float]:
    """The font sizes (CSS px) of a plotly chart's axis tick labels."""
    return chart.evaluate(
        "(plot) => [...plot.querySelectorAll('.xtick text, .ytick text')]"
        ".map(t => parseFloat(getComputedStyle(t).fontSize))"
    )


def test_projector_mode_from_a_link_live_chart_legible_at_1280x720(page, app_url, screenshot):
    """The teacher's link opens in projector mode: sidebar closed, larger text, thicker lines,
    and the live training chart's tick labels at least 16 px at 1280x720."""
    page.set_viewport_size(PROJECTOR)
    page.goto(f"{app_url}/train?presentation=true&epochs=1&train_size=512&batch_size=16")
    page.locator(".st-key-train_start button").wait_for(timeout=180_000)
    wait_for_app(page, timeout=180_000)
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    body = page.get_by_test_id("stMain").locator("[data-testid=stMarkdownContainer] p").first
    assert float(body.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 19
    assert body.evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
    page.locator(".st-key-train_start button").click()
    chart = page.locator(".st-key-train_live_chart .js-plotly-plot").first
    chart.wait_for(timeout=180_000)
    expect(chart.locator(".xtick text").first).to_be_visible(timeout=60_000)
    expect(chart.locator("path.js-line").first).to_be_attached(timeout=120_000)
    sizes = tick_font_sizes(chart)
    assert sizes and min(sizes) >= 16, sizes
    widths = chart.evaluate(
        "(plot) => [...plot.querySelectorAll('path.js-line')]"
        ".map(p => parseFloat(getComputedStyle(p).strokeWidth))"
    )
    assert max(widths) >= 4, widths  # the smoothed curve: 5 px (2.5 on a laptop)
    page.get_by_test_id("stMain").get_by_test_id("stMetric").filter(
        has_text="Test accuracy"
    ).wait_for(timeout=180_000)
    wait_for_app(page)
    assert "presentation=true" in page.url  # the mode stays in the link to share
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PROJECTOR["width"]
    assert sideways(page) == []
    whole_page(page, screenshot, "train_projector")
    assert_no_exception(page)


def test_projector_mode_switch_keeps_across_pages_and_grows_the_canvas(page, app_url, screenshot):
    page.set_viewport_size(PROJECTOR)
    page.goto(f"{app_url}/draw")
    wait_for_app(page)
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible(timeout=30_000)
    assert canvas.bounding_box()["width"] == pytest.approx(280, abs=1)
    page.get_by_test_id("stSidebar").get_by_text("Projector mode").click()
    page.wait_for_url(re.compile(r"presentation=true"), timeout=30_000)
    wait_for_app(page)
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    expect(canvas).to_have_attribute("width", "420", timeout=30_000)
    # A 7 drawn with the mouse on the bigger canvas is read as a 7 (the pen grows with it). The
    # strokes go where the canvas is once the page is idle and the canvas has stopped moving (the
    # sidebar slides away, the main block widens), each on an idle page: the bar is read before
    # the stem is drawn, so the prediction read last is the whole 7's.
    wait_for_app(page)
    canvas.scroll_into_view_if_needed()
    box = steady_box(page, canvas)
    assert box["width"] == pytest.approx(420, abs=1)
    bar, stem = seven(box)
    mouse_stroke(page, bar)
    expect(prediction_value(page)).not_to_have_text("–", timeout=90_000)  # the bar is read
    wait_for_app(page)
    bar_ink = canvas_ink(page)
    assert steady_box(page, canvas) == box, "the canvas moved after the bar"
    mouse_stroke(page, stem)
    wait_for_ink(page, lambda ink: ink > 1.8 * bar_ink)  # the stem is on the canvas
    expect(prediction_value(page)).to_have_text("7", timeout=90_000)
    wait_for_app(page)
    sizes = one_chart(page, "draw_probabilities").evaluate(
        "(plot) => [...plot.querySelectorAll('.xtick text')].map(t => parseFloat(t.style.fontSize))"
    )
    assert sizes and min(sizes) >= 16, sizes
    whole_page(page, screenshot, "draw_projector")
    # Another page from the sidebar: projector mode stays on, in the page and in its link.
    page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_test_id("stSidebarNav").get_by_text("Explore", exact=True).click()
    page.wait_for_url("**/explore*")
    wait_for_app(page)
    page.wait_for_url(re.compile(r"presentation=true"), timeout=30_000)
    title = page.locator("h1").first
    assert float(title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) > 50
    assert_no_exception(page)


@pytest.mark.parametrize("path", ["", "explore"])
def test_projector_mode_fits_1280x720_with_large_high_contrast_text(
    page, app_url, path, screenshot
):
    page.set_viewport_size(PROJECTOR)
    page.goto(f"{app_url}/{path}?presentation=true")
    wait_for_app(page)
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    main = page.get_by_test_id("stMain")
    if path == "explore":
        expect(main.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)
    else:
        expect(main.get_by_test_id("stCode").first).to_be_visible(timeout=60_000)
    text = main.locator("[data-testid=stMarkdownContainer] p").first
    assert text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 19
    assert text.evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
    assert sideways(page) == []
    assert page.evaluate(CUT_CHART_TEXT_JS) == []
    whole_page(page, screenshot, f"{path or 'home'}_projector")
    assert_no_exception(page)


def test_no_deploy_button_or_developer_menu(page, app_url):
    """Students see neither Streamlit's Deploy button nor its developer options."""
    for query in ("", "?presentation=true"):
        page.goto(f"{app_url}/{query}")
        wait_for_app(page)
        expect(page.get_by_test_id("stToolbar")).to_be_attached()
        expect(page.get_by_test_id("stAppDeployButton")).to_have_count(0)
        expect(page.get_by_role("button", name="Deploy")).to_have_count(0)
        page.get_by_test_id("stMainMenu").click()
        menu = page.get_by_test_id("stMainMenuPopover")
        expect(menu).to_be_visible()
        expect(menu.get_by_text("Clear cache")).to_have_count(0)
        expect(menu.get_by_text("Rerun")).to_have_count(0)
        page.keyboard.press("Escape")


# Pages that name themselves -------------------------------------------------------------------

TITLES = {
    "en": {"": "Home", "explore": "Explore", "train": "Train", "draw": "Draw"},
    "ko": {"": "홈", "explore": "데이터 살펴보기", "train": "훈련", "draw": "그리기"},
}
APP_TITLE = {"en": "MNIST demo", "ko": "MNIST 데모"}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_each_page_names_itself_in_its_language(page, app_url, lang):
    for path, name in TITLES[lang].items():
        page.goto(f"{app_url}/{path}?lang={lang}")
        wait_for_app(page)
        expect(page).to_have_title(f"{APP_TITLE[lang]} · {name}", timeout=60_000)
        expect(page.locator("html")).to_have_attribute("lang", lang, timeout=60_000)
    # Through the sidebar too, and after switching the language on the page.
    page.get_by_test_id("stSidebarNav").get_by_text(TITLES[lang]["train"], exact=True).click()
    page.wait_for_url("**/train*")
    expect(page).to_have_title(f"{APP_TITLE[lang]} · {TITLES[lang]['train']}", timeout=30_000)
    other = "ko" if lang == "en" else "en"
    wait_for_app(page)
    switch = page.get_by_test_id("stSidebar").get_by_text("한국어" if other == "ko" else "English")
    switch.click(timeout=60_000)
    expect(page).to_have_title(f"{APP_TITLE[other]} · {TITLES[other]['train']}", timeout=30_000)
    expect(page.locator("html")).to_have_attribute("lang", other, timeout=30_000)
    assert_no_exception(page)
