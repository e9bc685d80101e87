"""Shared fixtures: every test gets its own data directory, so nothing touches ~/.mnist_demo."""

import pytest


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    home = tmp_path / "mnist_demo_home"
    home.mkdir()
    monkeypatch.setenv("MNIST_DEMO_HOME", str(home))
    return home
