"""Explore page: its widget keys and the callbacks that keep split, index and grid page
consistent (Streamlit glue).

The bound keys double as the query parameter names of shared links. A new split restarts the
grid and keeps the index inside the split (and brings the asked-for index back on the way
back); a typed index outside the split shows the nearest sample; a click on a grid tile opens
that sample up close.
"""

import streamlit as st

from mnist_demo import ui
from mnist_demo.data import explore

# Widget keys; the bound ones double as the query parameter names in shared links.
SPLIT, LABEL, PAGE, SHUFFLE, SEED, INDEX = (
    "split",
    "label",
    "grid_page",
    "shuffle",
    "shuffle_seed",
    "index",
)
GRID = "explore_grid"
NOTICE = "_explore_notice"  # a message for the next run, set by a callback
# The index the reader asked for and the index shown for it: a split switch can only show up to
# the split's last index, and switching back should bring the asked-for one back.
REQUESTED = "_explore_requested_index"
# Values for bound widgets to take on the next run. A link's value is written into a widget when
# it is created, after the page can check it, so a corrected value must wait for a rerun.
WRITE_BACK = "_explore_write_back"
# Whether this full run created the index box from the link: kept in the session until the
# samples fragment reads it, so the fragment's own reruns never take the index for a link's.
FROM_LINK = "_explore_index_from_link"


def split_length(split: str) -> int:
    return len(explore.split_arrays(ui.mnist(), split)[1])


def on_split_change() -> None:
    """A new split restarts the grid at page 1 and keeps the index inside the new split.

    The index the reader asked for is kept: train_images[50000] shows test_images[9999], and
    switching back to the training set shows index 50000 again.
    """
    st.session_state[PAGE] = 1
    split = st.session_state.get(SPLIT) or "train"
    last = split_length(split) - 1
    current = st.session_state.get(INDEX, explore.DEFAULT_INDEX)
    requested, shown = st.session_state.get(REQUESTED, (current, current))
    if shown != current:  # the index changed some other way (a history step): that one counts
        requested = current
    index, why = explore.shown_index(requested, last + 1)
    st.session_state[INDEX] = index
    st.session_state[REQUESTED] = (requested, index)
    if why:
        st.session_state[NOTICE] = ui.t(
            f"explore.index.{why}", old=requested, split=split_name(split), last=last, index=index
        )


def on_index_change() -> None:
    """A typed index outside the split shows the nearest sample, and the box shows that index.

    The box has no min or max: the browser keeps an out-of-range number it was given in the box,
    marked red, and never sends it, so the box would go on showing it over any later index.
    """
    split = st.session_state.get(SPLIT) or "train"
    length = split_length(split)
    typed = int(st.session_state[INDEX])
    index, why = explore.shown_index(typed, length)
    st.session_state[REQUESTED] = (index, index)
    if why:
        st.session_state[INDEX] = index
        st.session_state[NOTICE] = ui.t(
            f"explore.index.{why}",
            old=typed,
            split=split_name(split),
            last=length - 1,
            index=index,
        )


def reset_page() -> None:
    st.session_state[PAGE] = 1


def step_page(step: int) -> None:
    st.session_state[PAGE] = (st.session_state.get(PAGE) or 1) + step


def on_grid_select() -> None:
    """A click on a grid tile opens that sample in the close-up view."""
    points = st.session_state[GRID].selection.get("points", [])
    index = explore.clicked_index(points)
    if index is not None:
        st.session_state[INDEX] = index
        st.session_state[REQUESTED] = (index, index)


def split_title(split: str) -> str:
    return ui.t(f"explore.split.{split}")


def split_name(split: str) -> str:
    """The split's name inside a sentence ("the training set")."""
    return ui.t(f"explore.split.{split}_name")


def split_from_url() -> str:
    """The split a shared link asks for (train when absent or unknown), on the first run only.

    The split is synced by hand rather than with `bind="query-params"`, which would put the
    translated option label ("Test set", "테스트 세트") in the URL instead of `test`.
    """
    if SPLIT not in st.session_state:
        requested = st.query_params.get(SPLIT)
        st.session_state[SPLIT] = requested if requested in explore.SPLITS else "train"
    return st.session_state[SPLIT]


def correct_next_run(key: str, value: int) -> None:
    """Rerun now, and give widget `key` this value before it is made on that run."""
    st.session_state[WRITE_BACK] = {**st.session_state.get(WRITE_BACK, {}), key: value}
    st.rerun()
