"""Streamlit glue shared by the pages: cached resources, the language switch and text lookup.

The only Streamlit-importing package under mnist_demo/; its modules hold one page section each
(Explore: explore_state; Train: run_view, confusion, downloads; Draw: draw_models, draw_input,
corrections, teach_handwriting, inside; lessons), the run panel Home and Train share, and the
screen styles and script (screens).
"""

from __future__ import annotations

import functools
import gc
import os
import re
import secrets
import sys
from pathlib import Path

import streamlit as st

from mnist_demo import data
from mnist_demo.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from mnist_demo.ui import screens, streamlit_fixes

LANG_KEY = "lang"
LAST_LANG_KEY = "_lang_of_last_run"
SWITCHED_KEY = "_lang_switched"  # True during the one run that follows a language switch
PRESENTATION_KEY = "presentation"  # projector mode's switch, and its URL parameter
SHELL_KEY = "screen_shell"  # the app shell's script (screens.SHELL_JS)
NARROW_KEY = "_screen_narrow"  # the window is phone-narrow, as the shell's script last said
# The layout a run laid the page out for, as a hidden element's data-layout: the browser (and its
# tests) can tell when the page has caught up with a window-size change.
LAYOUT_MARKER = '<span data-mnist-demo-layout="{layout}">{layout}</span>'


def mnist() -> data.Dataset:
    """MNIST loaded once per server process and shared read-only by every session."""
    return _mnist_loaded()[0]


@st.cache_resource(show_spinner=False)
def _mnist_loaded() -> tuple[data.Dataset, tuple[str, ...]]:
    """MNIST and the sources that failed before one worked, once per server process.

    st.cache_resource hands out the same object; st.cache_data would unpickle a fresh 55 MB copy
    for every caller on every rerun. The flags make an accidental in-place edit raise.
    """
    failures: list[str] = []
    dataset = data.load_mnist(failures)
    for split in dataset:
        for array in split:
            array.flags.writeable = False
    return dataset, tuple(failures)


def data_file_notice() -> None:
    """Say on the page when $MNIST_DEMO_DATA names a file that could not be used (the app then
    runs on the packaged copy of MNIST): a log line alone went unseen."""
    if not data.env_var_set():
        return
    from mnist_demo.i18n import literal

    named = f"- {data.ENV_VAR}="
    for failure in _mnist_loaded()[1]:
        if failure.startswith(named):
            reason = failure.split(": ", 1)[-1]
            st.warning(
                t(
                    "data.file_unusable",
                    path=literal(os.environ.get(data.ENV_VAR, ""), 200),
                    reason=literal(reason, 300),
                ),
                icon=":material/warning:",
            )


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
    if not streamlit_fixes.in_script_run():
        return _last_language
    streamlit_fixes.leave_legacy_pages_mode()
    _last_language = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return _last_language


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


def presentation_switch() -> bool:
    """The sidebar's projector-mode switch, kept in the URL (?presentation=true) so the
    teacher's link opens with it."""
    return st.sidebar.toggle(
        t("common.presentation.label"),
        key=PRESENTATION_KEY,
        help=t("common.presentation.help"),
        bind="query-params",
    )


def presentation() -> bool:
    """Projector mode is on: larger text, high contrast, bolder charts, a bigger canvas."""
    return bool(st.session_state.get(PRESENTATION_KEY, False))


def narrow() -> bool:
    """The browser window is phone-narrow (False until the shell's script has said so)."""
    return bool(st.session_state.get(NARROW_KEY, False))


@functools.cache
def _shell_component():
    return st.components.v2.component("mnist_demo.screen_shell", js=screens.SHELL_JS)


def screen_setup(page_title: str) -> None:
    """What every page gets from the app shell: the tab title and <html lang> in the page's
    language, the projector-mode styles (and its sidebar closed), and the shell's script, whose
    report of a phone-narrow window narrow() returns."""
    on = presentation()
    st.set_page_config(
        page_title=screens.tab_title(t("common.app_title"), page_title),
        initial_sidebar_state="collapsed" if on else "auto",
    )
    st.html("<style>" + screens.page_css(presentation=on) + "</style>")
    with st.sidebar.container(key=SHELL_KEY):
        st.html(screens.page_script(lang()), unsafe_allow_javascript=True)
        result = _shell_component()(
            data=screens.shell_data(lang(), narrow=narrow()),
            key="screen_shell_script",
            default={"narrow": False},
            on_narrow_change=lambda: None,
        )
        st.session_state[NARROW_KEY] = bool(result.narrow)
        st.html(LAYOUT_MARKER.format(layout="narrow" if narrow() else "wide"))


def keep_choices_on_language_switch(keys) -> None:
    """Send these widgets' values to the browser again in the new language after a switch
    (streamlit_fixes.resend_widget_values says why). Call it before the widgets are created."""
    if st.session_state.get(SWITCHED_KEY):
        streamlit_fixes.resend_widget_values(keys)


def wrapping_columns(key: str, spec, min_widths, **options) -> list:
    """st.columns in a container keyed `key` whose columns never get narrower than min_widths
    (one CSS length for all, or one per column): where the window has no room for them side by
    side (800 px with the sidebar open), they wrap onto more rows instead of squeezing, which
    cut metric values, titles and button labels and made fixed-width pictures overlap. The
    rules reach only this container's own row, not rows nested in its columns; a style-only
    st.html takes no space on the page."""
    count = spec if isinstance(spec, int) else len(spec)
    widths = [min_widths] * count if isinstance(min_widths, str) else list(min_widths)
    st.html("<style>" + streamlit_fixes.wrapping_columns_css(key, widths) + "</style>")
    return st.container(key=key).columns(spec, **options)


