"""Draw page: "Wrong? Tell the right digit" (Streamlit glue).

The drawing's 28x28 input and the right digit are stored as a correction (storage.store), which
the Train page can add to its next run; a wrong pick can be changed or the correction withdrawn.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from mnist_demo import ui
from mnist_demo.drawing import draw_page as drawing
from mnist_demo.storage import store
from mnist_demo.ui import downloads as ui_downloads


def correction_form(image: np.ndarray, guess: drawing.Guess) -> None:
    if not ui.store_health().usable:
        return  # nowhere to keep a correction: the page says so at the top
    with st.expander(ui.t("draw.correction.title")):
        digest = hashlib.sha1(image.tobytes()).hexdigest()
        saved = st.session_state.setdefault("draw_saved_corrections", {})
        # Keyed by the drawing, so a new drawing starts with no digit picked: one stray click on
        # Save must not file the previous drawing's label for this one.
        label = st.selectbox(
            ui.t("draw.correction.label"),
            list(range(10)),
            index=None,
            key=f"draw_correct_label_{digest[:16]}",
        )
        if digest in saved:
            saved_correction(saved, digest, label)
        elif st.button(
            ui.t("draw.correction.save"), key="draw_correct_save", disabled=label is None
        ):
            correction_id = store.add_correction(image, int(label), predicted=guess.digit)
            saved[digest] = (correction_id, int(label))
            st.success(ui.t("draw.correction.saved", label=label))
        count = ui.store_read(store.count_corrections, 0)
        st.caption(ui.t("draw.correction.count", count=count))
        ui_downloads.drawings_download()


def saved_correction(saved: dict, digest: str, label: int | None) -> None:
    """A drawing already saved in this session: say so, and let a wrong pick be changed or the
    correction withdrawn (a wrong label would teach the next Train-page run the wrong digit)."""
    correction_id, saved_label = saved[digest]
    if label is not None and label != saved_label:
        if not st.button(ui.t("draw.correction.relabel", label=label), key="draw_correct_relabel"):
            return
        store.relabel_correction(correction_id, int(label))
        saved_label = int(label)
        saved[digest] = (correction_id, saved_label)
    st.success(ui.t("draw.correction.already", label=saved_label))
    if st.button(ui.t("draw.correction.withdraw"), key="draw_correct_withdraw"):
        store.delete_correction(correction_id)
        del saved[digest]
        st.info(ui.t("draw.correction.withdrawn"))
