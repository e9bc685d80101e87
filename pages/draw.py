"""The Draw page: draw or upload a digit, see it prepared like MNIST and classified."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_demo import ui
from mnist_demo.charts import draw as charts
from mnist_demo.drawing import draw_page as drawing
from mnist_demo.drawing import preprocess
from mnist_demo.training.model import predict_proba
from mnist_demo.ui import draw_input, draw_models, streamlit_fixes
from mnist_demo.ui import inside as ui_inside
from mnist_demo.ui.corrections import correction_form
from mnist_demo.ui.teach_handwriting import teach_block


def show_prediction(probabilities: np.ndarray) -> drawing.Guess:
    guess = drawing.guess(probabilities)
    st.metric(
        ui.t("draw.prediction"),
        str(guess.digit),
        delta=ui.t("draw.probability", probability=guess.probability),
        delta_color="off",
        delta_arrow="off",
    )
    if not guess.sure:
        st.warning(
            ui.t(
                "draw.unsure",
                digit=guess.digit,
                probability=guess.probability,
                runner_up=guess.runner_up,
                runner_up_probability=guess.runner_up_probability,
            )
        )
    figure = charts.probability_bars(
        probabilities,
        ui.t("draw.chart_title"),
        ui.t("draw.chart_axis"),
        presentation=ui.presentation(),
    )
    st.plotly_chart(figure, key="draw_probabilities", config={"displayModeBar": False})
    return guess


def show_steps(steps: preprocess.Steps, canvas: np.ndarray | None) -> None:
    st.subheader(ui.t("draw.steps.title" if canvas is not None else "draw.steps.upload_title"))
    pictures = [(steps.crop, "crop"), (steps.box, "box"), (steps.final, "final")]
    if canvas is not None:
        pictures.insert(0, (preprocess.canvas_ink(canvas), "canvas"))
    # The pictures have fixed widths: their columns wrap rather than shrink under them.
    columns = ui.wrapping_columns("draw_steps", 4, "150px")
    for column, (image, name) in zip(columns, pictures, strict=False):
        caption = ui.t(f"draw.steps.{name}", size=len(image))  # the canvas: 280 or 420 px
        column.image(charts.enlarged(image, 140), caption=caption, width=140)


def show_neighbours(image: np.ndarray) -> None:
    st.subheader(ui.t("draw.neighbours.title"))
    st.caption(ui.t("draw.neighbours.caption"))
    neighbours = draw_models.mnist_neighbours()
    indices, distances = neighbours.nearest(image, 5)
    (train_images, train_labels), _ = ui.mnist()
    columns = ui.wrapping_columns("draw_neighbours", 6, "120px")
    columns[0].image(charts.enlarged(image, 112), caption=ui.t("draw.neighbours.input"), width=112)
    for column, index, distance in zip(columns[1:], indices, distances, strict=True):
        caption = ui.t("draw.neighbours.item", label=train_labels[index], distance=distance)
        column.image(charts.enlarged(train_images[index] / 255, 112), caption=caption, width=112)


st.title(ui.t("draw.title"))
st.caption(ui.t("draw.intro"))
ui.store_notices(draw_page=True)
# The model and input-mode options are worded in the page's language: re-send them after a switch.
ui.keep_choices_on_language_switch(["draw_model", "draw_mode"])
choice, runs = draw_models.model_select()

st.html(
    "<style>"
    + streamlit_fixes.script_only_css(["draw_toolbar_fix", "draw_upload_fix"])
    + streamlit_fixes.uploader_limits_hidden_css("draw_upload")
    + "</style>"
)


@st.fragment
def drawing_and_answer(choice: str, runs: dict[str, drawing.RunModel]) -> None:
    """The canvas (or upload), everything computed from it, and the guided mode below it. A
    stroke reruns only this fragment: the title, the model select and the app's navigation are
    not rebuilt. The guided mode (a fragment of its own) reruns with it, since it offers the
    corrections saved here by their count and draws with this page's stroke width."""
    # The canvas is 280 px wide (420 on a projector): its column never gets narrower than that;
    # where the window has no room for both columns side by side, the prediction wraps below.
    canvas_width = (
        draw_input.PRESENTATION_CANVAS_SIZE if ui.presentation() else draw_input.CANVAS_SIZE
    )
    left, right = ui.wrapping_columns(
        "draw_layout", [3, 2], [f"{canvas_width + 20}px", "220px"], gap="medium"
    )
    with left:
        mode = st.radio(
            ui.t("draw.input.label"),
            ["draw", "upload"],
            format_func=lambda name: ui.t(f"draw.input.{name}"),
            key="draw_mode",
            horizontal=True,
            label_visibility="collapsed",
        )
        steps = draw_input.canvas_input() if mode == "draw" else draw_input.upload_input()

    with right:
        if steps is None:
            empty = "draw.empty" if mode == "draw" else "draw.upload.empty"
            st.metric(ui.t("draw.prediction"), "–")
            drawn = st.session_state.get("draw_canvas_rgba") if mode == "draw" else None
            problem = (
                None if drawn is None else preprocess.ink_problem(preprocess.canvas_ink(drawn))
            )
            if problem in ("fills", "blob"):  # something is drawn, but no digit shape
                st.warning(ui.t(f"draw.problem.{problem}"))
            st.info(ui.t(empty))
            if mode == "draw":
                st.caption(ui.t("draw.empty_hint"))
        else:
            network = draw_models.load_model(choice, runs)
            probabilities = predict_proba(network, steps.final[None])[0]  # (10,)
            guess = show_prediction(probabilities)
            nearest = float(draw_models.mnist_neighbours().nearest(steps.final, 1)[1][0])
            unlike = drawing.unlike_digits(steps, nearest)
            if unlike is not None:  # the probabilities alone would not say so
                st.warning(ui.t(f"draw.unlike.{unlike}", distance=nearest))
            correction_form(steps.final, guess)

    if steps is not None:
        canvas = st.session_state.get("draw_canvas_rgba") if mode == "draw" else None
        show_steps(steps, canvas)
        show_neighbours(steps.final)
        ui_inside.section(network, steps.final, choice)
    else:
        # Load the model (TensorFlow import, ~5 s once per server) while the user starts drawing.
        draw_models.load_model(choice, runs)

    teach_block(choice, runs)


drawing_and_answer(choice, runs)
