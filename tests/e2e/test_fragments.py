"""A canvas stroke and a grid page turn rerun only their fragment (and what shows their state
is in it); a page opens in one run.

The browser is told how each script run ended in the websocket's script_finished message: a full
run of the app ("FINISHED_SUCCESSFULLY") or a fragment's alone ("FINISHED_FRAGMENT_RUN_..."); a
run cut short by st.rerun() ends "FINISHED_EARLY_FOR_RERUN". A server spends 0.4-1 CPU-s on a
full run of a page and far less on a fragment (benchmarks/classroom.py).
"""

from e2e_helpers import assert_no_exception, pick_option, wait_for_app
from playwright.sync_api import expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FULL = ForwardMsg.FINISHED_SUCCESSFULLY
FRAGMENT = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN


class ScriptRuns:
    """How every script run of this tab's session ended, in order, read off the websocket."""

    def __init__(self, page) -> None:
        self.endings: list[int] = []
        page.on("websocket", self._watch)

    def _watch(self, socket) -> None:
        if "_stcore/stream" in socket.url:
            socket.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        if not isinstance(payload, bytes):
            return
        message = ForwardMsg.FromString(payload)
        if message.WhichOneof("type") == "script_finished":
            self.endings.append(message.script_finished)

    def since(self, start: int) -> list[int]:
        return self.endings[start:]

    def settle(self, page, at_least: int, timeout_ms: int = 90_000) -> None:
        """Wait until at least this many runs have ended and then 2 s pass without another
        (Streamlit's status widget shows only after a delay, so the page alone cannot tell)."""
        waited, seen, quiet = 0, -1, 0
        while waited < timeout_ms and (len(self.endings) < at_least or quiet < 2_000):
            page.wait_for_timeout(250)  # Playwright delivers websocket frames while it waits
            waited += 250
            quiet = quiet + 250 if len(self.endings) == seen else 0
            seen = len(self.endings)


def open_fresh(page, url: str) -> ScriptRuns:
    """Open url in this tab as a new session, once the server has served its first page (a
    fresh server's very first link to a page other than "/" reruns once to leave Streamlit's
    folder-based pages mode, see streamlit_fixes.leave_legacy_pages_mode)."""
    page.goto(url.rsplit("/", 1)[0])
    wait_for_app(page, timeout=180_000)  # a loaded machine: the first page can take a minute
    runs = ScriptRuns(page)
    page.goto(url)
    wait_for_app(page, timeout=180_000)
    return runs


def test_a_canvas_stroke_reruns_only_the_drawing_fragment(page, app_url):
    runs = open_fresh(page, f"{app_url}/draw")
    expect(page.get_by_text("Draw a digit", exact=True)).to_be_visible(timeout=60_000)
    runs.settle(page, 1)
    assert runs.endings == [FULL], runs.endings  # the first visit: one run, no rerun
    before = len(runs.endings)

    canvas = page.locator("canvas.upper-canvas").first
    box = canvas.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 50)
    page.mouse.down()
    page.mouse.move(x, box["y"] + box["height"] - 50, steps=15)  # a 1
    page.mouse.up()
    value = page.get_by_test_id("stMetric").filter(has_text="Prediction")
    expect(value.get_by_test_id("stMetricValue")).not_to_have_text("–", timeout=90_000)
    expect(page.get_by_text("Closest MNIST training digits")).to_be_visible(timeout=30_000)
    runs.settle(page, before + 1)
    after = runs.since(before)
    assert after and set(after) == {FRAGMENT}, after
    # What lies outside the fragment is still there, drawn by the first run.
    expect(page.get_by_test_id("stSelectbox").filter(has_text="Model")).to_be_visible()
    assert_no_exception(page)


def test_a_page_turn_and_a_new_index_rerun_only_the_samples_fragment(page, app_url):
    runs = open_fresh(page, f"{app_url}/explore")
    status = page.get_by_text("Page 1 of", exact=False)
    expect(status).to_be_visible(timeout=60_000)
    runs.settle(page, 1)
    assert runs.endings == [FULL], runs.endings
    # The lesson panel's link carries the grid's settings: it sits in the fragment, so a page
    # turn updates it too.
    page.get_by_text("Share as a lesson").click()
    pick_option(page, page.locator(".st-key-explore_lesson_fixed"), "Sample index")
    link = page.locator(".st-key-explore_lesson_panel [data-testid=stCode]")
    expect(link).to_contain_text("fixed=index", timeout=30_000)
    expect(link).not_to_contain_text("grid_page")
    page.keyboard.press("Escape")
    runs.settle(page, 2)
    before = len(runs.endings)

    page.locator(".st-key-explore_next button").click()
    expect(page.get_by_text("Page 2 of", exact=False)).to_be_visible(timeout=30_000)
    expect(link).to_contain_text("grid_page=2", timeout=30_000)
    wait_for_app(page)
    page.wait_for_url("**grid_page=2*")
    index = page.locator(".st-key-index input")
    index.fill("7")
    index.press("Enter")
    expect(page.get_by_text("train_images[7]", exact=False).first).to_be_visible(timeout=30_000)
    wait_for_app(page)
    page.wait_for_url("**index=7*")
    runs.settle(page, before + 2)
    after = runs.since(before)
    assert len(after) >= 2 and set(after) == {FRAGMENT}, after
    # The data printout above the fragment is still shown.
    expect(page.get_by_text("array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)").first).to_be_visible()
    assert_no_exception(page)
