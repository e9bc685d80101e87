"""Lesson links: a teacher fixes some settings of a page and hides some controls.

Like TensorFlow Playground's hidden properties, the lesson lives in the link itself: the
settings in their usual query parameters, plus `fixed=` and `hide=` naming controls (comma
separated). A fixed control shows the link's value and cannot be changed; a hidden control is
not shown at all (and is therefore fixed too). Unknown names are dropped, so an old or edited
link still opens the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mnist_demo.training.train_settings import URL_FIELDS

FIXED_PARAM = "fixed"
HIDDEN_PARAM = "hide"
# The controls a lesson can fix or hide, per page, in the order the page shows them. Train's are
# its settings (train_settings.URL_FIELDS) plus the corrections switch; Explore's are its URL keys.
CONTROLS: dict[str, tuple[str, ...]] = {
    "train": (*URL_FIELDS, "include_corrections"),
    "explore": ("split", "label", "seed", "page", "index"),
}


@dataclass(frozen=True)
class Lesson:
    """Which of a page's controls a link fixes and which it hides (hidden implies fixed)."""

    page: str
    fixed: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.page not in CONTROLS:
            raise ValueError(f"page must be one of {sorted(CONTROLS)}, got {self.page!r}")
        unknown = (self.fixed | self.hidden) - set(CONTROLS[self.page])
        if unknown:
            raise ValueError(
                f"the {self.page} page has no control named {', '.join(sorted(unknown))}; "
                f"choose from {', '.join(CONTROLS[self.page])}"
            )
        # A hidden control cannot be changed either: it is fixed at the link's value.
        object.__setattr__(self, "fixed", frozenset(self.fixed | self.hidden))

    @property
    def active(self) -> bool:
        """True if the link fixes or hides anything (the page then shows the lesson note)."""
        return bool(self.fixed)

    def is_fixed(self, control: str) -> bool:
        return control in self.fixed

    def is_hidden(self, control: str) -> bool:
        return control in self.hidden

    def visible_fixed(self) -> list[str]:
        """Fixed controls still shown (disabled), in page order: the note lists these by name."""
        return [name for name in CONTROLS[self.page] if name in self.fixed - self.hidden]

    def to_query(self) -> dict[str, str]:
        """The lesson's own query parameters (the settings themselves travel in theirs)."""
        query = {}
        fixed_only = [name for name in CONTROLS[self.page] if name in self.fixed - self.hidden]
        hidden = [name for name in CONTROLS[self.page] if name in self.hidden]
        if fixed_only:
            query[FIXED_PARAM] = ",".join(fixed_only)
        if hidden:
            query[HIDDEN_PARAM] = ",".join(hidden)
        return query


def _names(raw: str | None, page: str) -> frozenset[str]:
    if not raw:
        return frozenset()
    known = set(CONTROLS[page])
    return frozenset(name.strip() for name in str(raw).split(",") if name.strip() in known)


def from_query(page: str, params: Mapping[str, str]) -> Lesson:
    """The lesson a link describes; names the page does not have are ignored."""
    return Lesson(
        page=page,
        fixed=_names(params.get(FIXED_PARAM), page),
        hidden=_names(params.get(HIDDEN_PARAM), page),
    )


def lesson_query(
    page: str, settings_query: Mapping[str, str], fixed: Iterable[str], hidden: Iterable[str]
) -> dict[str, str]:
    """The whole query of a lesson link: the page's current settings and the lesson's names."""
    lesson = Lesson(page=page, fixed=frozenset(fixed), hidden=frozenset(hidden))
    return {**dict(settings_query), **lesson.to_query()}
