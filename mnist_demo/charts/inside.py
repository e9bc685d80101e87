"""Plotly figures that look inside a network (Draw page) and open the confusion matrix (Train).

Built from the NumPy arrays of mnist_demo.analysis.inside and mnist_demo.analysis.evaluation;
every text a figure shows comes in through `text`, already translated, so this module knows no
language.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mnist_demo.charts.train import ROW_GAP, TILE, TILE_GAP, TITLE_BAND, mosaic

HIGHLIGHT = "#ff4b4b"  # Streamlit's primary red: the predicted digit, the chosen cell
MUTED = "#9aa5b1"
FONT_SIZE = 14
PLOTLY_CONFIG = {"displayModeBar": False}
# The saliency overlay: transparent where a pixel gives no evidence, opaque orange-red where it
# gives the most, so the drawing stays visible beneath.
SALIENCY_SCALE = [
    [0.0, "rgba(255, 80, 0, 0)"],
    [0.15, "rgba(255, 80, 0, 0.25)"],
    [1.0, "rgba(255, 220, 0, 0.95)"],
]
FEATURE_COLUMNS = 8  # feature maps per row of a convolution block's mosaic
FEATURE_GAP = 2  # blank pixels between feature maps


def _style(figure: go.Figure, height: int) -> go.Figure:
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        font={"size": FONT_SIZE},
        template="plotly_white",
        showlegend=False,
    )
    return figure


def _square_image_axes(figure: go.Figure) -> None:
    figure.update_xaxes(visible=False, constrain="domain", fixedrange=True)
    figure.update_yaxes(
        visible=False, autorange="reversed", scaleanchor="x", constrain="domain", fixedrange=True
    )


def saliency_figure(image: np.ndarray, evidence: np.ndarray, text: dict) -> go.Figure:
    """The 28x28 input in grey with the saliency map laid over it (1 = the strongest pixel).

    text: "hover" is a hovertemplate with %{y}, %{x} (row, column), %{customdata:.2f} (ink) and
    %{z:.2f} (evidence).
    """
    image = np.asarray(image, dtype="float32")
    evidence = np.asarray(evidence, dtype="float32")
    if image.shape != (28, 28) or evidence.shape != (28, 28):
        raise ValueError(f"expected two (28, 28) arrays, got {image.shape} and {evidence.shape}")
    strongest = float(evidence.max())
    relative = evidence / strongest if strongest > 0 else evidence
    figure = go.Figure(
        go.Heatmap(z=image, colorscale="Greys_r", zmin=0, zmax=1, showscale=False, hoverinfo="skip")
    )
    figure.add_trace(
        go.Heatmap(
            z=relative,
            customdata=image,
            colorscale=SALIENCY_SCALE,
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate=text["hover"] + "<extra></extra>",
        )
    )
    _square_image_axes(figure)
    return _style(figure, height=300)


def hidden_units_figure(
    grid: np.ndarray, contributions: np.ndarray, top_units: np.ndarray, text: dict
) -> go.Figure:
    """The hidden layer's activations as a rows x columns heat map, top units outlined.

    grid is DenseInside.hidden_grid() (NaN for padding); contributions the (units,) vector;
    text: "hover" uses %{customdata[0]} (unit), %{z:.2f} (activation) and %{customdata[1]:+.2f}
    (what the unit adds to the predicted digit's score); "scale" titles the colour bar.
    """
    grid = np.asarray(grid, dtype="float32")
    rows, columns = grid.shape
    units = np.arange(rows * columns, dtype="float32").reshape(rows, columns)
    padded = np.full(rows * columns, np.nan, dtype="float32")
    padded[: len(contributions)] = contributions
    customdata = np.stack([units, padded.reshape(rows, columns)], axis=-1)  # (rows, columns, 2)
    figure = go.Figure(
        go.Heatmap(
            z=grid,
            customdata=customdata,
            colorscale="Viridis",
            zmin=0,
            showscale=True,
            colorbar={"thickness": 12, "title": {"text": text["scale"], "side": "right"}},
            hoverongaps=False,
            hovertemplate=text["hover"] + "<extra></extra>",
        )
    )
    top_rows, top_columns = np.divmod(np.asarray(top_units), columns)
    figure.add_trace(
        go.Scatter(
            x=top_columns,
            y=top_rows,
            mode="markers",
            marker={
                "symbol": "square-open",
                "size": 16,
                "color": HIGHLIGHT,
                "line": {"width": 2.5},
            },
            hoverinfo="skip",
        )
    )
    _square_image_axes(figure)
    return _style(figure, height=340)


def unit_weights_figure(
    weights: np.ndarray, units: np.ndarray, contributions: np.ndarray, text: dict
) -> go.Figure:
    """Each top unit's 784 input weights as a 28x28 picture (blue +, red -), titled with the
    unit's number and what it adds to the score. Each picture is scaled to its own largest
    weight, so the pattern shows even for units with small weights.

    text: "title" uses {unit} and {contribution}; "hover" %{customdata[0]} (unit),
    %{y}/%{x} are mosaic coordinates, so it uses %{customdata[1]:.3f} (the raw weight).
    """
    weights = np.asarray(weights, dtype="float32")  # (k, 28, 28)
    count = len(weights)
    columns = min(4, count)
    scale = np.abs(weights).reshape(count, -1).max(axis=1)
    scaled = weights / np.where(scale > 0, scale, 1)[:, None, None]
    unit_layer = mosaic(np.broadcast_to(np.asarray(units)[:, None, None], weights.shape), columns)
    raw_layer = mosaic(weights, columns)
    figure = go.Figure(
        go.Heatmap(
            z=mosaic(scaled, columns),
            customdata=np.stack([unit_layer, raw_layer], axis=-1),
            colorscale="RdBu",
            zmid=0,
            zmin=-1,
            zmax=1,
            showscale=False,
            hoverongaps=False,
            hovertemplate=text["hover"] + "<extra></extra>",
        )
    )
    for index, (unit, contribution) in enumerate(zip(units, contributions, strict=True)):
        row, column = divmod(index, columns)
        figure.add_annotation(
            x=column * (TILE + TILE_GAP) + TILE / 2 - 0.5,
            y=row * (TILE + TITLE_BAND + ROW_GAP) + TITLE_BAND - 1.5,
            text=text["title"].format(unit=int(unit), contribution=float(contribution)),
            showarrow=False,
            yanchor="bottom",
            font={"size": 12},
        )
    _square_image_axes(figure)
    rows = -(-count // columns)
    figure = _style(figure, height=40 + rows * 150)
    figure.update_layout(margin={"t": 10, "b": 10}, plot_bgcolor="white")
    return figure


def output_scores_figure(logits: np.ndarray, probabilities: np.ndarray, text: dict) -> go.Figure:
    """The 10 output scores before softmax (logits) beside the probabilities after it."""
    logits = np.asarray(logits, dtype="float64")
    probabilities = np.asarray(probabilities, dtype="float64")
    if logits.shape != (10,) or probabilities.shape != (10,):
        raise ValueError("expected 10 scores and 10 probabilities")
    top = int(np.argmax(logits))
    colours = [HIGHLIGHT if digit == top else MUTED for digit in range(10)]
    digits = [str(digit) for digit in range(10)]
    figure = make_subplots(rows=1, cols=2, subplot_titles=(text["before"], text["after"]))
    panels = ((logits, text["hover_score"]), (probabilities, text["hover_probability"]))
    for column, (values, hover) in enumerate(panels, start=1):
        figure.add_bar(
            x=digits,
            y=values,
            marker_color=colours,
            hovertemplate=hover + "<extra></extra>",
            row=1,
            col=column,
        )
    figure.update_xaxes(type="category", title_text=text["digit"])
    figure.update_yaxes(tickformat=".0%", range=[0, 1.05], row=1, col=2)
    return _style(figure, height=300)


def feature_maps_figure(maps: np.ndarray, text: dict) -> go.Figure:
    """One convolution block's feature maps (height, width, channels), FEATURE_COLUMNS a row,
    all on one colour scale (0 to the block's largest value) so strong maps stand out.

    text: "hover" uses %{customdata:.0f} (channel) and %{z:.2f} (value).
    """
    maps = np.asarray(maps, dtype="float32")
    if maps.ndim != 3:
        raise ValueError(
            f"feature maps must have shape (height, width, channels), not {maps.shape}"
        )
    height, width, channels = maps.shape
    columns = min(FEATURE_COLUMNS, channels)
    rows = -(-channels // columns)
    cell_height, cell_width = height + FEATURE_GAP, width + FEATURE_GAP
    z = np.full((rows * cell_height - FEATURE_GAP, columns * cell_width - FEATURE_GAP), np.nan)
    channel_of = np.full(z.shape, np.nan)
    for channel in range(channels):
        row, column = divmod(channel, columns)
        top, left = row * cell_height, column * cell_width
        z[top : top + height, left : left + width] = maps[:, :, channel]
        channel_of[top : top + height, left : left + width] = channel
    low = min(0.0, float(np.nanmin(z)))
    high = float(np.nanmax(z))
    figure = go.Figure(
        go.Heatmap(
            z=z.astype("float32"),
            customdata=channel_of.astype("float32"),
            colorscale="Viridis",
            zmin=low,
            zmax=high if high > low else low + 1,
            showscale=False,
            hoverongaps=False,
            hovertemplate=text["hover"] + "<extra></extra>",
        )
    )
    _square_image_axes(figure)
    figure = _style(figure, height=int(40 + 560 * z.shape[0] / z.shape[1]))
    figure.update_layout(margin={"t": 10, "b": 10}, plot_bgcolor="white")
    return figure


# Train page: a confusion matrix whose cells can be clicked -----------------------------------


def cell_markers(figure: go.Figure, selected: tuple[int, int] | None = None) -> go.Figure:
    """Add an invisible marker on each cell of a 10x10 confusion figure so a click selects the
    cell (Plotly selects points, not heat-map cells), and outline the selected (true, predicted)
    cell. customdata of a clicked point is [true, predicted]."""
    digits = [str(digit) for digit in range(10)]
    true, predicted = np.meshgrid(range(10), range(10), indexing="ij")
    # The markers take the pointer from the heat map beneath, so they show its hover text (the
    # cell's count as their text). Never hoverinfo="skip": Plotly then ignores clicks on them
    # too, and a click on a cell would select nothing.
    heatmap = figure.data[0]
    hover = {"hoverinfo": "none"}
    if heatmap.hovertemplate and heatmap.customdata is not None:
        hover = {
            "text": np.asarray(heatmap.customdata).ravel().tolist(),
            "hovertemplate": heatmap.hovertemplate.replace("%{customdata}", "%{text}"),
        }
    figure.add_trace(
        go.Scatter(
            x=[digits[p] for p in predicted.ravel()],
            y=[digits[t] for t in true.ravel()],
            mode="markers",
            marker={"size": 30, "opacity": 0, "symbol": "square"},
            customdata=np.stack([true.ravel(), predicted.ravel()], axis=1).tolist(),
            showlegend=False,
            **hover,
        )
    )
    if selected is not None:
        true_digit, predicted_digit = selected
        figure.add_trace(
            go.Scatter(
                x=[digits[predicted_digit]],
                y=[digits[true_digit]],
                mode="markers",
                marker={
                    "size": 36,
                    "symbol": "square-open",
                    "color": HIGHLIGHT,
                    "line": {"width": 3},
                },
                hoverinfo="skip",
                showlegend=False,
            )
        )
    # Fixed axes: a drag cannot zoom the table away (Streamlit sets the click mode itself).
    figure.update_xaxes(fixedrange=True)
    figure.update_yaxes(fixedrange=True)
    return figure


def clicked_cell(points: list[dict]) -> tuple[int, int] | None:
    """The (true, predicted) cell of a Plotly selection on cell_markers' trace, if any."""
    for point in points or []:
        data = point.get("customdata")
        if isinstance(data, list | tuple) and len(data) == 2:
            true, predicted = int(data[0]), int(data[1])
            if 0 <= true < 10 and 0 <= predicted < 10:
                return true, predicted
    return None
