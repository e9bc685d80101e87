"""Phones and the projector, without a browser: the figures' narrow and presentation forms, the
shell's styles and scripts, and the Draw page's own Undo and Clear (AppTest). The browser tests
(tests/e2e/test_screens.py) check what these look like on a screen."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo import data
from mnist_demo.charts import draw as draw_charts
from mnist_demo.charts import explore as explore_charts
from mnist_demo.charts import train as train_charts
from mnist_demo.data import explore
from mnist_demo.ui import screens

DRAW_PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "draw.py")
EPOCHS = [
    {"epoch": 1, "loss": 0.3, "accuracy": 0.91, "val_loss": 0.2, "val_accuracy": 0.94},
    {"epoch": 2, "loss": 0.1, "accuracy": 0.97, "val_loss": 0.15, "val_accuracy": 0.95},
]


@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist()


def live(**options):
    steps = list(range(1, 11))
    loss, accuracy = list(np.linspace(2, 0.2, 10)), list(np.linspace(0.2, 0.95, 10))
    return train_charts.live_curves(steps, loss, accuracy, EPOCHS, 5, **options)


def test_presentation_makes_the_live_chart_text_larger_and_its_lines_thicker():
    plain, projected = live(), live(presentation=True)
    assert plain.layout.font.size == train_charts.FONT_SIZE
    # Tick labels take the layout's font size: 22 px on the projector, over the 16 px asked for.
    assert projected.layout.font.size == train_charts.PRESENTATION_FONT_SIZE >= 16
    assert projected.layout.font.color == "#000000"
    # Set on every axis: Streamlit's chart theme sizes tick labels on its own (15 px otherwise).
    for axis in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
        assert projected.layout[axis].tickfont.size == train_charts.PRESENTATION_FONT_SIZE
    assert plain.layout.xaxis.tickfont.size is None
    assert {a.font.size for a in projected.layout.annotations} == {
        train_charts.PRESENTATION_FONT_SIZE
    }
    assert projected.layout.xaxis.showline and projected.layout.xaxis.linecolor == "#000000"
    for before, after in zip(plain.data, projected.data, strict=True):
        if before.mode == "lines":
            assert after.line.width == 2 * before.line.width
    assert projected.data[1].line.color == train_charts.PRESENTATION_COLORS["loss"]
    assert projected.data[1].line.color != plain.data[1].line.color


def test_narrow_stacks_the_loss_and_accuracy_panels():
    wide, narrow = live(), live(narrow=True)
    # Side by side: the accuracy panel's x axis starts right of the loss panel's.
    assert wide.layout.xaxis2.domain[0] > wide.layout.xaxis.domain[1]
    # Stacked: same x span, the accuracy panel below the loss panel.
    assert narrow.layout.xaxis2.domain == narrow.layout.xaxis.domain
    assert narrow.layout.yaxis2.domain[1] < narrow.layout.yaxis.domain[0]
    assert narrow.layout.height > wide.layout.height
    for stacked, side_by_side in zip(narrow.data, wide.data, strict=True):
        np.testing.assert_array_equal(stacked.y, side_by_side.y)


def test_narrow_compare_chart_wraps_long_run_names():
    name = "2026-12-02 10:31:27 · Dense(512) · 3 epochs · batch 64 · 0.8850"
    runs = [{"name": name, "epochs": EPOCHS}]
    wide = train_charts.runs_overlay(runs)
    narrow = train_charts.runs_overlay(runs, narrow=True)
    assert wide.data[0].name == f"{name} · training"
    lines = narrow.data[0].name.split("<br>")
    assert len(lines) >= 2 and max(map(len, lines)) <= train_charts.PHONE_LEGEND_LINE
    assert " ".join(lines) == f"{name} · training"  # nothing lost, only broken
    projected = train_charts.runs_overlay(runs, presentation=True)
    assert projected.data[0].line.width == 2 * wide.data[0].line.width
    assert projected.layout.font.size == train_charts.PRESENTATION_FONT_SIZE


def test_presentation_confusion_and_probability_bars():
    matrix = np.eye(10, dtype=int) * 100
    confusion = train_charts.confusion_figure(matrix, presentation=True)
    assert confusion.layout.xaxis.tickfont.size >= 20
    probabilities = np.full(10, 0.01)
    probabilities[7] = 0.91
    plain = draw_charts.probability_bars(probabilities, "P", "p")
    projected = draw_charts.probability_bars(probabilities, "P", "p", presentation=True)
    assert projected.layout.font.size >= 20 and plain.layout.font.size is None
    assert projected.data[0].marker.color[7] == draw_charts.PRESENTATION_HIGHLIGHT
    assert plain.data[0].marker.color[7] == draw_charts.HIGHLIGHT


def test_phone_grid_has_four_columns_and_a_height_that_fits_them(mnist):
    images, labels = explore.split_arrays(mnist, "train")
    shown = np.arange(explore.PAGE_SIZE)
    wide = explore_charts.sample_grid_figure(
        images[shown], labels[shown], shown, explore.GRID_COLUMNS, "%{customdata[0]}"
    )
    phone = explore_charts.sample_grid_figure(
        images[shown],
        labels[shown],
        shown,
        explore.PHONE_GRID_COLUMNS,
        "%{customdata[0]}",
        display_width=360,
    )
    assert len(set(np.asarray(phone.data[1].x).tolist())) == 4
    assert len(set(np.asarray(phone.data[1].y).tolist())) == 16
    assert wide.layout.height == 560  # 8 x 8: square
    # 4 x 16 at 360 px wide: four times as tall as wide, less the outer gap.
    assert phone.layout.height == pytest.approx(360 * 4, rel=0.05)


def test_narrow_vector_title_is_wrapped():
    image = np.zeros((28, 28), dtype=np.uint8)
    title = "train_images[4] as the network receives it: one row of 784 values, 28 image rows"
    wide = explore_charts.vector_figure(image, title)
    narrow = explore_charts.vector_figure(image, title, narrow=True)
    assert wide.layout.title.text == title
    lines = narrow.layout.title.text.split("<br>")
    assert len(lines) >= 2 and max(map(len, lines)) <= explore_charts.PHONE_TITLE_LINE
    assert narrow.layout.margin.t > wide.layout.margin.t


def test_page_styles_and_scripts():
    assert "font-size" not in screens.page_css(presentation=False).split("html")[-1]
    projected = screens.page_css(presentation=True)
    assert f"font-size: {screens.PRESENTATION_ROOT_FONT_PX}px" in projected
    assert screens.PRESENTATION_TEXT in projected
    assert ".st-key-screen_shell" in screens.page_css(presentation=False)
    assert screens.tab_title("MNIST 데모", "그리기") == "MNIST 데모 · 그리기"
    assert screens.lang_script("ko") == '<script>document.documentElement.lang = "ko";</script>'
    with pytest.raises(ValueError, match="letters only"):
        screens.lang_script('en"; alert(1); "')
    assert 'setStateValue("narrow"' in screens.SHELL_JS
    assert screens.shell_data("ko") == {
        "lang": "ko",
        "phoneWidth": screens.PHONE_WIDTH_PX,
        "narrow": False,
    }
    assert screens.shell_data("en", narrow=True)["narrow"] is True
    # The sidebar closer is a plain script in the page (not the component's, which loads late).
    script = screens.page_script("ko")
    assert script.startswith(screens.lang_script("ko"))
    assert f"window.innerWidth >= {screens.SIDEBAR_OVERLAY_WIDTH_PX}" in script
    assert "mnistDemoSidebarCloser" not in screens.SHELL_JS


# The Draw page's own Undo and Clear (AppTest cannot draw: the canvas's last drawing is set as the
# canvas would have sent it) ----------------------------------------------------------------------

STROKE = {"type": "path", "path": [["M", 10, 10], ["L", 200, 200]], "strokeWidth": 18}


def draw_page(objects: list) -> AppTest:
    at = AppTest.from_file(DRAW_PAGE, default_timeout=120)
    at.session_state["draw_canvas_json"] = {"version": "6", "objects": objects}
    at.run()
    assert not at.exception, at.exception
    return at


def test_undo_redraws_the_canvas_without_the_last_stroke():
    at = draw_page([dict(STROKE, left=1), dict(STROKE, left=2)])
    assert not at.button(key="draw_undo").disabled and not at.button(key="draw_clear").disabled
    at.button(key="draw_undo").click().run()
    assert not at.exception, at.exception
    # The canvas gets a new initial drawing without the last stroke, and until it has redrawn
    # and sent it, the drawing it still reports (both strokes) is ignored.
    initial = at.session_state["draw_canvas_initial"]
    assert [o["left"] for o in initial["objects"]] == [1]
    assert [o["left"] for o in at.session_state["draw_canvas_json"]["objects"]] == [1]
    assert initial["revision"] == 1
    assert not at.button(key="draw_undo").disabled  # one stroke left
    assert [m.value for m in at.metric if m.label == "Prediction"] == ["–"]


def test_clear_redraws_an_empty_canvas_and_disables_both_buttons():
    at = draw_page([dict(STROKE, left=1), dict(STROKE, left=2)])
    at.session_state["draw_canvas_revision"] = 4  # earlier edits in this session
    at.button(key="draw_clear").click().run()
    assert not at.exception, at.exception
    # A new revision: the canvas redraws even when it had the same strokes as an earlier edit.
    assert at.session_state["draw_canvas_initial"] == {"objects": [], "revision": 5}
    assert at.session_state["draw_canvas_json"]["objects"] == []
    assert at.button(key="draw_undo").disabled and at.button(key="draw_clear").disabled
    assert "Draw a digit" in [info.value for info in at.info]


def test_nothing_drawn_disables_undo_and_clear_and_the_hint_says_no_hover():
    at = draw_page([])
    assert at.button(key="draw_undo").disabled and at.button(key="draw_clear").disabled
    hints = " ".join(caption.value for caption in at.caption)
    assert "Undo" in hints and "Hover" not in hints
