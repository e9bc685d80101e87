"""Plotly figures of the Explore page: sample grid, digit, pixel values, label counts, vector."""

from __future__ import annotations

import base64
import io
import textwrap

import numpy as np
import plotly.graph_objects as go
from PIL import Image

# matplotlib's plt.cm.binary, which the chapter's plt.imshow uses: 0 = white, 255 = black.
BINARY = [[0.0, "#ffffff"], [1.0, "#000000"]]
GAP = 4  # pixels of grey between grid tiles, in MNIST pixel units
GAP_GREY = 215  # light grey, so white tile backgrounds stay distinguishable
UPSCALE = 3  # the grid picture is upscaled with nearest-neighbour so the browser keeps it crisp
LABEL_COLOR = "#d62728"
SPLIT_COLORS = {"train": "#1f77b4", "test": "#ff7f0e"}
PHONE_TITLE_LINE = 44  # characters of a 13 px title line that fit a phone's 360 px


def compose_grid(images: np.ndarray, columns: int) -> np.ndarray:
    """Tile (k, 28, 28) uint8 digits into one uint8 grey picture, binary colours, grey gaps."""
    count = len(images)
    rows = max(1, -(-count // columns))
    cell = 28 + GAP
    canvas = np.full((rows * cell + GAP, columns * cell + GAP), GAP_GREY, dtype=np.uint8)
    for position, image in enumerate(images):
        top = GAP + (position // columns) * cell
        left = GAP + (position % columns) * cell
        canvas[top : top + 28, left : left + 28] = 255 - image  # binary: ink is dark
    return canvas  # (rows * 32 + 4, columns * 32 + 4)


def _png_data_uri(picture: np.ndarray) -> str:
    large = picture.repeat(UPSCALE, axis=0).repeat(UPSCALE, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(large, mode="L").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def sample_grid_figure(
    images: np.ndarray,
    labels: np.ndarray,
    indices: np.ndarray,
    columns: int,
    hover: str,
    selected: int | None = None,
    display_width: int = 560,
) -> go.Figure:
    """One picture of the samples (k, 28, 28) with each label in its tile's corner.

    `display_width` is the pixels the page is expected to give the figure: the height follows from
    it and the grid's shape, so 8 columns (560 x 560) and a phone's 4 columns (tall) both fill it.

    An invisible marker sits on every tile so hovering shows its index and clicking selects it
    (`hover` is a hovertemplate using %{customdata[0]} = index and %{customdata[1]} = label).
    A red frame marks the tile whose index is `selected`.
    """
    picture = compose_grid(images, columns)
    height, width = picture.shape
    cell = 28 + GAP
    positions = np.arange(len(images))
    centers_x = GAP + (positions % columns) * cell + 13.5
    centers_y = GAP + (positions // columns) * cell + 13.5
    figure = go.Figure(
        go.Image(source=_png_data_uri(picture), dx=1 / UPSCALE, dy=1 / UPSCALE, hoverinfo="skip")
    )
    figure.add_trace(
        go.Scatter(
            x=centers_x,
            y=centers_y,
            mode="markers",
            marker={"size": 28, "opacity": 0, "symbol": "square"},
            customdata=np.stack([indices, labels], axis=1).tolist(),  # plain lists survive JSON
            hovertemplate=hover + "<extra></extra>",
            showlegend=False,
        )
    )
    # One list set at once: add_annotation() per tile re-validates all earlier ones (O(n^2)).
    annotations = [
        {
            "x": x - 12.5,
            "y": y - 12.5,
            "text": f"<b>{int(label)}</b>",
            "showarrow": False,
            "xanchor": "left",
            "yanchor": "top",
            "font": {"color": LABEL_COLOR, "size": 13},
        }
        for x, y, label in zip(centers_x.tolist(), centers_y.tolist(), labels, strict=True)
    ]
    if selected is not None and selected in set(indices.tolist()):
        position = int(np.flatnonzero(indices == selected)[0])
        x0 = GAP + (position % columns) * cell - 1.5
        y0 = GAP + (position // columns) * cell - 1.5
        figure.add_shape(
            type="rect",
            x0=x0,
            y0=y0,
            x1=x0 + 31,
            y1=y0 + 31,
            line={"color": LABEL_COLOR, "width": 3},
        )
    figure.update_xaxes(visible=False, range=[0, width], fixedrange=True)
    figure.update_yaxes(visible=False, range=[height, 0], fixedrange=True, scaleanchor="x")
    figure.update_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        height=round(display_width * height / width),
        hovermode="closest",
        annotations=annotations,
    )
    return figure


def digit_figure(image: np.ndarray, title: str) -> go.Figure:
    """The chapter's plt.imshow(image, cmap=plt.cm.binary): one 28x28 digit, large."""
    figure = go.Figure(
        go.Heatmap(
            z=image,
            colorscale=BINARY,
            zmin=0,
            zmax=255,
            showscale=False,
            hovertemplate="[%{y}, %{x}] = %{z}<extra></extra>",
        )
    )
    _square_pixels(figure, dtick=4)
    figure.update_layout(
        title={"text": title, "x": 0.5, "xanchor": "center", "y": 0.98, "yanchor": "top"},
        height=440,
        margin={"l": 30, "r": 10, "t": 70, "b": 10},
    )
    return figure


def pixel_values_figure(image: np.ndarray) -> go.Figure:
    """All 784 pixel values of one digit as a heatmap, each number written in its cell.

    Zeros are left blank: the digit's shape then stands out from the 0 background.
    """
    text = np.where(image > 0, image.astype(str), "")  # (28, 28)
    figure = go.Figure(
        go.Heatmap(
            z=image,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 11},
            colorscale=BINARY,
            zmin=0,
            zmax=255,
            xgap=1,
            ygap=1,
            colorbar={"thickness": 12, "tickvals": [0, 64, 128, 192, 255]},
            hovertemplate="[%{y}, %{x}] = %{z}<extra></extra>",
        )
    )
    _square_pixels(figure, dtick=1)
    figure.update_layout(
        height=840,
        margin={"l": 30, "r": 10, "t": 25, "b": 10},
        plot_bgcolor="#eeeeee",
    )
    return figure


def _square_pixels(figure: go.Figure, dtick: int) -> None:
    """Square pixels, row 0 at the top and ticks on top, like matplotlib's imshow."""
    figure.update_xaxes(side="top", tick0=0, dtick=dtick, constrain="domain", showgrid=False)
    figure.update_yaxes(
        autorange="reversed",
        tick0=0,
        dtick=dtick,
        scaleanchor="x",
        constrain="domain",
        showgrid=False,
    )


def label_distribution_figure(
    counts: dict[str, np.ndarray], names: dict[str, str], axis_titles: tuple[str, str]
) -> go.Figure:
    """Share of each label 0-9 in each split (grouped bars), with the counts written on the bars.

    Shares, not counts, on the value axis: the test set is 6x smaller, and the point is that both
    splits have the same, nearly balanced, distribution. The bars lie horizontally: in the page's
    narrow column twenty upright bars are about 10 px wide, too thin for a count written along
    them to be legible, while a lying bar is long enough to hold "6,742" in upright text.
    """
    figure = go.Figure()
    for split, split_counts in counts.items():
        share = 100 * split_counts / split_counts.sum()
        figure.add_trace(
            go.Bar(
                x=share,
                y=np.arange(10),
                orientation="h",
                name=names[split],
                text=[f"{int(c):,}" for c in split_counts],
                textposition="inside",
                insidetextanchor="end",
                textangle=0,
                textfont={"size": 11, "color": "#ffffff"},
                constraintext="none",  # plotly would shrink the text to ~6 px to fit the thickness
                marker_color=SPLIT_COLORS.get(split),
                customdata=split_counts,
                hovertemplate="%{y}: %{customdata:,} (%{x:.2f}%)<extra>"
                + names[split]
                + "</extra>",
            )
        )
    figure.update_layout(
        barmode="group",
        bargap=0.15,
        height=440,
        # The legend sits in the top margin, above the plot area: inside it, it covered the
        # training bar of digit 0.
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yanchor": "bottom"},
        yaxis={"title": axis_titles[0], "tickmode": "linear", "dtick": 1, "autorange": "reversed"},
        xaxis={"title": axis_titles[1], "ticksuffix": "%", "range": [0, 12.5]},
    )
    return figure


def vector_figure(image: np.ndarray, title: str, narrow: bool = False) -> go.Figure:
    """The flattened (784,) input vector the network receives, as one strip of 784 cells.

    narrow: a phone's layout, the title wrapped (plotly cuts a long one at the figure's edge)
    and half the tick labels.
    """
    lines = textwrap.wrap(title, PHONE_TITLE_LINE) if narrow else [title]
    flat = image.reshape(1, 28 * 28).astype("float32") / 255  # (1, 784)
    figure = go.Figure(
        go.Heatmap(
            z=flat,
            colorscale=BINARY,
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate="[%{x}] = %{z:.3f}<extra></extra>",
        )
    )
    # A thin frame shows where the 784 values start and end (the first rows are all white).
    frame = {"showline": True, "mirror": True, "linecolor": "#999999", "linewidth": 1}
    dtick = 112 if narrow else 56  # 28 image rows per label, or 14
    figure.update_xaxes(tickmode="linear", tick0=0, dtick=dtick, showgrid=False, **frame)
    figure.update_yaxes(showticklabels=False, showgrid=False, **frame)
    extra = 17 * (len(lines) - 1)  # pixels for each further title line
    figure.update_layout(
        title={"text": "<br>".join(lines), "x": 0, "font": {"size": 13}},
        height=130 + extra,
        margin={"l": 10, "r": 10, "t": 30 + extra, "b": 25},
    )
    return figure
