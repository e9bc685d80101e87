"""Refresh the README's screenshots in docs/ from the browser tests that take them.

    python tools/screenshots.py [-k draw] [other pytest options]

Runs every browser test that uses the `screenshot` fixture (tests/e2e/conftest.py marks them
`screenshot`) with `--screenshot-dir docs`, then lists the pictures it wrote. A plain
`python -m pytest` takes the same pictures into a temporary folder and leaves docs/ alone.

To add a picture, call `screenshot(page, "<name>")` in a browser test (taking the `screenshot`
fixture) once the page shows what the picture should, e.g. `screenshot(page, "home_phone")`
after `page.set_viewport_size(...)`; this command then writes docs/<name>.png. Show it in the
README with a link to docs/<name>.png.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def main() -> int:
    started = time.time()
    command = [
        sys.executable, "-m", "pytest", "tests/e2e", "-m", "screenshot",
        "--screenshot-dir", str(DOCS), *sys.argv[1:],
    ]  # fmt: skip
    print(" ".join(command), flush=True)
    status = subprocess.call(command, cwd=ROOT)
    written = sorted(path for path in DOCS.glob("*.png") if path.stat().st_mtime >= started)
    print(f"{len(written)} screenshot(s) written:")
    for path in written:
        print(f"  {path.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
