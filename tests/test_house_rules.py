"""The house a newcomer can take over (issue 13): no module over 400 lines, no class over 150.

A module that grows past the limit is split by what its parts do (see the README's Layout), so
a newcomer finds a behaviour from folder and file names; a class that grows past it hands its
helpers to a small collaborator or to module-level functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("mnist_demo", "pages", "app.py", "benchmarks")
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 150


def python_files() -> list[Path]:
    files = []
    for name in CHECKED:
        path = ROOT / name
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def oversized(files: list[Path], root: Path = ROOT) -> list[str]:
    """One line per module over MAX_MODULE_LINES and per class over MAX_CLASS_LINES."""
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(root).as_posix()
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            found.append(f"{name}: {lines} lines (at most {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(text, filename=name)):
            if isinstance(node, ast.ClassDef):
                # From the first decorator, as a reader sees the class, to its last line.
                first = min([node.lineno, *(item.lineno for item in node.decorator_list)])
                size = node.end_lineno - first + 1
                if size > MAX_CLASS_LINES:
                    found.append(
                        f"{name}:{node.lineno}: class {node.name} is {size} lines "
                        f"(at most {MAX_CLASS_LINES})"
                    )
    return found


def test_every_checked_folder_has_python_files():
    files = python_files()
    for name in CHECKED:
        assert any(path.relative_to(ROOT).parts[0] == name for path in files), name


def test_no_module_over_400_lines_and_no_class_over_150():
    found = oversized(python_files())
    assert not found, "split by what the parts do:\n" + "\n".join(found)


def test_the_check_names_a_long_module_and_a_long_class(tmp_path):
    long_class = "class Big:\n" + "    x = 1\n" * MAX_CLASS_LINES
    long_module = tmp_path / "long.py"
    long_module.write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    short = tmp_path / "short.py"
    short.write_text(long_class.replace("    x = 1\n", "", 1))  # exactly 150 lines
    big = tmp_path / "big.py"
    big.write_text(long_class)
    assert oversized([long_module, short, big], root=tmp_path) == [
        f"long.py: {MAX_MODULE_LINES + 1} lines (at most {MAX_MODULE_LINES})",
        f"big.py:1: class Big is {MAX_CLASS_LINES + 1} lines (at most {MAX_CLASS_LINES})",
    ]