@st.cache_resource(show_spinner=False)
def training_queue():
    """The process-wide training engine, shared by every session: the local queue (one slot by
    default), or Ray when $MNIST_DEMO_RAY_ADDRESS is set (see engines.make_engine). Its slot()
    holds a local training slot for work done in this process.

    Created once per server process, which is also when runs that a dead process left "running"
    in the store are marked interrupted.
    """
    from mnist_demo.storage import store
    from mnist_demo.training import engines

    if store_health().usable:
        store.mark_interrupted()
    # A bad $MNIST_DEMO_MAX_TRAINING is said on the Train page; the queue trains one at a time.
    return engines.make_engine(max_concurrent=1 if max_training_problem() is not None else None)


OWNER_KEY = "_run_owner"
OWNER_COOKIE = "mnist_demo_run_owner"
OWNER_COOKIE_WRITTEN_KEY = "_run_owner_cookie_written"
OWNER_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,64}")
OWNER_COOKIE_SECONDS = 30 * 24 * 3600  # a month: a course's runs stay stoppable by their owner


def run_owner() -> str:
    """This browser's owner secret: only the holder may stop the runs it started.

    It lives in session state and in a cookie of this site (never in a URL, so a shared link
    never carries it): a reload or a second tab of the same browser can still stop its run,
    another browser opening the run's link only watches.
    """
    secret = st.session_state.get(OWNER_KEY)
    cookie = st.context.cookies.get(OWNER_COOKIE) if st.context.cookies else None
    if secret is None:
        valid = cookie is not None and OWNER_PATTERN.fullmatch(cookie)
        secret = cookie if valid else secrets.token_urlsafe(32)
        st.session_state[OWNER_KEY] = secret
    if cookie != secret and not st.session_state.get(OWNER_COOKIE_WRITTEN_KEY):
        st.session_state[OWNER_COOKIE_WRITTEN_KEY] = True
        # The secret matches OWNER_PATTERN, so it cannot break out of the string.
        st.html(
            f"<script>document.cookie = '{OWNER_COOKIE}={secret}; path=/; "
            f"max-age={OWNER_COOKIE_SECONDS}; SameSite=Strict';</script>",
            unsafe_allow_javascript=True,
        )
    return secret


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


def drop_link_values(keys, usable) -> list[str]:
    """Remove from the URL the parameters among keys whose value usable(value) refuses, before
    the widgets bound to them are made; returns the keys removed.

    A number box bound to the URL parses the link's value itself and cannot be caught raising
    (streamlit_fixes.forget_link_values says why), so a refused value goes before it is made.
    """
    dropped = [key for key in keys if key in st.query_params and not usable(st.query_params[key])]
    if dropped:
        streamlit_fixes.forget_link_values(dropped)
    return dropped


# The run store's health, checked once per server process and data directory -------------------


def store_health():
    """storage.health.check_health() for the configured data directory, once per process (a damaged
    database is moved aside then, before any page or the training queue touches it)."""
    from mnist_demo.storage import store

    return _store_health(os.environ.get(store.HOME_ENV, ""))


@st.cache_resource(show_spinner=False)
def _store_health(home: str):
    from mnist_demo.storage import health

    return health.check_health()


def store_notices(draw_page: bool = False):
    """Say what is wrong with the store, if anything, and return its health."""
    from mnist_demo.i18n import literal

    health = store_health()
    home = literal(health.home, 200)
    if health.moved_to is not None:
        st.warning(
            t(
                "store.moved",
                path=literal(Path(health.home) / "runs.sqlite", 200),
                reason=literal(health.moved_reason, 200),
                moved_to=literal(health.moved_to, 200),
            ),
            icon=":material/warning:",
        )
    if not health.usable:
        message = t(f"store.{health.problem}", home=home, detail=literal(health.detail, 200))
        if draw_page:
            message = f"{message} {t('store.draw_default_only')}"
        st.error(message, icon=":material/error:")
    elif not draw_page and health.damaged_runs:
        st.warning(t("store.damaged_runs", count=health.damaged_runs), icon=":material/warning:")
    if health.usable and health.orphan_models and not draw_page:
        st.info(
            t(
                "store.orphans",
                count=len(health.orphan_models),
                directory=literal(health.orphan_models[0].parent, 200),
                names=", ".join(literal(path.name) for path in health.orphan_models[:10]),
            ),
            icon=":material/inventory_2:",
        )
    return health


def max_training_problem() -> str | None:
    """The value of $MNIST_DEMO_MAX_TRAINING when it is not a positive integer (the queue then
    trains one run at a time), else None."""
    from mnist_demo.training import training_queue

    try:
        training_queue.max_training_from_env()
    except ValueError:
        return os.environ.get(training_queue.MAX_TRAINING_ENV, "")
    return None


def store_read(read, default):
    """read() from the store, or default with a message when the store fails right now."""
    from mnist_demo.i18n import literal
    from mnist_demo.storage import store

    try:
        return read()
    except store.STORE_ERRORS as error:
        st.warning(t("store.read_error", error=literal(f"{type(error).__name__}: {error}", 200)))
        return default
