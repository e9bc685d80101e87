"""Render values and Python sessions as the chapter prints them (NumPy before 2.2)."""

from __future__ import annotations

import numpy as np


def chapter_repr(value) -> str:
    """NumPy's own repr as the chapter prints it: no `shape=` (NumPy 2.2+) on long arrays and no
    `np.int64(...)` (NumPy 2.0+) around scalars."""
    with np.printoptions(legacy="1.25"):
        return repr(value)


def repl(lines: list[tuple[str, str]]) -> str:
    """A Python session transcript: each (code, output) pair as `>>> code` then its output."""
    out: list[str] = []
    for code, result in lines:
        out.append(f">>> {code}")
        if result:
            out.append(result)
    return "\n".join(out)
