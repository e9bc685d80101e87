"""The Explore page's pure logic: transcripts, grid paging/filter/shuffle, index checks, figures."""

import numpy as np
import pytest

from mnist_demo import data
from mnist_demo.charts import explore as charts
from mnist_demo.data import explore


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist()


def test_summary_transcript_prints_like_python(mnist):
    images, labels = explore.split_arrays(mnist, "train")
    assert explore.summary_transcript(images, labels, "train").splitlines() == [
        ">>> train_images.shape",
        "(60000, 28, 28)",
        ">>> print(train_images.dtype)",
        "uint8",
        ">>> len(train_labels)",
        "60000",
        ">>> train_labels",
        "array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)",
    ]
    images, labels = explore.split_arrays(mnist, "test")
    text = explore.summary_transcript(images, labels, "test")
    assert "(10000, 28, 28)" in text
    assert text.endswith(">>> test_labels\narray([7, 2, 1, ..., 4, 5, 6], dtype=uint8)")


def test_chapter_repr_is_numpys_own_and_leaves_print_options_alone():
    labels = (np.arange(3000) % 10).astype(np.uint8)
    assert explore.chapter_repr(labels) == "array([0, 1, 2, ..., 7, 8, 9], dtype=uint8)"
    assert "shape=(3000,)" in repr(labels)  # NumPy >= 2.2 outside the context manager


def test_transcript_html_escapes_the_prompts():
    block = explore.transcript_html(">>> a < b\narray([1], dtype=uint8)")
    assert "&gt;&gt;&gt; a &lt; b\narray([1], dtype=uint8)" in block
    assert "white-space: pre" in block


def test_unknown_split_is_refused(mnist):
    with pytest.raises(ValueError, match="unknown split 'validation'"):
        explore.split_arrays(mnist, "validation")


def test_filter_keeps_only_the_label_in_dataset_order():
    labels = np.array([3, 1, 3, 0, 3, 2], dtype=np.uint8)
    assert explore.filtered_indices(labels, 3, None).tolist() == [0, 2, 4]
    assert explore.filtered_indices(labels, None, None).tolist() == [0, 1, 2, 3, 4, 5]
    assert explore.filtered_indices(labels, 9, None).tolist() == []
    with pytest.raises(ValueError, match="label must be 0-9"):
        explore.filtered_indices(labels, 10, None)


def test_shuffle_is_seeded_and_a_permutation(mnist):
    _, labels = explore.split_arrays(mnist, "train")
    first = explore.filtered_indices(labels, 7, 42)
    again = explore.filtered_indices(labels, 7, 42)
    other = explore.filtered_indices(labels, 7, 43)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert sorted(first.tolist()) == explore.filtered_indices(labels, 7, None).tolist()
    assert len(first) == 6265
    assert set(labels[first].tolist()) == {7}


def test_paging():
    indices = np.arange(130)
    assert explore.page_count(130) == 3
    assert explore.page_count(0) == 1
    assert explore.page_count(64) == 1
    assert explore.page_of(indices, 1).tolist() == list(range(64))
    assert explore.page_of(indices, 3).tolist() == [128, 129]
    with pytest.raises(ValueError, match="page 4 is outside 1..3"):
        explore.page_of(indices, 4)
    assert explore.clamp_page(9, 130) == 3
    assert explore.clamp_page(None, 130) == 1
    assert explore.clamp_page(0, 130) == 1


def test_clamp_index_keeps_an_index_inside_the_split():
    assert explore.clamp_index(50000, 10000) == 9999
    assert explore.clamp_index(-1, 10000) == 0
    assert explore.clamp_index(123, 10000) == 123


def test_shown_index_says_why_it_differs_from_the_asked_one():
    assert explore.shown_index(50000, 10000) == (9999, "clamped")
    assert explore.shown_index(-3, 10000) == (0, "below_zero")
    assert explore.shown_index(123, 10000) == (123, None)
    assert explore.shown_index(9999, 10000) == (9999, None)


def test_every_sample_appears_once_across_pages(mnist):
    _, labels = explore.split_arrays(mnist, "test")
    order = explore.filtered_indices(labels, 5, 1)
    pages = explore.page_count(len(order))
    seen = np.concatenate([explore.page_of(order, page) for page in range(1, pages + 1)])
    assert sorted(seen.tolist()) == np.flatnonzero(labels == 5).tolist()
    assert pages == -(-892 // 64)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (None, None),
        ("", None),
        ("0", None),
        ("59999", None),
        (4, None),
        ("60000", "out_of_range"),
        ("-1", "out_of_range"),
        ("abc", "not_integer"),
        ("4.5", "not_integer"),
        ("1e3", "not_integer"),
    ],
)
def test_index_problem(raw, problem):
    assert explore.index_problem(raw, 60000) == problem


