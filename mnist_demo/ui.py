"""Streamlit glue shared by the pages: cached resources, the language switch and text lookup."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import streamlit as st

from mnist_demo import data
from mnist_demo.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate

LANG_KEY = "lang"
FULL_RUNS_KEY = "_full_runs"  # this session's full runs of app.py (fragment reruns skip it)
LAST_LANG_KEY = "_lang_of_last_run"
SWITCHED_KEY = "_lang_switched"  # True during the one run that follows a language switch


@st.cache_resource(show_spinner=False)
def mnist() -> data.Dataset:
    """MNIST loaded once per server process and shared read-only by every session.

    st.cache_resource hands out the same object; st.cache_data would unpickle a fresh 55 MB copy
    for every caller on every rerun. The flags make an accidental in-place edit raise.
    """
    dataset = data.load_mnist()
    for split in dataset:
        for array in split:
            array.flags.writeable = False
    return dataset


def count_full_run() -> None:
    """Count a full run of the app in this session's state. A fragment's rerun does not run
    app.py: the tests read the count to check that a first visit runs its page once and that a
    stroke or a page turn reruns only its fragment."""
    st.session_state[FULL_RUNS_KEY] = st.session_state.get(FULL_RUNS_KEY, 0) + 1


# Modules imported when the long-lived objects were last frozen (see keep_libraries_out_of_gc).
_frozen_at_modules = 0
NEW_MODULES_TO_FREEZE = 50  # a library's import (TensorFlow: ~3,000 modules), not a stray one


def keep_libraries_out_of_gc() -> None:
    """Move every object alive now out of the cyclic garbage collector's sight, once the
    libraries imported since the last time are loaded.

    After each script run (a page view, a stroke, a fragment's rerun) Streamlit calls Keras'
    clear_session(), which runs a full gc.collect(), and by default a gc.collect(2) of its own.
    Each walks every object in the process: ~400,000 once TensorFlow, Keras and plotly are
    imported, 0.3-0.7 CPU-s per run, more than most pages cost. Frozen objects (modules,
    MNIST, the models) are skipped, so a collection only walks what the sessions made since.
    Frozen objects are still freed when their last reference goes; only a reference cycle
    among them would stay, and they live as long as the server anyway.
    """
    global _frozen_at_modules
    if len(sys.modules) >= _frozen_at_modules + NEW_MODULES_TO_FREEZE:
        _frozen_at_modules = len(sys.modules)
        gc.collect()  # garbage now is not kept for ever
        gc.freeze()


@st.cache_resource(show_spinner=False, max_entries=512)
def _shared_figure(_build, name: str, key: tuple):
    return _build()


def shared_figure(name: str, key: tuple, build):
    """The plotly figure `build()` makes, built once per server process for (name, key) and
    shared by every session; key must hold everything the figure depends on (data, texts).

    Building a plotly Figure validates every property and costs 10-80 ms of CPU, several times
    more than sending it: a class opening the same view shares one. st.plotly_chart only reads
    the figure (it serialises a copy), so sharing it between sessions is safe.
    """
    return _shared_figure(build, name, key)


# The language of the latest script run, for calls made outside any run: AppTest replays a
# widget's format_func (e.g. lambda name: ui.t(...)) from the test thread after the run, and
# without this would format the options in English on a Korean page and fail to find them.
_last_language = DEFAULT_LANGUAGE


def lang() -> str:
    """The language of this session ("en" or "ko")."""
    global _last_language
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return _last_language
    _rerun_if_app_shell_skipped()
    _last_language = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return _last_language


def _rerun_if_app_shell_skipped() -> None:
    """Switch Streamlit out of its legacy `pages/` mode and rerun, when it ran a page alone.

    Because the pages live in a folder named `pages/`, a fresh server process (and every AppTest
    run) starts in Streamlit's old folder-based mode, and leaves it only when app.py calls
    st.navigation. Until some session opened "/", a shared link such as /train?lang=ko ran
    pages/train.py alone: no language switch, English text, file names in the sidebar. The fix
    turns that mode off and reruns, so app.py and its navigation run. It reads Streamlit
    internals and does nothing if they change.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        if PagesManager.uses_pages_directory is not True:
            return  # the usual case, checked first: t() runs this on every look-up
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


def t(key: str, /, **values) -> str:
    """The text for key in this session's language."""
    return translate(key, lang(), **values)


def language_selector() -> str:
    """The sidebar language switch, kept in ?lang= so a shared link opens in that language."""
    requested = st.query_params.get(LANG_KEY)
    if requested in LANGUAGES and requested != st.session_state.get("_lang_in_url"):
        # A link (or the first visit) asks for a language: it wins over the widget's state.
        st.session_state[LANG_KEY] = requested
    st.session_state.setdefault(LANG_KEY, DEFAULT_LANGUAGE)
    st.sidebar.radio(
        translate("common.language", st.session_state[LANG_KEY]),
        options=list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key=LANG_KEY,
        horizontal=True,
    )
    current = st.session_state[LANG_KEY]
    st.query_params[LANG_KEY] = current
    st.session_state["_lang_in_url"] = current
    st.session_state[SWITCHED_KEY] = st.session_state.get(LAST_LANG_KEY, current) != current
    st.session_state[LAST_LANG_KEY] = current
    return current


def keep_choices_on_language_switch(keys) -> None:
    """Send these widgets' values to the browser again in the new language after a switch.

    Call it before the widgets are created. Streamlit's radio, select_slider and multiselect
    hand the browser the chosen option's label (format_func's text), and the browser sends that
    label back on every rerun. After a language switch the browser still holds the old
    language's label, which is no longer an option: it shows nothing selected, and its next
    message resets the widget to its default (QA lost "Small CNN" that way). Here the value is
    still read right, through the previous run's labels, and writing it back makes Streamlit
    send it to the browser as a new-language label.
    """
    if not st.session_state.get(SWITCHED_KEY):
        return
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def wrapping_columns(key: str, spec, min_widths, **options) -> list:
    """st.columns in a container keyed `key` whose columns never get narrower than min_widths
    (one CSS length for all, or one per column): where the window has no room for them side by
    side (800 px with the sidebar open), they wrap onto more rows instead of squeezing, which
    cut metric values, titles and button labels and made fixed-width pictures overlap. The
    rules reach only this container's own row, not rows nested in its columns; a style-only
    st.html takes no space on the page."""
    count = spec if isinstance(spec, int) else len(spec)
    widths = [min_widths] * count if isinstance(min_widths, str) else list(min_widths)
    row = f".st-key-{key} > div > [data-testid='stHorizontalBlock']"
    rules = [f"{row} {{ flex-wrap: wrap; }}"] + [
        f"{row} > [data-testid='stColumn']:nth-child({number}) {{ min-width: {width}; }}"
        for number, width in enumerate(widths, start=1)
    ]
    st.html("<style>" + "".join(rules) + "</style>")
    return st.container(key=key).columns(spec, **options)


@st.cache_resource(show_spinner=False)
def training_queue():
    """The process-wide training queue (one slot by default), shared by every session.

    Created once per server process, which is also when runs that a dead process left "running"
    in the store are marked interrupted.
    """
    from mnist_demo import store, training

    store.mark_interrupted()
    return training.TrainingQueue()


def remembered_run(state_key: str, url_param: str):
    """This session's run from the shared queue, or None.

    The run id is kept in session state and in the URL (?run=...): a reload starts a new
    session, and the URL is what brings the running (or finished) run back to the page.
    """
    queue = training_queue()
    run_id = st.session_state.get(state_key)
    if run_id is None:
        linked = st.query_params.get(url_param)
        if linked and queue.get(linked) is not None:
            st.session_state[state_key] = run_id = linked
    run = queue.get(run_id) if run_id else None
    if run is not None:
        # Written on every run, even when st.query_params already holds it: that is the server's
        # copy, which the browser's address can lag behind after another page and back.
        st.query_params[url_param] = run_id
    return run


def remember_run(state_key: str, url_param: str, run) -> None:
    """Make run this session's run, in session state and in the URL (see remembered_run)."""
    st.session_state[state_key] = run.run_id
    st.query_params[url_param] = run.run_id


# Draw page: models and nearest digits, loaded once per server process ---------------------------


@st.cache_resource(show_spinner=False)
def default_model():
    """The committed default model (mnist_demo/assets/default_model.keras), shared by sessions."""
    from mnist_demo import model

    network = model.load_default_model()
    keep_libraries_out_of_gc()  # TensorFlow is imported now, and strokes come next (fragments)
    return network


@st.cache_resource(show_spinner=False, max_entries=8)
def model_from_file(path: str, modified: float):
    """A Train-page model loaded once per file (and modification time) with safe_mode."""
    from mnist_demo import model

    network = model.load_model_file(path)
    keep_libraries_out_of_gc()
    return network


@st.cache_resource(show_spinner=False)
def mnist_neighbours():
    """The 60,000 training digits as one float32 matrix for the Draw page's nearest digits."""
    from mnist_demo.drawing import PixelNeighbours

    (images, labels), _ = mnist()
    return PixelNeighbours(images, labels)
