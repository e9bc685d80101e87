"""Draw page: the digit to classify, drawn on the canvas or uploaded (Streamlit glue).

The canvas keeps the user's drawing across a switch to Upload or to another page, and has Undo
and Clear buttons of the page's own for touch screens; an upload is checked and read by
drawing.preprocess, and what is wrong with it is said in the page's language.
"""

from __future__ import annotations

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnist_demo import ui
from mnist_demo.drawing import preprocess
from mnist_demo.ui import streamlit_fixes

CANVAS_SIZE = 280
PRESENTATION_CANVAS_SIZE = 420  # projector mode: 1.5 times larger, still beside the prediction
DEFAULT_STROKE = 18
UPLOADER_LIMIT_MB = 4 * preprocess.MAX_UPLOAD_BYTES // (1024 * 1024)


def digit_canvas(key: str, size: int, stroke_width: int, initial_drawing: dict | None = None):
    """A square canvas to draw a digit on with the mouse or a finger: a white pen on black, as
    MNIST's digits are stored, and the drawing returned as an image (canvas_to_mnist's input)."""
    return st_canvas(
        stroke_width=stroke_width,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=size,
        width=size,
        drawing_mode="freedraw",
        initial_drawing=initial_drawing,
        return_image_data=True,
        key=key,
    )


def edit_drawing(undo: bool) -> None:
    """The page's Undo (last stroke) and Clear buttons, which touch screens need: the canvas's
    own toolbar shows only while a mouse hovers over it. The canvas redraws from a new
    initial_drawing (a revision number makes each one new) and then sends it back; until it
    has, it still sends the drawing it had, which canvas_input ignores."""
    current = st.session_state.get("draw_canvas_json") or {}
    kept = current.get("objects", [])[:-1] if undo else []
    revision = st.session_state.get("draw_canvas_revision", 0) + 1
    st.session_state["draw_canvas_revision"] = revision
    st.session_state["draw_canvas_stale"] = current
    st.session_state["draw_canvas_initial"] = {"objects": kept, "revision": revision}
    st.session_state["draw_canvas_json"] = {**current, "objects": kept}
    st.session_state.pop("draw_canvas_rgba", None)


def canvas_input() -> preprocess.Steps | None:
    size = PRESENTATION_CANVAS_SIZE if ui.presentation() else CANVAS_SIZE
    stroke = st.slider(
        ui.t("draw.input.stroke_width"),
        min_value=6,
        max_value=40,
        value=DEFAULT_STROKE,
        key="draw_stroke",
        help=ui.t("draw.input.stroke_help"),
    )
    st.space("small")  # room for the canvas's floating toolbar
    st.container(key="draw_toolbar_fix").html(
        streamlit_fixes.CANVAS_PEN_SCRIPT + streamlit_fixes.CANVAS_TOOLBAR_SCRIPT,
        unsafe_allow_javascript=True,
    )
    if "draw_canvas" not in st.session_state:
        # The canvas is being created: first visit, or back from Upload or another page, where
        # Streamlit dropped its state. It starts with the user's last drawing, which stays its
        # starting point while it lives (a changed initial_drawing would redraw the canvas and
        # wipe its undo history).
        saved = st.session_state.get("draw_canvas_json")
        st.session_state["draw_canvas_initial"] = saved if saved and saved.get("objects") else None
    initial = st.session_state.get("draw_canvas_initial")
    result = digit_canvas("draw_canvas", size, round(stroke * size / CANVAS_SIZE), initial)
    stale = result.json_data is not None and result.json_data == st.session_state.get(
        "draw_canvas_stale"
    )
    if result.json_data is not None and not stale:
        st.session_state.pop("draw_canvas_stale", None)
        st.session_state["draw_canvas_json"] = result.json_data
    strokes = len((st.session_state.get("draw_canvas_json") or {}).get("objects") or [])
    undo_column, clear_column = st.columns(2, gap="small")
    undo_column.button(
        ui.t("draw.input.undo"),
        key="draw_undo",
        icon=":material/undo:",
        on_click=edit_drawing,
        args=(True,),
        disabled=strokes == 0,
        width="stretch",
    )
    clear_column.button(
        ui.t("draw.input.clear"),
        key="draw_clear",
        icon=":material/delete:",
        on_click=edit_drawing,
        args=(False,),
        disabled=strokes == 0,
        width="stretch",
    )
    # (size, size, 4) uint8; None before the first stroke, or while the canvas redraws after
    # Undo or Clear
    rgba = None if stale else result.image_data
    if rgba is None and initial:
        # A restored drawing is on the canvas but the browser has not sent its pixels yet.
        rgba = st.session_state.get("draw_canvas_rgba")
    if rgba is None:
        return None
    st.session_state["draw_canvas_rgba"] = rgba
    return preprocess.canvas_steps(rgba)


def upload_input() -> preprocess.Steps | None:
    upload = st.file_uploader(
        ui.t("draw.upload.label"),
        # No type=: Streamlit would refuse a GIF or SVG in the browser, in English, and keep the
        # previous file's result; upload_ink names what is wrong in the page's language.
        key="draw_upload",
        help=ui.t("draw.upload.help"),
        # Streamlit turns away files over its limit in the browser (see streamlit_fixes). Its
        # limit, also the server's (server.maxUploadSize), is well above the page's own, so a
        # file that is merely too large reaches upload_ink and gets the page's message.
        max_upload_size=UPLOADER_LIMIT_MB,
    )
    refusal = ui.t("draw.upload.refused", limit=UPLOADER_LIMIT_MB)
    st.container(key="draw_upload_fix").html(
        streamlit_fixes.upload_refusal_script(refusal), unsafe_allow_javascript=True
    )
    st.caption(ui.t("draw.upload.limits"))  # Streamlit's own "5MB per file" line is English
    if upload is None:
        return None
    try:
        ink = preprocess.upload_ink(upload.getvalue())
    except preprocess.UploadError as error:
        st.error(ui.t(f"draw.upload.{error.reason}"))
        return None
    steps = preprocess.ink_steps(ink)
    if steps is None:
        st.error(ui.t("draw.upload.blank"))
    return steps
