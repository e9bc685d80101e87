"""MNIST demo: the logic behind the Streamlit pages, importable and testable without Streamlit."""
