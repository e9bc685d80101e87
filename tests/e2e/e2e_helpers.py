"""Helpers for the browser tests: wait for Streamlit, check for exceptions, pick an option, read
the canvas."""

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from mnist_demo.ui.screens import PHONE_WIDTH_PX

# Streamlit is connected and idle: a run has happened ("initial" before the first one) and none
# is running or asked for. Streamlit writes its run state on the app's root element as soon as a
# run starts; its status widget ("Running...") shows only half a second into a run, so the widget
# alone cannot tell a run that has just started.
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  return !!app
    && app.dataset.testConnectionState === 'CONNECTED'
    && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid=stStatusWidget]')
    && document.querySelectorAll('[data-testid=stMainBlockContainer] *').length > 3;
}"""


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has rendered the page and finished running its script (or the
    fragment that last ran). It cannot tell a rerun that the browser has not asked for yet: after
    an input, wait first for something the rerun brings, then for this."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout)
    page.wait_for_function(IDLE_JS, timeout=timeout)


# The page is laid out for the window's width: the marker the last run drew (ui.LAYOUT_MARKER)
# says narrow exactly when the window is narrower than a phone's.
LAYOUT_JS = """(phoneWidth) => {
  const layout = window.innerWidth < phoneWidth ? 'narrow' : 'wide';
  const marker = document.querySelector('[data-mnist-demo-layout]');
  return !!marker && marker.dataset.mnistDemoLayout === layout;
}"""


def wait_for_layout(page, timeout: float = 60_000) -> None:
    """Wait until the page has been laid out for the window's present width (after a resize,
    the shell's report reruns the page) and is idle."""
    page.wait_for_function(LAYOUT_JS, arg=PHONE_WIDTH_PX, timeout=timeout)
    wait_for_app(page, timeout)


def mouse_stroke(page, points) -> None:
    """One mouse stroke through points (page pixels), pressed from the first to the last."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=2)
    page.mouse.up()


def assert_no_exception(page) -> None:
    """Fail if Streamlit shows an exception box on the page."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()


def pick_option(page, select, name: str) -> None:
    """Pick the option called name in the select or multiselect (a locator around it). A click
    on its input while the page still moves (an expander opening, a rerun redrawing it) can
    focus the input without opening its list (CI: the list never showed in 30 s), and a rerun
    that lands while the list is open closes it under the pointer (CI: the option "detached
    from the DOM" for 30 s), so the whole pick is tried again until the option takes the click."""
    option = page.get_by_role("option", name=name, exact=True)
    for attempt in range(4):
        select.locator("input").click()
        try:
            option.wait_for(state="visible", timeout=5_000)
            option.click(timeout=5_000)
            return
        except PlaywrightTimeoutError:
            if attempt == 3:
                raise
            page.keyboard.press("Escape")
            wait_for_app(page)


def one_chart(page, key: str, timeout: float = 30_000):
    """The plotly chart keyed `key`, once it is there and alone. While a fragment reruns (a
    stroke, a live run's redraw), Streamlit shows the new chart beside the old one for a moment
    (CI: two probability charts, 39 % and 100 %, right after the page had finished running), so
    a test that reads a chart waits for the one; a chart that stays doubled fails the test."""
    chart = page.locator(f".st-key-{key} .js-plotly-plot")
    expect(chart).to_have_count(1, timeout=timeout)
    return chart


# Bright pixels on the canvas in the box with this key, as the browser shows it; -1 while the
# box has no canvas yet.
CANVAS_INK_JS = """(box) => {
  const host = document.querySelector(`.st-key-${box} [data-testid=stBidiComponentIsolated]`);
  if (!host || !host.shadowRoot) return -1;
  let ink = 0;
  for (const canvas of host.shadowRoot.querySelectorAll('canvas')) {
    const { width, height } = canvas;
    const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] > 128) ink++;
  }
  return ink;
}"""


def canvas_ink(page, box: str = "draw_canvas") -> int:
    """Bright pixels on the canvas in the box with this key, as the browser shows it."""
    ink = page.evaluate(CANVAS_INK_JS, box)
    assert ink >= 0, f"no canvas in .st-key-{box}"
    return ink


def wait_for_blank_canvas(page, box: str, timeout: float = 30_000) -> None:
    """Wait until the box holds a canvas with no ink (a fresh one, not the last one's)."""
    page.wait_for_function(f"(box) => ({CANVAS_INK_JS})(box) === 0", arg=box, timeout=timeout)
