"""The Train page's figures carry the right traces and data (checked on the figure objects)."""

import numpy as np
import pytest

from mnist_demo.analysis import evaluation
from mnist_demo.charts import train as charts


def _epochs(validation: bool) -> list[dict]:
    epochs = [
        {"epoch": 1, "loss": 0.26, "accuracy": 0.925, "seconds": 2.0},
        {"epoch": 2, "loss": 0.10, "accuracy": 0.970, "seconds": 2.0},
    ]
    if validation:
        for metrics, value in zip(epochs, (0.95, 0.96), strict=True):
            metrics.update(val_loss=1 - value, val_accuracy=value)
    return epochs


def curves(figure) -> list:
    """The figure's curves, without the legend-only entries (x=[None])."""
    return [trace for trace in figure.data if tuple(trace.x or ()) != (None,)]


def test_live_curves_raw_smoothed_and_epoch_points():
    steps = list(range(1, 21))
    loss = list(np.linspace(2.0, 0.2, 20))
    accuracy = list(np.linspace(0.2, 0.95, 20))
    figure = charts.live_curves(steps, loss, accuracy, _epochs(False), 10, smoothing=0.8)
    names = [trace.name for trace in curves(figure)]
    assert names.count("per batch") == 2 and names.count("smoothed") == 2
    assert "validation (epoch)" not in names
    raw_loss, smoothed_loss, epoch_loss = figure.data[0], figure.data[1], figure.data[2]
    assert raw_loss.opacity < 0.5  # raw curve faint behind the smoothed one
    np.testing.assert_allclose(raw_loss.y, loss)
    np.testing.assert_allclose(smoothed_loss.y, evaluation.smooth(loss, 0.8))
    assert list(epoch_loss.x) == [10, 20] and list(epoch_loss.y) == [0.26, 0.10]
    assert figure.data[5].y == (0.925, 0.970)  # accuracy panel's epoch points
    assert figure.layout.yaxis2.range[1] > 1.0
    growing = charts.live_curves(steps, loss, accuracy, _epochs(False), 10, total_steps=50)
    assert growing.layout.xaxis.range[1] >= 50 and growing.layout.xaxis2.range[1] >= 50


def test_live_curves_adds_validation_points_and_handles_empty_run():
    figure = charts.live_curves([1, 2], [1.0, 0.5], [0.5, 0.7], _epochs(True), 1, smoothing=0.0)
    validation = [trace for trace in figure.data if trace.name == "validation (epoch)"]
    assert len(validation) == 2
    assert list(validation[1].y) == [0.95, 0.96]
    empty = charts.live_curves([], [], [], [], 100, text={"loss": "손실"})
    assert len(curves(empty)) == 6
    assert empty.layout.annotations[0].text == "손실"


def test_confusion_figure_shows_counts_with_log_colours():
    matrix = evaluation.confusion_matrix([0, 0, 1, 9], [0, 0, 7, 9])
    figure = charts.confusion_figure(matrix)
    heatmap = figure.data[0]
    assert heatmap.type == "heatmap"
    np.testing.assert_array_equal(np.asarray(heatmap.text), matrix)
    assert np.asarray(heatmap.z)[0, 0] == pytest.approx(np.log10(3))
    assert figure.layout.yaxis.autorange == "reversed"  # digit 0 on top, like a table
    assert list(heatmap.x) == [str(d) for d in range(10)]


def test_digit_grid_tiles_images_with_a_title_each():
    images = np.arange(10)[:, None, None] * np.ones((10, 28, 28))  # image k is all k
    titles = [f"7 → {d}" for d in range(10)]
    figure = charts.digit_grid(images, titles, columns=4)
    [heatmap] = figure.data
    z = np.asarray(heatmap.z, dtype=float)
    row_height = 28 + charts.TITLE_BAND + charts.ROW_GAP
    assert z.shape == (
        3 * row_height - charts.ROW_GAP,
        4 * (28 + charts.TILE_GAP) - charts.TILE_GAP,
    )
    top = charts.TITLE_BAND
    assert np.all(z[top : top + 28, :28] == 0)  # first tile, first row
    assert np.all(z[top : top + 28, 34 : 34 + 28] == 1)
    second_row = row_height + charts.TITLE_BAND
    assert np.all(z[second_row : second_row + 28, :28] == 4)  # image 4 starts row 2
    assert np.isnan(z[:top]).all()  # the title band is blank
    assert [a.text for a in figure.layout.annotations] == titles
    assert figure.layout.yaxis.scaleanchor == "x"  # square pixels
    weights = charts.digit_grid(np.ones((3, 28, 28)), ["a", "b", "c"], diverging=True)
    assert weights.data[0].zmid == 0 and weights.data[0].zmin == -1


def test_runs_overlay_one_colour_per_run_and_dashed_validation():
    runs = [
        {"name": "run A", "epochs": _epochs(False)},
        {"name": "run B", "epochs": _epochs(True)},
    ]
    figure = charts.runs_overlay(runs)
    assert len(figure.data) == 2 + 4  # A: train loss/acc; B: train + validation loss/acc
    run_b = [trace for trace in figure.data if trace.legendgroup == "run B"]
    assert {trace.line.color for trace in run_b} == {figure.data[-1].line.color}
    assert any(trace.line.dash == "dash" for trace in run_b)
    assert list(figure.data[1].y) == [0.925, 0.970]
    assert list(figure.data[1].x) == [1, 2]
