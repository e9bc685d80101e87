"""The Train page in Chromium: a short real run from a shared link, live curve, final accuracy."""

import re

from e2e_helpers import assert_no_exception, screenshot, wait_for_app

# A link a teacher could share: one quick epoch on 10,000 images in batches of 32 (~300 steps,
# enough points for a real curve), a fifth held out for validation points.
LINK = "train?epochs=1&train_size=10000&batch_size=32&validation_split=0.2"


def test_short_run_shows_live_curve_and_test_accuracy(page, app_url):
    page.goto(f"{app_url}/{LINK}")
    wait_for_app(page)
    assert_no_exception(page)
    main = page.get_by_test_id("stMain")
    parameters = main.get_by_test_id("stMetric").filter(has_text="Parameters")
    parameters.wait_for(timeout=120_000)  # the summary builds the model (imports TensorFlow)
    assert "407,050" in parameters.inner_text()
    page.locator(".st-key-train_start button").click()

    live_chart = page.locator(".st-key-train_live_chart .js-plotly-plot")
    live_chart.wait_for(timeout=120_000)
    accuracy = main.get_by_test_id("stMetric").filter(has_text="Test accuracy")
    accuracy.wait_for(timeout=180_000)
    wait_for_app(page)
    value = float(re.search(r"0\.\d+", accuracy.inner_text()).group())
    assert 0.85 < value <= 1.0  # 8,000 training images, one epoch: about 0.93
    # The curve has the per-batch points of the whole epoch, raw and smoothed.
    assert live_chart.locator("path.js-line").count() >= 4
    for figure in ("train_confusion", "train_mistakes", "train_templates"):
        page.locator(f".st-key-{figure} .js-plotly-plot").wait_for(timeout=30_000)
    assert "epochs=1" in page.url and "batch_size=32" in page.url  # the link still reproduces it
    assert_no_exception(page)
    # Streamlit scrolls inside its main block, so a full-page shot needs a viewport that tall.
    height = page.evaluate(
        "document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight"
    )
    page.set_viewport_size({"width": 1400, "height": height + 120})
    wait_for_app(page)
    screenshot(page, "train")

    # Another page and back: the run, its results and the settings are all still there.
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.get_by_test_id("stSidebarNav").get_by_text("Explore", exact=True).click()
    page.wait_for_url("**/explore*")
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Train", exact=True).click()
    page.wait_for_url("**/train*")
    wait_for_app(page)
    accuracy.wait_for(timeout=60_000)
    assert f"{value:.4f}" in accuracy.inner_text()
    assert page.locator(".st-key-train_live_chart .js-plotly-plot").count() == 1
    assert page.locator(".st-key-train_epochs [data-testid=stSliderThumbValue]").inner_text() == "1"
    assert_no_exception(page)
