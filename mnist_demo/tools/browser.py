"""A real `streamlit run app.py` on a free port and Debian's Chromium, as the browser tests
(tests/e2e), benchmarks/cold_start.py and tools/screenshots.py start them."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

# The repository: app.py and pages/ sit beside the package.
ROOT = Path(__file__).resolve().parents[2]

# Debian's Chromium, as Playwright's own browser download needs the internet;
# MNIST_DEMO_CHROMIUM points at another build.
CHROMIUM = os.environ.get("MNIST_DEMO_CHROMIUM", "/usr/bin/chromium")
# --no-sandbox: the tests run as root in a container; the rest keeps Chromium off the network
# and off a GPU the machine does not have.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_missing() -> str | None:
    """Why the browser cannot start here (a sentence for a skip message), or None."""
    if os.access(CHROMIUM, os.X_OK):
        return None
    return (
        f"no Chromium at {CHROMIUM}: `apt-get install -y chromium fonts-nanum` "
        "(bash .ci/run does it), or set MNIST_DEMO_CHROMIUM"
    )


def launch_chromium(playwright):
    """Chromium from a started `sync_playwright()`, with the arguments above."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def streamlit_run_arguments(port: int) -> list[str]:
    """The arguments of `streamlit run` for app.py headless on 127.0.0.1:port: what a wrapper
    that patches Streamlit before starting it (ui/busy_server.py, the benchmarks' profiled or
    pure-Python servers) passes on."""
    return [
        "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip


def streamlit_command(port: int) -> list[str]:
    """`streamlit run app.py` headless on 127.0.0.1:port."""
    return [sys.executable, "-m", "streamlit", "run", *streamlit_run_arguments(port)]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Return once the server at url answers its health check; raise if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not become healthy at {url} in {timeout} s")


@contextlib.contextmanager
def streamlit_server(
    home: Path | str, log: Path | None = None, late_messages_seconds: float | None = None
) -> Iterator[str]:
    """A fresh server with MNIST_DEMO_HOME=home; yields its URL once it is healthy and stops it
    afterwards. Its output goes to log (or nowhere). With late_messages_seconds, it sends each
    session's messages in batches that many seconds apart, as a busy server does
    (ui/busy_server.py)."""
    port = free_port()
    env = {**os.environ, "MNIST_DEMO_HOME": str(home)}
    command = streamlit_command(port)
    if late_messages_seconds is not None:
        command = [sys.executable, "-m", "mnist_demo.ui.busy_server", str(late_messages_seconds)]
        command += streamlit_run_arguments(port)
    with contextlib.ExitStack() as stack:
        output = stack.enter_context(log.open("w")) if log else subprocess.DEVNULL
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, process)
            yield url
        finally:
            stop_server(process)


def stop_server(process: subprocess.Popen) -> None:
    """Ask a server to stop, and kill it if it has not within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
