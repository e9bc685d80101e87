"""Look up UI text by key in the English and Korean catalogues (mnist_demo/i18n/<lang>/*.toml)."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"
CATALOGUE_DIR = Path(__file__).parent


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """One language's catalogue, flattened: the file `explore.toml`, table [grid], key `title`
    becomes `explore.grid.title`. Each page keeps its text in a file of its own."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {sorted(LANGUAGES)}")
    flat: dict[str, str] = {}
    for path in sorted((CATALOGUE_DIR / lang).glob("*.toml")):
        with path.open("rb") as handle:
            _flatten(tomllib.load(handle), path.stem, flat)
    return flat


def _flatten(table: dict, prefix: str, out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(value, name, out)
        else:
            out[name] = str(value)


def translate(key: str, lang: str = DEFAULT_LANGUAGE, /, **values) -> str:
    """The text for key in lang, with {placeholders} filled from values.

    A key missing from the catalogue raises KeyError, so a page can never show a raw key;
    tests/test_i18n.py checks that both catalogues hold the same keys and placeholders.
    """
    text = catalogue(lang).get(key)
    if text is None:
        raise KeyError(f"i18n key {key!r} is missing from the {lang!r} catalogue")
    return text.format(**values) if values else text


# A value from a URL or a user is shown at most this long: a link can carry kilobytes.
LITERAL_MAX_CHARS = 80


def literal(value: object, max_chars: int = LITERAL_MAX_CHARS) -> str:
    """A value from a URL, a user or an error, as a Markdown code span that shows it verbatim.

    Streamlit renders alerts, captions and markdown as Markdown: a link's `[log in](https://…)`
    would become a clickable link inside the app's own warning, `![x](https://…)` a picture the
    browser fetches, a bare https://… an autolink. Nothing inside a code span is parsed: the span's
    fence is one backtick longer than any run of backticks in the value, line breaks (a blank line
    would end the span) become spaces, and a long value is cut short with "…".
    """
    text = " ".join(str(value).split())  # every run of whitespace, newlines included, is one space
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    longest, run = 0, 0
    for character in text:
        run = run + 1 if character == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    # A span that starts or ends with a backtick needs a space inside its fence (CommonMark).
    padding = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{padding}{text}{padding}{fence}"


# The training engine writes its log in English (the CLI prints it); the pages show these lines
# in their language. Each pattern matches a line of mnist_demo.training (stop_log_line, _fail);
# tests/test_i18n.py feeds it the engine's own lines, so a changed wording fails there.
_LOG_LINES = (
    (
        re.compile(
            r"Stopped on request in epoch (?P<epoch>\d+) of (?P<epochs>\d+), "
            r"after (?P<step>\d+) of its (?P<steps>\d+) batches"
        ),
        "log.stopped",
    ),
    (re.compile(r"Training failed: (?P<error>.*)", re.DOTALL), "log.failed"),
)


def log_lines(lines: list[str], lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """A run's log lines with the engine's own sentences in lang; Keras-style lines unchanged."""
    translated = []
    for line in lines:
        for pattern, key in _LOG_LINES:
            match = pattern.fullmatch(line)
            if match:
                line = translate(key, lang, **match.groupdict())
                break
        translated.append(line)
    return translated
