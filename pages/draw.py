"""The Draw page: draw or upload a digit, see it prepared like MNIST and classified."""

from __future__ import annotations

import hashlib
import os
import time

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnist_demo import ui
from mnist_demo.charts import draw as charts
from mnist_demo.drawing import draw_page as drawing
from mnist_demo.drawing import personalize, preprocess
from mnist_demo.i18n import literal
from mnist_demo.storage import store
from mnist_demo.training.model import load_mnist_model, predict_proba
from mnist_demo.ui import downloads as ui_downloads
from mnist_demo.ui import inside as ui_inside
from mnist_demo.ui import streamlit_fixes

CANVAS_SIZE = 280
PRESENTATION_CANVAS_SIZE = 420  # projector mode: 1.5 times larger, still beside the prediction
DEFAULT_STROKE = 18
DEFAULT_CHOICE = "default"
MNIST_CHOICE = "mnist"  # the default model before it learned from pen-drawn digits
PERSONAL_CHOICE = "personal"  # "Your handwriting": adapted in this session (teach_block)
PERSONAL_KEY = "draw_personal"  # {"model", "base", "count", "seconds", "run_id"} once adapted
UPLOADER_LIMIT_MB = 4 * preprocess.MAX_UPLOAD_BYTES // (1024 * 1024)


def model_select() -> tuple[str, dict[str, drawing.RunModel]]:
    """The model select: default, MNIST-only, this session's adapted model, finished runs."""
    health = ui.store_health()
    stored = ui.store_read(store.list_runs, []) if health.usable else []
    runs = {run.run_id: run for run in drawing.run_models(stored)}
    # Model files without a run record (the store was reset or damaged) stay on offer.
    runs.update((run.run_id, run) for run in drawing.orphan_models(health.orphan_models))
    personal = st.session_state.get(PERSONAL_KEY)

    def label(choice: str) -> str:
        if choice in (DEFAULT_CHOICE, MNIST_CHOICE, PERSONAL_CHOICE):
            return ui.t(f"draw.model.{choice}")
        run = runs[choice]
        if run.orphan:
            return ui.t("draw.model.orphan", name=run.path.name)
        return labels[choice]

    labels = drawing.run_labels([run for run in runs.values() if not run.orphan], ui.lang())

    options = [DEFAULT_CHOICE, MNIST_CHOICE, *([PERSONAL_CHOICE] if personal else []), *runs]
    if st.session_state.get("draw_model") not in options:
        st.session_state["draw_model"] = DEFAULT_CHOICE  # its run was deleted
    choice = st.selectbox(
        ui.t("draw.model.label"),
        options,
        format_func=label,
        key="draw_model",
        help=ui.t("draw.model.help"),
    )
    st.caption(learned_from(choice, personal))
    return choice, runs


def learned_from(choice: str, personal: dict | None) -> str:
    """One sentence: which data the chosen model learned from."""
    if choice == PERSONAL_CHOICE and personal:
        return ui.t(
            "draw.model.learned_personal",
            base=ui.t(f"draw.model.{personal['base']}")
            if personal["base"] in (DEFAULT_CHOICE, MNIST_CHOICE)
            else personal["base"][:8],
            count=personal["count"],
        )
    if choice in (DEFAULT_CHOICE, MNIST_CHOICE):
        return ui.t(f"draw.model.learned_{choice}")
    return ui.t("draw.model.learned_run")


def load_model(choice: str, runs: dict[str, drawing.RunModel]):
    """The chosen model, loaded once per process; the default one if a run's file is broken."""
    with st.spinner(ui.t("draw.model.loading")):
        if choice == DEFAULT_CHOICE:
            return default_or_stop()
        if choice == MNIST_CHOICE:
            return mnist_or_default()
        if choice == PERSONAL_CHOICE:
            return st.session_state[PERSONAL_KEY]["model"]
        path = runs[choice].path
        try:
            return ui.model_from_file(str(path), os.path.getmtime(path))
        except Exception as error:  # noqa: BLE001 - a broken file must not break the page
            st.warning(ui.t("draw.model.load_error", error=type(error).__name__))
            return default_or_stop()


