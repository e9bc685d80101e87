"""Workarounds for Streamlit's quirks, in one place, each written for STREAMLIT_VERSION.

Each one reads a Streamlit internal or relies on Streamlit's page structure (its `data-testid`
attributes and the `st-key-<key>` classes of keyed elements), so an upgrade can silently undo
it: tests/test_streamlit_fixes.py checks each one and fails first on any other version. After an
upgrade, check each workaround here (and the screen styles in screens.py, which
tests/e2e/test_screens.py checks), then raise STREAMLIT_VERSION. The code that reads internals
does nothing when they move, so the pages keep working without the fix. The Draw page's
browser scripts (the canvas toolbar, the canvas pen, the uploader's refusal) are checked in the
browser by tests/e2e/test_draw.py and tests/e2e/test_upload_refusals.py; the canvas scripts
reach into streamlit-drawable-canvas too, and are written for DRAWABLE_CANVAS_VERSION, which
tests/test_streamlit_fixes.py also checks. The pages' own style rules (wrapping pills and
columns, a lesson's fixed controls, Home's code size) are here too, as they name Streamlit's
elements. One works inside Streamlit's server: drop_nested_fragment_messages_on_rerun, which
app.py installs once per process (checked in the browser against a server that sends late,
ui/busy_server.py). Two workarounds live outside this package: mnist_demo.quiet_logs, installed
before any page runs, drops the traceback Streamlit 1.67 logs for a closed browser tab;
tests/conftest.py hands every AppTest one scan of the installed components (the tests' own
speed).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import streamlit as st

STREAMLIT_VERSION = "1.67.0"
DRAWABLE_CANVAS_VERSION = "0.13.0"  # streamlit-drawable-canvas: the Draw page's canvas scripts


def in_script_run() -> bool:
    """True inside a script run. AppTest replays a widget's format_func (e.g. lambda name:
    ui.t(...)) from the test thread after the run, where st.session_state cannot be read."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    return get_script_run_ctx(suppress_warning=True) is not None


