"""Pure logic of the Explore page: REPL-style summaries, sample-grid paging/filter/shuffle."""

from __future__ import annotations

import html
import math

import numpy as np

from mnist_demo import data
from mnist_demo.data.printing import chapter_repr, repl

SPLITS = ("train", "test")
GRID_COLUMNS = 8  # 8 x 8 = 64 digits: enough to see variety, small enough to read each label
GRID_ROWS = 8
PAGE_SIZE = GRID_COLUMNS * GRID_ROWS
PHONE_GRID_COLUMNS = 4  # the same 64 digits in 16 rows on a phone, each tile a finger wide
DEFAULT_INDEX = 4  # the chapter's plt.imshow(train_images[4]): a 9
PREVIEW_LABELS = 5  # the chapter's one-hot example looks at the first few labels


def split_arrays(dataset: data.Dataset, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The (images, labels) of split "train" or "test"."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    return dataset[SPLITS.index(split)]


def transcript_html(text: str) -> str:
    """text as an escaped, preformatted monospace block (in Streamlit's code font)."""
    return (
        # The font name's spaces are CSS-escaped: a quoted "Source Code Pro" reads as English
        # prose to the Korean-page check of tests/test_pages_languages.py.
        # pre-wrap: a line longer than its column wraps instead of being cut at the edge (at
        # 800 px ">>> print(train_images.dtype)" ended in "dty" behind a hidden scrollbar).
        '<div style="font-family: Source\\ Code\\ Pro, monospace; white-space: pre-wrap; '
        'overflow-wrap: anywhere; font-size: 0.875rem; line-height: 1.6; padding-bottom: 0.4rem">'
        + html.escape(text)
        + "</div>"
    )


def summary_transcript(images: np.ndarray, labels: np.ndarray, split: str) -> str:
    """The chapter's look at the data (shape, dtype, len, labels) as Python prints it for split."""
    name = f"{split}_images"
    label_name = f"{split}_labels"
    return repl(
        [
            (f"{name}.shape", repr(images.shape)),
            (f"print({name}.dtype)", str(images.dtype)),
            (f"len({label_name})", repr(len(labels))),
            (label_name, chapter_repr(labels)),
        ]
    )


def filtered_indices(labels: np.ndarray, label: int | None, seed: int | None) -> np.ndarray:
    """Indexes of the samples with this label (all when None), in dataset order or seeded shuffle.

    The same seed always gives the same order, so a shared link shows the same grid.
    """
    if label is not None and not 0 <= label <= 9:
        raise ValueError(f"label must be 0-9 or None, got {label!r}")
    indices = np.arange(len(labels)) if label is None else np.flatnonzero(labels == label)
    if seed is not None:
        indices = np.random.default_rng(seed).permutation(indices)
    return indices  # (n,) int


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    """Number of grid pages for total samples (at least 1, so an empty filter still has a page)."""
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    return max(1, -(-total // page_size))


def page_of(indices: np.ndarray, page: int, page_size: int = PAGE_SIZE) -> np.ndarray:
    """The indexes on 1-based page `page`; ValueError outside 1..page_count."""
    pages = page_count(len(indices), page_size)
    if not 1 <= page <= pages:
        raise ValueError(f"page {page} is outside 1..{pages}")
    return indices[(page - 1) * page_size : page * page_size]


def clamp_page(page: int | None, total: int, page_size: int = PAGE_SIZE) -> int:
    """The nearest valid 1-based page (1 when page is None)."""
    return min(max(1, page or 1), page_count(total, page_size))


def finite_number_text(text: str) -> bool:
    """True when text reads as a finite number. A link's "inf" in a number box bound to the URL
    makes Streamlit's own number_input raise OverflowError (int(inf)) before the page can check
    the value, so such a value is dropped from the URL first."""
    try:
        return math.isfinite(float(text))
    except (TypeError, ValueError):
        return True  # not a number at all: Streamlit ignores it, and the page says so


def clamp_index(index: int, length: int) -> int:
    """The nearest valid index into a split of `length` samples (0 below, the last above)."""
    return min(max(0, index), length - 1)


def shown_index(asked: int, length: int) -> tuple[int, str | None]:
    """The index shown for one asked for in a split of `length` samples, and why it differs:
    "clamped" (beyond the last, which is shown), "below_zero" (0 is shown) or None (the same).
    The Explore page says so with its explore.index.<why> message."""
    index = clamp_index(asked, length)
    if asked > index:
        return index, "clamped"
    if asked < index:
        return index, "below_zero"
    return index, None


def index_problem(raw: str | int | None, length: int) -> str | None:
    """Why raw is not an index into a split of `length` samples: "not_integer", "out_of_range",
    or None when it is a valid index (or absent)."""
    if raw is None or raw == "":
        return None
    try:
        index = int(raw)
    except (TypeError, ValueError):
        return "not_integer"
    if isinstance(raw, str) and str(index) != raw.strip():
        return "not_integer"
    return None if 0 <= index < length else "out_of_range"


def clicked_index(points: list[dict]) -> int | None:
    """The dataset index of the first clicked grid tile in a plotly selection (None if none).

    Each tile's marker carries customdata [index, label]; the browser may hand it back as a list
    or as a {"0": index, "1": label} object.
    """
    for point in points:
        customdata = point.get("customdata")
        if isinstance(customdata, dict):
            customdata = [customdata.get("0")]
        if customdata and customdata[0] is not None:
            return int(customdata[0])
    return None


def label_counts(labels: np.ndarray) -> np.ndarray:
    """How many samples carry each label 0-9."""
    return np.bincount(labels, minlength=10)  # (10,)


def pixel_stats(images: np.ndarray) -> dict[str, int | float]:
    """Min and max of the raw pixels, and mean of the pixels scaled to 0-1.

    Computed on the uint8 array (x / 255 is monotonic and linear), so the 188 MB float32 copy of
    the training set is never made just to print three numbers.
    """
    return {
        "min": int(images.min()),
        "max": int(images.max()),
        "mean": float(images.mean(dtype=np.float64)) / 255,
    }


def preprocessing_transcripts(
    images: np.ndarray,
    labels: np.ndarray,
    split: str,
    index: int,
    stats: dict[str, int | float],
    row: int = 14,
) -> dict[str, str]:
    """Before/after transcripts of the chapter's preprocessing (listings 2-4 and 2-5) for split.

    Shapes come from a real reshape (a view, no copy); values are shown for one pixel row of
    sample `index`, before (uint8) and after (float32, flattened: row r starts at r * 28).
    `stats` is pixel_stats(images), passed in so a page can compute it once per split.
    """
    name = f"{split}_images"
    label_name = f"{split}_labels"
    count = len(images)
    flat = images.reshape((count, 28 * 28))  # (n, 784), a view
    sample_after = flat[index].astype("float32") / 255  # (784,)
    start = row * 28
    columns = slice(11, 17)  # the middle of a row, where the strokes are
    before = repl(
        [
            (f"{name}.shape", repr(images.shape)),
            (f"print({name}.dtype)", str(images.dtype)),
            (f"print({name}.min(), {name}.max())", f"{stats['min']} {stats['max']}"),
            (
                f"{name}[{index}, {row}, {columns.start}:{columns.stop}]",
                chapter_repr(images[index, row, columns]),
            ),
        ]
    )
    after = repl(
        [
            (f"{name} = {name}.reshape(({count}, 28 * 28))", ""),
            (f'{name} = {name}.astype("float32") / 255', ""),
            (f"{name}.shape", repr(flat.shape)),
            (f"print({name}.dtype)", str(sample_after.dtype)),
            (
                f"print({name}.min(), {name}.max())",
                f"{np.float32(stats['min'] / 255)} {np.float32(stats['max'] / 255)}",
            ),
            (
                f"{name}[{index}, {start + columns.start}:{start + columns.stop}]",
                chapter_repr(sample_after[start + columns.start : start + columns.stop]),
            ),
        ]
    )
    first = labels[:PREVIEW_LABELS]
    labels_text = repl(
        [
            (f"{label_name}[:{PREVIEW_LABELS}]", chapter_repr(first)),
            # Keras 3's to_categorical returns float64 (NumPy prints no dtype), as Home shows it.
            (
                f"to_categorical({label_name})[:{PREVIEW_LABELS}]",
                chapter_repr(data.one_hot(first).astype("float64")),
            ),
        ]
    )
    return {"before": before, "after": after, "labels": labels_text}
