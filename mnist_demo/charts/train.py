"""Plotly figures of the Train page, built from plain lists and arrays (no Streamlit)."""

from __future__ import annotations

import textwrap

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from mnist_demo.analysis.evaluation import smooth

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
FONT_SIZE = 15  # readable on a laptop and a phone

# Projector mode (presentation=True): text, tick labels included, at 22 px is legible from the
# back of a room at 1280x720; darker colours and thicker lines survive a washed-out projector.
PRESENTATION_FONT_SIZE = 22
PRESENTATION_COLORS = {"loss": "#b3001b", "accuracy": "#003f9e", "validation": "#c45200"}
PRESENTATION_LINE_SCALE = 2.0  # every line and marker twice as thick
PHONE_LEGEND_LINE = 34  # characters per legend line on a phone: longer run names wrap


def _text(text: dict | None) -> dict:
    return {**DEFAULT_TEXT, **(text or {})}


def _colors(presentation: bool) -> dict[str, str]:
    if presentation:
        return PRESENTATION_COLORS
    return {"loss": LOSS_COLOR, "accuracy": ACCURACY_COLOR, "validation": VALIDATION_COLOR}


def _panels(text: dict, narrow: bool) -> tuple[go.Figure, dict[int, dict]]:
    """The loss | accuracy pair of panels: side by side, or stacked on a phone (narrow), where
    side by side each had 170 px. Returns the figure and each panel's row/col by number 1, 2."""
    titles = (text["loss"], text["accuracy"])
    if narrow:
        figure = make_subplots(rows=2, cols=1, subplot_titles=titles, vertical_spacing=0.2)
        return figure, {1: {"row": 1, "col": 1}, 2: {"row": 2, "col": 1}}
    figure = make_subplots(rows=1, cols=2, subplot_titles=titles)
    return figure, {1: {"row": 1, "col": 1}, 2: {"row": 1, "col": 2}}


def _style(figure: go.Figure, height: int, presentation: bool = False) -> go.Figure:
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        font={"size": PRESENTATION_FONT_SIZE if presentation else FONT_SIZE},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "x": 0},
        template="plotly_white",
    )
    if presentation:
        present(figure)
        figure.update_layout(margin_t=60)
    return figure


def present(figure: go.Figure) -> go.Figure:
    """Projector mode's text and axes: every text at PRESENTATION_FONT_SIZE in black (axis ticks
    and titles, legend, subplot titles: Streamlit's chart theme sizes each of them on its own, so
    the layout's font alone left tick labels at 15 px), black axis lines, darker grid lines."""
    size, black = PRESENTATION_FONT_SIZE, "#000000"
    figure.update_layout(
        font={"size": size, "color": black},
        legend_font={"size": size, "color": black},
        title_font={"size": size + 2, "color": black},
    )
    axes = {
        "showline": True,
        "linecolor": black,
        "linewidth": 2,
        "gridcolor": "#b0b0b0",
        "tickfont": {"size": size, "color": black},
        "title_font": {"size": size, "color": black},
    }
    figure.update_xaxes(**axes)
    figure.update_yaxes(**axes)
    figure.update_annotations(font_size=size, font_color=black)
    return figure


def _legend_entries(figure: go.Figure, text: dict, panel: dict, thick: float = 1.0) -> None:
    """Grey legend-only entries for the per-batch, smoothed and per-epoch traces of both panels
    (a click on one still hides its group in both), as thick as the curves they stand for."""
    entries = (
        (
            "raw",
            {"mode": "lines", "line": {"color": LEGEND_COLOR, "width": 1 * thick}, "opacity": 0.35},
        ),
        ("smoothed", {"mode": "lines", "line": {"color": LEGEND_COLOR, "width": 2.5 * thick}}),
        ("epoch_train", {"mode": "markers", "marker": {"color": LEGEND_COLOR, "size": 11}}),
    )
    for rank, (group, style) in enumerate(entries, start=1):
        figure.add_scatter(
            x=[None],
            y=[None],
            name=text[group],
            legendgroup=group,
            legendrank=rank,
            **panel,
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
    presentation: bool = False,
    narrow: bool = False,
) -> go.Figure:
    """Per-batch loss and accuracy (raw faint, debiased-EMA smoothed on top) with epoch points.

    Epoch points sit at the step that ends the epoch, so training and validation values per epoch
    line up with the batch curves they summarize. With total_steps the x axis spans the whole
    run from the start, so the curves grow across the chart as the run progresses.
    presentation: projector mode's larger text, thicker lines, darker colours; narrow: the two
    panels stacked for a phone.
    """
    text = _text(text)
    figure, panels = _panels(text, narrow)
    colors = _colors(presentation)
    thick = PRESENTATION_LINE_SCALE if presentation else 1.0
    epoch_steps = [int(m["epoch"]) * steps_per_epoch for m in epoch_metrics]
    for column, (metric, values, color) in enumerate(
        (("loss", loss, colors["loss"]), ("accuracy", accuracy, colors["accuracy"])), start=1
    ):
        first = column == 1  # one legend entry per kind of trace, not per panel
        figure.add_scatter(
            x=steps,
            y=values,
            mode="lines",
            name=text["raw"],
            legendgroup="raw",
            showlegend=False,
            line={"color": color, "width": 1 * thick},
            opacity=0.5 if presentation else 0.35,
            **panels[column],
        )
        figure.add_scatter(
            x=steps,
            y=smooth(values, smoothing) if len(values) else [],
            mode="lines",
            name=text["smoothed"],
            legendgroup="smoothed",
            showlegend=False,
            line={"color": color, "width": 2.5 * thick},
            **panels[column],
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
                "size": 11 * thick**0.5,
                "symbol": "circle",
                "line": {"color": "white", "width": 1.5},
            },
            **panels[column],
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
                marker={
                    "color": colors["validation"],
                    "size": 11 * thick**0.5,
                    "symbol": "diamond",
                },
                line={"color": colors["validation"], "dash": "dot", "width": 2 * thick},
                **panels[column],
            )
    _legend_entries(figure, text, panels[1], thick)  # after the curves, listed first (legendrank)
    for boundary in epoch_steps[:-1]:
        for column in (1, 2):
            figure.add_vline(
                x=boundary, line={"color": "#bbb", "width": thick, "dash": "dot"}, **panels[column]
            )
    if total_steps:
        figure.update_xaxes(title_text=text["step"], range=[0, total_steps * 1.02])
    else:
        figure.update_xaxes(title_text=text["step"], rangemode="tozero")
    titles = figure.layout.annotations[:2]  # make_subplots' two subplot titles
    for annotation, color in zip(titles, (colors["loss"], colors["accuracy"]), strict=True):
        annotation.font.color = color  # the panel titles carry the curves' colours
    figure.update_yaxes(rangemode="tozero", **panels[1])
    figure.update_yaxes(range=_accuracy_range(accuracy, epoch_metrics), **panels[2])
    height = 640 if narrow else 380
    return _style(figure, height=height + (60 if presentation else 0), presentation=presentation)


