"""Draw page, "Inside the network": what the chosen model does with the current drawing.

Streamlit glue around mnist_demo.analysis.inside and mnist_demo.charts.inside. The section sits in
an expander that tracks its state, so nothing is computed or drawn while it is closed: the page's
first view costs what it cost before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnist_demo import ui
from mnist_demo.analysis import inside
from mnist_demo.charts import inside as charts

SECTION_KEY = "draw_inside"


@dataclass(frozen=True)
class InsideView:
    """Everything the section draws for one (model, drawing) pair, as plain arrays."""

    predicted: int
    saliency: np.ndarray  # (28, 28)
    dense: inside.DenseInside | None  # the chapter's dense network
    feature_maps: list[inside.FeatureMaps]  # a CNN's convolution blocks


@st.cache_data(show_spinner=False, max_entries=64)
def look_inside(model_key: str, image_bytes: bytes, _network) -> InsideView:
    """The arrays for one model (by its key: "default" or a run id, and the loaded model's id)
    and one 28x28 drawing.

    Cached across sessions: the same drawing shown again (a rerun of the page, the expander
    reopened, a language switch) costs nothing.
    """
    image = np.frombuffer(image_bytes, dtype="float32").reshape(28, 28)
    evidence = inside.saliency(_network, image)
    if inside.dense_layers(_network) is not None:
        dense = inside.dense_inside(_network, image)
        return InsideView(dense.predicted, evidence, dense, [])
    from mnist_demo.training.model import predict_proba

    predicted = int(np.argmax(predict_proba(_network, image[None])[0]))
    return InsideView(predicted, evidence, None, inside.feature_maps(_network, image))


def section(network, image: np.ndarray, model_key: str) -> None:
    """The "Inside the network" expander for this drawing and model."""
    # on_change="rerun" makes the expander report whether it is open (a key keeps it open
    # across a language switch, which changes its label).
    expander = st.expander(
        ui.t("inside.draw.title"), key=SECTION_KEY, on_change="rerun", icon=":material/hub:"
    )
    if not expander.open:
        return
    with expander:
        image = np.ascontiguousarray(image, dtype="float32")
        # The model object's id as well: a run whose file failed to load shows the default model.
        view = look_inside(f"{model_key}:{id(network)}", image.tobytes(), network)
        st.caption(ui.t("inside.draw.intro"))
        saliency_part(image, view)
        if view.dense is not None:
            dense_part(view.dense)
        elif view.feature_maps:
            feature_maps_part(view.feature_maps)
        else:
            st.info(ui.t("inside.draw.other_model"))


def saliency_part(image: np.ndarray, view: InsideView) -> None:
    st.subheader(ui.t("inside.draw.saliency_title", digit=view.predicted))
    left, right = ui.wrapping_columns("draw_inside_saliency_row", [2, 3], ["260px", "260px"])
    with left:
        figure = charts.saliency_figure(
            image, view.saliency, {"hover": ui.t("inside.draw.saliency_hover")}
        )
        st.plotly_chart(figure, key="draw_inside_saliency", config=charts.PLOTLY_CONFIG)
    right.caption(ui.t("inside.draw.saliency_caption", digit=view.predicted))


def dense_part(dense: inside.DenseInside) -> None:
    digit, units = dense.predicted, len(dense.hidden)
    grid = dense.hidden_grid()
    st.subheader(ui.t("inside.draw.hidden_title", units=units))
    st.caption(
        ui.t(
            "inside.draw.hidden_caption",
            units=units,
            rows=grid.shape[0],
            columns=grid.shape[1],
            top=len(dense.top_units),
            digit=digit,
            active=int(np.count_nonzero(dense.hidden)),
        )
    )
    figure = charts.hidden_units_figure(
        grid,
        dense.contributions,
        dense.top_units,
        {"hover": ui.t("inside.draw.hidden_hover"), "scale": ui.t("inside.draw.activation")},
    )
    st.plotly_chart(figure, key="draw_inside_hidden", config=charts.PLOTLY_CONFIG)

    st.subheader(ui.t("inside.draw.units_title", top=len(dense.top_units), digit=digit))
    top_sum = float(dense.contributions[dense.top_units].sum())
    st.caption(
        ui.t(
            "inside.draw.units_caption",
            digit=digit,
            top=len(dense.top_units),
            top_sum=top_sum,
            total=float(dense.contributions.sum()),
            bias=dense.output_bias,
            score=float(dense.logits[digit]),
        )
    )
    figure = charts.unit_weights_figure(
        dense.top_unit_weights,
        dense.top_units,
        dense.contributions[dense.top_units],
        {"title": ui.t("inside.draw.unit_title"), "hover": ui.t("inside.draw.unit_hover")},
    )
    st.plotly_chart(figure, key="draw_inside_units", config=charts.PLOTLY_CONFIG)

    st.subheader(ui.t("inside.draw.scores_title"))
    st.caption(ui.t("inside.draw.scores_caption", digit=digit))
    figure = charts.output_scores_figure(
        dense.logits,
        dense.probabilities,
        {
            key: ui.t(f"inside.draw.scores_{key}")
            for key in ("before", "after", "digit", "hover_score", "hover_probability")
        },
    )
    st.plotly_chart(figure, key="draw_inside_scores", config=charts.PLOTLY_CONFIG)


def feature_maps_part(blocks: list[inside.FeatureMaps]) -> None:
    st.subheader(ui.t("inside.draw.maps_title"))
    st.caption(ui.t("inside.draw.maps_caption", blocks=len(blocks)))
    text = {"hover": ui.t("inside.draw.maps_hover")}
    for number, block in enumerate(blocks, start=1):
        height, width, channels = block.maps.shape
        st.markdown(
            "**"
            + ui.t(
                "inside.draw.maps_block",
                number=number,
                channels=channels,
                height=height,
                width=width,
            )
            + "**"
        )
        st.plotly_chart(
            charts.feature_maps_figure(block.maps, text),
            key=f"draw_inside_maps_{number}",
            config=charts.PLOTLY_CONFIG,
        )
