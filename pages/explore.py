"""The Explore page: MNIST as the chapter prints it, a browsable sample grid, one digit up close.

Split, label filter, grid page, shuffle seed and index are bound to the URL's query parameters
(`bind="query-params"`), so a link reproduces the view. This page must not import TensorFlow.
"""

import numpy as np
import streamlit as st

from mnist_demo import ui
from mnist_demo.charts import explore as charts
from mnist_demo.data import explore
from mnist_demo.i18n import literal
from mnist_demo.ui import lessons as ui_lessons
from mnist_demo.ui import streamlit_fixes
from mnist_demo.ui.explore_state import (
    FROM_LINK,
    GRID,
    INDEX,
    LABEL,
    NOTICE,
    PAGE,
    SEED,
    SHUFFLE,
    SPLIT,
    WRITE_BACK,
    correct_next_run,
    on_grid_select,
    on_index_change,
    on_split_change,
    reset_page,
    split_from_url,
    split_name,
    split_title,
    step_page,
)

PLOTLY_CONFIG = {"displayModeBar": False}
PHONE_WIDTH = 360  # about the pixels a phone gives the sample grid
dataset = ui.mnist()


@st.cache_data(show_spinner=False)
def _pixel_stats(split: str) -> dict[str, int | float]:
    """Min/max/mean over a whole split: one pass over 47 M pixels, done once per process."""
    images, _ = explore.split_arrays(ui.mnist(), split)
    return explore.pixel_stats(images)


def lesson_control(widget):
    """The widget, or nothing and its held value when a lesson link hides it."""
    return ui_lessons.control("explore", widget)


for _key, _value in st.session_state.pop(WRITE_BACK, {}).items():
    st.session_state[_key] = _value
# The index a link asks for, read before the number boxes (or the lines below) can drop it.
raw_index = st.query_params.get(INDEX)
ui.drop_link_values((PAGE, SEED, INDEX), explore.finite_number_text)  # "inf" would raise
# An index in the link is checked on the run that creates the index box from it; afterwards
# the address bar only echoes what the reader chose, and must not be blamed for it.
st.session_state[FROM_LINK] = INDEX not in st.session_state

st.title(ui.t("explore.title"))
# The label filter's pills wrap too: in a narrow window they would scroll sideways with 7-9 out
# of sight. The page's rows of columns wrap below each other likewise (ui.wrapping_columns).
st.html("<style>" + streamlit_fixes.wrapping_pills_css("label") + "</style>")
st.markdown(ui.t("explore.intro"))
ui_lessons.apply("explore")  # a lesson link's fixed and hidden controls

split_from_url()
split = lesson_control(st.segmented_control)(
    ui.t("explore.split.label"),
    options=explore.SPLITS,
    format_func=split_title,
    required=True,
    key=SPLIT,
    help=ui.t("explore.split.help"),
    on_change=on_split_change,
    persist_state="session",
)
split = split or "train"
if split == "train":
    st.query_params.pop(SPLIT, None)  # the default stays out of the link, like bound widgets
else:
    st.query_params[SPLIT] = split
images, labels = explore.split_arrays(dataset, split)  # (n, 28, 28) uint8, (n,) uint8
images_name = f"{split}_images"

# --- The data as Python prints it, and how the labels are spread -------------------------------
# The printout gets the larger share: its label-array line must fit whole in a 1280 px window.
left, right = ui.wrapping_columns("explore_top", [3, 2], ["22rem", "18rem"], gap="large")
with left:
    st.subheader(ui.t("explore.data.header"))
    # Preformatted HTML, not st.code: the code block's highlighter is a separate script the
    # browser fetches first, which delayed this, the page's key content, by 3-4 s under load.
    with st.container(border=True, key="explore_summary"):
        st.markdown(
            explore.transcript_html(explore.summary_transcript(images, labels, split)),
            unsafe_allow_html=True,
        )
    st.caption(ui.t("explore.data.caption", modern=repr(labels)))
with right:
    st.subheader(ui.t("explore.counts.header"))
    names = {name: split_title(name) for name in explore.SPLITS}
    axis_titles = (ui.t("explore.counts.axis_label"), ui.t("explore.counts.axis_share"))
    st.plotly_chart(
        ui.shared_figure(
            "explore_counts",
            (tuple(names.items()), axis_titles),
            lambda: charts.label_distribution_figure(
                {
                    name: explore.label_counts(explore.split_arrays(dataset, name)[1])
                    for name in explore.SPLITS
                },
                names,
                axis_titles,
            ),
        ),
        key="explore_counts",
        config=PLOTLY_CONFIG,
    )
    st.caption(ui.t("explore.counts.caption"))

