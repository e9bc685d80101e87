"""Explore in a real browser: the chapter's printouts, plotly charts, grid clicks, shareable URL."""

import re

from e2e_helpers import assert_no_exception, wait_for_app
from playwright.sync_api import expect

TRAIN_LABELS = "array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)"
TEST_LABELS = "array([7, 2, 1, ..., 4, 5, 6], dtype=uint8)"
CELL = 28 + 4  # grid tile plus gap, in MNIST pixels (mnist_demo.charts.explore.GAP)


def open_explore(page, app_url, query: str = "") -> None:
    page.goto(f"{app_url}/explore{query}")
    wait_for_app(page)
    # Five plotly charts: label counts, sample grid, digit, pixel values, input vector.
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5", timeout=60_000
    )
    assert_no_exception(page)


def summary(page) -> str:
    return page.locator(".st-key-explore_summary").inner_text()


def close_up_title(page) -> str:
    return page.get_by_text(re.compile(r"^Pixel values of ")).inner_text()


def click_tile(page, position: int) -> None:
    """Click the grid tile at position (0 = top left) in the sample grid figure."""
    wait_for_app(page)
    page.wait_for_timeout(500)  # let plotly finish redrawing the grid after the last rerun
    plot_area = page.locator(".st-key-explore_grid .nsewdrag").first
    plot_area.scroll_into_view_if_needed()
    box = plot_area.bounding_box()
    unit = box["width"] / (8 * CELL + 4)
    x = box["x"] + (4 + (position % 8) * CELL + 14) * unit
    y = box["y"] + (4 + (position // 8) * CELL + 14) * unit
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def cut_metric_texts(page) -> list[str]:
    """The metric labels and values whose text is wider than the box that shows it."""
    return page.evaluate(
        "[...document.querySelectorAll("
        '\'[data-testid="stMetricValue"] *, [data-testid="stMetricLabel"] *\')]'
        ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"
    )


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def settle(page) -> None:
    """Wait for the rerun an input started to finish."""
    page.wait_for_timeout(500)
    wait_for_app(page)


def type_into(page, key: str, value: str) -> None:
    box_input = page.locator(f".st-key-{key} input")
    box_input.fill(value)
    box_input.press("Enter")
    settle(page)


def test_explore_shows_the_chapter_data_and_the_index_view(page, app_url, screenshot):
    open_explore(page, app_url)
    # The printout can paint a moment after the charts on a loaded machine: wait for it.
    expect(page.locator(".st-key-explore_summary")).to_contain_text(TRAIN_LABELS, timeout=30_000)
    assert "(60000, 28, 28)" in summary(page)
    assert "uint8" in summary(page)
    # The chapter's train_images[4] is a 9, and its pixel values are written in the heatmap.
    assert close_up_title(page).startswith("Pixel values of train_images[4]")
    expect(page.get_by_text("train_images[4] · label 9")).to_be_visible()
    numbers = [
        t for t in page.locator(".st-key-explore_pixels text").all_text_contents() if t.isdigit()
    ]
    assert "253" in numbers and len(numbers) > 100, numbers[:20]
    expect(page.locator(".st-key-explore_grid .js-plotly-plot image")).to_have_count(1)
    # Every metric's value and label fits its column (a cut one ends in "…": "142 / 784" and
    # "Non-zero pixels (of 784)" once did).
    expect(page.get_by_test_id("stMetricValue")).to_have_count(3)
    assert cut_metric_texts(page) == []

    height = page.evaluate(
        "document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight"
    )
    page.set_viewport_size({"width": 1400, "height": int(height) + 40})
    page.wait_for_timeout(1500)  # plotly re-lays out after the resize
    screenshot(page, "explore")
    page.set_viewport_size({"width": 1400, "height": 1000})

    # Index lookup by typing: the close-up and the address bar follow.
    index_input = page.locator(".st-key-index input")
    index_input.fill("7")
    index_input.press("Enter")
    expect(page.get_by_text("train_images[7] · label 3")).to_be_visible(timeout=30_000)
    page.wait_for_url(re.compile(r"index=7\b"))  # the address follows once the run has set it
    # A click on the third tile of the grid (dataset index 2, a 4) opens it below.
    click_tile(page, 2)
    expect(page.get_by_text("train_images[2] · label 4")).to_be_visible(timeout=30_000)
    page.wait_for_url(re.compile(r"index=2\b"))
    assert_no_exception(page)


def test_split_and_filter_are_kept_in_the_url(page, app_url):
    open_explore(page, app_url)
    page.get_by_role("radio", name="Test set").click()
    expect(page.locator(".st-key-explore_summary")).to_contain_text(TEST_LABELS, timeout=30_000)
    assert "(10000, 28, 28)" in summary(page)
    page.wait_for_url(re.compile(r"split=test"))
    page.locator(".st-key-label").get_by_text("3", exact=True).click()
    expect(page.get_by_text(re.compile(r"1,010 images"))).to_be_visible(timeout=30_000)
    page.wait_for_url(re.compile(r"label=3"))
    assert "lang=" in page.url  # the language parameter is left alone
    assert_no_exception(page)


def test_a_shared_link_reproduces_the_view(page, app_url):
    open_explore(page, app_url, "?split=test&label=3&index=123&grid_page=2")
    expect(page.locator(".st-key-explore_summary")).to_contain_text(TEST_LABELS, timeout=30_000)
    expect(page.get_by_text(re.compile(r"Page 2 of 16 · 1,010 images"))).to_be_visible()
    assert close_up_title(page).startswith("Pixel values of test_images[123]")


def test_a_bad_index_in_a_link_is_explained(page, app_url):
    open_explore(page, app_url, "?index=70000")
    expect(page.get_by_test_id("stAlert")).to_contain_text(
        "The link asked for index 70000, but the training set holds indexes 0 to 59999 only."
    )
    assert close_up_title(page).startswith("Pixel values of train_images[4]")


def test_explore_fits_a_window_of_800_px_with_the_sidebar_open(page, app_url):
    page.set_viewport_size({"width": 800, "height": 900})
    open_explore(page, app_url)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    expect(page.locator(".st-key-explore_summary")).to_contain_text(TRAIN_LABELS, timeout=30_000)
    page.wait_for_timeout(1000)  # plotly lays the charts out again for their column widths
    # The printout wraps rather than cutting ">>> print(train_images.dtype)" at its edge.
    cut = page.evaluate(
        "[...document.querySelectorAll('.st-key-explore_summary *')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"
    )
    assert cut == [], cut
    # The legend sits above the bars, not on the training bar of digit 0.
    legend = box(page, ".st-key-explore_counts .legend")
    plot_area = box(page, ".st-key-explore_counts .nsewdrag")
    assert legend["y"] + legend["height"] <= plot_area["y"] + 1, (legend, plot_area)
    # All ten label pills are in sight, inside the column that holds them.
    pills = page.locator(".st-key-label button[role='radio']")
    expect(pills).to_have_count(10)
    group = box(page, ".st-key-label")
    for number in range(10):
        pill = pills.nth(number).bounding_box()
        assert pill["x"] >= group["x"] - 1, number
        assert pill["x"] + pill["width"] <= group["x"] + group["width"] + 1, (number, pill, group)
    # Previous and Next show their words, whole, beside the chevrons.
    for key, word in (("explore_previous", "Previous"), ("explore_next", "Next")):
        label = page.locator(f".st-key-{key} button [data-testid='stMarkdownContainer']")
        expect(label).to_have_text(word)
        expect(label).to_be_visible()
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1 && e.clientWidth > 0"), key
    # The close-up's title lies inside its chart, and its metrics are whole.
    page.locator(".st-key-explore_digit").scroll_into_view_if_needed()
    title = box(page, ".st-key-explore_digit .gtitle")
    chart = box(page, ".st-key-explore_digit .main-svg")
    assert title["x"] >= chart["x"] - 1, (title, chart)
    assert title["x"] + title["width"] <= chart["x"] + chart["width"] + 1, (title, chart)
    expect(page.get_by_test_id("stMetricValue")).to_have_count(3)
    assert cut_metric_texts(page) == []
    assert_no_exception(page)


def test_number_boxes_show_the_value_the_page_shows(page, app_url):
    open_explore(page, app_url, "?label=3&grid_page=96")
    status = page.get_by_text(re.compile(r"^Page \d+ of 96"))
    # A page beyond the last: the box had kept "500" in red whatever page was shown later.
    type_into(page, "grid_page", "500")
    expect(page.locator(".st-key-grid_page input")).to_have_value("96")
    page.locator(".st-key-shuffle label").first.click()
    settle(page)
    page.locator(".st-key-explore_next button").click()
    expect(status).to_contain_text("Page 2 of 96", timeout=30_000)
    expect(page.locator(".st-key-grid_page input")).to_have_value("2")
    # An index outside the split: the box shows the index of the sample on view.
    index_box = page.locator(".st-key-index input")
    for typed, shown in (("70000", "59999"), ("-1", "0")):
        type_into(page, "index", typed)
        expect(page.get_by_text(f"train_images[{shown}] · label")).to_be_visible(timeout=30_000)
        expect(index_box).to_have_value(shown)
    assert_no_exception(page)


def test_a_split_switch_warns_once_and_restores_the_index(page, app_url):
    open_explore(page, app_url)
    type_into(page, "index", "50000")
    page.wait_for_url(re.compile(r"index=50000"))
    page.get_by_role("radio", name="Test set").click()
    expect(page.get_by_text("test_images[9999] · label")).to_be_visible(timeout=30_000)
    alerts = page.get_by_test_id("stAlert")
    expect(alerts).to_have_count(1)
    expect(alerts).to_contain_text("Index 50000 does not exist in the test set (0 to 9999)")
    page.get_by_role("radio", name="Training set").click()
    expect(page.get_by_text("train_images[50000] · label")).to_be_visible(timeout=30_000)
    expect(page.locator(".st-key-index input")).to_have_value("50000")
    expect(alerts).to_have_count(0)
