"""Lesson links on the Train and Explore pages (Streamlit glue around mnist_demo.lessons).

A teacher's "Share as a lesson" panel makes a link with `fixed=` and `hide=`; a student who opens
it gets the link's settings, fixed controls greyed out and unresponsive, hidden ones not shown,
and a note naming what the teacher fixed. The lesson is kept in session state and written back
into the URL on every run of its page, so it survives a reload and a trip to another page.

A hidden control is not made at all: the pages make their lesson controls through control(),
which returns the held value instead. (A CSS rule in an st.html element would hide them only
once the browser has fetched Streamlit's code for such elements, which on a busy server comes
many seconds after the widgets.) A fixed control is greyed out by CSS on its widget key. Every
lesson value is held by writing it into the widget's session state before the widget is made (so a
keyboard change, or another control that moves it, is undone on the next run).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

import streamlit as st

from mnist_demo import ui
from mnist_demo.lessons import links
from mnist_demo.training.train_settings import URL_FIELDS
from mnist_demo.ui import streamlit_fixes

LESSONS_KEY = "_lessons"  # {page: {"lesson": Lesson, "values": {widget key: value} | None}}
# The widget keys each lesson control stands for, per page (the pages' own keys).
WIDGET_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "train": {name: (f"train_{name}",) for name in links.CONTROLS["train"]},
    "explore": {
        "split": ("split",),
        "label": ("label",),
        "seed": ("shuffle", "shuffle_seed"),
        "page": ("grid_page", "explore_previous", "explore_next"),
        "index": ("index",),
    },
}
# Keys above that are buttons: greyed out or hidden with their control, but they hold no value.
BUTTON_KEYS = frozenset({"explore_previous", "explore_next"})
# The query parameters that carry each page's settings in a link.
SETTINGS_PARAMS: dict[str, tuple[str, ...]] = {
    "train": URL_FIELDS,
    "explore": ("split", "label", "shuffle", "shuffle_seed", "grid_page", "index"),
}


def _control_name(page: str, control: str) -> str:
    return ui.t(f"inside.lesson.{page}.{control}")


def current(page: str) -> links.Lesson:
    """The lesson this session follows on page (an inactive one if none)."""
    entry = st.session_state.get(LESSONS_KEY, {}).get(page)
    return entry["lesson"] if entry else links.Lesson(page=page)


def apply(page: str) -> links.Lesson:
    """Call before the page makes its widgets: take up a lesson from the link (or keep the
    session's), hold its fixed values, hide and grey out its controls, and show the note."""
    state = st.session_state.setdefault(LESSONS_KEY, {})
    linked = links.from_query(page, st.query_params.to_dict())
    entry = state.get(page)
    if linked.active and (entry is None or entry["lesson"] != linked):
        # A new lesson: its values are taken when the page has settled on the link's settings.
        entry = state[page] = {"lesson": linked, "values": None}
    if entry is None:
        return linked
    lesson = entry["lesson"]
    # Back into the URL on every run: a page change drops it, and a reload must find it.
    st.query_params.update(lesson.to_query())
    hold(page)
    _style(page, lesson)
    _note(page, lesson)
    return lesson


def hold(page: str, exclude=()) -> None:
    """Write the lesson's fixed values into their widgets' state, before the widgets are made.

    apply() does it on a run of the whole page; a fragment holding fixed controls calls it at
    its start too, since its own reruns (a page turn, a changed setting) skip apply(). exclude:
    widget keys made outside the fragment, which a fragment's run must not touch.
    """
    entry = st.session_state.get(LESSONS_KEY, {}).get(page)
    if entry is None:
        return
    for key, value in (entry["values"] or {}).items():
        if key not in exclude:
            st.session_state[key] = value


def settle(page: str) -> None:
    """Call at the end of the page: the first time a lesson's page has run to the end, its
    widgets hold the link's settings (checked and corrected by the page); keep those values."""
    entry = st.session_state.get(LESSONS_KEY, {}).get(page)
    if entry is None or entry["values"] is not None:
        return
    entry["values"] = {
        key: st.session_state[key]
        for control in entry["lesson"].fixed
        for key in WIDGET_KEYS[page][control]
        if key not in BUTTON_KEYS and key in st.session_state
    }


def control(page: str, widget: Callable) -> Callable:
    """widget (st.slider, a column's radio, st.button, ...) as this session's lesson on page
    has it: called with the same arguments, it makes the widget, or, if the lesson hides its
    control, makes nothing and returns the value the widget would have (a button: not pressed).
    """

    def make(*args, key: str, **kwargs):
        lesson = current(page)
        hidden = {item for name in lesson.hidden for item in WIDGET_KEYS[page][name]}
        if key not in hidden:
            return widget(*args, key=key, **kwargs)
        if key in BUTTON_KEYS:
            return False
        if key not in st.session_state:
            st.session_state[key] = _link_value(key, getattr(widget, "__name__", ""), kwargs)
        value = st.session_state[key]
        if kwargs.get("bind") == "query-params":
            # What the widget would do: the link keeps a value other than the default, so a
            # reload (a new session) finds it.
            if value is None or value == _default(getattr(widget, "__name__", ""), kwargs):
                st.query_params.pop(key, None)
            else:
                st.query_params[key] = str(value).lower() if isinstance(value, bool) else value
        return value

    return make


def _default(kind: str, kwargs: dict):
    if "value" in kwargs:
        return kwargs["value"]
    if kind in ("toggle", "checkbox"):
        return False
    return kwargs.get("min_value")


def _link_value(key: str, kind: str, kwargs: dict):
    """A hidden control's first value: the link's (read as its widget reads it), else the
    widget's default. The pages seed their other hidden controls' state themselves."""
    default = _default(kind, kwargs)
    raw = st.query_params.get(key) if kwargs.get("bind") == "query-params" else None
    if raw is None:
        return default
    if "options" in kwargs:
        return next((option for option in kwargs["options"] if str(option) == raw), default)
    if kind in ("toggle", "checkbox"):
        return raw.lower() == "true"
    try:
        number = float(raw)
    except ValueError:
        return default
    return int(number) if number.is_integer() else default


def _style(page: str, lesson: links.Lesson) -> None:
    shown_fixed = set(lesson.visible_fixed())
    keys = [
        key
        for control in links.CONTROLS[page]
        if control in shown_fixed
        for key in WIDGET_KEYS[page][control]
    ]
    st.html("<style>" + streamlit_fixes.fixed_controls_css(keys) + "</style>")


def _note(page: str, lesson: links.Lesson) -> None:
    """Which settings the teacher fixed, by their names in the page's language (never the
    link's text: unknown names in a link are dropped before they get here)."""
    fixed = [_control_name(page, control) for control in lesson.visible_fixed()]
    hidden = [
        _control_name(page, control) for control in links.CONTROLS[page] if control in lesson.hidden
    ]
    parts = []
    if fixed:
        parts.append(ui.t("inside.lesson.note_fixed", settings=", ".join(fixed)))
    if hidden:
        parts.append(ui.t("inside.lesson.note_hidden", settings=", ".join(hidden)))
    st.info(" ".join(parts), icon=":material/school:")


def _page_url(page: str) -> str:
    """This page's address without its query (st.context.url), or its path when unknown."""
    url = st.context.url or ""
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme:
        return f"/{page}"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def lesson_link(page: str, fixed, hidden) -> str:
    """The link to this page with its current settings (from the URL) and the lesson."""
    params = st.query_params.to_dict()
    settings = {name: params[name] for name in SETTINGS_PARAMS[page] if name in params}
    query = links.lesson_query(page, settings, fixed, hidden)
    if ui.LANG_KEY in params:
        query[ui.LANG_KEY] = params[ui.LANG_KEY]
    return _page_url(page) + "?" + urllib.parse.urlencode(query, safe=",")


@st.fragment
def share_panel(page: str) -> None:
    """The teacher's "Share as a lesson" panel (not shown to a student inside a lesson).

    A fragment: picking controls redraws only the panel and its link.
    """
    if current(page).active:
        return
    with st.expander(
        ui.t("inside.lesson.panel"), key=f"{page}_lesson_panel", icon=":material/share:"
    ):
        st.caption(ui.t("inside.lesson.intro"))
        controls = list(links.CONTROLS[page])
        fixed = st.multiselect(
            ui.t("inside.lesson.fix"),
            controls,
            format_func=lambda control: _control_name(page, control),
            key=f"{page}_lesson_fixed",
            placeholder=ui.t("inside.lesson.choose"),
        )
        hidden = st.multiselect(
            ui.t("inside.lesson.hide"),
            controls,
            format_func=lambda control: _control_name(page, control),
            key=f"{page}_lesson_hidden",
            placeholder=ui.t("inside.lesson.choose"),
        )
        if not fixed and not hidden:
            st.caption(ui.t("inside.lesson.nothing"))
            return
        st.code(lesson_link(page, fixed, hidden), language=None, wrap_lines=True)
        st.caption(ui.t("inside.lesson.link_caption"))
