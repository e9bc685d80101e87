"""The Train page: choose hyper-parameters, train live, evaluate on the test set, compare runs."""

from __future__ import annotations

import streamlit as st

from mnist_demo import ui
from mnist_demo.analysis import evaluation
from mnist_demo.charts import train as charts
from mnist_demo.i18n import literal
from mnist_demo.storage import store
from mnist_demo.training import run_history, train_settings
from mnist_demo.training.config import ARCHITECTURES, OPTIMIZERS, TrainConfig
from mnist_demo.ui import downloads as ui_downloads
from mnist_demo.ui import lessons as ui_lessons
from mnist_demo.ui import run_panel, run_view

t = ui.t
RUN_KEY = "train_run_id"  # this session's latest run; the run itself lives in the shared queue
RUN_PARAM = "run"  # the same id in the URL, so a reload finds the run again
URL_READ_KEY = "train_url_read"  # the link's settings are applied once per session
PICKED_KEY = "train_runs_picked"


def widget_key(name: str) -> str:
    return f"train_{name}"


def lesson_control(widget):
    """The widget, or nothing and its held value when a lesson link hides it."""
    return ui_lessons.control("train", widget)


# Settings --------------------------------------------------------------------------------------


def init_settings() -> None:
    """Seed the widgets once: TrainConfig defaults, overridden by a shared link's parameters."""
    if st.session_state.get(URL_READ_KEY):
        return
    query = st.query_params.to_dict()
    values = {**train_settings.defaults(), **train_settings.from_query(query)}
    for name, value in values.items():
        st.session_state[widget_key(name)] = value
    st.session_state[URL_READ_KEY] = True
    refused = train_settings.refused_query(query)
    if refused:  # said once, on the run that reads the link
        items = ", ".join(f"{literal(f'{name}={raw}', 60)}" for name, raw in refused.items())
        st.warning(t("train.settings.link_refused", items=items), icon=":material/link_off:")


def settings_controls() -> dict:
    """The hyper-parameter widgets; returns their values keyed like TrainConfig's fields."""
    state = st.session_state
    # persist_state="session": the values survive a visit to another page.
    common = {"persist_state": "session"}
    st.subheader(t("train.settings.title"))
    lesson_control(st.slider)(
        t("train.settings.epochs"),
        1,
        30,
        key=widget_key("epochs"),
        help=t("train.settings.epochs_help"),
        **common,
    )
    lesson_control(st.select_slider)(
        t("train.settings.batch_size"),
        options=train_settings.choices("batch_size", state[widget_key("batch_size")]),
        key=widget_key("batch_size"),
        help=t("train.settings.batch_size_help"),
        **common,
    )
    lesson_control(st.radio)(
        t("train.settings.architecture"),
        ARCHITECTURES,
        horizontal=True,
        format_func=lambda name: t(f"train.arch.{name}"),
        key=widget_key("architecture"),
        **common,
    )
    lesson_control(st.select_slider)(
        t("train.settings.train_size"),
        options=train_settings.choices("train_size", state[widget_key("train_size")]),
        format_func="{:,}".format,
        key=widget_key("train_size"),
        help=t("train.settings.train_size_help"),
        **common,
    )
    # A key keeps the expander open across a language switch, which changes its label.
    with st.expander(t("train.settings.more"), key="train_more_settings"):
        left, right = st.columns(2)
        lesson_control(left.select_slider)(
            t("train.settings.hidden_units"),
            options=train_settings.choices("hidden_units", state[widget_key("hidden_units")]),
            key=widget_key("hidden_units"),
            help=t("train.settings.hidden_units_help"),
            **common,
        )
        lesson_control(right.radio)(
            t("train.settings.optimizer"),
            OPTIMIZERS,
            horizontal=True,
            key=widget_key("optimizer"),
            **common,
        )
        default_rate = train_settings.effective_learning_rate(state[widget_key("optimizer")])
        lesson_control(left.select_slider)(
            t("train.settings.learning_rate"),
            options=train_settings.choices("learning_rate", state[widget_key("learning_rate")]),
            format_func=lambda rate: (
                t("train.settings.learning_rate_default", rate=default_rate)
                if rate is None
                else f"{rate:g}"
            ),
            key=widget_key("learning_rate"),
            **common,
        )
        lesson_control(right.select_slider)(
            t("train.settings.validation_split"),
            options=train_settings.choices(
                "validation_split", state[widget_key("validation_split")]
            ),
            format_func=lambda split: (
                t("train.settings.validation_none") if split == 0 else f"{split:.0%}"
            ),
            key=widget_key("validation_split"),
            help=t("train.settings.validation_split_help"),
            **common,
        )
        lesson_control(left.number_input)(
            t("train.settings.seed"),
            min_value=0,
            max_value=2**31 - 1,
            step=1,
            key=widget_key("seed"),
            help=t("train.settings.seed_help"),
            **common,
        )
    corrections = ui.store_read(store.count_corrections, 0) if ui.store_health().usable else 0
    if corrections:
        lesson_control(st.checkbox)(
            t("train.settings.corrections", count=corrections),
            key=widget_key("include_corrections"),
            **common,
        )
    else:
        state[widget_key("include_corrections")] = False
    return {name: state[widget_key(name)] for name in train_settings.defaults()}