def default_or_stop():
    """The default model, or a clear message (and the rest of the page skipped) without it."""
    try:
        return ui.default_model()
    except (OSError, ValueError) as error:
        st.error(ui.t("draw.model.missing", error=literal(f"{type(error).__name__}: {error}", 300)))
        st.stop()


def edit_drawing(undo: bool) -> None:
    """The page's Undo (last stroke) and Clear buttons, which touch screens need: the canvas's
    own toolbar shows only while a mouse hovers over it. The canvas redraws from a new
    initial_drawing (a revision number makes each one new) and then sends it back; until it
    has, it still sends the drawing it had, which canvas_input ignores."""
    current = st.session_state.get("draw_canvas_json") or {}
    kept = current.get("objects", [])[:-1] if undo else []
    revision = st.session_state.get("draw_canvas_revision", 0) + 1
    st.session_state["draw_canvas_revision"] = revision
    st.session_state["draw_canvas_stale"] = current
    st.session_state["draw_canvas_initial"] = {"objects": kept, "revision": revision}
    st.session_state["draw_canvas_json"] = {**current, "objects": kept}
    st.session_state.pop("draw_canvas_rgba", None)


def mnist_or_default():
    """The MNIST-only model, or the default one (with a message) when its file is missing."""
    try:
        return load_mnist_model()
    except (OSError, ValueError) as error:
        st.warning(ui.t("draw.model.load_error", error=type(error).__name__))
        return default_or_stop()


def canvas_input() -> preprocess.Steps | None:
    size = PRESENTATION_CANVAS_SIZE if ui.presentation() else CANVAS_SIZE
    stroke = st.slider(
        ui.t("draw.input.stroke_width"),
        min_value=6,
        max_value=40,
        value=DEFAULT_STROKE,
        key="draw_stroke",
        help=ui.t("draw.input.stroke_help"),
    )
    st.space("small")  # room for the canvas's floating toolbar
    st.container(key="draw_toolbar_fix").html(
        streamlit_fixes.CANVAS_PEN_SCRIPT + streamlit_fixes.CANVAS_TOOLBAR_SCRIPT,
        unsafe_allow_javascript=True,
    )
    if "draw_canvas" not in st.session_state:
        # The canvas is being created: first visit, or back from Upload or another page, where
        # Streamlit dropped its state. It starts with the user's last drawing, which stays its
        # starting point while it lives (a changed initial_drawing would redraw the canvas and
        # wipe its undo history).
        saved = st.session_state.get("draw_canvas_json")
        st.session_state["draw_canvas_initial"] = saved if saved and saved.get("objects") else None
    initial = st.session_state.get("draw_canvas_initial")
    result = st_canvas(
        stroke_width=round(stroke * size / CANVAS_SIZE),
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=size,
        width=size,
        drawing_mode="freedraw",
        initial_drawing=initial,
        return_image_data=True,
        key="draw_canvas",
    )
    stale = result.json_data is not None and result.json_data == st.session_state.get(
        "draw_canvas_stale"
    )
    if result.json_data is not None and not stale:
        st.session_state.pop("draw_canvas_stale", None)
        st.session_state["draw_canvas_json"] = result.json_data
    strokes = len((st.session_state.get("draw_canvas_json") or {}).get("objects") or [])
    undo_column, clear_column = st.columns(2, gap="small")
    undo_column.button(
        ui.t("draw.input.undo"),
        key="draw_undo",
        icon=":material/undo:",
        on_click=edit_drawing,
        args=(True,),
        disabled=strokes == 0,
        width="stretch",
    )
    clear_column.button(
        ui.t("draw.input.clear"),
        key="draw_clear",
        icon=":material/delete:",
        on_click=edit_drawing,
        args=(False,),
        disabled=strokes == 0,
        width="stretch",
    )
    # (size, size, 4) uint8; None before the first stroke, or while the canvas redraws after
    # Undo or Clear
    rgba = None if stale else result.image_data
    if rgba is None and initial:
        # A restored drawing is on the canvas but the browser has not sent its pixels yet.
        rgba = st.session_state.get("draw_canvas_rgba")
    if rgba is None:
        return None
    st.session_state["draw_canvas_rgba"] = rgba
    return preprocess.canvas_steps(rgba)


