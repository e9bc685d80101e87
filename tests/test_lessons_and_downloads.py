"""Lesson links round-trip what they fix and hide; downloads have the right layout and names."""

import csv
import io
import urllib.parse

import numpy as np
import pytest

from mnist_demo.lessons import downloads, links
from mnist_demo.training import train_settings


def test_a_lesson_link_round_trips_its_fixed_and_hidden_controls():
    settings = train_settings.to_query({**train_settings.defaults(), "epochs": 3, "batch_size": 32})
    query = links.lesson_query(
        "train", settings, fixed=["epochs", "batch_size"], hidden=["optimizer", "learning_rate"]
    )
    # Through a real URL and back, as a browser would send it.
    parsed = dict(urllib.parse.parse_qsl(urllib.parse.urlencode(query)))
    lesson = links.from_query("train", parsed)
    assert lesson.hidden == {"optimizer", "learning_rate"}
    assert lesson.fixed == {"epochs", "batch_size", "optimizer", "learning_rate"}
    assert lesson.visible_fixed() == ["epochs", "batch_size"]
    assert lesson.active and lesson.is_hidden("optimizer") and not lesson.is_hidden("epochs")
    assert train_settings.from_query(parsed) == {"epochs": 3, "batch_size": 32}
    assert lesson.to_query() == {"fixed": "epochs,batch_size", "hide": "optimizer,learning_rate"}


def test_a_link_without_a_lesson_fixes_nothing_and_unknown_names_are_dropped():
    assert not links.from_query("explore", {}).active
    lesson = links.from_query("explore", {"hide": "seed,<script>,label", "fixed": "nonsense"})
    assert lesson.hidden == {"seed", "label"} and lesson.fixed == {"seed", "label"}


def test_a_lesson_refuses_controls_the_page_does_not_have():
    with pytest.raises(ValueError, match="no control named epochs"):
        links.Lesson(page="explore", hidden=frozenset({"epochs"}))
    with pytest.raises(ValueError, match="page must be one of"):
        links.Lesson(page="draw")


def test_the_kaggle_csv_has_785_columns_the_labels_and_0_255_pixels():
    rng = np.random.default_rng(0)
    images = rng.random((3, 28, 28), dtype="float32")
    images[0] = 0
    images[0, 5, 7] = 1.0
    labels = np.array([7, 0, 9])
    rows = list(csv.reader(io.StringIO(downloads.kaggle_csv(images, labels).decode("ascii"))))
    assert rows[0] == ["label", *[f"pixel{index}" for index in range(784)]]
    assert len(rows) == 4 and all(len(row) == 785 for row in rows)
    assert [int(row[0]) for row in rows[1:]] == [7, 0, 9]
    first = np.array(rows[1][1:], dtype=int)
    assert first[5 * 28 + 7] == 255 and first.sum() == 255  # row-major, like Kaggle's pixelN
    second = np.array(rows[2][1:], dtype=int)
    np.testing.assert_array_equal(second, np.rint(images[1].ravel() * 255).astype(int))


def test_the_kaggle_csv_refuses_images_or_labels_it_cannot_write():
    with pytest.raises(ValueError, match="digits 0-9"):
        downloads.kaggle_csv(np.zeros((1, 28, 28)), np.array([10]))
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        downloads.kaggle_csv(np.zeros((1, 784)), np.array([1]))


def test_metrics_csv_has_a_row_per_epoch_and_blank_validation_when_there_was_none():
    rows = downloads.metrics_csv(
        [
            {"epoch": 2, "loss": 0.1, "accuracy": 0.97, "seconds": 1.5},
            {"epoch": 1, "loss": 0.3, "accuracy": 0.9, "seconds": 1.6},
        ]
    ).decode("ascii")
    parsed = list(csv.reader(io.StringIO(rows)))
    assert parsed[0] == list(downloads.METRIC_COLUMNS)
    assert parsed[1] == ["1", "0.3", "0.9", "", "", "1.6"]
    assert parsed[2][0] == "2"


def test_download_names_tell_files_apart():
    run = {"run_id": "3fa9c1d2e4b7", "config": {"architecture": "dense", "epochs": 5}}
    model = downloads.run_file_name({**run, "started_at": 0.0}, "model")
    metrics = downloads.run_file_name({**run, "started_at": 0.0}, "metrics")
    assert model.startswith("mnist-demo_run-3fa9c1d2e4b7_dense-5ep_") and model.endswith(".keras")
    assert metrics.endswith("_metrics.csv") and metrics[:-12] == model[:-6]
    other = downloads.run_file_name({**run, "run_id": "0000aaaa1111", "started_at": 0.0}, "model")
    assert other != model
    hostile = downloads.run_file_name({"run_id": "../../etc/passwd", "config": {}}, "model")
    assert "/" not in hostile and ".." not in hostile
    assert downloads.drawings_file_name(12, when=0.0).startswith("mnist-demo_drawings-12_")
