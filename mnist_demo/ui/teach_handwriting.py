"""Draw page: "Teach it your handwriting" (Streamlit glue).

A guided mode asks for each digit in turn, Adapt fine-tunes a copy of the chosen model on those
drawings (drawing.personalize), and a check on new drawings shows the accuracy before and after;
the adapted model can be saved as a run.
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from mnist_demo import ui
from mnist_demo.drawing import draw_page as drawing
from mnist_demo.drawing import personalize, preprocess
from mnist_demo.storage import store
from mnist_demo.ui.draw_input import CANVAS_SIZE, DEFAULT_STROKE, digit_canvas
from mnist_demo.ui.draw_models import (
    DEFAULT_CHOICE,
    PERSONAL_CHOICE,
    PERSONAL_KEY,
    load_model,
)

LESSON_KEY = "draw_lesson"  # personalize.Lesson while the guided mode collects drawings
CHECK_KEY = "draw_check"  # personalize.Check: drawings made after adapting, read by both models


def teach_canvas(key: str, box: str = "draw_teach_canvas") -> np.ndarray | None:
    """A fresh canvas for one prompted drawing (a new key per prompt starts it empty); the
    drawing as the model's (28, 28) input, or None while it is blank. The lesson's prompts and
    the check after adapting each have their own box: both show at once when a user adapts
    before the last prompt."""
    with st.container(key=box):
        stroke = st.session_state.get("draw_stroke", DEFAULT_STROKE)
        result = digit_canvas(key, CANVAS_SIZE, stroke)
    return None if result.image_data is None else preprocess.canvas_to_mnist(result.image_data)


@st.fragment
def teach_block(choice: str, runs: dict[str, drawing.RunModel]) -> None:
    """The guided mode: "Draw a 7" for each digit, then Adapt, then a check on new drawings."""
    st.divider()
    st.subheader(ui.t("draw.teach.title"))
    st.caption(ui.t("draw.teach.why"))
    lesson: personalize.Lesson | None = st.session_state.get(LESSON_KEY)
    if lesson is None:
        st.number_input(
            ui.t("draw.teach.per_digit"),
            min_value=1,
            max_value=5,
            value=personalize.DEFAULT_PER_DIGIT,
            key="draw_teach_per_digit",
        )
        st.button(
            ui.t("draw.teach.start"),
            key="draw_teach_start",
            type="primary",
            on_click=start_lesson,
        )
    else:
        lesson_prompts(lesson)
        adapt_controls(lesson, choice, runs)
    if st.session_state.get(PERSONAL_KEY):
        adapted_panel(choice, runs)


def start_lesson() -> None:
    per_digit = int(st.session_state["draw_teach_per_digit"])  # as set at the click
    st.session_state[LESSON_KEY] = personalize.Lesson.start(per_digit)


def stop_lesson() -> None:
    st.session_state.pop(LESSON_KEY, None)


def lesson_prompts(lesson: personalize.Lesson) -> None:
    total = len(lesson.prompts)
    st.progress(
        lesson.position / total,
        text=ui.t(
            "draw.teach.progress", drawn=len(lesson.images), skipped=lesson.skipped, total=total
        ),
    )
    if lesson.done:
        st.info(ui.t("draw.teach.all_done"))
        return
    st.markdown(f"### {ui.t('draw.teach.prompt', digit=lesson.digit)}")
    image = teach_canvas(f"draw_teach_{lesson.position}")
    # Callbacks change the lesson before the rerun, which then shows the next prompt.
    use, skip = st.columns(2)
    use.button(
        ui.t("draw.teach.use"),
        key="draw_teach_use",
        disabled=image is None,
        type="primary",
        on_click=lesson.record,
        args=(image,),
    )
    skip.button(ui.t("draw.teach.skip"), key="draw_teach_skip", on_click=lesson.skip)


def adapt_controls(
    lesson: personalize.Lesson, choice: str, runs: dict[str, drawing.RunModel]
) -> None:
    images, labels = lesson.drawings()
    corrections = store.count_corrections()
    use_corrections = corrections > 0 and st.checkbox(
        ui.t("draw.teach.corrections", count=corrections), key="draw_teach_corrections"
    )
    left, right = st.columns(2)
    left.button(ui.t("draw.teach.restart"), key="draw_teach_restart", on_click=stop_lesson)
    if not right.button(
        ui.t("draw.teach.adapt", count=len(labels)),
        key="draw_teach_adapt",
        disabled=len(labels) == 0,
        type="primary",
    ):
        return
    if use_corrections:
        extra_images, extra_labels = store.load_corrections()
        images = np.concatenate([images, extra_images.astype(np.float32)])
        labels = np.concatenate([labels, extra_labels.astype(np.int64)])
    # Adapting a model adapted before starts again from the model it came from.
    personal = st.session_state.get(PERSONAL_KEY)
    base_choice = personal["base"] if choice == PERSONAL_CHOICE and personal else choice
    base = load_model(base_choice if base_choice != PERSONAL_CHOICE else DEFAULT_CHOICE, runs)
    with st.spinner(ui.t("draw.teach.waiting")), ui.training_queue().slot():
        started = time.perf_counter()
        adapted = personalize.adapt(base, images, labels)
        seconds = time.perf_counter() - started
    st.session_state[PERSONAL_KEY] = {
        "model": adapted,
        "base": base_choice,
        "count": len(labels),
        "seconds": seconds,
        "run_id": None,
    }
    st.session_state[CHECK_KEY] = personalize.Check()
    st.rerun()  # the model select above now offers "Your handwriting"


def adapted_panel(choice: str, runs: dict[str, drawing.RunModel]) -> None:
    """After adapting: how long it took, a check on new drawings, and saving it as a run."""
    personal = st.session_state[PERSONAL_KEY]
    st.success(ui.t("draw.teach.adapted", count=personal["count"], seconds=personal["seconds"]))
    check: personalize.Check = st.session_state.setdefault(CHECK_KEY, personalize.Check())
    scores = check.accuracy()
    if scores is not None:
        before, after = st.columns(2)
        before.metric(ui.t("draw.teach.before"), f"{scores[0]:.0%}", border=True)
        after.metric(ui.t("draw.teach.after"), f"{scores[1]:.0%}", border=True)
        st.caption(ui.t("draw.teach.check_count", count=len(check.labels)))
    if check.digit is not None:
        st.markdown(f"**{ui.t('draw.teach.check_prompt', digit=check.digit)}**")
        image = teach_canvas(f"draw_check_{len(check.labels)}", box="draw_check_canvas")
        st.button(
            ui.t("draw.teach.use"),
            key="draw_check_use",
            disabled=image is None,
            on_click=check.record,
            args=(image, load_model(personal["base"], runs), personal["model"]),
        )
    if personal["run_id"]:
        st.caption(ui.t("draw.teach.saved", run_id=personal["run_id"][:16]))
    elif st.button(ui.t("draw.teach.save"), key="draw_teach_save"):
        with st.spinner(ui.t("draw.teach.saving")):
            personal["run_id"] = personalize.save_as_run(
                personal["model"], personal["base"], personal["count"]
            )
        st.rerun()
