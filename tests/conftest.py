"""Shared fixtures: every test gets its own data directory, so nothing touches ~/.mnist_demo.
Without Chromium the browser tests (tests/e2e) are skipped as one, with the reason."""

from pathlib import Path

import pytest

from mnist_demo.tools.browser import chromium_missing

E2E = Path(__file__).parent / "e2e"


class _SkippedDirectory(pytest.Dir):
    """A test folder whose tests cannot run here: reported as one skip with its reason."""

    reason = ""

    def collect(self):
        pytest.skip(self.reason)


def pytest_collect_directory(path, parent):
    if path == E2E and (reason := chromium_missing()):
        folder = _SkippedDirectory.from_parent(parent, path=path)
        folder.reason = f"browser tests: {reason}"
        return folder
    return None


def pytest_addoption(parser):
    # Registered here, at the tests' root, because pytest reads options before it collects
    # tests/e2e/conftest.py, which uses it.
    parser.addoption(
        "--screenshot-dir",
        default=None,
        help="save the browser tests' screenshots here (default: a temporary folder); "
        "tools/screenshots.py passes docs/ to refresh the README's pictures",
    )


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    home = tmp_path / "mnist_demo_home"
    home.mkdir()
    monkeypatch.setenv("MNIST_DEMO_HOME", str(home))
    return home


@pytest.fixture(autouse=True, scope="session")
def components_scanned_once():
    """Each new AppTest scans every installed distribution's metadata for Streamlit components
    (streamlit.components.v2.manifest_scanner: 0.3 CPU-s, up to 1.4 s on a busy machine). The
    installed distributions do not change during a test session, so the scan's real result is
    taken once and handed to every AppTest; a server (tests/e2e) scans once at start anyway.
    Written for Streamlit 1.67 (streamlit_fixes.STREAMLIT_VERSION); if the scanner moves, the
    AppTests scan as before, only slower."""
    from streamlit.components.v2 import manifest_scanner

    scan = getattr(manifest_scanner, "scan_component_manifests", None)
    if scan is None:
        yield
        return
    found = scan()
    manifest_scanner.scan_component_manifests = lambda max_workers=None: list(found)
    yield
    manifest_scanner.scan_component_manifests = scan