def test_clicked_index_reads_both_customdata_forms():
    assert explore.clicked_index([{"point_index": 2, "customdata": [17, 4]}]) == 17
    assert explore.clicked_index([{"customdata": {"0": 2, "1": 4}}]) == 2
    assert explore.clicked_index([{"point_index": 2}]) is None
    assert explore.clicked_index([]) is None


def test_label_counts(mnist):
    _, labels = explore.split_arrays(mnist, "test")
    assert explore.label_counts(labels).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009,
    ]  # fmt: skip


def test_preprocessing_transcripts(mnist):
    images, labels = explore.split_arrays(mnist, "train")
    stats = explore.pixel_stats(images)
    assert stats["min"] == 0 and stats["max"] == 255
    assert round(stats["mean"], 4) == 0.1307
    text = explore.preprocessing_transcripts(images, labels, "train", 4, stats)
    assert "(60000, 28, 28)\n>>> print(train_images.dtype)\nuint8" in text["before"]
    assert "(60000, 784)\n>>> print(train_images.dtype)\nfloat32" in text["after"]
    assert "0.0 1.0" in text["after"]
    # The same pixels before and after: row 14, columns 11-16 of the image are 403-408 flat.
    before_row = images[4, 14, 11:17]
    assert explore.chapter_repr(before_row) in text["before"]
    assert ">>> train_images[4, 403:409]" in text["after"]
    assert explore.chapter_repr(before_row.astype("float32") / 255) in text["after"]
    assert "array([5, 0, 4, 1, 9], dtype=uint8)" in text["labels"]
    assert "[0., 0., 0., 0., 0., 1., 0., 0., 0., 0.]," in text["labels"]
    # float64, as Keras' to_categorical returns and Home prints it: NumPy shows no dtype for it.
    assert text["labels"].endswith("[0., 0., 0., 0., 0., 0., 0., 0., 0., 1.]])")


def test_grid_composition_places_digits_in_binary_colours(mnist):
    images, _ = explore.split_arrays(mnist, "train")
    picture = charts.compose_grid(images[:10], columns=8)
    cell = 28 + charts.GAP
    assert picture.shape == (2 * cell + charts.GAP, 8 * cell + charts.GAP)
    np.testing.assert_array_equal(picture[4:32, 4:32], 255 - images[0])
    second_row_third = picture[4 + cell : 32 + cell, 4 + 1 * cell : 32 + 1 * cell]
    np.testing.assert_array_equal(second_row_third, 255 - images[9])
    assert picture[0, 0] == charts.GAP_GREY


def test_grid_figure_carries_index_and_label_per_tile(mnist):
    images, labels = explore.split_arrays(mnist, "train")
    shown = np.array([4, 0, 7])
    figure = charts.sample_grid_figure(
        images[shown], labels[shown], shown, 8, "%{customdata[0]}", selected=7
    )
    markers = figure.data[1]
    assert np.asarray(markers.customdata).tolist() == [[4, 9], [0, 5], [7, 3]]
    assert [a.text for a in figure.layout.annotations] == ["<b>9</b>", "<b>5</b>", "<b>3</b>"]
    assert len(figure.layout.shapes) == 1  # the frame around the selected sample
    assert figure.data[0].source.startswith("data:image/png;base64,")


def test_pixel_figure_writes_every_nonzero_value(mnist):
    images, _ = explore.split_arrays(mnist, "train")
    heatmap = charts.pixel_values_figure(images[4]).data[0]
    text = np.asarray(heatmap.text)
    assert text.shape == (28, 28)
    assert (text != "").sum() == np.count_nonzero(images[4])
    assert text[14, 13] == str(images[4][14, 13])


def test_label_distribution_figure_shows_counts_and_shares(mnist):
    counts = {s: explore.label_counts(explore.split_arrays(mnist, s)[1]) for s in explore.SPLITS}
    figure = charts.label_distribution_figure(
        counts, {"train": "Train", "test": "Test"}, ("Label", "Share")
    )
    train, test = figure.data
    assert list(train.text)[:2] == ["5,923", "6,742"]
    assert list(test.text)[-1] == "1,009"
    assert round(float(sum(train.x)), 6) == 100.0
    # Upright counts at their full size: plotly shrinks constrained text to fit a bar's thickness.
    assert train.orientation == "h" and train.textangle == 0 and train.constraintext == "none"