def leave_legacy_pages_mode() -> None:
    """Switch Streamlit out of its legacy `pages/` mode and rerun, when it ran a page alone.

    Because the pages live in a folder named `pages/`, a fresh server process (and every AppTest
    run) starts in Streamlit's old folder-based mode, and leaves it only when app.py calls
    st.navigation. Until some session opened "/", a shared link such as /train?lang=ko ran
    pages/train.py alone: no language switch, English text, file names in the sidebar. This turns
    that mode off and reruns, so app.py and its navigation run.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        if PagesManager.uses_pages_directory is not True:
            return  # the usual case, checked first: ui.t() runs this on every look-up
        manager = get_script_run_ctx().pages_manager
        main = Path(manager.main_script_path).resolve()
        legacy = main.name == "app.py" and any(
            Path(info.get("script_path") or "").resolve() == main
            for info in manager.get_pages().values()
        )
    except Exception:  # noqa: BLE001 - internals moved: keep the page working
        return
    if legacy:
        PagesManager.uses_pages_directory = False  # what app.py's st.navigation would set
        st.rerun()


# The parents of every fragment a session has registered, kept on its fragment storage and never
# pruned (a session registers a handful of fragment ids: one per fragment and place on a page).
_FRAGMENT_PARENTS = "_mnist_demo_fragment_parents"
_PATCHED = "_mnist_demo_patched"


def drop_nested_fragment_messages_on_rerun() -> bool:
    """Make a fragment's rerun also drop its nested fragments' unsent messages (once per
    process; calling again changes nothing). Returns whether the fix is in place.

    When a fragment reruns, Streamlit 1.67 removes the messages of that fragment's previous run
    that have not been sent to the browser yet (its AppSession clears the session's outgoing
    queue of deltas carrying the fragment's id), but keeps those of a fragment nested in it,
    which carry their own id. On a busy server, where a run's messages wait for the event loop,
    a second stroke on the Draw page started the drawing fragment's rerun before the first
    stroke's run had been sent: the browser got the guided mode's block at its place after the
    prediction, steps and neighbours (child 7 of the fragment's container) without those
    (children 1-6), failed with "Bad delta path index 7 (should be between [0, 2])" and showed
    a white page until reloaded (benchmarks/classroom.py, 30 students: 1 to 9 of them).

    This records each fragment's parent as it registers and, when a rerun clears the queue,
    adds the queued messages' fragments that descend from the rerunning ones to those whose
    messages go: the rerun sends the nested fragment anew, in its place. The record outlives
    Streamlit's own, which the rerun's script thread may prune before the event loop clears the
    queue. If the internals move, Streamlit's own behaviour stays.
    """
    try:
        from streamlit.runtime.app_session import AppSession
        from streamlit.runtime.fragment import MemoryFragmentStorage
    except ImportError:
        return False
    if getattr(AppSession._clear_queue, _PATCHED, False):
        return True
    clear_queue = AppSession._clear_queue
    register = MemoryFragmentStorage.register

    def register_with_parent(self, key, *args, **kwargs):
        with contextlib.suppress(AttributeError):  # no record: Streamlit's own clearing
            self.__dict__.setdefault(_FRAGMENT_PARENTS, {})[key] = kwargs.get("parent_fragment_id")
        return register(self, key, *args, **kwargs)

    def clear_queue_with_descendants(self, fragment_ids_this_run=None):
        if fragment_ids_this_run:
            with contextlib.suppress(AttributeError):  # internals moved: Streamlit's own clearing
                fragment_ids_this_run = with_queued_descendants(
                    self._browser_queue._queue,
                    self._fragment_storage.__dict__.get(_FRAGMENT_PARENTS, {}),
                    fragment_ids_this_run,
                )
        return clear_queue(self, fragment_ids_this_run)

    setattr(clear_queue_with_descendants, _PATCHED, True)
    MemoryFragmentStorage.register = register_with_parent
    AppSession._clear_queue = clear_queue_with_descendants
    return True


def with_queued_descendants(
    queue: Sequence, parents: dict[str, str | None], fragment_ids: Sequence[str]
) -> list[str]:
    """fragment_ids plus the fragments of queued deltas that descend from one of them, given
    each fragment's parent (None at the top)."""
    rerunning = set(fragment_ids)
    queued = {
        message.delta.fragment_id
        for message in queue
        if message.HasField("delta") and message.delta.fragment_id
    }
    descendants = []
    for fragment_id in sorted(queued - rerunning):
        ancestor, seen = parents.get(fragment_id), set()
        while ancestor is not None and ancestor not in seen:
            if ancestor in rerunning:
                descendants.append(fragment_id)
                break
            seen.add(ancestor)
            ancestor = parents.get(ancestor)
    return [*fragment_ids, *descendants]


def forget_link_values(keys: Iterable[str]) -> None:
    """Remove keys from the URL and from the copy of it the session started with.

    A number box bound to the URL (bind="query-params") parses the link's value itself, and
    Streamlit 1.67 raises OverflowError for "inf" in an integer box: the page cannot catch it.
    The box reads the value the session started with, not st.query_params, so that copy goes
    too (an internal: if it moves, only the address bar is cleaned).
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    keys = list(keys)
    for key in keys:
        del st.query_params[key]
    try:
        with get_script_run_ctx().session_state.query_params() as query_params:
            for key in keys:
                query_params._initial_query_params.pop(key, None)
    except Exception:  # noqa: BLE001 - internals moved: keep the page working
        pass


def resend_widget_values(keys: Iterable[str]) -> None:
    """Write these widgets' values back to themselves, so Streamlit sends them to the browser
    again with this run's option labels. Call it before the widgets are created.

    Streamlit's radio, select_slider and multiselect hand the browser the chosen option's label
    (format_func's text), and the browser sends that label back on every rerun. When the labels
    change (a language switch), the browser still holds an old label, which is no longer an
    option: it shows nothing selected, and its next message resets the widget to its default.
    The value is still read right, through the previous run's labels; re-imposing it makes
    Streamlit send the new label.
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def wrapping_columns_css(key: str, min_widths: Sequence[str]) -> str:
    """CSS that lets the row of st.columns inside the container keyed `key` wrap onto more rows
    instead of squeezing its columns below min_widths (one CSS length per column). It reaches
    only that container's own row, not rows nested in its columns."""
    row = f".st-key-{key} > div > [data-testid='stHorizontalBlock']"
    rules = [f"{row} {{ flex-wrap: wrap; }}"] + [
        f"{row} > [data-testid='stColumn']:nth-child({number}) {{ min-width: min({width}, 100%); }}"
        for number, width in enumerate(min_widths, start=1)
    ]
    return "".join(rules)


def script_only_css(keys: Iterable[str]) -> str:
    """CSS removing the layout wrapper of each keyed container that holds only a script: the
    script renders nothing, but Streamlit's wrapper would still add a 1 rem gap."""
    return "".join(
        f"[data-testid='stLayoutWrapper']:has(> .st-key-{key}) {{ display: none; }}" for key in keys
    )


def uploader_limits_hidden_css(key: str) -> str:
    """CSS hiding the keyed file uploader's own limits line ("200MB per file"), which Streamlit
    writes in English only; the page shows its own caption instead."""
    return f".st-key-{key} [data-testid='stFileUploaderDropzoneInstructions'] {{ display: none; }}"


def wrapping_pills_css(key: str) -> str:
    """CSS that lets the keyed st.pills wrap onto more rows: Streamlit keeps them on one row that
    scrolls sideways, which in a narrow window hid the last options out of sight."""
    return f".st-key-{key} [role='radiogroup'] {{ flex-wrap: wrap; overflow-x: visible; }}"


def code_font_css(size: str) -> str:
    """CSS setting the font size of the page's st.code blocks (Streamlit offers no option)."""
    return f".stMain .stCode code {{ font-size: {size}; }}"


# A fixed control of a lesson link: visible but greyed out and deaf to the pointer.
FIXED_CONTROL_STYLE = "pointer-events: none; opacity: 0.5; filter: grayscale(1);"


def fixed_controls_css(keys: Iterable[str]) -> str:
    """CSS showing the keyed widgets as fixed (FIXED_CONTROL_STYLE); nothing for no keys."""
    selectors = ", ".join(f".st-key-{key}" for key in keys)
    return f"{selectors} {{ {FIXED_CONTROL_STYLE} }}" if selectors else ""


# streamlit-drawable-canvas 0.13.0 parks its toolbar, while hidden (opacity 0), over the canvas's
# top-right corner, and it still takes presses there: a stroke started in that corner within
# ~0.2 s of the pointer arriving (a 7's bar, a 5's flag, right after the slider) drew nothing,
# sent nothing to Python, and a later Undo removed the previous stroke. Its styles live in its
# shadow root, out of reach of the page's CSS, so this script adds a rule there: the toolbar stays
# where it shows on hover, above the canvas, and only its buttons take presses (its transparent
# padding reaches 4 px into the canvas). The canvas is re-created on every visit to the page,
# hence a check every 0.1 s: one timer per browser tab, one rule per canvas. (No "<" before a
# letter or "/" in the script: the HTML sanitizer drops a script that contains one.)
CANVAS_TOOLBAR_SCRIPT = """<script>
window.drawToolbarFix ??= setInterval(() => {
  const canvases = ".st-key-draw_canvas [data-testid=stBidiComponentIsolated],"
    + " .st-key-draw_teach_canvas [data-testid=stBidiComponentIsolated],"
    + " .st-key-draw_check_canvas [data-testid=stBidiComponentIsolated]";
  for (const host of document.querySelectorAll(canvases)) {
    const root = host.shadowRoot;
    if (root && !root.querySelector("style.toolbar-fix")) {
      const style = document.createElement("style");
      style.className = "toolbar-fix";
      style.textContent = ".dc-root > .dc-toolbar { top: -2.65rem; pointer-events: none; }"
        + " .dc-toolbar-card { pointer-events: auto; }";
      root.append(style);
    }
  }
}, 100);
</script>"""


# streamlit-drawable-canvas 0.13.0 gives its fabric.js canvas a new pen (canvas.freeDrawingBrush)
# whenever the page sends another stroke_width, also in the middle of a stroke: the canvas then
# feeds the stroke's remaining points to the new pen, which makes the stroke from those alone, so
# a stroke drawn right after a pen-width change (the slider's rerun lands during it) loses its
# start. The canvas object is private to the component's module, and the canvas may make its
# first pen before this script runs (both load lazily), so the script meets each canvas where
# fabric.js marks a stroke: an accessor on Object.prototype for fabric's _isCurrentlyDrawing,
# which no object has before its first stroke (not enumerable; an ordinary property for every
# other object, kept in a WeakMap). At a canvas's first stroke with a pen it turns the pen into an
# accessor that ignores a new pen while a stroke is drawn. The component then sets the new width
# and colour on the pen it reads back, the stroke's own, so the whole stroke takes them; after the
# stroke, new pens replace it as before. It runs once per browser tab. (Same rules as
# CANVAS_TOOLBAR_SCRIPT: no "<" before a letter or "/".)
CANVAS_PEN_SCRIPT = """<script>
if (!Object.getOwnPropertyDescriptor(Object.prototype, "_isCurrentlyDrawing")) {
  const drawing = new WeakMap();
  Object.defineProperty(Object.prototype, "_isCurrentlyDrawing", {
    configurable: true,
    get() {
      return drawing.get(this);
    },
    set(value) {
      if (Object(this) !== this) return;
      drawing.set(this, value);
      const own = Object.getOwnPropertyDescriptor(this, "freeDrawingBrush");
      if (!value || !own || own.get) return;
      const canvas = this;
      let pen = own.value;
      Object.defineProperty(canvas, "freeDrawingBrush", {
        configurable: true,
        enumerable: true,
        get: () => pen,
        set: (next) => {
          if (!(drawing.get(canvas) && pen)) pen = next;
        },
      });
    },
  });
}
</script>"""


# Files over the uploader's limit never reach Python: Streamlit's uploader refuses them in the
# browser, in English ("File must be 20.0MB or smaller."), and keeps the previous file, so its
# prediction stayed on screen. This script words the refusal in the page's language and removes
# the files uploaded before the refused one, so the page clears their result. (Same rules as
# CANVAS_TOOLBAR_SCRIPT: no "<" before a letter or "/".)
_UPLOAD_REFUSAL_SCRIPT = """<script>
window.drawUploadFix ??= {};
window.drawUploadFix.message = MESSAGE;
window.drawUploadFix.timer ??= setInterval(() => {
  for (const uploader of document.querySelectorAll(".st-key-draw_upload")) {
    const chips = [...uploader.querySelectorAll("[data-testid=stFileChip]")];
    const refused = chips.filter((chip) => chip.getAttribute("aria-invalid") === "true");
    for (const chip of refused) {
      const alert = chip.querySelector("[role=alert]");
      if (alert && alert.textContent !== window.drawUploadFix.message) {
        alert.textContent = window.drawUploadFix.message;
      }
    }
    const last = chips.lastIndexOf(refused.at(-1));
    chips.slice(0, Math.max(last, 0)).filter((chip) => !refused.includes(chip)).forEach(
      (chip) => chip.querySelector("[data-testid=stFileChipDeleteBtn] button")?.click()
    );
  }
}, 200);
</script>"""


def upload_refusal_script(message: str) -> str:
    """_UPLOAD_REFUSAL_SCRIPT showing `message` (the page's text) for a refused file."""
    as_js = json.dumps(message).replace("<", "\\u003c")  # no "<" reaches the sanitizer
    return _UPLOAD_REFUSAL_SCRIPT.replace("MESSAGE", as_js)