def upload_input() -> preprocess.Steps | None:
    upload = st.file_uploader(
        ui.t("draw.upload.label"),
        # No type=: Streamlit would refuse a GIF or SVG in the browser, in English, and keep the
        # previous file's result; upload_ink names what is wrong in the page's language.
        key="draw_upload",
        help=ui.t("draw.upload.help"),
        # Streamlit turns away files over its limit in the browser (see streamlit_fixes). Its
        # limit, also the server's (server.maxUploadSize), is well above the page's own, so a
        # file that is merely too large reaches upload_ink and gets the page's message.
        max_upload_size=UPLOADER_LIMIT_MB,
    )
    refusal = ui.t("draw.upload.refused", limit=UPLOADER_LIMIT_MB)
    st.container(key="draw_upload_fix").html(
        streamlit_fixes.upload_refusal_script(refusal), unsafe_allow_javascript=True
    )
    st.caption(ui.t("draw.upload.limits"))  # Streamlit's own "5MB per file" line is English
    if upload is None:
        return None
    try:
        ink = preprocess.upload_ink(upload.getvalue())
    except preprocess.UploadError as error:
        st.error(ui.t(f"draw.upload.{error.reason}"))
        return None
    steps = preprocess.ink_steps(ink)
    if steps is None:
        st.error(ui.t("draw.upload.blank"))
    return steps


def show_prediction(probabilities: np.ndarray) -> drawing.Guess:
    guess = drawing.guess(probabilities)
    st.metric(
        ui.t("draw.prediction"),
        str(guess.digit),
        delta=ui.t("draw.probability", probability=guess.probability),
        delta_color="off",
        delta_arrow="off",
    )
    if not guess.sure:
        st.warning(
            ui.t(
                "draw.unsure",
                digit=guess.digit,
                probability=guess.probability,
                runner_up=guess.runner_up,
                runner_up_probability=guess.runner_up_probability,
            )
        )
    figure = charts.probability_bars(
        probabilities,
        ui.t("draw.chart_title"),
        ui.t("draw.chart_axis"),
        presentation=ui.presentation(),
    )
    st.plotly_chart(figure, key="draw_probabilities", config={"displayModeBar": False})
    return guess


def show_steps(steps: preprocess.Steps, canvas: np.ndarray | None) -> None:
    st.subheader(ui.t("draw.steps.title" if canvas is not None else "draw.steps.upload_title"))
    pictures = [(steps.crop, "crop"), (steps.box, "box"), (steps.final, "final")]
    if canvas is not None:
        pictures.insert(0, (preprocess.canvas_ink(canvas), "canvas"))
    # The pictures have fixed widths: their columns wrap rather than shrink under them.
    columns = ui.wrapping_columns("draw_steps", 4, "150px")
    for column, (image, name) in zip(columns, pictures, strict=False):
        caption = ui.t(f"draw.steps.{name}", size=len(image))  # the canvas: 280 or 420 px
        column.image(charts.enlarged(image, 140), caption=caption, width=140)


def show_neighbours(image: np.ndarray) -> None:
    st.subheader(ui.t("draw.neighbours.title"))
    st.caption(ui.t("draw.neighbours.caption"))
    neighbours = ui.mnist_neighbours()
    indices, distances = neighbours.nearest(image, 5)
    (train_images, train_labels), _ = ui.mnist()
    columns = ui.wrapping_columns("draw_neighbours", 6, "120px")
    columns[0].image(charts.enlarged(image, 112), caption=ui.t("draw.neighbours.input"), width=112)
    for column, index, distance in zip(columns[1:], indices, distances, strict=True):
        caption = ui.t("draw.neighbours.item", label=train_labels[index], distance=distance)
        column.image(charts.enlarged(train_images[index] / 255, 112), caption=caption, width=112)


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


# Teach it your handwriting (guided mode, adaptation, check) -------------------------------------