def sync_url(values: dict) -> None:
    """Write the settings that differ from the defaults to the URL on every run of the page;
    leave other parameters be (the run's id is ui.remembered_run's).

    Written even when st.query_params already holds them: that is the server's copy, which the
    browser's address can lag behind (back from Home during a run, the address would lack the
    settings and the run, and copying or reloading it would give the defaults and no run).
    """
    wanted = train_settings.to_query(values)
    for name in train_settings.URL_FIELDS:
        if name not in wanted and name in st.query_params:
            del st.query_params[name]
    st.query_params.update(wanted)  # one message with every parameter, sent even if unchanged


# The network -----------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32)
def layer_table(architecture: str, hidden_units: int) -> list[dict]:
    """The model summary of a config, built with Keras once per (architecture, width)."""
    from mnist_demo.training.model import build_model

    config = TrainConfig(architecture=architecture, hidden_units=hidden_units)
    return evaluation.layer_table(build_model(config))


def network_panel(config: TrainConfig | None) -> None:
    st.subheader(t("train.model.title"))
    if config is None:
        return
    corrections = 0
    if config.include_corrections and ui.store_health().usable:
        corrections = ui.store_read(store.count_corrections, 0)
    code = train_settings.keras_code(config, corrections)
    st.code(code, language="python", wrap_lines=True)
    with st.spinner(t("train.model.loading")):
        rows = layer_table(config.architecture, config.hidden_units)
    st.metric(t("train.model.parameters"), f"{sum(row['params'] for row in rows):,}")
    st.dataframe(
        [
            {
                t("train.model.layer"): row["type"],
                t("train.model.output_shape"): row["output_shape"],
                t("train.model.params"): f"{row['params']:,}",
            }
            for row in rows
        ],
        hide_index=True,
    )
    st.caption(
        t("train.model.compile", optimizer=config.optimizer, rate=config.effective_learning_rate)
    )


# Starting and stopping -------------------------------------------------------------------------


def current_run():
    return run_panel.current_run(RUN_KEY, RUN_PARAM)


def start_run() -> None:
    """Button callback: submit the widgets' config to the shared engine, remember the run id."""
    values = {name: st.session_state[widget_key(name)] for name in train_settings.defaults()}
    config, error = train_settings.make_config(values, ui.lang())
    if config is None:
        return  # the page shows the error and keeps the button disabled
    run = run_panel.start_run(RUN_KEY, RUN_PARAM, config)
    picked = list(st.session_state.get(PICKED_KEY, []))
    st.session_state[PICKED_KEY] = [*picked, run.run_id]


def buttons(run, config: TrainConfig | None, active: bool) -> None:
    run_panel.buttons(
        run,
        active,
        start_key="train_start",
        stop_key="train_stop",
        start_label=t("train.buttons.train"),
        stop_label=t("train.buttons.stop"),
        on_start=start_run,
        start_disabled=config is None,
    )


