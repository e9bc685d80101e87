"""Helpers for the browser tests: wait for Streamlit, check for exceptions."""


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has rendered the page and finished running its script."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelectorAll('[data-testid=\"stMainBlockContainer\"] *').length > 3",
        timeout=timeout,
    )


def assert_no_exception(page) -> None:
    """Fail if Streamlit shows an exception box on the page."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
