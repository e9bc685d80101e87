"""Issue 12 in Chromium: the inside view of a drawing, confusion cells, lesson links, downloads."""

import csv
import io
import re
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from e2e_helpers import assert_no_exception, mouse_stroke, one_chart, pick_option, wait_for_app
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from mnist_demo import data
from mnist_demo.data import pendigits
from mnist_demo.lessons import downloads
from mnist_demo.storage import store
from mnist_demo.training import run_history
from mnist_demo.training.config import TrainConfig

DENSE_RUN = "e2e-dense-run"


@pytest.fixture(scope="module")
def dense_run(app_home):
    """A real run of the chapter's dense network (one epoch on 2,048 MNIST digits) in the
    server's store, with its model file and per-epoch metrics, as the Train page leaves one."""
    import keras

    from mnist_demo.training.model import build_model

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MNIST_DEMO_HOME", str(app_home))
        if store.get_run(DENSE_RUN) is None:
            (images, labels), _ = data.load_mnist()
            network = build_model(TrainConfig(), jit_compile=False)
            history = network.fit(
                images[:2048].reshape(-1, 784).astype("float32") / 255,
                keras.utils.to_categorical(labels[:2048], 10),
                epochs=1,
                batch_size=128,
                verbose=0,
            )
            path = store.models_dir() / f"{DENSE_RUN}.keras"
            network.save(path)
            store.create_run(DENSE_RUN, TrainConfig(epochs=1, train_size=2048).to_dict())
            store.record_epoch(
                DENSE_RUN,
                1,
                {"epoch": 1, "loss": history.history["loss"][0], "accuracy": 0.9, "seconds": 1.0},
            )
            store.update_run(DENSE_RUN, status="completed", model_path=str(path), test_accuracy=0.9)
        run = store.get_run(DENSE_RUN)
    return run


def first_three() -> list[np.ndarray]:
    digits = pendigits.load()
    index = next(i for i in digits.indices("train") if digits.labels[i] == 3)
    return digits.strokes(int(index))


def draw_digit(page) -> None:
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible(timeout=30_000)
    box = canvas.bounding_box()
    for stroke in pendigits.fit_into_box(
        first_three(), box["x"] + 50, box["y"] + 40, box["width"] - 100, box["height"] - 80
    ):
        mouse_stroke(page, stroke)
    value = page.get_by_test_id("stMetric").filter(has_text="Prediction")
    expect(value.get_by_test_id("stMetricValue")).to_have_text(re.compile(r"^\d$"), timeout=90_000)
    wait_for_app(page)


def hover_text(page, chart_key: str) -> str:
    """Move the mouse over a chart, off its middle (a gap between pictures in a mosaic), and
    return Plotly's hover label."""
    plot = page.locator(f".st-key-{chart_key} .nsewdrag").first
    plot.scroll_into_view_if_needed()
    label = page.locator(f".st-key-{chart_key} .hoverlayer .hovertext").first
    for dx, dy in ((0.45, 0.55), (0.3, 0.3), (0.6, 0.4)):
        box = plot.bounding_box()
        page.mouse.move(1, 1)
        page.mouse.move(box["x"] + dx * box["width"], box["y"] + dy * box["height"], steps=5)
        try:
            label.wait_for(timeout=10_000)
            return label.text_content()  # an SVG group: no inner_text
        except PlaywrightTimeoutError:  # a gap between pictures: try the next spot
            continue
    raise AssertionError(f"no hover label over {chart_key}")


