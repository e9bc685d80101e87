"""Train page: what a run shows (Streamlit glue): its live curves, status and Keras log, why a
run the link or the session asks for is gone, and once it has ended its results: test loss and
accuracy, the train-test gap, the confusion matrix and mistakes, the first layer's templates.
"""

from __future__ import annotations

import streamlit as st

from mnist_demo import ui
from mnist_demo.analysis import evaluation
from mnist_demo.charts import train as charts
from mnist_demo.i18n import literal, log_lines
from mnist_demo.storage import store
from mnist_demo.training import run_history
from mnist_demo.ui import confusion as ui_confusion
from mnist_demo.ui import run_panel

t = ui.t
GALLERY_SIZE = 24
TEMPLATE_COUNT = 16
CHART_TEXT_KEYS = tuple(charts.DEFAULT_TEXT)
ERROR_CHARS = 300  # an error message is shown whole up to this length


# Live view -------------------------------------------------------------------------------------


def chart_config() -> dict:
    """Plotly's options: no toolbar on a phone, where it covered the "Accuracy" title."""
    return {"displayModeBar": False} if ui.narrow() else {}


def chart_text() -> dict:
    return {key: t(f"train.chart.{key}") for key in CHART_TEXT_KEYS}


def draw_live(snapshot) -> None:
    st.header(t("train.live.title"))
    run_panel.status(snapshot)
    smoothing = st.slider(
        t("train.live.smoothing"),
        0.0,
        0.99,
        0.6,
        0.01,
        key="train_smoothing",
        help=t("train.live.smoothing_help"),
    )
    figure = charts.live_curves(
        snapshot.batch_steps,
        snapshot.batch_loss,
        snapshot.batch_accuracy,
        snapshot.epoch_metrics,
        snapshot.steps_per_epoch,
        smoothing,
        chart_text(),
        total_steps=snapshot.epochs * snapshot.steps_per_epoch,
        presentation=ui.presentation(),
        narrow=ui.narrow(),
    )
    st.plotly_chart(figure, key="train_live_chart", config=chart_config())
    if snapshot.log_lines:
        st.caption(t("train.live.log"))
        st.code("\n".join(log_lines(snapshot.log_lines, ui.lang())), language=None)


def gone_run_notice(run_id: str) -> None:
    """Say why a run asked for by the link or the session is not shown, and where its record is.

    After a restart a link's run is not in the queue; its stored status tells whether the
    restart interrupted it or it had ended, so the link still says something.
    """
    ui.store_read(store.mark_interrupted, 0)
    kind, values = run_history.gone_run(ui.store_read(lambda: store.get_run(run_id), None))
    if values:
        values = {
            **values,
            "status": run_history.status_text(values["status"], ui.lang()),
            "accuracy": run_history.accuracy_text(values["accuracy"]),
        }
    notice = st.info if kind in ("completed", "stopped") else st.warning
    if "error" in values:
        values["error"] = literal(values["error"], ERROR_CHARS)
    # The id comes from the link: shown verbatim, never as Markdown (a link or picture in it).
    notice(
        t(f"train.live.gone_{kind}", run_id=literal(run_id), **values), icon=":material/history:"
    )


# Results ---------------------------------------------------------------------------------------


def results_section(run, snapshot) -> None:
    if snapshot.test_accuracy is None:
        return
    st.header(t("train.results.title"))
    gap = evaluation.train_test_gap(snapshot.epoch_metrics, snapshot.test_accuracy)
    # Four fixed columns cut the values in a narrow window ("Test accur… 0.…" at 800 px with the
    # sidebar open): the columns wrap to the next line instead once narrower than a label.
    columns = ui.wrapping_columns("train_evaluation", 4, "220px")
    columns[0].metric(
        t("train.results.test_accuracy"), f"{snapshot.test_accuracy:.4f}", border=True
    )
    columns[1].metric(t("train.results.test_loss"), f"{snapshot.test_loss:.4f}", border=True)
    if gap is not None:
        columns[2].metric(
            t("train.results.train_accuracy"), f"{gap.train_accuracy:.4f}", border=True
        )
        # The unit is in the label, so the value stays short enough for a quarter of the width.
        columns[3].metric(t("train.results.gap"), f"{100 * gap.gap:+.2f}", border=True)
    st.code(
        ">>> test_loss, test_acc = model.evaluate(test_images, test_labels)\n"
        '>>> print(f"test_acc: {test_acc}")\n'
        f"test_acc: {snapshot.test_accuracy:.4f}",
        language="python",
    )
    if gap is not None:
        st.info(
            t(f"train.results.gap_{gap.verdict}", points=abs(100 * gap.gap)),
            icon=":material/school:",
        )
    if snapshot.test_predictions is not None:
        errors_section(snapshot)
    templates_section(run, snapshot)


def errors_section(snapshot) -> None:
    (_, _), (x_test, y_test) = ui.mnist()
    matrix = evaluation.confusion_matrix(y_test, snapshot.test_predictions)
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.subheader(t("train.results.confusion"))
        ui_confusion.explorer(
            matrix,
            chart_text(),
            t("train.results.confusion_caption"),
            x_test,
            y_test,
            snapshot.test_predictions,
            snapshot.test_confidence,
            chart_config(),
        )
    with right:
        st.subheader(t("train.results.mistakes"))
        wrong = evaluation.misclassified(
            y_test, snapshot.test_predictions, snapshot.test_confidence, GALLERY_SIZE
        )
        if len(wrong) == 0:
            st.caption(t("train.results.no_mistakes"))
            return
        titles = [
            f"{y_test[i]} → {snapshot.test_predictions[i]}<br>{snapshot.test_confidence[i]:.0%}"
            for i in wrong
        ]
        figure = charts.digit_grid(x_test[wrong], titles, columns=6, width=480)
        st.plotly_chart(figure, key="train_mistakes")
        total_wrong = int((snapshot.test_predictions != y_test).sum())
        st.caption(t("train.results.mistakes_caption", wrong=total_wrong, shown=len(wrong)))


def templates_section(run, snapshot) -> None:
    st.subheader(t("train.results.templates"))
    if snapshot.config.architecture != "dense":
        st.caption(t("train.results.templates_cnn"))
        return
    kernel = evaluation.first_dense_kernel(run.model) if run.model is not None else None
    if kernel is None:
        st.caption(t("train.results.templates_missing"))
        return
    templates, units = evaluation.weight_templates(kernel, TEMPLATE_COUNT)
    titles = [f"#{unit}" for unit in units]
    st.plotly_chart(
        charts.digit_grid(templates, titles, columns=8, diverging=True, width=880),
        key="train_templates",
    )
    st.caption(t("train.results.templates_caption", count=len(units)))
