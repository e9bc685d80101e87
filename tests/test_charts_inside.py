"""The inside-view and confusion-cell figures carry the right data (checked on the figures)."""

import numpy as np
import pytest

from mnist_demo.analysis import evaluation
from mnist_demo.charts import inside as charts
from mnist_demo.charts import train as train_charts
from mnist_demo.lessons import downloads
from mnist_demo.storage import store

HOVER = {"hover": "%{z}"}


def test_saliency_overlay_scales_evidence_to_the_strongest_pixel_over_the_input():
    image = np.zeros((28, 28), "float32")
    image[10:18, 12:16] = 1.0
    evidence = np.zeros((28, 28), "float32")
    evidence[12, 13], evidence[14, 14] = 0.5, 0.25
    figure = charts.saliency_figure(image, evidence, HOVER)
    base, overlay = figure.data
    np.testing.assert_array_equal(np.asarray(base.z), image)
    assert np.asarray(overlay.z)[12, 13] == 1.0 and np.asarray(overlay.z)[14, 14] == 0.5
    np.testing.assert_array_equal(np.asarray(overlay.customdata), image)  # ink in the hover
    assert figure.layout.yaxis.autorange == "reversed"  # row 0 on top, like the drawing
    with pytest.raises(ValueError, match=r"\(28, 28\)"):
        charts.saliency_figure(image[:27], evidence, HOVER)


def test_hidden_units_map_numbers_each_cell_and_outlines_the_top_units():
    hidden = np.arange(512, dtype="float32")
    contributions = hidden / 10
    grid = hidden.reshape(16, 32)
    figure = charts.hidden_units_figure(
        grid, contributions, np.array([511, 0]), {**HOVER, "scale": "activation"}
    )
    heatmap, outline = figure.data
    customdata = np.asarray(heatmap.customdata)  # (16, 32, 2): unit number, contribution
    assert customdata.shape == (16, 32, 2)
    assert customdata[1, 0, 0] == 32 and customdata[1, 0, 1] == pytest.approx(3.2)
    assert list(outline.x) == [31, 0] and list(outline.y) == [15, 0]


def test_unit_weights_titles_each_picture_with_its_unit_and_contribution():
    weights = np.random.default_rng(0).normal(size=(8, 28, 28)).astype("float32")
    units = np.array([5, 9, 2, 7, 1, 0, 3, 4])
    figure = charts.unit_weights_figure(
        weights, units, np.linspace(2, 0.5, 8), {"title": "#{unit} {contribution:+.1f}", **HOVER}
    )
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert titles[0] == "#5 +2.0" and titles[-1] == "#4 +0.5"
    z = np.asarray(figure.data[0].z, dtype=float)
    assert np.nanmax(np.abs(z)) == pytest.approx(1.0)  # each picture scaled to its own extreme
    customdata = np.asarray(figure.data[0].customdata, dtype=float)
    assert customdata[15, 0, 0] == 5 and customdata[15, 0, 1] == pytest.approx(weights[0, 0, 0])


def test_feature_maps_are_tiled_one_channel_per_picture():
    maps = np.random.default_rng(1).random((6, 5, 10)).astype("float32")
    figure = charts.feature_maps_figure(maps, HOVER)
    z = np.asarray(figure.data[0].z, dtype=float)
    channel = np.asarray(figure.data[0].customdata, dtype=float)
    # 10 channels, 8 a row: two rows of 6 + a 2-pixel gap.
    assert z.shape == (2 * 6 + 2, 8 * 5 + 7 * 2)
    np.testing.assert_allclose(z[8:14, 7:12], maps[:, :, 9])
    assert channel[8, 7] == 9 and np.isnan(channel[6, 0])
    with pytest.raises(ValueError, match="height, width, channels"):
        charts.feature_maps_figure(maps[:, :, 0], HOVER)


def test_output_scores_show_logits_and_probabilities_with_the_top_digit_highlighted():
    logits = np.array([0, 1, 5, 0, 0, 0, 0, 0, 0, 2.0])
    probabilities = np.exp(logits) / np.exp(logits).sum()
    figure = charts.output_scores_figure(
        logits,
        probabilities,
        {
            "before": "a",
            "after": "b",
            "digit": "d",
            "hover_score": "%{y}",
            "hover_probability": "%{y}",
        },
    )
    before, after = figure.data
    np.testing.assert_allclose(before.y, logits)
    np.testing.assert_allclose(after.y, probabilities)
    assert before.marker.color[2] == charts.HIGHLIGHT and before.marker.color[9] == charts.MUTED


def test_a_click_on_a_confusion_cell_names_that_cell():
    matrix = evaluation.confusion_matrix([0, 3, 3, 4], [0, 3, 5, 9])
    figure = charts.cell_markers(train_charts.confusion_figure(matrix), selected=(4, 9))
    markers = figure.data[1]
    assert len(markers.x) == 100 and figure.layout.xaxis.fixedrange
    # Plotly sends the clicked point's customdata back: [true, predicted].
    position = 4 * 10 + 9
    point = {"customdata": list(markers.customdata[position])}
    assert (markers.y[position], markers.x[position]) == ("4", "9")
    assert charts.clicked_cell([point]) == (4, 9)
    assert list(figure.data[2].x) == ["9"] and list(figure.data[2].y) == ["4"]  # the outline
    assert charts.clicked_cell([]) is None
    assert charts.clicked_cell([{"x": 1, "y": 2}]) is None  # a point of another trace
    assert charts.clicked_cell([{"customdata": [12, 3]}]) is None
    # Clickable: Plotly fires no click on a trace whose hoverinfo is "skip" (a click on a cell
    # did nothing); the markers show the heat map's hover text, with the cell's count.
    assert markers.hoverinfo != "skip"
    assert markers.text[3 * 10 + 5] == "1" and "%{text}" in markers.hovertemplate


def test_run_file_names_come_from_a_stored_run():
    """Regression: run_file_name read run["run_id"], but store rows name the run "id"."""
    store.create_run("3fa9c1d2", {"architecture": "cnn", "epochs": 2})
    run = store.get_run("3fa9c1d2")
    name = downloads.run_file_name(run, "model")
    assert name.startswith("mnist-demo_run-3fa9c1d2_cnn-2ep_") and name.endswith(".keras")
    with pytest.raises(ValueError, match="no 'id'"):
        downloads.run_file_name({"config": {}}, "model")
