"""Plotly figures and small pictures for the Draw page."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from mnist_demo.charts.train import PRESENTATION_FONT_SIZE, present

HIGHLIGHT = "#ff4b4b"  # Streamlit's primary red: the predicted digit
MUTED = "#9aa5b1"
# Projector mode: darker colours and larger text (the Train charts' sizes).
PRESENTATION_HIGHLIGHT = "#c8001e"
PRESENTATION_MUTED = "#5a6570"


def probability_bars(
    probabilities: np.ndarray, title: str, axis_label: str, presentation: bool = False
) -> go.Figure:
    """A bar per digit 0-9 with its probability; the top digit highlighted (presentation:
    projector mode's larger text and darker colours)."""
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.shape != (10,):
        raise ValueError(f"expected 10 probabilities, got shape {probabilities.shape}")
    top = int(probabilities.argmax())
    highlight = PRESENTATION_HIGHLIGHT if presentation else HIGHLIGHT
    muted = PRESENTATION_MUTED if presentation else MUTED
    colours = [highlight if digit == top else muted for digit in range(10)]
    figure = go.Figure(
        go.Bar(
            x=[str(digit) for digit in range(10)],
            y=probabilities,
            marker_color=colours,
            text=[f"{p:.0%}" if p >= 0.005 else "" for p in probabilities],
            textposition="outside",
            hovertemplate="%{x}: %{y:.2%}<extra></extra>",
        )
    )
    figure.update_layout(
        title=title,
        height=280,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis={"range": [0, 1.15], "tickformat": ".0%", "title": axis_label},
        xaxis={"type": "category"},
        showlegend=False,
    )
    if presentation:
        present(figure)
        figure.update_layout(height=360, margin_t=60)
        figure.update_traces(textfont_size=PRESENTATION_FONT_SIZE)
    return figure


def enlarged(image: np.ndarray, size: int = 112) -> np.ndarray:
    """A float image in [0, 1] as a (size, size) uint8 picture for st.image: small images scaled
    up with visible pixels (nearest), large ones shrunk smoothly; a crop of another aspect keeps
    its shape, centred on black, so every step is shown at the same size."""
    image = np.clip(np.asarray(image, dtype=np.float32), 0, 1)
    height, width = image.shape
    factor = size / max(height, width)
    shape = (max(1, round(width * factor)), max(1, round(height * factor)))
    picture = Image.fromarray((image * 255).astype(np.uint8))
    method = Image.Resampling.NEAREST if factor >= 1 else Image.Resampling.BOX
    scaled = np.asarray(picture.resize(shape, method))  # (h, w)
    square = np.zeros((size, size), dtype=np.uint8)
    top, left = (size - scaled.shape[0]) // 2, (size - scaled.shape[1]) // 2
    square[top : top + scaled.shape[0], left : left + scaled.shape[1]] = scaled
    return square
