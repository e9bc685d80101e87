"""One truth across pages (issue 14, item 16): the one-hot labels print as Keras gives them on
Explore and Home; the label filter survives another page; runs are named alike on Draw and
Train, with the epochs they finished."""

import shutil
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from mnist_demo import data
from mnist_demo.data import explore
from mnist_demo.drawing import draw_page
from mnist_demo.i18n import translate
from mnist_demo.lessons import walkthrough
from mnist_demo.storage import store
from mnist_demo.training import model, run_history

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120


def test_explore_prints_to_categorical_as_home_does():
    dataset = data.load_pureml()
    (images, labels), _ = dataset
    stats = explore.pixel_stats(images[:100])
    printed = explore.preprocessing_transcripts(images, labels, "train", 0, stats)["labels"]
    assert "dtype=float32" not in printed
    home = walkthrough.labels_output(labels)
    row = home.splitlines()[-3].strip(" []")  # a row of the first label, 5, as Home prints it
    assert row in printed
    assert walkthrough.one_hot_rows(labels).dtype == np.float64


def test_the_label_filter_survives_another_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/explore.py").run()
    at.pills(key="label").set_value(3).run()
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/explore.py").run()
    assert not at.exception, at.exception
    assert at.pills(key="label").value == 3


def test_draw_run_labels_name_each_run_once_in_the_pages_language():
    def offered(run_id: str, accuracy: float | None) -> draw_page.RunModel:
        return draw_page.RunModel(
            run_id=run_id,
            path=Path(f"{run_id}.keras"),
            architecture="cnn",
            epochs=1,
            test_accuracy=accuracy,
            created_at=0,  # "–": no time zone in the label
            status="stopped",
            planned_epochs=3,
            network="CNN",
        )

    labels = draw_page.run_labels([offered("aaaa1111", 0.5), offered("bbbb2222", 0.5)], "en")
    assert (
        labels["aaaa1111"]
        == translate("draw.model.run", when="–", network="CNN", epochs="1/3", accuracy="50.00%")
        + " · #aaaa11"
    )
    assert labels["bbbb2222"].endswith("· #bbbb22")
    alone = draw_page.run_labels([offered("cccc3333", None)], "ko")
    assert alone == {
        "cccc3333": translate(
            "draw.model.run", "ko", when="–", network="CNN", epochs="1/3", accuracy="–"
        )
    }


def test_draw_names_runs_as_train_does_with_finished_epochs(data_home):
    models = data_home / "models"
    models.mkdir()
    for run_id, status in [("aaaa1111", "stopped"), ("bbbb2222", "stopped")]:
        shutil.copy(model.DEFAULT_MODEL_PATH, models / f"{run_id}.keras")
        store.create_run(run_id, {"architecture": "dense", "epochs": 30, "hidden_units": 512})
        # Stopped in epoch 1: one partial epoch record of 10 of its 469 batches.
        store.record_epoch(run_id, 1, {"epoch": 1, "steps": 10, "steps_per_epoch": 469})
        store.update_run(
            run_id, status=status, model_path=str(models / f"{run_id}.keras"), test_accuracy=0.5
        )
    offered = draw_page.run_models(store.list_runs())
    assert [run.epochs_text for run in offered] == ["0/30", "0/30"]
    at = AppTest.from_file(str(ROOT / "pages" / "draw.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    options = [o for o in at.selectbox(key="draw_model").options if o.startswith("Run ")]
    when = run_history.started_text(store.get_run("aaaa1111")["created_at"])
    assert all(option.startswith(f"Run {when[:16]}") for option in options), options
    assert all("Dense(512) · epochs 0/30" in option for option in options), options
    assert len(set(options)) == 2, options  # two runs, two names
