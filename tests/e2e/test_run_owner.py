"""Runs belong to their owner: another browser opening a run's link watches it read-only, while
the browser that started it can still stop it after a reload (its owner cookie)."""

import re

from e2e_helpers import assert_no_exception, wait_for_app
from playwright.sync_api import expect

from mnist_demo.i18n import translate

# Long enough to still run while a second browser opens it; stopped at the end of the test.
LINK = "train?epochs=30&train_size=10000&batch_size=32"


def test_a_runs_link_opened_elsewhere_is_read_only_and_the_owner_can_stop_it(
    page, browser, app_url
):
    page.goto(f"{app_url}/{LINK}")
    wait_for_app(page)
    start = page.locator(".st-key-train_start button")
    start.wait_for(timeout=120_000)
    start.click()
    stop = page.locator(".st-key-train_stop button").last
    expect(stop).to_be_enabled(timeout=60_000)
    page.wait_for_url(re.compile(r".*[?&]run=[0-9a-f]{12}"), timeout=30_000)
    shared_link = page.url

    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        watcher = other.new_page()
        watcher.goto(shared_link)
        wait_for_app(watcher)
        note = watcher.get_by_text(translate("run.panel.read_only"))
        note.wait_for(timeout=120_000)
        watcher.locator(".st-key-train_live_chart").wait_for(timeout=120_000)
        assert watcher.locator(".st-key-train_stop").count() == 0
        assert_no_exception(watcher)
    finally:
        other.close()

    # The owner's reload is a new session; the owner cookie still lets it stop the run.
    page.reload()
    wait_for_app(page)
    stop = page.locator(".st-key-train_stop button").last
    expect(stop).to_be_enabled(timeout=120_000)
    assert page.get_by_text(translate("run.panel.read_only")).count() == 0
    stop.click()
    page.get_by_text(re.compile(r"^Stopped (in epoch|before training)")).first.wait_for(
        timeout=120_000
    )
    assert_no_exception(page)