def pick_model(page, run: dict) -> None:
    """Choose a stored run in Draw's model picker, named as the page names runs (start time)."""
    select = page.get_by_test_id("stSelectbox").filter(has_text="Model")
    option = page.get_by_role(
        "option", name=re.compile(re.escape(run_history.started_text(run["created_at"])))
    )
    # A rerun that ends after the click (the drawing's prediction) closes the list again: reopen.
    for _ in range(6):
        wait_for_app(page)
        select.locator("input").click()
        try:
            option.wait_for(timeout=10_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    option.click()
    wait_for_app(page)


def test_the_inside_view_appears_for_a_drawing_with_the_convnet_and_the_dense_network(
    page, app_url, dense_run
):
    page.goto(f"{app_url}/draw")
    wait_for_app(page)
    draw_digit(page)
    # Closed at first: nothing of it is drawn until it is opened.
    assert page.locator(".st-key-draw_inside_saliency").count() == 0
    page.get_by_text("Inside the network", exact=True).click()
    one_chart(page, "draw_inside_saliency", timeout=90_000)
    wait_for_app(page)
    one_chart(page, "draw_inside_maps_1")
    expect(page.get_by_text("What the convolution layers see")).to_be_visible()
    assert "filter" in hover_text(page, "draw_inside_maps_1")
    assert "evidence" in hover_text(page, "draw_inside_saliency")
    assert page.locator(".st-key-draw_inside_hidden").count() == 0
    assert_no_exception(page)

    pick_model(page, dense_run)
    one_chart(page, "draw_inside_hidden", timeout=90_000)
    wait_for_app(page)
    for key in ("draw_inside_units", "draw_inside_scores", "draw_inside_saliency"):
        one_chart(page, key)
    expect(page.get_by_text("The 512 hidden units")).to_be_visible()
    assert page.locator(".st-key-draw_inside_maps_1").count() == 0
    assert re.search(r"unit #\d+", hover_text(page, "draw_inside_hidden"))
    assert "weight" in hover_text(page, "draw_inside_units")
    assert_no_exception(page)


def test_a_confusion_cell_opens_its_test_digits(page, app_url):
    """Issue 12: a click on a cell showed nothing. The cells' invisible markers had
    hoverinfo="skip", with which Plotly ignores clicks too (not the loaded machine, as first
    thought: the click never selected anything)."""
    page.goto(f"{app_url}/train?epochs=1&train_size=1024")
    wait_for_app(page, timeout=180_000)  # a fresh server's first page loads TensorFlow
    main = page.get_by_test_id("stMain")
    main.get_by_test_id("stMetric").filter(has_text="Parameters").wait_for(timeout=120_000)
    page.locator(".st-key-train_start button").click()
    main.get_by_test_id("stMetric").filter(has_text="Test accuracy").wait_for(timeout=240_000)
    wait_for_app(page)
    expect(page.get_by_text("Click a cell of the matrix")).to_be_visible()

    # Click the cell "true 3, read as 3": the invisible marker Plotly selects sits in its middle
    # (markers in row-major order: true * 10 + predicted).
    chart = page.locator(".st-key-train_confusion")
    chart.scroll_into_view_if_needed()
    markers = chart.locator(".scatterlayer .trace").first.locator("path.point")
    expect(markers).to_have_count(100, timeout=30_000)
    page.wait_for_timeout(500)  # let plotly finish drawing after the last rerun
    box = markers.nth(33).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    title = page.get_by_text(re.compile(r"test digits that are a 3 and were read as 3"))
    expect(title).to_be_visible(timeout=60_000)
    digits = page.locator(".st-key-train_cell_digits .js-plotly-plot")
    digits.wait_for(timeout=30_000)
    count = int(re.match(r"([\d,]+) ", title.inner_text()).group(1).replace(",", ""))
    expect(page.get_by_text(f"digits 1–{min(24, count)} of {count}")).to_be_visible()
    # The pickers show the clicked cell, and they open another one too (touch, keyboard).
    expect(page.locator(".st-key-train_cell_true input")).to_have_value("3")
    expect(page.locator(".st-key-train_cell_predicted input")).to_have_value("3")
    pick_option(page, page.locator(".st-key-train_cell_predicted"), "5")
    expect(
        page.get_by_text(re.compile(r"that are a 3 but were read as 5|No test digit that is a 3"))
    ).to_be_visible(timeout=60_000)
    assert_no_exception(page)


def expect_the_lesson(page) -> None:
    """Hidden controls gone, the fixed one greyed out and deaf to the pointer, the note shown,
    the other controls as usual, and the link's value held."""
    expect(
        page.get_by_text(
            "Lesson: your teacher fixed Epochs. Hidden for this lesson: Batch size, Network."
        )
    ).to_be_visible(timeout=60_000)
    expect(page.locator(".st-key-train_architecture")).to_be_hidden(timeout=30_000)
    expect(page.locator(".st-key-train_batch_size")).to_be_hidden(timeout=30_000)
    expect(page.locator(".st-key-train_train_size")).to_be_visible(timeout=30_000)
    expect(page.locator(".st-key-train_epochs")).to_have_css(
        "pointer-events", "none", timeout=30_000
    )
    thumb = page.locator(".st-key-train_epochs [data-testid=stSliderThumbValue]")
    # A busy server draws the slider's thumb a few seconds after the slider itself.
    expect(thumb).to_have_text("3", timeout=30_000)
    assert page.get_by_text("Share as a lesson").count() == 0


# Set by the page's init script if a hidden control is ever in the page, even for a moment.
HIDDEN_SEEN_JS = """
window.mnistHiddenSeen = false;
new MutationObserver(() => {
  if (document.querySelector('.st-key-train_architecture, .st-key-train_batch_size')) {
    window.mnistHiddenSeen = true;
  }
}).observe(document, { childList: true, subtree: true });
"""


def test_a_lesson_link_hides_its_controls_after_a_reload_and_a_page_change(page, app_url):
    """Issue 12: hidden controls were hidden by an st.html style, which the browser applies
    only once it has fetched Streamlit's code for such elements: on a loaded server the
    controls stayed in view for more than 30 s. Now they are never made; the page is watched
    from its first element on for them."""
    page.add_init_script(HIDDEN_SEEN_JS)
    page.goto(f"{app_url}/train?epochs=3&fixed=epochs&hide=batch_size,architecture")
    wait_for_app(page)
    expect_the_lesson(page)
    assert page.evaluate("window.mnistHiddenSeen") is False

    page.reload()
    wait_for_app(page)
    expect_the_lesson(page)
    assert page.evaluate("window.mnistHiddenSeen") is False

    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_text("Explore", exact=True).click()
    page.wait_for_url("**/explore*")
    wait_for_app(page)
    nav.get_by_text("Train", exact=True).click()
    page.wait_for_url("**/train*")
    wait_for_app(page)
    expect_the_lesson(page)
    assert page.evaluate("window.mnistHiddenSeen") is False
    assert "hide=batch_size" in page.url and "fixed=epochs" in page.url
    assert_no_exception(page)

    # Without the lesson (a new visitor), every control is there and can be shared.
    page.goto(f"{app_url}/train")
    wait_for_app(page)
    expect(page.locator(".st-key-train_architecture")).to_be_visible(timeout=60_000)
    expect(page.locator(".st-key-train_epochs")).to_have_css("pointer-events", "auto")
    expect(page.get_by_text("Share as a lesson")).to_be_visible()


def test_downloads_arrive_with_their_names_and_content(page, app_url, app_home, dense_run):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MNIST_DEMO_HOME", str(app_home))
        _, (test_images, test_labels) = data.load_mnist()
        for index in range(2):
            store.add_correction(test_images[index] / 255, int(test_labels[index]))

        # Train page: the chosen run's model file and metrics, byte for byte.
        page.goto(f"{app_url}/train")
        wait_for_app(page)
        button = page.locator(".st-key-train_download_model button")
        button.wait_for(timeout=120_000)
        button.scroll_into_view_if_needed()
        with page.expect_download() as model_download:
            button.click()
        model = model_download.value
        runs = {run["id"]: run for run in store.list_runs() if run.get("model_path")}
        content = Path(model.path()).read_bytes()
        [run] = [run for run in runs.values() if Path(run["model_path"]).read_bytes() == content]
        assert model.suggested_filename == downloads.run_file_name(run, "model")
        assert model.suggested_filename.endswith(".keras") and run["id"] in model.suggested_filename
        with page.expect_download() as metrics_download:
            page.locator(".st-key-train_download_metrics button").click()
        metrics = metrics_download.value
        assert metrics.suggested_filename == downloads.run_file_name(run, "metrics")
        rows = list(csv.reader(io.StringIO(Path(metrics.path()).read_text())))
        assert rows[0] == list(downloads.METRIC_COLUMNS)
        assert len(rows) == 1 + len(run["epochs"])

        # Draw page: every stored correction as a Kaggle-layout CSV.
        page.goto(f"{app_url}/draw")
        wait_for_app(page)
        draw_digit(page)
        page.get_by_text("Wrong? Tell the right digit").click()
        drawings = page.locator(".st-key-draw_download_drawings").get_by_role(
            "button", name=re.compile("Download your labelled drawings")
        )
        drawings.wait_for(timeout=30_000)
        with page.expect_download() as drawings_download:
            drawings.click()
        sheet = drawings_download.value
        images, labels = store.load_corrections()
        assert re.fullmatch(
            rf"mnist-demo_drawings-{len(labels)}_\d{{8}}-\d{{6}}\.csv", sheet.suggested_filename
        )
        rows = list(csv.reader(io.StringIO(Path(sheet.path()).read_text())))
        assert rows[0][:2] == ["label", "pixel0"] and all(len(row) == 785 for row in rows)
        assert [int(row[0]) for row in rows[1:]] == labels.tolist()
        pixels = np.array([row[1:] for row in rows[1:]], dtype=int)
        np.testing.assert_array_equal(pixels, np.rint(images.reshape(-1, 784) * 255))
        with closing(store.connect(app_home)) as connection:
            assert connection.execute("SELECT COUNT(*) FROM corrections").fetchone()[0] == len(
                labels
            )
    assert_no_exception(page)
