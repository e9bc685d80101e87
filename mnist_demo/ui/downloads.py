"""Download buttons: a run's model and metrics (Train page), the labelled drawings (Draw page).

Streamlit glue around mnist_demo.lessons.downloads. The files are read or written only when a
button is clicked (st.download_button calls the data function then), and a click does not rerun
the page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mnist_demo import ui
from mnist_demo.lessons import downloads
from mnist_demo.storage import store

CSV = "text/csv"
KERAS = "application/octet-stream"  # a .keras file is a zip archive Keras reads by its name


def model_file(run: dict) -> Path | None:
    """The run's model file, if the run saved one and it is still there."""
    path = run.get("model_path")
    return Path(path) if path and Path(path).is_file() else None


@st.fragment
def run_downloads(runs: list[dict], labels: dict[str, str]) -> None:
    """Under the Runs list: pick a run, download its model (.keras) and per-epoch metrics (CSV).

    A fragment: picking another run redraws only these buttons.
    """
    usable = {run["id"]: run for run in runs if run["epochs"] or model_file(run)}
    if not usable:
        return
    st.markdown("**" + ui.t("inside.downloads.title") + "**")
    if st.session_state.get("train_download_run") not in usable:
        st.session_state["train_download_run"] = next(iter(usable))
    run_id = st.selectbox(
        ui.t("inside.downloads.pick"),
        list(usable),
        format_func=lambda choice: labels.get(choice, choice),
        key="train_download_run",
    )
    run = usable[run_id]
    row = st.container(horizontal=True)
    path = model_file(run)
    row.download_button(
        ui.t("inside.downloads.model"),
        data=path.read_bytes if path else b"",
        file_name=downloads.run_file_name(run, "model"),
        mime=KERAS,
        key="train_download_model",
        icon=":material/download:",
        on_click="ignore",
        disabled=path is None,
    )
    row.download_button(
        ui.t("inside.downloads.metrics"),
        data=downloads.metrics_csv(run["epochs"]),
        file_name=downloads.run_file_name(run, "metrics"),
        mime=CSV,
        key="train_download_metrics",
        icon=":material/download:",
        on_click="ignore",
        disabled=not run["epochs"],
    )
    if path is None:
        st.caption(ui.t("inside.downloads.no_model"))


def _drawings_csv() -> bytes:
    """Every stored correction as a Kaggle-layout CSV (called when the button is clicked)."""
    images, labels = store.load_corrections()
    return downloads.kaggle_csv(images, labels)


def drawings_download() -> None:
    """The Draw page's labelled drawings (its corrections) as one CSV, if there are any."""
    count = store.count_corrections()
    if not count:
        return
    st.download_button(
        ui.t("inside.downloads.drawings", count=count),
        data=_drawings_csv,
        file_name=downloads.drawings_file_name(count),
        mime=CSV,
        key="draw_download_drawings",
        icon=":material/download:",
        on_click="ignore",
        help=ui.t("inside.downloads.drawings_help"),
    )