# Run history -----------------------------------------------------------------------------------


def runs_section() -> None:
    st.header(t("train.runs.title"))
    # runs of a server that died (heartbeat stopped) read interrupted
    ui.store_read(store.mark_interrupted, 0)
    runs = ui.store_read(store.list_runs, [])
    if not runs:
        st.caption(t("train.runs.empty"))
        return
    st.caption(t("train.runs.caption"))
    rows = run_history.runs_table(runs, ui.lang())
    st.dataframe(
        rows,
        hide_index=True,
        column_config={
            t("train.runs.train_size"): st.column_config.NumberColumn(format="localized"),
        },
    )
    by_id = {run["id"]: run for run in runs}
    labels = run_history.run_labels(runs, ui.lang())
    if PICKED_KEY not in st.session_state:
        st.session_state[PICKED_KEY] = [run["id"] for run in runs if run["epochs"]][:3]
    st.session_state[PICKED_KEY] = [i for i in st.session_state[PICKED_KEY] if i in by_id]
    picked = st.multiselect(
        t("train.runs.pick"),
        list(by_id),
        key=PICKED_KEY,
        format_func=labels.__getitem__,
        placeholder=t("train.runs.pick_placeholder"),
        persist_state="session",
    )
    chosen = [by_id[run_id] for run_id in picked if by_id[run_id]["epochs"]]
    if chosen:
        overlay = [{"name": labels[run["id"]], "epochs": run["epochs"]} for run in chosen]
        figure = charts.runs_overlay(
            overlay, run_view.chart_text(), presentation=ui.presentation(), narrow=ui.narrow()
        )
        st.plotly_chart(figure, key="train_runs_chart", config=run_view.chart_config())
    ui_downloads.run_downloads(runs, labels)


# Page ------------------------------------------------------------------------------------------

st.title(t("train.title"))
st.markdown(t("train.intro"))
health = ui.store_notices()
if ui.max_training_problem() is not None:
    st.warning(t("store.max_training", value=literal(ui.max_training_problem())))
init_settings()
ui_lessons.apply("train")  # a lesson link's fixed and hidden controls
ui.keep_choices_on_language_switch(widget_key(name) for name in train_settings.defaults())
run = current_run()


@st.fragment
def settings_and_network(shown_run_id: str | None, store_usable: bool) -> None:
    """The settings, the network they make, the lesson panel (its link carries the settings)
    and the buttons. A changed setting reruns only this fragment; a run started (or gone) here
    reruns the page, which shows it."""
    ui_lessons.hold("train")  # apply() did it on the page's full run
    settings_column, network_column = st.columns([1, 1], gap="large")
    with settings_column, st.container(border=True):
        values = settings_controls()
    config, config_error = train_settings.make_config(values, ui.lang())
    run = current_run()
    sync_url(values)  # before the model summary, which can take seconds to build
    with settings_column:
        ui_lessons.share_panel("train")
    with network_column:
        network_panel(config)
    if config_error:
        st.error(t("train.settings.invalid", message=config_error), icon=":material/block:")

    snapshot = run.snapshot() if run is not None else None
    # Without a store a run could not be recorded: the page says why above and offers no Train.
    buttons(run, config if store_usable else None, active=snapshot is not None and snapshot.active)
    if (run.run_id if run is not None else None) != shown_run_id:
        st.rerun(scope="app")  # the live view, the results and the runs list are the page's


settings_and_network(run.run_id if run is not None else None, health.usable)
snapshot = run.snapshot() if run is not None else None
if run is None and (st.session_state.get(RUN_KEY) or st.query_params.get(RUN_PARAM)):
    run_view.gone_run_notice(st.session_state.get(RUN_KEY) or st.query_params[RUN_PARAM])
if run is not None:
    run_panel.live(run, snapshot.active, run_view.draw_live)
    if not snapshot.active:
        run_view.results_section(run, snapshot)
if health.usable:
    runs_section()
ui_lessons.settle("train")
