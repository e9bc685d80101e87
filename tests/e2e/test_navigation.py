"""Every page opens in a real browser at its own URL and from the sidebar, without errors."""

import pytest
from e2e_helpers import assert_no_exception, wait_for_app


@pytest.mark.parametrize("path", ["", "explore", "train", "draw"])
def test_page_opens_directly(page, app_url, path):
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    assert_no_exception(page)


def test_sidebar_navigation_reaches_every_page(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    for name, path in [("Explore", "/explore"), ("Train", "/train"), ("Draw", "/draw")]:
        page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
        page.wait_for_url(f"**{path}*")
        wait_for_app(page)
        assert_no_exception(page)


def test_pages_ask_nothing_of_the_internet(page, app_url):
    """A classroom may be offline: every request a page makes stays on the app's own server."""
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith((app_url, "data:", "blob:"))
            else None
        ),
    )
    for path in ["", "explore", "train", "draw"]:
        page.goto(f"{app_url}/{path}")
        wait_for_app(page)
        page.wait_for_timeout(1000)  # late requests: favicon, fonts, component frames
    assert outside == []
