"""A class at once: N real browser sessions on one server, and what they cost the server's CPU.

    PYTHONPATH=. python benchmarks/classroom.py [--students N] [--train-every K]
                                                [--arrival SECONDS] [--profile DIR]
                                                [--failures DIR]

Starts its own `streamlit run app.py` (the browser tests' command, from
mnist_demo/tools/browser.py, with a fresh MNIST_DEMO_HOME) and warms it with one visitor
(Explore, Draw, one digit): the one-off costs of a new server process (MNIST load, TensorFlow
import, the default model) are printed apart. Then N students arrive
0.5 s apart, each in its own Chromium context (own cookies, own Streamlit session): open
/explore and wait for the data printout and the grid, go to Draw through the sidebar, draw one
pendigits digit with the mouse and wait for the Prediction metric. With --train-every K every
K-th student then opens a /train?epochs=1 link and trains one epoch of the chapter's network.

Prints p50/p95/max per step, the failures, the server's peak RSS (VmHWM of the server and its
children) and its CPU seconds (user + system, from /proc, the server and all its children, live
or reaped) spent while the students were served, per student. The browsers share the machine's
cores with the server, so latencies depend on N and on other load; CPU-seconds much less so.

With --failures DIR a failed student's screenshot, browser console and WebSocket messages (the
server's decoded: type, delta path, fragment) go to DIR/student_NN.{png,txt}.

With --profile DIR every script run of the server is profiled with pyinstrument: one text report
per run in DIR (named by run number, full run or fragment, page) and DIR/index.tsv with each
run's thread CPU and wall seconds.

The digits are pendigits trajectories of writers 1-30 (the train split), one per student.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classroom_failures import keep_failure, watch  # noqa: E402  (beside this script)

from mnist_demo.data import pendigits  # noqa: E402
from mnist_demo.tools.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    stop_server,
    streamlit_command,
    streamlit_run_arguments,
    wait_healthy,
)
from mnist_demo.tools.server_usage import cpu_seconds, peak_rss_mb, wait_quiet  # noqa: E402

ARRIVAL_SECONDS = 0.5  # a class opening a link the teacher just shared
STEP_TIMEOUT_MS = 300_000  # generous: 30 students on 2 shared cores queue behind each other
TRAIN_LINK = "train?epochs=1"  # the chapter's network and settings, one epoch
LABEL_ARRAY = "array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)"
STEPS = ("explore", "open_draw", "predict", "train")


# One student -------------------------------------------------------------------------------------


@dataclass
class Student:
    number: int
    strokes: list
    label: int
    train: bool
    seconds: dict[str, float] = field(default_factory=dict)
    failure: str | None = None
    predicted: str | None = None
    # (seconds since the visit began, "sent", "received" or "closed", payload) of every
    # WebSocket frame: a failed student's report decodes the server's messages
    frames: list = field(default_factory=list)
    console: list = field(default_factory=list)


async def wait_idle(page) -> None:
    """Streamlit has finished running the script (no 'Running...' status widget)."""
    await page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=STEP_TIMEOUT_MS,
    )


async def no_exception(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    if await boxes.count():
        raise RuntimeError("exception on the page: " + (await boxes.first.inner_text())[:300])


async def draw(page, canvas, strokes) -> None:
    """The pen strokes replayed with the mouse inside the 280x280 canvas (as tests/e2e do)."""
    box = await canvas.bounding_box()
    fitted = pendigits.fit_into_box(
        strokes, box["x"] + 50, box["y"] + 40, box["width"] - 100, box["height"] - 80
    )
    for stroke in fitted:
        await page.mouse.move(*stroke[0])
        await page.mouse.down()
        for x, y in stroke[1:]:
            await page.mouse.move(float(x), float(y), steps=2)
        await page.mouse.up()


async def visit(browser, url: str, student: Student, failures: Path | None = None) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.set_default_navigation_timeout(STEP_TIMEOUT_MS)
    page = await context.new_page()
    watch(page, student)
    step = "explore"
    try:
        started = time.perf_counter()
        await page.goto(f"{url}/explore")
        summary = page.locator(".st-key-explore_summary")
        await summary.get_by_text(LABEL_ARRAY, exact=False).wait_for(timeout=STEP_TIMEOUT_MS)
        # The grid's figure has arrived; Chromium paints it in its own time (plotly.js is
        # compiled anew in every browser context: 20-40 s each on this loaded machine).
        await page.locator(".st-key-explore_grid").first.wait_for(state="attached")
        await wait_idle(page)
        await no_exception(page)
        student.seconds[step] = time.perf_counter() - started

        step = "open_draw"
        started = time.perf_counter()
        await page.get_by_test_id("stSidebarNav").get_by_text("Draw", exact=True).click()
        canvas = page.locator("canvas.upper-canvas").first
        await canvas.wait_for(timeout=STEP_TIMEOUT_MS)
        await page.get_by_text("Draw a digit", exact=True).wait_for(timeout=STEP_TIMEOUT_MS)
        await wait_idle(page)
        await no_exception(page)
        student.seconds[step] = time.perf_counter() - started

        step = "predict"
        await draw(page, canvas, student.strokes)
        started = time.perf_counter()  # from the pen's last lift to the answer
        value = (
            page.get_by_test_id("stMetric")
            .filter(has_text="Prediction")
            .get_by_test_id("stMetricValue")
        )
        await page.wait_for_function(
            "(element) => element && element.textContent.trim() !== '–'",
            arg=await value.element_handle(timeout=STEP_TIMEOUT_MS),
            timeout=STEP_TIMEOUT_MS,
        )
        await wait_idle(page)
        await no_exception(page)
        student.predicted = (await value.inner_text()).strip()
        student.seconds[step] = time.perf_counter() - started

        if student.train:
            step = "train"
            await page.goto(f"{url}/{TRAIN_LINK}")
            start_button = page.locator(".st-key-train_start button")
            await start_button.wait_for(timeout=STEP_TIMEOUT_MS)
            await page.wait_for_function(
                "() => { const b = document.querySelector('.st-key-train_start button');"
                " return b && !b.disabled; }",
                timeout=STEP_TIMEOUT_MS,
            )
            started = time.perf_counter()  # from the click to the test accuracy
            await start_button.click()
            accuracy = page.get_by_test_id("stMetric").filter(has_text="Test accuracy")
            await accuracy.wait_for(timeout=4 * STEP_TIMEOUT_MS)
            await no_exception(page)
            student.seconds[step] = time.perf_counter() - started
    except Exception as error:  # noqa: BLE001 - a failed student is counted, the class goes on
        student.failure = f"{step}: {type(error).__name__}: {str(error).splitlines()[0][:200]}"
        if failures is not None:
            await keep_failure(page, student, failures)
    finally:
        await context.close()


# The class ---------------------------------------------------------------------------------------


def pick_digits(count: int) -> list[tuple[list, int]]:
    """`count` digits from writers 1-30, labels cycling 0-9 (the same ones on every run)."""
    data = pendigits.load()
    train = data.indices("train")
    by_label = {label: train[data.labels[train] == label] for label in range(10)}
    return [
        (data.strokes(int(by_label[number % 10][number // 10])), number % 10)
        for number in range(count)
    ]


async def run_class(
    url: str, students: list[Student], arrival: float, failures: Path | None = None
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tasks = []
            for student in students:
                tasks.append(asyncio.create_task(visit(browser, url, student, failures)))
                await asyncio.sleep(arrival)
            await asyncio.gather(*tasks)
        finally:
            await browser.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report_steps(students: list[Student]) -> None:
    print(f"{'step':<10} {'n':>3} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    for step in STEPS:
        values = [s.seconds[step] for s in students if step in s.seconds]
        if values:
            print(
                f"{step:<10} {len(values):>3} {statistics.median(values):>7.2f} "
                f"{percentile(values, 0.95):>7.2f} {max(values):>7.2f}"
            )


def server_command(port: int, profile: Path | None) -> list[str]:
    if profile is None:
        return streamlit_command(port)
    arguments = streamlit_run_arguments(port)
    return [sys.executable, __file__, "--profiled-server", str(profile), *arguments]


def profiled_server(directory: str, streamlit_args: list[str]) -> None:
    """`streamlit run` with each script run (full or fragment) profiled by pyinstrument."""
    import threading

    from pyinstrument import Profiler
    from pyinstrument.stack_sampler import get_stack_sampler
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    from streamlit.web import cli

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    original = script_runner.ScriptRunner._run_script
    counter = iter(range(1, 1_000_000))
    lock = threading.Lock()

    def page_name() -> str:
        try:
            manager = get_script_run_ctx().pages_manager
            page = manager.get_pages()[manager.current_page_script_hash]
            return Path(page.get("script_path") or page["page_name"]).stem
        except Exception:  # noqa: BLE001 - a name for a file only
            return "unknown"

    def run_script(self, rerun_data):
        with lock:
            number = next(counter)
        # Samples in this thread's CPU time: on a shared machine wall time counts other loads.
        get_stack_sampler().timer_func = time.thread_time
        profiler = Profiler(interval=0.001)
        cpu, wall = time.thread_time(), time.perf_counter()
        profiler.start()
        try:
            return original(self, rerun_data)
        finally:
            profiler.stop()
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
            kind = "fragment" if rerun_data.fragment_id_queue else "full"
            name = f"{number:05d}_{kind}_{page_name()}"
            text = profiler.output_text(unicode=False, color=False)
            (out / f"{name}.txt").write_text(f"cpu {cpu:.3f} s, wall {wall:.3f} s\n{text}")
            profiler.last_session.save(str(out / f"{name}.pyisession"))
            with lock, (out / "index.tsv").open("a") as index:
                index.write(f"{name}\t{cpu:.3f}\t{wall:.3f}\n")

    script_runner.ScriptRunner._run_script = run_script
    sys.argv = ["streamlit", "run", *streamlit_args]
    cli.main()


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--profiled-server":
        profiled_server(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--train-every", type=int, default=0, help="every K-th student trains")
    parser.add_argument("--arrival", type=float, default=ARRIVAL_SECONDS, help="seconds apart")
    parser.add_argument("--profile", type=Path, help="write pyinstrument reports to this folder")
    parser.add_argument(
        "--failures", type=Path, help="write a failed student's screenshot, console and frames here"
    )
    args = parser.parse_args()
    if args.students < 1 or args.train_every < 0:
        parser.error("--students must be >= 1 and --train-every >= 0")

    digits = pick_digits(args.students + 1)
    warm_up = Student(0, *digits[0], train=False)
    students = [
        Student(
            number,
            *digits[number],
            train=bool(args.train_every) and number % args.train_every == 0,
        )
        for number in range(1, args.students + 1)
    ]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryFile("w+") as log:
        env = {**os.environ, "MNIST_DEMO_HOME": home}
        server = subprocess.Popen(
            server_command(port, args.profile),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(url, server)
            print(f"server pid {server.pid} at {url}", flush=True)
            started_cpu = cpu_seconds(server.pid)
            asyncio.run(run_class(url, [warm_up], 0))
            wait_quiet(server.pid)
            print("warm-up done; the class arrives", flush=True)
            warm_cpu = cpu_seconds(server.pid)
            began = time.perf_counter()
            asyncio.run(run_class(url, students, args.arrival, args.failures))
            elapsed = time.perf_counter() - began
            wait_quiet(server.pid)  # a browser's last messages may still be handled
            class_cpu = cpu_seconds(server.pid) - warm_cpu
            rss = peak_rss_mb(server.pid)
        finally:
            stop_server(server)
            log.seek(0)
            server_log = log.read()
    if warm_up.failure or "Traceback" in server_log:
        print("server log (tail):\n" + server_log[-3000:])

    trainers = sum(s.train for s in students)
    print(
        f"{args.students} students arriving {args.arrival} s apart"
        + (f", {trainers} of them training one epoch" if trainers else "")
        + f"; all done in {elapsed:.1f} s; load average now {os.getloadavg()[0]:.1f}"
    )
    print(
        f"warm-up visitor (new server: MNIST, TensorFlow, default model): "
        f"{warm_cpu - started_cpu:.1f} server CPU-s"
        + (f" (failed: {warm_up.failure})" if warm_up.failure else "")
    )
    report_steps(students)
    failures = [s for s in students if s.failure]
    finished = len(students) - len(failures)
    right = sum(s.predicted == str(s.label) for s in students)
    print(
        f"finished: {finished}/{len(students)}; predictions matching the pendigits label: {right}"
    )
    for student in failures:
        print(f"  student {student.number} failed at {student.failure}")
    print(f"server peak RSS: {rss:.0f} MB")
    print(
        f"server CPU while the class was served: {class_cpu:.1f} s = "
        f"{class_cpu / len(students):.2f} CPU-s per student"
    )


if __name__ == "__main__":
    main()
