"""Look up UI text by key in the English and Korean catalogues (mnist_demo/i18n/<lang>/*.toml)."""

from __future__ import annotations

import functools
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
