"""The Home page: chapter 2.1 step by step, each listing beside the value it gives in this app."""

from __future__ import annotations

import streamlit as st

from mnist_demo import ui
from mnist_demo.analysis import evaluation
from mnist_demo.i18n import log_lines
from mnist_demo.lessons import walkthrough
from mnist_demo.training.config import TrainConfig
from mnist_demo.ui import run_panel, streamlit_fixes

t = ui.t
RUN_KEY = "home_run_id"  # this session's walkthrough run; the run itself lives in the shared queue
RUN_PARAM = "walkthrough_run"  # the same id in the URL, so a reload finds the run again
FULL_WIDTH_VALUES = {"network"}


@st.cache_data(show_spinner=False)
def data_outputs() -> dict[str, str]:
    """The live values of the data steps, computed once per process from the shared MNIST."""
    dataset = ui.mnist()
    (x_train, y_train), _ = dataset
    return {
        "load": walkthrough.load_output(dataset),
        "look": walkthrough.look_output(dataset),
        "network": walkthrough.model_summary(),
        "compile": walkthrough.compile_settings(),
        "images": walkthrough.images_output(x_train),
        "labels": walkthrough.labels_output(y_train),
    }


# The training run ------------------------------------------------------------------------------


def current_run():
    """This session's walkthrough run, or None. The engine is only touched once a run exists."""
    if RUN_KEY not in st.session_state and RUN_PARAM not in st.query_params:
        return None
    return run_panel.current_run(RUN_KEY, RUN_PARAM)


def start_run() -> None:
    """Button callback: the chapter's network with the chapter's settings, on the shared engine."""
    run_panel.start_run(RUN_KEY, RUN_PARAM, TrainConfig())


def fit_value(run, store_usable: bool) -> None:
    """The fit step's live column: buttons, status and the run's Keras log, polled while active.

    The buttons stay outside the fragment, so a click reruns the whole page and the polling
    starts or stops with it; the fragment only redraws status and log. Without a usable store
    a run could not be recorded: Train is disabled (the page says why at its top).
    """
    active = run is not None and run.snapshot().active
    # "Train again" only once a run has ended: during the first run the button still says Train.
    trained = run is not None and not active
    run_panel.buttons(
        run,
        active,
        start_key="home_train",
        stop_key="home_stop",
        start_label=t("home.train.again") if trained else t("home.train.button"),
        stop_label=t("home.train.stop"),
        on_start=start_run,
        start_disabled=not store_usable,
    )
    if run is None:
        if st.session_state.get(RUN_KEY):
            st.warning(t("home.train.lost"))
        st.caption(t("home.train.idle"))
        return

    def draw(snapshot) -> None:
        run_panel.status(snapshot)
        log = walkthrough.fit_output(log_lines(snapshot.log_lines, ui.lang()))
        if log:
            st.code(log, language=None, wrap_lines=True)

    run_panel.live(run, active, draw)


# The page --------------------------------------------------------------------------------------


def step_header(number: int, step: walkthrough.Step) -> None:
    st.subheader(t("home.step_title", number=number, title=t(f"home.steps.{step.key}.title")))
    st.markdown(t(f"home.steps.{step.key}.text"))


def step_columns(step: walkthrough.Step):
    """Two columns, the listing as the book prints it | the live value (filled by the caller).

    The model summary is a 77-character table that must not wrap, so it goes under the code.
    """
    if step.key in FULL_WIDTH_VALUES:
        code = value = st.container()
    else:
        code, value = st.columns(2, gap="medium")
    caption = t("home.book_code")
    if step.listing:
        caption = f"{caption} · {t('home.listing', number=step.listing)}"
    code.caption(caption)
    code.code(step.code, language="python", wrap_lines=True)
    value.caption(t("home.live_value"))
    return value


def step_link(step: walkthrough.Step) -> None:
    if step.page:
        st.page_link(
            step.page, label=t(f"home.steps.{step.key}.link"), icon=":material/arrow_forward:"
        )


def finished_snapshot(run):
    """The run's snapshot once it has test results (completed or stopped after training)."""
    if run is None:
        return None
    snapshot = run.snapshot()
    return snapshot if snapshot.test_accuracy is not None else None


def evaluate_value(snapshot) -> None:
    if snapshot is None:
        st.caption(t("home.evaluate.waiting"))
        return
    st.code(walkthrough.evaluate_output(snapshot.test_accuracy), language=None)
    gap = evaluation.train_test_gap(snapshot.epoch_metrics, snapshot.test_accuracy)
    if gap is not None:  # the same rule as the Train page's: a gap within noise is no gap
        values = {"train": f"{gap.train_accuracy:.4f}", "test": f"{gap.test_accuracy:.4f}"}
        if gap.verdict == "overfitting":
            st.markdown(t("home.evaluate.gap", gap=f"{100 * gap.gap:.2f}", **values))
        else:
            st.markdown(t("home.evaluate.no_gap", **values))


def predict_value(snapshot) -> None:
    if snapshot is None or snapshot.test_predictions is None:
        st.caption(t("home.predict.waiting"))
        return
    _, (_, y_test) = ui.mnist()
    output = walkthrough.predict_output(snapshot.test_predictions, snapshot.test_confidence, y_test)
    st.code(output, language=None, wrap_lines=True)


def main() -> None:
    # Slightly smaller code on this page only: the book's lines (up to 54 characters) and
    # NumPy's printouts (up to 50) then fit side by side in two columns without wrapping on a
    # 1400-pixel-wide screen.
    st.html("<style>" + streamlit_fixes.code_font_css("0.8rem") + "</style>")
    st.title(t("home.title"))
    st.markdown(t("home.intro"))
    st.caption(t("home.light"))
    health = ui.store_notices()  # a store that cannot record a run: said here, Train disabled
    outputs = data_outputs()
    run = current_run()
    done = finished_snapshot(run)
    for number, step in enumerate(walkthrough.STEPS, start=1):
        st.divider()
        step_header(number, step)
        value = step_columns(step)
        with value:
            if step.key in outputs:
                wrap = step.key not in FULL_WIDTH_VALUES
                st.code(outputs[step.key], language=None, wrap_lines=wrap)
            elif step.key == "fit":
                fit_value(run, health.usable)
            elif step.key == "evaluate":
                evaluate_value(done)
            elif step.key == "predict":
                predict_value(done)
        step_link(step)


main()
