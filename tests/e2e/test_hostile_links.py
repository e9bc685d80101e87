"""A link's parameters never become links or pictures in the page (issue 14, item 2)."""

from urllib.parse import quote, urlparse

import pytest
from e2e_helpers import assert_no_exception, wait_for_app
from playwright.sync_api import expect

LOGIN = "[Session expired - click here to log in](https://evil.example/login)"
PIXEL = "![x](http://evil.example/pixel.png)"
BARE = "https://evil.example/login"


@pytest.mark.parametrize(
    ("path", "parameter", "shown"),
    [
        ("/train", "run", "There is no run"),
        ("/explore", "index", "The link asked for index"),
    ],
)
@pytest.mark.parametrize("payload", [LOGIN, PIXEL, BARE])
def test_a_links_value_is_shown_as_text_not_markup(page, app_url, path, parameter, shown, payload):
    outside = []
    page.on(
        "request",
        # A blob: URL is the page's own data, named after the page's origin.
        lambda request: (
            urlparse(request.url.removeprefix("blob:")).hostname != "127.0.0.1"
            and outside.append(request)
        ),
    )
    page.goto(f"{app_url}{path}?{parameter}={quote(payload)}")
    wait_for_app(page)
    notice = page.get_by_test_id("stAlertContainer").filter(has_text=shown)
    expect(notice).to_be_visible(timeout=60_000)
    assert_no_exception(page)
    # The value is there, verbatim, in a code span ...
    expect(notice.locator("code")).to_have_text(payload)
    # ... and nothing in the page links to or loads from the address it carries.
    assert page.locator("a[href*='evil.example']").count() == 0
    assert page.locator("img[src*='evil.example']").count() == 0
    assert outside == []
