"""Plotly figures of the Train page, built from plain lists and arrays (no Streamlit)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from mnist_demo.evaluation import smooth

# Text the figures show; the page passes the translated versions of these keys.
DEFAULT_TEXT = {
    "loss": "Loss",
    "accuracy": "Accuracy",
    "step": "Batch (step)",
    "epoch": "Epoch",
    "raw": "per batch",
    "smoothed": "smoothed",
    "epoch_train": "training (epoch)",
    "epoch_val": "validation (epoch)",
    "true": "True label",
    "predicted": "Predicted",
    "count": "Count",
    "train": "training",
    "val": "validation",
}
LOSS_COLOR = "#d62728"
ACCURACY_COLOR = "#1f77b4"
VALIDATION_COLOR = "#ff7f0e"
# The legend's entries stand for a kind of trace in both panels (red loss, blue accuracy): drawn
# in a neutral grey, and each panel's title in its curves' colour, so no entry is "the red one".
LEGEND_COLOR = "#555"
FONT_SIZE = 15  # readable on a classroom projector


def _text(text: dict | None) -> dict:
    return {**DEFAULT_TEXT, **(text or {})}


def _style(figure: go.Figure, height: int) -> go.Figure:
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        font={"size": FONT_SIZE},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "x": 0},
        template="plotly_white",
    )
    return figure


def _legend_entries(figure: go.Figure, text: dict) -> None:
    """Grey legend-only entries for the per-batch, smoothed and per-epoch traces of both panels
    (a click on one still hides its group in both)."""
    entries = (
        ("raw", {"mode": "lines", "line": {"color": LEGEND_COLOR, "width": 1}, "opacity": 0.35}),
        ("smoothed", {"mode": "lines", "line": {"color": LEGEND_COLOR, "width": 2.5}}),
        ("epoch_train", {"mode": "markers", "marker": {"color": LEGEND_COLOR, "size": 11}}),
    )
    for rank, (group, style) in enumerate(entries, start=1):
        figure.add_scatter(
            x=[None],
            y=[None],
            name=text[group],
            legendgroup=group,
            legendrank=rank,
            row=1,
            col=1,
            **style,
        )


def live_curves(
    steps: list[int],
    loss: list[float],
    accuracy: list[float],
    epoch_metrics: list[dict],
    steps_per_epoch: int,
    smoothing: float = 0.6,
    text: dict | None = None,
    total_steps: int | None = None,
) -> go.Figure:
    """Per-batch loss and accuracy (raw faint, debiased-EMA smoothed on top) with epoch points.

    Epoch points sit at the step that ends the epoch, so training and validation values per epoch
    line up with the batch curves they summarize. With total_steps the x axis spans the whole
    run from the start, so the curves grow across the chart as the run progresses.
    """
    text = _text(text)
    figure = make_subplots(rows=1, cols=2, subplot_titles=(text["loss"], text["accuracy"]))
    epoch_steps = [int(m["epoch"]) * steps_per_epoch for m in epoch_metrics]
    for column, (metric, values, color) in enumerate(
        (("loss", loss, LOSS_COLOR), ("accuracy", accuracy, ACCURACY_COLOR)), start=1
    ):
        first = column == 1  # one legend entry per kind of trace, not per panel
        figure.add_scatter(
            x=steps,
            y=values,
            mode="lines",
            name=text["raw"],
            legendgroup="raw",
            showlegend=False,
            line={"color": color, "width": 1},
            opacity=0.35,
            row=1,
            col=column,
        )
        figure.add_scatter(
            x=steps,
            y=smooth(values, smoothing) if len(values) else [],
            mode="lines",
            name=text["smoothed"],
            legendgroup="smoothed",
            showlegend=False,
            line={"color": color, "width": 2.5},
            row=1,
            col=column,
        )
        figure.add_scatter(
            x=epoch_steps,
            y=[m.get(metric) for m in epoch_metrics],
            mode="markers",
            name=text["epoch_train"],
            legendgroup="epoch_train",
            showlegend=False,
            marker={
                "color": color,
                "size": 11,
                "symbol": "circle",
                "line": {"color": "white", "width": 1.5},
            },
            row=1,
            col=column,
        )
        validation = [m.get(f"val_{metric}") for m in epoch_metrics]
        if any(value is not None for value in validation):
            figure.add_scatter(
                x=epoch_steps,
                y=validation,
                mode="markers+lines",
                name=text["epoch_val"],
                legendgroup="epoch_val",
                legendrank=len(DEFAULT_TEXT),  # after the grey entries
                showlegend=first,
                marker={"color": VALIDATION_COLOR, "size": 11, "symbol": "diamond"},
                line={"color": VALIDATION_COLOR, "dash": "dot"},
                row=1,
                col=column,
            )
    _legend_entries(figure, text)  # after the curves, listed first (legendrank)
    for boundary in epoch_steps[:-1]:
        for column in (1, 2):
            figure.add_vline(
                x=boundary, line={"color": "#bbb", "width": 1, "dash": "dot"}, row=1, col=column
            )
    if total_steps:
        figure.update_xaxes(title_text=text["step"], range=[0, total_steps * 1.02])
    else:
        figure.update_xaxes(title_text=text["step"], rangemode="tozero")
    titles = figure.layout.annotations[:2]  # make_subplots' two subplot titles
    for annotation, color in zip(titles, (LOSS_COLOR, ACCURACY_COLOR), strict=True):
        annotation.font.color = color  # the panel titles carry the curves' colours
    figure.update_yaxes(rangemode="tozero", row=1, col=1)
    figure.update_yaxes(range=_accuracy_range(accuracy, epoch_metrics), row=1, col=2)
    return _style(figure, height=380)


def _accuracy_range(accuracy: list[float], epoch_metrics: list[dict]) -> list[float]:
    """From just under the lowest accuracy (never below 0) up to 1, so the top stays readable."""
    values = [v for v in accuracy if v is not None and np.isfinite(v)]
    values += [m[k] for m in epoch_metrics for k in ("accuracy", "val_accuracy") if m.get(k)]
    low = min(values, default=0.0)
    return [max(0.0, low - 0.05), 1.005]


def confusion_figure(matrix: np.ndarray, text: dict | None = None) -> go.Figure:
    """A 10×10 heatmap of counts (rows true, columns predicted), coloured on a log scale.

    On MNIST the diagonal holds ~1,000 per class and the mistakes a handful, so linear colours
    would hide every mistake; the cell text shows the exact counts.
    """
    text = _text(text)
    matrix = np.asarray(matrix)  # (10, 10)
    digits = [str(d) for d in range(matrix.shape[0])]
    figure = go.Figure(
        go.Heatmap(
            z=np.log10(1 + matrix),
            x=digits,
            y=digits,
            text=matrix,
            texttemplate="%{text}",
            textfont={"size": 14},
            customdata=matrix,
            hovertemplate=(
                f"{text['true']}: %{{y}}<br>{text['predicted']}: %{{x}}<br>"
                f"{text['count']}: %{{customdata}}<extra></extra>"
            ),
            colorscale="Blues",
            showscale=False,
        )
    )
    figure.update_xaxes(title_text=text["predicted"], side="top", type="category", tickfont_size=15)
    figure.update_yaxes(
        title_text=text["true"], autorange="reversed", type="category", tickfont_size=15
    )
    figure.update_layout(yaxis_scaleanchor="x", yaxis_constrain="domain", xaxis_constrain="domain")
    return _style(figure, height=500)


TILE = 28  # MNIST images are 28×28 pixels
TILE_GAP = 6  # blank pixels between tiles
TITLE_BAND = 15  # pixels of room above each tile for a two-line title
ROW_GAP = 3  # blank pixels between a tile and the title of the tile below


def mosaic(images: np.ndarray, columns: int) -> np.ndarray:
    """(n, 28, 28) images tiled into one float array, NaN (drawn transparent) between tiles."""
    images = np.asarray(images, dtype=np.float64)  # (n, 28, 28)
    rows = max(1, -(-len(images) // columns))
    cell_width, cell_height = TILE + TILE_GAP, TILE + TITLE_BAND + ROW_GAP
    canvas = np.full((rows * cell_height - ROW_GAP, columns * cell_width - TILE_GAP), np.nan)
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = row * cell_height + TITLE_BAND, column * cell_width
        canvas[top : top + TILE, left : left + TILE] = image
    return canvas  # (rows * 46 - 3, columns * 34 - 6)


def digit_grid(
    images: np.ndarray,
    titles: list[str],
    columns: int = 8,
    diverging: bool = False,
    width: int = 900,
) -> go.Figure:
    """Small 28×28 images in a grid with a title each: test digits (grey) or weights (diverging).

    One heatmap of a mosaic on one square-pixel axis keeps every tile square at any page width;
    `width` (the pixels the page is expected to give the figure) only sets a height that leaves no
    blank band. Titles may hold a line break (<br>).
    Digits are drawn black on white like ink; weight templates use red for negative and blue for
    positive weights, centred on zero.
    """
    count = len(images)
    columns = max(1, min(columns, count))
    rows = max(1, -(-count // columns))
    figure = go.Figure(
        go.Heatmap(
            z=mosaic(images, columns),
            colorscale="RdBu" if diverging else "Greys",
            zmid=0 if diverging else None,
            zmin=-1 if diverging else 0,
            zmax=1 if diverging else 255,
            showscale=False,
            hoverongaps=False,
            hovertemplate="%{z:.2f}<extra></extra>",
        )
    )
    for index, title in enumerate(titles[:count]):
        row, column = divmod(index, columns)
        figure.add_annotation(
            x=column * (TILE + TILE_GAP) + TILE / 2 - 0.5,
            y=row * (TILE + TITLE_BAND + ROW_GAP) + TITLE_BAND - 1.5,
            text=title,
            showarrow=False,
            yanchor="bottom",
            font={"size": 13},
        )
    figure.update_xaxes(visible=False, constrain="domain")
    figure.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    mosaic_width = columns * (TILE + TILE_GAP) - TILE_GAP
    pixel = width / mosaic_width  # screen pixels per image pixel
    figure = _style(figure, height=int(30 + rows * (TILE + TITLE_BAND + ROW_GAP) * pixel))
    figure.update_layout(margin={"t": 10, "b": 10}, plot_bgcolor="white")
    return figure


def runs_overlay(runs: list[dict], text: dict | None = None) -> go.Figure:
    """Per-epoch loss and accuracy of several runs; one colour per run, validation dashed.

    Each run is {"name": str, "epochs": [{"epoch", "loss", "accuracy", "val_loss"?, ...}]}.
    """
    text = _text(text)
    figure = make_subplots(rows=1, cols=2, subplot_titles=(text["loss"], text["accuracy"]))
    palette = qualitative.Plotly
    for number, run in enumerate(runs):
        color = palette[number % len(palette)]
        epochs = [m["epoch"] for m in run["epochs"]]
        for column, metric in enumerate(("loss", "accuracy"), start=1):
            figure.add_scatter(
                x=epochs,
                y=[m.get(metric) for m in run["epochs"]],
                mode="lines+markers",
                name=f"{run['name']} · {text['train']}",
                legendgroup=run["name"],
                showlegend=column == 1,
                line={"color": color, "width": 2.5},
                row=1,
                col=column,
            )
            validation = [m.get(f"val_{metric}") for m in run["epochs"]]
            if any(value is not None for value in validation):
                figure.add_scatter(
                    x=epochs,
                    y=validation,
                    mode="lines+markers",
                    name=f"{run['name']} · {text['val']}",
                    legendgroup=run["name"],
                    showlegend=column == 1,
                    line={"color": color, "dash": "dash"},
                    marker={"symbol": "diamond"},
                    row=1,
                    col=column,
                )
    figure.update_xaxes(title_text=text["epoch"], dtick=1)
    figure = _style(figure, height=420 + 24 * len(runs))
    figure.update_layout(legend={"orientation": "v", "y": -0.2, "yanchor": "top"})
    return figure
