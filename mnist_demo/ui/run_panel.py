"""The run panel that Home and Train share: Train/Stop buttons, the run's status, and a live
fragment that redraws while the run is queued or running.

Only the browser that started a run may stop it (ui.run_owner); anyone else who opens its link
watches it read-only, and the panel says so.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mnist_demo import ui
from mnist_demo.i18n import literal
from mnist_demo.training import run_history
from mnist_demo.training.config import TrainConfig
from mnist_demo.training.run_state import RunStatus

t = ui.t
POLL_SECONDS = 1.0  # a redraw a second: smooth curves, cheap for 2 cores


def current_run(state_key: str, url_param: str):
    """This session's run (or the run its link names), or None."""
    return ui.remembered_run(state_key, url_param)


def start_run(state_key: str, url_param: str, config: TrainConfig):
    """Submit config to the engine as this browser's run and remember it; returns the run."""
    run = ui.training_queue().submit(config, owner=ui.run_owner())
    ui.remember_run(state_key, url_param, run)
    return run


def stop_run(state_key: str, url_param: str) -> None:
    """Button callback: stop this session's run, if this browser started it."""
    run = current_run(state_key, url_param)
    if run is not None:
        run.request_stop(ui.run_owner())


def owns(run) -> bool:
    """Whether this browser may stop the run (None: there is nothing to stop)."""
    return run is None or run.may_stop(ui.run_owner())


def buttons(
    run,
    active: bool,
    *,
    start_key: str,
    stop_key: str,
    start_label: str,
    stop_label: str,
    on_start: Callable[[], None],
    start_disabled: bool = False,
) -> None:
    """Train and Stop side by side; a run watched through its link gets no Stop button but a
    note that only the browser that started it can stop it. A watcher may still start a run of
    their own, which then replaces the watched one on their page."""
    mine = owns(run)
    # A horizontal container sizes the buttons to their labels, so they stay whole in a narrow
    # window (fixed-ratio columns cut them to "T..").
    row = st.container(horizontal=True)
    row.button(
        start_label,
        key=start_key,
        type="primary",
        icon=":material/play_arrow:",
        disabled=start_disabled or (active and mine),
        on_click=on_start,
    )
    if mine:
        row.button(
            stop_label,
            key=stop_key,
            icon=":material/stop:",
            disabled=not active,
            on_click=on_stop,
            args=(run,),
        )
    else:
        st.caption(t("run.panel.read_only"))


def on_stop(run) -> None:
    if run is not None:
        run.request_stop(ui.run_owner())


def live(run, active: bool, draw: Callable[[object], None]) -> None:
    """Call draw(snapshot) now and, while the run is active, again every POLL_SECONDS in a
    fragment. A change of status reruns the whole page, so everything outside the fragment
    (buttons, results, the Runs table) follows: a running run no longer reads "queued" there."""
    shown_status = run.status

    @st.fragment(run_every=POLL_SECONDS if active else None)
    def live_panel() -> None:
        snapshot = run.snapshot()
        if active and snapshot.status != shown_status:
            st.rerun()
        draw(snapshot)

    live_panel()


def duration(seconds: float | None) -> str:
    return run_history.duration_text(seconds, ui.lang())


def status(snapshot) -> None:
    """Where the run is: its queue position, progress with speed and time left, or its end."""
    if snapshot.status == RunStatus.QUEUED:
        st.info(
            t("train.live.queued", position=snapshot.queue_position or 1),
            icon=":material/hourglass_top:",
        )
    elif snapshot.status == RunStatus.RUNNING:
        if snapshot.steps_per_epoch == 0 or snapshot.epoch == 0:
            st.progress(0.0, text=t("train.live.starting"))
        elif snapshot.evaluating:
            st.progress(1.0, text=t("train.live.evaluating"))
        else:
            speed = f"{snapshot.samples_per_second:,.0f}" if snapshot.samples_per_second else "–"
            st.progress(
                snapshot.progress,
                text=t(
                    "train.live.progress",
                    epoch=snapshot.epoch,
                    epochs=snapshot.epochs,
                    percent=100 * snapshot.progress,
                    speed=speed,
                    eta=duration(snapshot.eta_seconds),
                ),
            )
    elif snapshot.status == RunStatus.COMPLETED:
        elapsed = (snapshot.finished_at or 0) - (snapshot.started_at or 0)
        st.success(
            t("train.live.completed", duration=duration(elapsed)),
            icon=":material/check_circle:",
        )
    elif snapshot.status == RunStatus.STOPPED and snapshot.model_path is None:
        st.warning(t("train.live.stopped_before_start"), icon=":material/stop_circle:")
    elif snapshot.status == RunStatus.STOPPED:
        st.warning(
            t(
                "train.live.stopped",
                epoch=snapshot.epoch,
                epochs=snapshot.epochs,
                step=snapshot.step,
                steps=snapshot.steps_per_epoch,
            ),
            icon=":material/stop_circle:",
        )
    elif snapshot.status == RunStatus.FAILED:
        # The error's text is shown verbatim, never as Markdown.
        st.error(
            t("train.live.failed", error=literal(snapshot.error, 300)), icon=":material/error:"
        )