LESSON_KEY = "draw_lesson"  # personalize.Lesson while the guided mode collects drawings
CHECK_KEY = "draw_check"  # personalize.Check: drawings made after adapting, read by both models


def teach_canvas(key: str, box: str = "draw_teach_canvas") -> np.ndarray | None:
    """A fresh canvas for one prompted drawing (a new key per prompt starts it empty); the
    drawing as the model's (28, 28) input, or None while it is blank. The lesson's prompts and
    the check after adapting each have their own box: both show at once when a user adapts
    before the last prompt."""
    with st.container(key=box):
        result = st_canvas(
            stroke_width=st.session_state.get("draw_stroke", DEFAULT_STROKE),
            stroke_color="#FFFFFF",
            background_color="#000000",
            height=CANVAS_SIZE,
            width=CANVAS_SIZE,
            drawing_mode="freedraw",
            return_image_data=True,
            key=key,
        )
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


st.title(ui.t("draw.title"))
st.caption(ui.t("draw.intro"))
ui.store_notices(draw_page=True)
# The model and input-mode options are worded in the page's language: re-send them after a switch.
ui.keep_choices_on_language_switch(["draw_model", "draw_mode"])
choice, runs = model_select()

st.html(
    "<style>"
    + streamlit_fixes.script_only_css(["draw_toolbar_fix", "draw_upload_fix"])
    + streamlit_fixes.uploader_limits_hidden_css("draw_upload")
    + "</style>"
)


@st.fragment
def drawing_and_answer(choice: str, runs: dict[str, drawing.RunModel]) -> None:
    """The canvas (or upload), everything computed from it, and the guided mode below it. A
    stroke reruns only this fragment: the title, the model select and the app's navigation are
    not rebuilt. The guided mode (a fragment of its own) reruns with it, since it offers the
    corrections saved here by their count and draws with this page's stroke width."""
    # The canvas is 280 px wide (420 on a projector): its column never gets narrower than that;
    # where the window has no room for both columns side by side, the prediction wraps below.
    canvas_width = PRESENTATION_CANVAS_SIZE if ui.presentation() else CANVAS_SIZE
    left, right = ui.wrapping_columns(
        "draw_layout", [3, 2], [f"{canvas_width + 20}px", "220px"], gap="medium"
    )
    with left:
        mode = st.radio(
            ui.t("draw.input.label"),
            ["draw", "upload"],
            format_func=lambda name: ui.t(f"draw.input.{name}"),
            key="draw_mode",
            horizontal=True,
            label_visibility="collapsed",
        )
        steps = canvas_input() if mode == "draw" else upload_input()

    with right:
        if steps is None:
            empty = "draw.empty" if mode == "draw" else "draw.upload.empty"
            st.metric(ui.t("draw.prediction"), "–")
            drawn = st.session_state.get("draw_canvas_rgba") if mode == "draw" else None
            problem = (
                None if drawn is None else preprocess.ink_problem(preprocess.canvas_ink(drawn))
            )
            if problem in ("fills", "blob"):  # something is drawn, but no digit shape
                st.warning(ui.t(f"draw.problem.{problem}"))
            st.info(ui.t(empty))
            if mode == "draw":
                st.caption(ui.t("draw.empty_hint"))
        else:
            network = load_model(choice, runs)
            probabilities = predict_proba(network, steps.final[None])[0]  # (10,)
            guess = show_prediction(probabilities)
            nearest = float(ui.mnist_neighbours().nearest(steps.final, 1)[1][0])
            unlike = drawing.unlike_digits(steps, nearest)
            if unlike is not None:  # the probabilities alone would not say so
                st.warning(ui.t(f"draw.unlike.{unlike}", distance=nearest))
            correction_form(steps.final, guess)

    if steps is not None:
        canvas = st.session_state.get("draw_canvas_rgba") if mode == "draw" else None
        show_steps(steps, canvas)
        show_neighbours(steps.final)
        ui_inside.section(network, steps.final, choice)
    else:
        # Load the model (TensorFlow import, ~5 s once per server) while the user starts drawing.
        load_model(choice, runs)

    teach_block(choice, runs)


drawing_and_answer(choice, runs)
