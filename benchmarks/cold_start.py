"""Cold start of the Explore page: first request to first paint in Chromium, and MNIST load time.

    python benchmarks/cold_start.py [--runs N]

Each run starts a fresh `streamlit run app.py` server (new process: nothing cached), opens
/explore in Chromium (both started as the browser tests start them: mnist_demo/tools/browser.py)
and reads, from the page's own clock (performance.now(), 0 = navigation start = the first
request), when:
- the label array `array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)` is first painted;
- all five plotly charts of the page are drawn.
It then reloads the page in a fresh browser context on the same server (warm: dataset cached).
The data load time is `load_mnist()` timed in this process (first call, then the median of 5).
Server start-up (until /_stcore/health answers) is printed apart: it is not part of a page load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

from mnist_demo import data
from mnist_demo.tools.browser import launch_chromium, streamlit_server

LABEL_ARRAY = "array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)"

# Runs in the page before Streamlit's own scripts: notes when the label array is in the DOM,
# then the next animation frame (= painted), and when five plotly charts have been drawn.
OBSERVER = """
(() => {
  window.__explore = {};
  const check = () => {
    const marks = window.__explore;
    if (marks.title === undefined && document.querySelector('[data-testid="stMain"] h1')) {
      marks.title = performance.now();  // the page's first element from the server is in
    }
    if (marks.labels === undefined) {
      for (const code of document.querySelectorAll('.st-key-explore_summary')) {
        if (code.textContent.includes(__LABELS__)) {
          marks.labelsInDom = performance.now();
          requestAnimationFrame(() => { marks.labels = performance.now(); });
          marks.labels = null;
          break;
        }
      }
    }
    if (marks.charts === undefined &&
        document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5) {
      requestAnimationFrame(() => { marks.charts = performance.now(); });
      marks.charts = null;
    }
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true,
                                                 characterData: true});
})();
""".replace("__LABELS__", json.dumps(LABEL_ARRAY))


def time_data_load() -> tuple[float, float]:
    """Seconds for load_mnist(): the first call in this process, then the median of 5 more."""
    start = time.perf_counter()
    data.load_mnist()
    first = time.perf_counter() - start
    repeats = []
    for _ in range(5):
        start = time.perf_counter()
        data.load_mnist()
        repeats.append(time.perf_counter() - start)
    return first, statistics.median(repeats)


def page_load(browser, url: str) -> dict[str, float]:
    """Open url in a fresh context; return the page-clock marks in milliseconds."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.add_init_script(OBSERVER)
    page.goto(url)
    page.wait_for_function(
        "window.__explore && window.__explore.labels && window.__explore.charts",
        timeout=120_000,
        polling=50,
    )
    marks = page.evaluate("window.__explore")
    context.close()
    return marks


def one_run(browser) -> dict[str, float]:
    """A fresh server, a cold page load, then a warm one."""
    with tempfile.TemporaryDirectory() as home:
        start = time.perf_counter()
        with streamlit_server(home) as url:
            healthy = time.perf_counter() - start
            cold = page_load(browser, f"{url}/explore")
            warm = page_load(browser, f"{url}/explore")
    return {
        "server_start_s": healthy,
        "cold_title_ms": cold["title"],
        "cold_labels_dom_ms": cold["labelsInDom"],
        "cold_labels_ms": cold["labels"],
        "cold_charts_ms": cold["charts"],
        "warm_title_ms": warm["title"],
        "warm_labels_ms": warm["labels"],
        "warm_charts_ms": warm["charts"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh servers to start (default 3)")
    args = parser.parse_args()

    first, repeat = time_data_load()
    print(f"load_mnist(): first call {first:.3f} s, then median {repeat:.3f} s (in-process)")

    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for run in range(1, args.runs + 1):
                result = one_run(browser)
                results.append(result)
                print(
                    f"run {run}: server up {result['server_start_s']:.2f} s | cold /explore: "
                    f"title in DOM {result['cold_title_ms']:.0f} ms, label array in DOM "
                    f"{result['cold_labels_dom_ms']:.0f} ms, painted "
                    f"{result['cold_labels_ms']:.0f} ms, all 5 charts "
                    f"{result['cold_charts_ms']:.0f} ms | warm: title "
                    f"{result['warm_title_ms']:.0f} ms, label array painted "
                    f"{result['warm_labels_ms']:.0f} ms, charts {result['warm_charts_ms']:.0f} ms"
                )
        finally:
            browser.close()

    def median(name: str) -> float:
        return statistics.median(r[name] for r in results)

    print(
        f"median of {len(results)}: cold first request -> label array painted "
        f"{median('cold_labels_ms'):.0f} ms, -> all charts {median('cold_charts_ms'):.0f} ms; "
        f"warm {median('warm_labels_ms'):.0f} ms / {median('warm_charts_ms'):.0f} ms; "
        f"data load {first * 1000:.0f} ms = {first * 1000 / median('cold_labels_ms'):.0%} "
        f"of the cold first paint"
    )


if __name__ == "__main__":
    main()
