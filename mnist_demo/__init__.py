"""MNIST demo: the logic behind the Streamlit pages, importable and testable without Streamlit
(except ui/, the Streamlit glue the pages share)."""

from pathlib import Path

# The files that ship with the package: the committed models, the pen-written digits, the icon.
ASSETS_DIR = Path(__file__).parent / "assets"
