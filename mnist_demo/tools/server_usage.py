"""A server's CPU seconds and peak memory, counted with all its child processes, from /proc
(Linux): what benchmarks/classroom.py reports a class of students costs the server."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    """pid and all its live descendants."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        with contextlib.suppress(OSError):
            queue += _children(current)
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process tree, including its reaped children (cutime, cstime)."""
    total = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile: its parent's cutime/cstime count it once reaped
        utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
        total += utime + stime + cutime + cstime
    return total / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    """The highest resident memory (VmHWM) of the server plus that of its live children."""
    total = 0
    for member in process_tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def wait_quiet(pid: int, timeout: float = 120) -> None:
    """Wait until the server spends under 5 % of a core: a script run the warm-up visitor left
    behind (a stopped run finishes its TensorFlow import in the background) must not be counted
    as the class's."""
    deadline = time.monotonic() + timeout
    before = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(1)
        now = cpu_seconds(pid)
        if now - before < 0.05:
            return
        before = now
