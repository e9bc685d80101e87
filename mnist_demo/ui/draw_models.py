"""Draw page: which model answers (Streamlit glue).

The select offers the committed default model, the same network before it learned from
pen-drawn digits (MNIST only), this session's "Your handwriting" once adapted
(ui.teach_handwriting) and the model of every finished Train-page run; a sentence under it says
which data the chosen model learned from. The models, and the training digits' matrix for the
page's nearest digits, are loaded once per server process and shared by sessions.
"""

from __future__ import annotations

import os

import streamlit as st

from mnist_demo import ui
from mnist_demo.drawing import draw_page as drawing
from mnist_demo.i18n import literal
from mnist_demo.storage import store
from mnist_demo.training.model import load_mnist_model

DEFAULT_CHOICE = "default"
MNIST_CHOICE = "mnist"  # the default model before it learned from pen-drawn digits
PERSONAL_CHOICE = "personal"  # "Your handwriting": adapted in this session (teach_block)
PERSONAL_KEY = "draw_personal"  # {"model", "base", "count", "seconds", "run_id"} once adapted


# Models and nearest digits, loaded once per server process and shared by sessions --------------


@st.cache_resource(show_spinner=False)
def default_model():
    """The committed default model (mnist_demo/assets/default_model.keras), shared by sessions."""
    from mnist_demo.training import model

    network = model.load_default_model()
    ui.keep_libraries_out_of_gc()  # TensorFlow is imported now, and strokes come next (fragments)
    return network


@st.cache_resource(show_spinner=False, max_entries=8)
def model_from_file(path: str, modified: float):
    """A Train-page model loaded once per file (and modification time) with safe_mode."""
    from mnist_demo.training import model

    network = model.load_model_file(path)
    ui.keep_libraries_out_of_gc()
    return network


@st.cache_resource(show_spinner=False)
def mnist_neighbours():
    """The 60,000 training digits as one float32 matrix for the Draw page's nearest digits."""
    from mnist_demo.drawing.draw_page import PixelNeighbours

    (images, labels), _ = ui.mnist()
    return PixelNeighbours(images, labels)


# The select and the chosen model -------------------------------------------------------------


def model_select() -> tuple[str, dict[str, drawing.RunModel]]:
    """The model select: default, MNIST-only, this session's adapted model, finished runs."""
    health = ui.store_health()
    stored = ui.store_read(store.list_runs, []) if health.usable else []
    runs = {run.run_id: run for run in drawing.run_models(stored)}
    # Model files without a run record (the store was reset or damaged) stay on offer.
    runs.update((run.run_id, run) for run in drawing.orphan_models(health.orphan_models))
    personal = st.session_state.get(PERSONAL_KEY)

    def label(choice: str) -> str:
        if choice in (DEFAULT_CHOICE, MNIST_CHOICE, PERSONAL_CHOICE):
            return ui.t(f"draw.model.{choice}")
        run = runs[choice]
        if run.orphan:
            return ui.t("draw.model.orphan", name=run.path.name)
        return labels[choice]

    labels = drawing.run_labels([run for run in runs.values() if not run.orphan], ui.lang())

    options = [DEFAULT_CHOICE, MNIST_CHOICE, *([PERSONAL_CHOICE] if personal else []), *runs]
    if st.session_state.get("draw_model") not in options:
        st.session_state["draw_model"] = DEFAULT_CHOICE  # its run was deleted
    choice = st.selectbox(
        ui.t("draw.model.label"),
        options,
        format_func=label,
        key="draw_model",
        help=ui.t("draw.model.help"),
    )
    st.caption(learned_from(choice, personal))
    return choice, runs


def learned_from(choice: str, personal: dict | None) -> str:
    """One sentence: which data the chosen model learned from."""
    if choice == PERSONAL_CHOICE and personal:
        return ui.t(
            "draw.model.learned_personal",
            base=ui.t(f"draw.model.{personal['base']}")
            if personal["base"] in (DEFAULT_CHOICE, MNIST_CHOICE)
            else personal["base"][:8],
            count=personal["count"],
        )
    if choice in (DEFAULT_CHOICE, MNIST_CHOICE):
        return ui.t(f"draw.model.learned_{choice}")
    return ui.t("draw.model.learned_run")


def load_model(choice: str, runs: dict[str, drawing.RunModel]):
    """The chosen model, loaded once per process; the default one if a run's file is broken."""
    with st.spinner(ui.t("draw.model.loading")):
        if choice == DEFAULT_CHOICE:
            return default_or_stop()
        if choice == MNIST_CHOICE:
            return mnist_or_default()
        if choice == PERSONAL_CHOICE:
            return st.session_state[PERSONAL_KEY]["model"]
        path = runs[choice].path
        try:
            return model_from_file(str(path), os.path.getmtime(path))
        except Exception as error:  # noqa: BLE001 - a broken file must not break the page
            st.warning(ui.t("draw.model.load_error", error=type(error).__name__))
            return default_or_stop()


def default_or_stop():
    """The default model, or a clear message (and the rest of the page skipped) without it."""
    try:
        return default_model()
    except (OSError, ValueError) as error:
        st.error(ui.t("draw.model.missing", error=literal(f"{type(error).__name__}: {error}", 300)))
        st.stop()


def mnist_or_default():
    """The MNIST-only model, or the default one (with a message) when its file is missing."""
    try:
        return load_mnist_model()
    except (OSError, ValueError) as error:
        st.warning(ui.t("draw.model.load_error", error=type(error).__name__))
        return default_or_stop()
