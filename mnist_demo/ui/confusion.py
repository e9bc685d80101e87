"""Train page: a confusion matrix whose cells open the test digits in them (Streamlit glue).

A click on a cell (a Plotly point selection) or the two digit pickers below the matrix, which
also work on touch screens and keyboards, choose a cell; every test digit in it is shown, a page
at a time, with the probability the network gave its answer. Off the diagonal the most confident
mistakes come first, on the diagonal the least confident right answers
(evaluation.confusion_cell).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_demo import ui
from mnist_demo.analysis import evaluation
from mnist_demo.charts import inside as inside_charts
from mnist_demo.charts import train as train_charts

CHART_KEY = "train_confusion"
TRUE_KEY = "train_cell_true"
PREDICTED_KEY = "train_cell_predicted"
PAGE_KEY = "train_cell_page"
PAGE_SIZE = 24  # four rows of six digits
GRID_COLUMNS = 6


def _on_click() -> None:
    """A click on a cell sets the two pickers to it and shows its first page."""
    selection = st.session_state[CHART_KEY].selection
    cell = inside_charts.clicked_cell(selection.get("points", []))
    if cell is not None:
        st.session_state[TRUE_KEY], st.session_state[PREDICTED_KEY] = cell
        st.session_state[PAGE_KEY] = 1


def _reset_page() -> None:
    st.session_state[PAGE_KEY] = 1


def _step_page(step: int) -> None:
    st.session_state[PAGE_KEY] = max(1, st.session_state.get(PAGE_KEY, 1) + step)


@st.fragment
def explorer(
    matrix: np.ndarray,
    text: dict,
    caption: str,
    images,
    labels,
    predictions,
    confidence,
    config: dict | None = None,
) -> None:
    """The matrix, its caption and the chosen cell's digits. A fragment: a click or a page step
    reruns only this part, not the Train page. config: the page's Plotly options."""
    matrix_chart(matrix, text, config)
    st.caption(caption)
    cell_digits(images, labels, predictions, confidence)


def matrix_chart(matrix: np.ndarray, text: dict, config: dict | None = None) -> None:
    """The confusion matrix; clicking a cell opens it in cell_digits below."""
    selected = None
    if st.session_state.get(TRUE_KEY) is not None:
        selected = (st.session_state[TRUE_KEY], st.session_state.get(PREDICTED_KEY, 0))
    figure = train_charts.confusion_figure(matrix, text, presentation=ui.presentation())
    figure = inside_charts.cell_markers(figure, selected)
    st.plotly_chart(
        figure,
        key=CHART_KEY,
        on_select=_on_click,
        selection_mode="points",
        config=inside_charts.PLOTLY_CONFIG if config is None else config,
    )


def cell_digits(images: np.ndarray, labels: np.ndarray, predictions, confidence) -> None:
    """The pickers for one cell and all of its test digits, paged."""
    digits = list(range(10))
    true, predicted = (
        column.selectbox(
            ui.t(f"inside.cells.{name}"),
            digits,
            index=None,
            key=key,
            placeholder=ui.t("inside.cells.pick"),
            on_change=_reset_page,
        )
        for column, name, key in zip(
            st.columns(2), ("true", "predicted"), (TRUE_KEY, PREDICTED_KEY), strict=True
        )
    )
    if true is None or predicted is None:
        st.caption(ui.t("inside.cells.hint"))
        return
    members = evaluation.confusion_cell(labels, predictions, confidence, true, predicted)
    if len(members) == 0:
        st.info(ui.t("inside.cells.empty", true=true, predicted=predicted))
        return
    pages = -(-len(members) // PAGE_SIZE)
    page = min(max(1, int(st.session_state.get(PAGE_KEY) or 1)), pages)
    st.session_state[PAGE_KEY] = page
    kind = "right" if true == predicted else "wrong"
    st.markdown(
        "**"
        + ui.t(f"inside.cells.title_{kind}", true=true, predicted=predicted, count=len(members))
        + "**"
    )
    shown = members[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    titles = [
        ui.t("inside.cells.tile", index=int(index), probability=float(confidence[index]))
        for index in shown
    ]
    figure = train_charts.digit_grid(images[shown], titles, columns=GRID_COLUMNS, width=480)
    st.plotly_chart(figure, key="train_cell_digits", config=inside_charts.PLOTLY_CONFIG)
    row = st.container(horizontal=True, vertical_alignment="center")
    row.button(
        ui.t("inside.cells.previous"),
        key="train_cell_previous",
        icon=":material/chevron_left:",
        disabled=page <= 1,
        on_click=_step_page,
        args=(-1,),
    )
    row.button(
        ui.t("inside.cells.next"),
        key="train_cell_next",
        icon=":material/chevron_right:",
        disabled=page >= pages,
        on_click=_step_page,
        args=(1,),
    )
    row.caption(
        ui.t(
            "inside.cells.status",
            page=page,
            pages=pages,
            first=(page - 1) * PAGE_SIZE + 1,
            last=(page - 1) * PAGE_SIZE + len(shown),
            count=len(members),
        )
    )
    st.caption(ui.t(f"inside.cells.caption_{kind}", predicted=predicted))