def _accuracy_range(accuracy: list[float], epoch_metrics: list[dict]) -> list[float]:
    """From just under the lowest accuracy (never below 0) up to 1, so the top stays readable."""
    values = [v for v in accuracy if v is not None and np.isfinite(v)]
    values += [m[k] for m in epoch_metrics for k in ("accuracy", "val_accuracy") if m.get(k)]
    low = min(values, default=0.0)
    return [max(0.0, low - 0.05), 1.005]


def confusion_figure(
    matrix: np.ndarray, text: dict | None = None, presentation: bool = False
) -> go.Figure:
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
            textfont={"size": PRESENTATION_FONT_SIZE - 2 if presentation else 14},
            customdata=matrix,
            hovertemplate=(
                f"{text['true']}: %{{y}}<br>{text['predicted']}: %{{x}}<br>"
                f"{text['count']}: %{{customdata}}<extra></extra>"
            ),
            colorscale="Blues",
            showscale=False,
        )
    )
    tick = PRESENTATION_FONT_SIZE if presentation else 15
    figure.update_xaxes(
        title_text=text["predicted"], side="top", type="category", tickfont_size=tick
    )
    figure.update_yaxes(
        title_text=text["true"], autorange="reversed", type="category", tickfont_size=tick
    )
    figure.update_layout(yaxis_scaleanchor="x", yaxis_constrain="domain", xaxis_constrain="domain")
    return _style(figure, height=500, presentation=presentation)


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


def runs_overlay(
    runs: list[dict], text: dict | None = None, presentation: bool = False, narrow: bool = False
) -> go.Figure:
    """Per-epoch loss and accuracy of several runs; one colour per run, validation dashed.

    Each run is {"name": str, "epochs": [{"epoch", "loss", "accuracy", "val_loss"?, ...}]}.
    presentation: projector mode (see live_curves); narrow: panels stacked and the legend's
    run names wrapped for a phone, where they ran off the screen.
    """
    text = _text(text)
    figure, panels = _panels(text, narrow)
    palette = qualitative.Dark24 if presentation else qualitative.Plotly
    thick = PRESENTATION_LINE_SCALE if presentation else 1.0
    for number, run in enumerate(runs):
        color = palette[number % len(palette)]
        epochs = [m["epoch"] for m in run["epochs"]]
        for column, metric in enumerate(("loss", "accuracy"), start=1):
            name = f"{run['name']} · {text['train']}"
            figure.add_scatter(
                x=epochs,
                y=[m.get(metric) for m in run["epochs"]],
                mode="lines+markers",
                name="<br>".join(textwrap.wrap(name, PHONE_LEGEND_LINE)) if narrow else name,
                legendgroup=run["name"],
                showlegend=column == 1,
                line={"color": color, "width": 2.5 * thick},
                **panels[column],
            )
            validation = [m.get(f"val_{metric}") for m in run["epochs"]]
            if any(value is not None for value in validation):
                name = f"{run['name']} · {text['val']}"
                figure.add_scatter(
                    x=epochs,
                    y=validation,
                    mode="lines+markers",
                    name="<br>".join(textwrap.wrap(name, PHONE_LEGEND_LINE)) if narrow else name,
                    legendgroup=run["name"],
                    showlegend=column == 1,
                    line={"color": color, "dash": "dash", "width": 2 * thick},
                    marker={"symbol": "diamond"},
                    **panels[column],
                )
    figure.update_xaxes(title_text=text["epoch"], dtick=1)
    height = (720 + 60 * len(runs)) if narrow else (420 + 24 * len(runs))
    figure = _style(figure, height=height, presentation=presentation)
    figure.update_layout(legend={"orientation": "v", "y": -0.2, "yanchor": "top"})
    return figure
