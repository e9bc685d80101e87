"""Each Streamlit workaround in mnist_demo/ui/streamlit_fixes.py still works on the installed
Streamlit, which is the version they were written for (AppTest, real Streamlit).

AppTest sends widget values, not the browser's option labels, and runs no `pages/` folder mode,
so the browser halves are tests/e2e/test_train.py (a choice kept across a language switch),
tests/e2e/test_i18n.py (a fresh server's first request to a page link) and
tests/e2e/test_draw.py (the Draw page's scripts and styles find the elements they name)."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from mnist_demo.ui import streamlit_fixes

TIMEOUT = 60


def test_the_workarounds_were_written_for_the_installed_streamlit():
    # On another version, check every workaround in streamlit_fixes, then raise the version.
    assert streamlit.__version__ == streamlit_fixes.STREAMLIT_VERSION


def test_the_canvas_scripts_were_written_for_the_installed_drawable_canvas():
    # On another version, check the canvas scripts (CANVAS_*_SCRIPT) against its bundle first.
    installed = importlib.metadata.version("streamlit-drawable-canvas")
    assert installed == streamlit_fixes.DRAWABLE_CANVAS_VERSION


def test_in_script_run_tells_a_script_run_from_the_test_thread():
    def script():
        import streamlit as st

        from mnist_demo.ui import streamlit_fixes

        st.text(f"inside: {streamlit_fixes.in_script_run()}")

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert at.text[0].value == "inside: True"
    assert streamlit_fixes.in_script_run() is False


def test_the_internals_leave_legacy_pages_mode_reads_are_there():
    def script():
        from pathlib import Path

        import streamlit as st
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        from mnist_demo.ui import streamlit_fixes

        manager = get_script_run_ctx().pages_manager
        st.text(str(PagesManager.uses_pages_directory in (True, False, None)))
        st.text(str(Path(manager.main_script_path).is_file()))
        st.text(str(all("script_path" in page for page in manager.get_pages().values())))
        streamlit_fixes.leave_legacy_pages_mode()  # not app.py: nothing to leave, no rerun
        st.text("after")

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert [text.value for text in at.text] == ["True", "True", "True", "after"]


def test_a_forgotten_link_value_does_not_reach_its_number_box():
    def script():
        import streamlit as st

        from mnist_demo.ui import streamlit_fixes

        if st.session_state.get("fix", True):
            streamlit_fixes.forget_link_values(["count"])
        count = st.number_input("Count", min_value=0, step=1, key="count", bind="query-params")
        st.text(f"count {count}, link {st.query_params.to_dict()}")

    def opened(fix: bool) -> AppTest:
        at = AppTest.from_function(script, default_timeout=TIMEOUT)
        at.query_params["count"] = "inf"
        at.session_state["fix"] = fix
        return at.run()

    # Without the workaround Streamlit raises in the number box, where no page can catch it.
    unfixed = opened(False)
    assert unfixed.exception
    assert "cannot convert float infinity to integer" in unfixed.exception[0].message
    fixed = opened(True)
    assert not fixed.exception, fixed.exception
    assert fixed.text[0].value == "count 0, link {}"


def test_a_resent_choice_survives_new_option_labels():
    # Re-imposing a value keeps it and takes the new labels; unknown keys are left alone.
    def script():
        import streamlit as st

        from mnist_demo.ui import streamlit_fixes

        suffix = st.session_state.get("suffix", "")
        streamlit_fixes.resend_widget_values(["pick", "missing"])
        st.radio("Pick", ["a", "b"], key="pick", format_func=lambda name: name + suffix)

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    at.radio(key="pick").set_value("b").run()
    at.session_state["suffix"] = " (ko)"
    at.run()
    assert not at.exception, at.exception
    assert at.radio(key="pick").value == "b"
    assert at.radio(key="pick").options == ["a (ko)", "b (ko)"]


def test_wrapping_columns_css_reaches_only_its_own_row():
    css = streamlit_fixes.wrapping_columns_css("row_key", ["10rem", "5rem"])
    row = ".st-key-row_key > div > [data-testid='stHorizontalBlock']"
    column = f"{row} > [data-testid='stColumn']"
    assert f"{row} {{ flex-wrap: wrap; }}" in css
    assert f"{column}:nth-child(1) {{ min-width: min(10rem, 100%); }}" in css
    assert f"{column}:nth-child(2) {{ min-width: min(5rem, 100%); }}" in css
    assert ":nth-child(3)" not in css


def script_body(html: str) -> str:
    assert html.startswith("<script>") and html.endswith("</script>")
    return html.removeprefix("<script>").removesuffix("</script>")


def test_the_browser_scripts_pass_streamlits_html_sanitizer():
    # The sanitizer drops a script holding "<" before a letter or "/" (it reads a tag there).
    tag = re.compile(r"<[A-Za-z/]")
    assert not tag.search(script_body(streamlit_fixes.CANVAS_TOOLBAR_SCRIPT))
    assert not tag.search(script_body(streamlit_fixes.CANVAS_PEN_SCRIPT))
    message = 'Files over 4 MB: <b>no</b> </script> 한국어 "quoted"'
    script = streamlit_fixes.upload_refusal_script(message)
    assert not tag.search(script_body(script))
    # The message reaches the script as a JavaScript string holding it exactly.
    literal = re.search(r"window\.drawUploadFix\.message = (.*);", script).group(1)
    assert json.loads(literal) == message


# What streamlit-drawable-canvas 0.13.0 does to its fabric.js canvas, with a stand-in canvas: it
# sets a pen, sets a new one when the page sends another width, then sets the width and colour
# on the pen it reads back; fabric sets _isCurrentlyDrawing while a stroke is drawn.
PEN_CHECK_JS = """
const assert = require("assert");
const canvas = {};
canvas.freeDrawingBrush = { name: "first" };  // made before the script ran
canvas._isCurrentlyDrawing = true;  // a stroke starts
canvas.freeDrawingBrush = { name: "during" };
canvas.freeDrawingBrush.width = 19;
assert.deepStrictEqual(canvas.freeDrawingBrush, { name: "first", width: 19 });
canvas._isCurrentlyDrawing = false;  // the stroke ends
canvas.freeDrawingBrush = { name: "after" };
assert.strictEqual(canvas.freeDrawingBrush.name, "after");
canvas._isCurrentlyDrawing = true;
canvas.freeDrawingBrush = { name: "second stroke" };
assert.strictEqual(canvas.freeDrawingBrush.name, "after");
// Every other object sees an ordinary property, and nothing new when it enumerates its keys.
const other = { a: 1 };
assert.strictEqual(other._isCurrentlyDrawing, undefined);
other._isCurrentlyDrawing = "x";
assert.strictEqual(other._isCurrentlyDrawing, "x");
assert.deepStrictEqual(Object.keys(other), ["a"]);
for (const key in {}) throw new Error(key);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the script")
def test_the_pen_script_keeps_a_strokes_pen_until_the_stroke_ends():
    # The browser half is tests/e2e/test_draw.py (a width change landing during a stroke).
    script = script_body(streamlit_fixes.CANVAS_PEN_SCRIPT)
    twice = script + script  # a second run (the page's next rerun) changes nothing
    result = subprocess.run(
        ["node", "-e", twice + PEN_CHECK_JS], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_page_styles_name_their_keyed_elements():
    assert streamlit_fixes.wrapping_pills_css("label") == (
        ".st-key-label [role='radiogroup'] { flex-wrap: wrap; overflow-x: visible; }"
    )
    assert streamlit_fixes.code_font_css("0.8rem") == ".stMain .stCode code { font-size: 0.8rem; }"
    css = streamlit_fixes.fixed_controls_css(["train_epochs", "train_batch_size"])
    assert css.startswith(".st-key-train_epochs, .st-key-train_batch_size {")
    assert "pointer-events: none" in css
    assert streamlit_fixes.fixed_controls_css([]) == ""


# A fragment rerun and its nested fragment's unsent messages (real Streamlit queue and storage) ---


def _delta(path: list[int], fragment_id: str):
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    message = ForwardMsg()
    message.delta.new_element.markdown.body = f"{fragment_id or 'main'} at {path}"
    message.delta.fragment_id = fragment_id
    message.metadata.delta_path[:] = path
    return message


def _unsent_draw_page_run():
    """The queue of a Draw page fragment run not yet sent: the drawing fragment's prediction,
    the guided mode (a fragment nested in it) at child 7, a sibling fragment's and the main
    script's elements, and the run's end."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue

    queue = ForwardMsgQueue()
    for message in (
        _delta([0, 4, 1], "drawing"),
        _delta([0, 4, 7], "guided"),
        _delta([0, 4, 7, 0], "guided"),
        _delta([0, 9], "sibling"),
        _delta([1, 0], ""),
    ):
        queue.enqueue(message)
    finished = ForwardMsg()
    finished.script_finished = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
    queue.enqueue(finished)
    return queue


def _draw_page_session():
    """A stand-in for an AppSession: the unsent run above and a real fragment storage where the
    guided mode is registered inside the drawing fragment (with the fix installed)."""
    from types import SimpleNamespace

    from streamlit.runtime.fragment import MemoryFragmentStorage

    assert streamlit_fixes.drop_nested_fragment_messages_on_rerun()
    storage = MemoryFragmentStorage()
    storage.register("drawing", lambda: None)
    storage.register("guided", lambda: None, parent_fragment_id="drawing")
    storage.register("sibling", lambda: None)
    return SimpleNamespace(_browser_queue=_unsent_draw_page_run(), _fragment_storage=storage)


def _left(queue) -> list[str]:
    return [
        message.delta.new_element.markdown.body if message.HasField("delta") else "finished"
        for message in queue._queue
    ]


def test_streamlit_keeps_a_nested_fragments_unsent_messages_when_its_parent_reruns():
    # The quirk the fix is for: when Streamlit fixes it, this fails and the fix can go.
    queue = _unsent_draw_page_run()
    queue.clear(retain_lifecycle_msgs=True, fragment_ids_this_run=["drawing"])
    assert "guided at [0, 4, 7]" in _left(queue)


def test_a_fragment_rerun_drops_its_nested_fragments_unsent_messages():
    from streamlit.runtime.app_session import AppSession

    session = _draw_page_session()
    assert streamlit_fixes.drop_nested_fragment_messages_on_rerun()  # once: nothing changes
    # The rerun's script thread may have pruned the nested fragment before the queue is cleared.
    session._fragment_storage.delete("guided")

    AppSession._clear_queue(session, ["drawing"])

    assert _left(session._browser_queue) == ["sibling at [0, 9]", "main at [1, 0]", "finished"]


def test_a_fragment_rerun_keeps_the_other_fragments_unsent_messages():
    from streamlit.runtime.app_session import AppSession

    session = _draw_page_session()

    AppSession._clear_queue(session, ["guided"])  # the guided mode's own rerun: its parent stays

    assert _left(session._browser_queue) == [
        "drawing at [0, 4, 1]",
        "sibling at [0, 9]",
        "main at [1, 0]",
        "finished",
    ]


def test_with_queued_descendants_follows_grandparents_and_survives_a_loop():
    queue = [_delta([0, 1], "grandchild"), _delta([0, 2], "looped"), _delta([0, 3], "top")]
    parents = {"grandchild": "child", "child": "top", "looped": "looped2", "looped2": "looped"}
    assert streamlit_fixes.with_queued_descendants(queue, parents, ["top"]) == [
        "top",
        "grandchild",
    ]
