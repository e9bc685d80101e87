"""Real-browser harness: `streamlit run app.py` and Debian's Chromium driven by Playwright
(mnist_demo/tools/browser.py starts both)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnist_demo.tools.browser import launch_chromium, streamlit_server


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            # tools/screenshots.py refreshes the README's pictures by running exactly these.
            if "screenshot" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.screenshot)


@pytest.fixture(scope="session")
def app_home(tmp_path_factory) -> Path:
    """The server's data directory (runs, models, corrections), fresh for the test session."""
    return tmp_path_factory.mktemp("e2e_home")


@pytest.fixture(scope="session")
def app_url(app_home, tmp_path_factory):
    """`streamlit run app.py` on a free port for the whole session; its log is printed after."""
    log_path = tmp_path_factory.mktemp("e2e_log") / "streamlit.log"
    try:
        with streamlit_server(app_home, log=log_path) as url:
            yield url
    finally:
        print(log_path.read_text()[-4000:])


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab (own cookies and session) that fails the test on uncaught page errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def screenshot_dir(request, tmp_path_factory) -> Path:
    """Where screenshots go: a temporary folder, so that the tests leave the repository as it
    was; `--screenshot-dir docs` (what tools/screenshots.py passes) refreshes the README's."""
    chosen = request.config.getoption("screenshot_dir")
    if chosen is None:
        return tmp_path_factory.mktemp("screenshots")
    folder = Path(chosen).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(screenshot_dir):
    """save(page, name): a full-page screenshot to <screenshot_dir>/<name>.png, its path back.
    A test that takes this fixture is marked `screenshot`, so tools/screenshots.py runs it."""

    def save(page, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0, f"empty screenshot {path}"
        return path

    return save
