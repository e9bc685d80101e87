"""Workarounds for Streamlit's quirks, in one place, each written for STREAMLIT_VERSION.

Each one reads a Streamlit internal or relies on Streamlit's page structure (its `data-testid`
attributes and the `st-key-<key>` classes of keyed elements), so an upgrade can silently undo
it: tests/test_streamlit_fixes.py checks each one and fails first on any other version. After an
upgrade, check each workaround here (and the screen styles in screens.py, which
tests/e2e/test_screens.py checks), then raise STREAMLIT_VERSION. The code that reads internals
does nothing when they move, so the pages keep working without the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import streamlit as st

STREAMLIT_VERSION = "1.67.0"


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
