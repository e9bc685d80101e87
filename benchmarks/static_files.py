"""What a browser's first visit costs the server in static files: serving from memory
(mnist_demo/ui/static_files.py) against Streamlit's own serving from disk, and without the C HTTP
parser and event loop (httptools, uvloop) that uvicorn and Streamlit use when they are installed.

    python benchmarks/static_files.py [--browsers N] [--repeats R]

A first visit downloads Streamlit's frontend: about 120 files, 10 MB, whatever the page. In a
class every student's browser does it once, so its cost is part of the server's CPU per student
(benchmarks/classroom.py). This benchmark lists the files Chromium fetches for /explore, then,
for each server variant, fetches that list as N browsers would (4 at a time, like a class
arriving) and reads the server's CPU-seconds from /proc. Printed: files, megabytes, CPU-seconds
per browser for each variant (best of R), and the from-memory variant's ratio to each other
one, all measured in this one run.

Every variant is the same `streamlit run app.py`; "from memory" has serve_from_memory turned on
before the server starts (the app does not turn it on: see the module's docstring), "pure Python"
has httptools and uvloop hidden (uvicorn then parses HTTP with h11, and Streamlit runs asyncio's
own event loop).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from mnist_demo.tools.browser import (
    ROOT,
    free_port,
    launch_chromium,
    stop_server,
    streamlit_command,
    streamlit_run_arguments,
    wait_healthy,
)
from mnist_demo.tools.server_usage import cpu_seconds

PARALLEL_DOWNLOADS = 4  # a class arrives together; a browser also fetches several at once
C_MODULES = ("httptools", "uvloop")

# Runs `streamlit run ...` (the arguments after -c's program) with the frontend served from memory
# or the C modules hidden: an import of a module set to None in sys.modules raises
# ImportError, which uvicorn and Streamlit take as "not installed".
LAUNCHER = (
    "import sys\n"
    "hidden, from_memory = {hidden!r}, {from_memory!r}\n"
    "for name in hidden: sys.modules[name] = None\n"
    "if from_memory:\n"
    "    from mnist_demo.ui import static_files\n"
    "    static_files.serve_from_memory()\n"
    "from streamlit.web.cli import main\n"
    "sys.argv = ['streamlit', *sys.argv[1:]]\n"
    "sys.exit(main())\n"
)


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    from_memory: bool = False  # static_files.serve_from_memory(), not Streamlit's StaticFiles
    pure_python: bool = False  # httptools and uvloop hidden


@contextlib.contextmanager
def server(variant: Variant):
    """A fresh `streamlit run app.py` (its process and URL) set up as the variant says."""
    port = free_port()
    command = streamlit_command(port)
    if variant.from_memory or variant.pure_python:
        hidden = C_MODULES if variant.pure_python else ()
        launcher = LAUNCHER.format(hidden=hidden, from_memory=variant.from_memory)
        command = [sys.executable, "-c", launcher, "run", *streamlit_run_arguments(port)]
    home = tempfile.mkdtemp(prefix="static_files_")
    env = {**os.environ, "MNIST_DEMO_HOME": home}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield process, url
    finally:
        stop_server(process)


def static_paths(url: str) -> list[str]:
    """The paths of the static files Chromium fetches for a first visit to /explore."""
    from playwright.sync_api import sync_playwright

    paths: set[str] = set()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()

        def seen(request) -> None:
            if request.url.startswith(url + "/static/"):
                paths.add(request.url[len(url) :])

        page.on("request", seen)
        page.goto(url + "/explore")
        page.wait_for_selector("[data-testid=stMain]", timeout=120_000)
        page.wait_for_timeout(10_000)  # late chunks: components, fonts, plotly
        browser.close()
    return sorted(paths)


def fetch(url: str) -> int:
    with urllib.request.urlopen(url, timeout=60) as response:
        return len(response.read())


def cost_per_browser(process, url: str, paths: list[str], browsers: int) -> tuple[float, int]:
    """Server CPU-seconds per browser for N browsers' downloads of paths, and bytes per browser."""
    urls = [url + path for path in paths] * browsers
    before = cpu_seconds(process.pid)
    with concurrent.futures.ThreadPoolExecutor(PARALLEL_DOWNLOADS) as pool:
        total_bytes = sum(pool.map(fetch, urls))
    return (cpu_seconds(process.pid) - before) / browsers, total_bytes // browsers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browsers", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    installed = [name for name in C_MODULES if importlib.util.find_spec(name) is not None]
    print(f"installed: {', '.join(installed) or 'none'} of {', '.join(C_MODULES)}")
    variants = [
        Variant("from memory", from_memory=True),
        Variant("from disk (Streamlit's own)"),
    ]
    if installed:
        variants.append(Variant("from disk, pure Python", pure_python=True))
    results = {}
    paths: list[str] = []
    for variant in variants:
        name = variant.name
        with server(variant) as (process, url):
            paths = paths or static_paths(url)
            fetch(url + paths[0])  # the first request warms the server's routes
            costs = []
            for _ in range(args.repeats):
                cost, size = cost_per_browser(process, url, paths, args.browsers)
                costs.append(cost)
                time.sleep(1)
            results[name] = min(costs)
            print(
                f"{name:32s} {len(paths)} files, {size / 1e6:.1f} MB per browser: "
                f"{min(costs):.3f} server CPU-s per browser "
                f"(all: {', '.join(f'{cost:.3f}' for cost in costs)})",
                flush=True,
            )
    from_memory = results[variants[0].name]
    for variant in variants[1:]:
        print(f"ratio: {from_memory / results[variant.name]:.2f} (from memory over {variant.name})")


if __name__ == "__main__":
    main()
