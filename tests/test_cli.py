"""`python -m mnist_demo train` in a subprocess on a small slice: output, stored run, model."""

import os
import subprocess
import sys
from pathlib import Path

from mnist_demo.storage import store
from mnist_demo.training.model import load_model_file

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, home):
    environment = os.environ | {"MNIST_DEMO_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "mnist_demo", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=300,
    )


def test_cli_trains_stores_the_run_and_saves_the_model(data_home, tmp_path):
    out = tmp_path / "exported" / "small.keras"
    result = run_cli(
        "train", "--epochs", "2", "--batch-size", "64", "--train-size", "512",
        "--hidden-units", "64", "--optimizer", "adam", "--out", str(out),
        home=data_home,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Epoch 1/2" in lines and "Epoch 2/2" in lines
    assert any(line.startswith("8/8 - ") and "accuracy: " in line for line in lines)
    assert any(line.startswith("test_acc: 0.") for line in lines)

    (run,) = store.list_runs()
    assert run["status"] == "completed"
    assert run["config"]["hidden_units"] == 64 and run["config"]["optimizer"] == "adam"
    assert len(run["epochs"]) == 2
    assert f"test_acc: {run['test_accuracy']:.4f}" in lines
    assert Path(run["model_path"]) == data_home / "models" / f"{run['id']}.keras"
    assert out.read_bytes() == Path(run["model_path"]).read_bytes()
    assert load_model_file(out).count_params() == 784 * 64 + 64 + 64 * 10 + 10


def test_cli_explains_bad_arguments_without_training(data_home):
    result = run_cli("train", "--epochs", "0", home=data_home)
    assert result.returncode == 2
    assert "epochs must be an integer from 1 to 30" in result.stderr
    result = run_cli("train", "--out", "model.h5", home=data_home)
    assert result.returncode == 2 and "--out must end in .keras" in result.stderr
    assert store.list_runs() == []


def test_cli_checks_out_and_seed_before_training(data_home, tmp_path):
    """--out naming a folder, or a path under a file, and --seed -1 used to fail after training
    (a traceback, a 3 MB temporary file left behind, the error printed twice)."""
    folder = tmp_path / "folder.keras"
    folder.mkdir()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    cases = [
        (["--out", str(folder)], "--out names a directory"),
        (["--out", str(a_file / "model.keras")], "is not a writable folder"),
        (["--seed", "-1"], "seed must be an integer from 0 to 2147483647"),
    ]
    for arguments, message in cases:
        result = run_cli("train", "--train-size", "512", *arguments, home=data_home)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count(message) == 1, result.stderr
        assert "Traceback" not in result.stderr
    assert store.list_runs() == []
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "folder.keras",
        "mnist_demo_home",
        "notes.txt",
    ]
