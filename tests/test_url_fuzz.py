"""Fuzz sweep of every page's URL parameters (AppTest): no value a link can carry raises, and none
makes the page render a link, picture or HTML the app did not put there (issue 14, item 2).

Each page run sets every parameter of the page at once, each to a different value of VALUES, so
a few dozen runs try several hundred (parameter, value) pairs; a time budget bounds each page.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo.training import train_settings
from tests.markup import active_markup

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # the Train page's first run imports TensorFlow on a busy machine
BUDGET_SECONDS = 6  # per page, after its first (cold) run: the sweep stays under a minute
MARKER = "evil.example"

VALUES = [
    "[Session expired - click here to log in](https://evil.example/login)",
    "![x](http://evil.example/pixel.png)",
    "https://evil.example/login",
    "www.evil.example",
    "<img src=http://evil.example/x.png>",
    "<script>alert(1)</script>",
    "`` [a](https://evil.example) ``",
    "line\n\n[a](https://evil.example)",
    "**bold** _x_ :red[red] :material/warning:",
    "$\\frac{1}{0}$",
    "-1",
    "0",
    "1",
    "2",
    "5",
    "9",
    "10",
    "31",
    "127",
    "128",
    "59999",
    "60000",
    "9999999999999999999999",
    "-9999999999999999999999",
    "1e308",
    "1e-320",
    "nan",
    "inf",
    "-inf",
    "0.5",
    "3.7",
    "0x10",
    "1_000",
    " 7 ",
    "",
    "None",
    "default",
    "true",
    "false",
    "test",
    "train",
    "ko",
    "en",
    "dense",
    "cnn",
    "adam",
    "sgd",
    "rmsprop",
    "[]",
    "{}",
    "٣",  # an Arabic-Indic three: int() accepts it
    "七",
    "한국어",
    "\u202ermnist",
    "\x00",
    "%00",
    "../../etc/passwd",
    "'; DROP TABLE runs; --",
    "x" * 5000,
]

EXPLORE_PARAMETERS = ["split", "label", "grid_page", "shuffle", "shuffle_seed", "index"]
PAGES = {
    "explore": ("pages/explore.py", EXPLORE_PARAMETERS),
    "train": ("pages/train.py", ["run", *train_settings.URL_FIELDS]),
    "draw": ("pages/draw.py", ["model", "mode"]),
    "home": ("app.py", ["walkthrough_run", "lang"]),
}
# Minimum runs per page even on a slow machine: enough for every value to reach every parameter
# of the smaller pages at least once.
MIN_RUNS = {"explore": 10, "train": 10, "draw": 4, "home": 8}

TEXT_FIELDS = {"body", "label", "help", "caption", "text", "placeholder"}
CODE_PROTOS = {"Code", "Html"}  # shown verbatim (code) or the app's own style rules (html)


def elements(node):
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from elements(child)
    else:
        yield node


def problems(at: AppTest) -> list[str]:
    """Exceptions, and every link, picture or HTML in the page's Markdown that the app's own
    text does not hold (the app's catalogues hold none)."""
    found = [f"exception: {exception.value[:300]}" for exception in at.exception]
    for node in elements(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        kind = type(proto).__name__
        if kind in CODE_PROTOS or kind == "PlotlyChart":
            continue
        allow_html = bool(getattr(proto, "allow_html", False))
        for field, value in proto.ListFields():
            if field.name not in TEXT_FIELDS or not isinstance(value, str):
                continue
            for item in active_markup(value):
                if allow_html and item.startswith("html:") and MARKER not in item:
                    continue  # the app's own preformatted transcripts
                found.append(f"{kind}.{field.name}: {item}")
    return found


def run_page(page: str, query: dict[str, str]) -> AppTest:
    path, _ = PAGES[page]
    at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    return at


@pytest.mark.parametrize("page", list(PAGES))
def test_no_url_value_raises_or_becomes_markup(page):
    _, parameters = PAGES[page]
    tried: set[tuple[str, str]] = set()
    failures: list[str] = []
    deadline = None
    run = 0
    while run < len(VALUES):
        if deadline is not None and time.monotonic() > deadline and run >= MIN_RUNS[page]:
            break
        # Parameter k takes value run + 7k: every run mixes kinds, and over the runs each
        # parameter sees each value.
        query = {name: VALUES[(run + 7 * k) % len(VALUES)] for k, name in enumerate(parameters)}
        at = run_page(page, query)
        tried.update(query.items())
        failures += [f"{query} -> {problem}" for problem in problems(at)]
        if deadline is None:
            deadline = time.monotonic() + BUDGET_SECONDS
        run += 1
    print(f"{page}: {run} runs, {len(tried)} (parameter, value) pairs")
    assert not failures, "\n".join(failures[:40])
    assert len(tried) >= MIN_RUNS[page] * len(parameters)


def test_the_sweep_sees_a_raw_link_in_an_alert():
    """The check is not blind: a page that echoes a URL value as Markdown is caught."""
    script = (
        "import streamlit as st\n"
        "st.warning(f\"No run {st.query_params.get('run')}\")\n"
        "st.caption('![x](http://evil.example/p.png)')\n"
    )
    at = AppTest.from_string(script)
    at.query_params["run"] = VALUES[0]
    at.run()
    assert [re.sub(r":.*", "", item) for item in problems(at)] == [
        "Alert.body",
        "Markdown.body",
    ]