# --- Sample grid (left) and one sample up close (right) -----------------------------------------
st.divider()


@st.fragment
def samples(
    split: str, images: np.ndarray, labels: np.ndarray, images_name: str, raw_index: str | None
) -> None:
    """The grid, the close-up, the preprocessing of the chosen digit and the lesson panel (its
    link carries the grid's settings). A page turn, a filter, a click on a tile or a new index
    reruns only this fragment; a new split reruns the page."""
    index_from_link = st.session_state.pop(FROM_LINK, False)
    ui_lessons.hold("explore", exclude=(SPLIT,))  # apply() did it on the page's full run
    last = len(images) - 1
    if (st.session_state.get(INDEX) or 0) > last:  # e.g. the split changed on a history step
        st.session_state[INDEX] = last

    grid_column, sample_column = ui.wrapping_columns(
        "explore_samples", [3, 2], ["24rem", "20rem"], gap="large"
    )
    with grid_column:
        st.subheader(ui.t("explore.grid.header"))
        label = lesson_control(st.pills)(
            ui.t("explore.grid.filter"),
            options=list(range(10)),
            key=LABEL,
            help=ui.t("explore.grid.filter_help"),
            on_change=reset_page,
            bind="query-params",
            persist_state="session",  # kept while the reader visits another page
        )
        shuffle_column, seed_column = st.columns([1, 1], vertical_alignment="bottom")
        with shuffle_column:
            shuffle = lesson_control(st.toggle)(
                ui.t("explore.grid.shuffle"),
                key=SHUFFLE,
                help=ui.t("explore.grid.shuffle_help"),
                on_change=reset_page,
                bind="query-params",
            )
        with seed_column:
            seed = lesson_control(st.number_input)(
                ui.t("explore.grid.seed"),
                min_value=0,
                max_value=2**32 - 1,
                step=1,
                key=SEED,
                disabled=not shuffle,
                on_change=reset_page,
                bind="query-params",
            )
        order = explore.filtered_indices(labels, label, int(seed) if shuffle else None)
        pages = explore.page_count(len(order))
        st.session_state[PAGE] = explore.clamp_page(st.session_state.get(PAGE), len(order))
        previous_column, page_column, next_column = st.columns(
            [1, 2, 1], vertical_alignment="bottom"
        )
        with previous_column:
            lesson_control(st.button)(
                ui.t("explore.grid.previous"),
                key="explore_previous",
                icon=":material/chevron_left:",
                on_click=step_page,
                args=(-1,),
                disabled=st.session_state[PAGE] <= 1,
                width="stretch",
            )
        with page_column:
            # No min or max, like the index box: clamp_page above corrects a typed page. value=1
            # keeps page 1, the default, out of the link (without a min the default would be 0).
            page = lesson_control(st.number_input)(
                ui.t("explore.grid.page"),
                value=1,
                step=1,
                key=PAGE,
                label_visibility="collapsed",
                bind="query-params",
            )
        with next_column:
            lesson_control(st.button)(
                ui.t("explore.grid.next"),
                key="explore_next",
                icon=":material/chevron_right:",
                icon_position="right",
                on_click=step_page,
                args=(1,),
                disabled=st.session_state[PAGE] >= pages,
                width="stretch",
            )
        if int(page) != explore.clamp_page(int(page), len(order)):  # a link's page beyond the last
            correct_next_run(PAGE, explore.clamp_page(int(page), len(order)))
        shown = explore.page_of(order, int(page))
        st.caption(
            ui.t(
                "explore.grid.status",
                page=int(page),
                pages=pages,
                count=f"{len(order):,}",
                order=ui.t("explore.grid.order_shuffled", seed=int(seed))
                if shuffle
                else ui.t("explore.grid.order_dataset"),
            )
        )

    with sample_column:
        st.subheader(ui.t("explore.index.header"))
        notices = st.container()
        index = int(
            lesson_control(st.number_input)(
                ui.t("explore.index.input", name=images_name),
                value=explore.DEFAULT_INDEX,
                step=1,
                key=INDEX,
                help=ui.t("explore.index.help", last=last),
                on_change=on_index_change,
                bind="query-params",
            )
        )
        problem = explore.index_problem(raw_index, len(images)) if index_from_link else None
        link_message = problem and ui.t(
            f"explore.index.url_{problem}",
            value=literal(raw_index),
            split=split_name(split),
            last=last,
            index=explore.DEFAULT_INDEX,
        )
        if not 0 <= index <= last:  # the link's index (or a history step's) is not in this split
            if link_message:
                st.session_state[NOTICE] = link_message
            correct_next_run(
                INDEX, explore.DEFAULT_INDEX if problem else explore.clamp_index(index, len(images))
            )
        for message in (link_message, st.session_state.pop(NOTICE, None)):
            if message:
                notices.warning(message, icon=":material/warning:")
        title = ui.t(
            "explore.index.digit_title", name=images_name, index=index, label=labels[index]
        )
        st.plotly_chart(
            ui.shared_figure(
                "explore_digit",
                (split, index, title),
                lambda: charts.digit_figure(images[index], title),
            ),
            key="explore_digit",
            config=PLOTLY_CONFIG,
        )
        sample = images[index]  # (28, 28) uint8
        label_metric, ink_metric, mean_metric = ui.wrapping_columns("explore_metrics", 3, "7.5rem")
        label_metric.metric(ui.t("explore.index.metric_label"), int(labels[index]))
        # The count alone, and "of 784" in the help: a longer value or label does not fit the
        # metric's column (tests/e2e/test_explore.py checks that no metric text is cut).
        ink_metric.metric(
            ui.t("explore.index.metric_ink"),
            int(np.count_nonzero(sample)),
            help=ui.t("explore.index.metric_ink_help"),
        )
        mean_metric.metric(ui.t("explore.index.metric_mean"), f"{sample.mean() / 255:.3f}")

    with grid_column:
        hover, narrow = ui.t("explore.grid.hover"), ui.narrow()
        st.plotly_chart(
            ui.shared_figure(
                "explore_grid",
                (split, label, int(seed) if shuffle else None, int(page), index, hover, narrow),
                lambda: charts.sample_grid_figure(
                    images[shown],
                    labels[shown],
                    shown,
                    explore.PHONE_GRID_COLUMNS if narrow else explore.GRID_COLUMNS,
                    hover,
                    selected=index,
                    display_width=PHONE_WIDTH if narrow else 560,
                ),
            ),
            key=GRID,
            on_select=on_grid_select,
            selection_mode="points",
            config=PLOTLY_CONFIG,
        )
        st.caption(ui.t("explore.grid.caption"))

    st.markdown(f"**{ui.t('explore.index.pixels_title', name=images_name, index=index)}**")
    st.plotly_chart(
        ui.shared_figure(
            "explore_pixels", (split, index), lambda: charts.pixel_values_figure(images[index])
        ),
        key="explore_pixels",
        config=PLOTLY_CONFIG,
    )
    st.caption(ui.t("explore.index.pixels_caption"))

    # --- Preprocessing: before and after ----------------------------------------------------------
    st.divider()
    st.subheader(ui.t("explore.prep.header"))
    st.markdown(ui.t("explore.prep.intro"))
    stats = _pixel_stats(split)
    transcripts = explore.preprocessing_transcripts(images, labels, split, index, stats)
    # Stacked, not side by side: the chapter's lines are too long for half the page.
    st.markdown(f"**{ui.t('explore.prep.before')}**")
    st.code(transcripts["before"], language="python")
    st.markdown(f"**{ui.t('explore.prep.after')}**")
    st.code(transcripts["after"], language="python")
    st.caption(ui.t("explore.prep.mean", split=split_name(split), mean=f"{stats['mean']:.4f}"))
    title = ui.t("explore.prep.vector_title", name=images_name, index=index)
    narrow = ui.narrow()
    st.plotly_chart(
        ui.shared_figure(
            "explore_vector",
            (split, index, title, narrow),
            lambda: charts.vector_figure(images[index], title, narrow=narrow),
        ),
        key="explore_vector",
        config=PLOTLY_CONFIG,
    )
    st.markdown(f"**{ui.t('explore.prep.labels')}**")
    st.code(transcripts["labels"], language="python")
    st.caption(ui.t("explore.prep.labels_caption"))

    ui_lessons.share_panel("explore")


samples(split, images, labels, images_name, raw_index)
ui_lessons.settle("explore")
