"""A broken store or odd data directory never breaks a page (issue 14, items 4 and 5): damaged
databases are moved aside, never deleted; bad rows are skipped and counted; model files without
a record are found again; Train and Draw say what happened, in the page's language."""

import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_demo.i18n import translate
from mnist_demo.storage import store
from mnist_demo.storage.health import check_health

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120
DEFAULT_MODEL = ROOT / "mnist_demo" / "assets" / "default_model.keras"


def a_store_with_a_run(home: Path) -> None:
    store.create_run("run-one", {"epochs": 1, "architecture": "dense"}, status="completed")
    store.record_epoch("run-one", 1, {"epoch": 1, "accuracy": 0.9, "loss": 0.3})
    store.add_correction(np.zeros((28, 28), dtype="float32"), 3)


def texts(at: AppTest) -> list[str]:
    return [element.value for kind in (at.warning, at.error, at.info) for element in kind]


def open_page(page: str, lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=TIMEOUT)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception[0].value
    return at


# The fault kinds the probe used, applied to a store that holds one run and one correction.
def garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 100)


def truncated(path: Path) -> None:
    payload = path.read_bytes()
    path.write_bytes(payload[: len(payload) // 3])


def zero_header(path: Path) -> None:
    payload = bytearray(path.read_bytes())
    payload[:100] = bytes(100)
    path.write_bytes(bytes(payload))


def zero_bytes(path: Path) -> None:
    path.write_bytes(b"")


DAMAGE = {"garbage": garbage, "truncated": truncated, "zero_header": zero_header}
DAMAGE["zero_bytes"] = zero_bytes


def damaged_store(home: Path, kind: str) -> bytes:
    a_store_with_a_run(home)
    database = home / store.DB_NAME
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (home / "runs.sqlite-wal").unlink(missing_ok=True)
    (home / "runs.sqlite-shm").unlink(missing_ok=True)
    DAMAGE[kind](database)
    return database.read_bytes()


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_database_is_moved_aside_and_a_new_one_started(data_home, kind):
    damaged = damaged_store(data_home, kind)
    health = check_health()
    assert health.usable, health
    assert health.moved_to is not None and health.moved_reason
    assert health.moved_to.read_bytes() == damaged  # kept as it was, next to the new one
    assert health.moved_to.parent == data_home
    assert store.list_runs() == [] and store.count_corrections() == 0
    store.create_run("run-two", {"epochs": 1}, status="queued")  # the new store works
    assert [run["id"] for run in store.list_runs()] == ["run-two"]
    assert check_health().moved_to is None  # once only


def test_a_healthy_store_is_left_alone(data_home):
    a_store_with_a_run(data_home)
    health = check_health()
    assert health.usable and health.moved_to is None
    assert [run["id"] for run in store.list_runs()] == ["run-one"]
    assert not list(data_home.glob("*.damaged-*"))


def test_rows_with_bad_json_are_skipped_and_counted(data_home):
    a_store_with_a_run(data_home)
    store.create_run("run-two", {"epochs": 2}, status="completed")
    store.record_epoch("run-two", 1, {"accuracy": 0.5})
    with sqlite3.connect(data_home / store.DB_NAME) as connection:
        connection.execute("UPDATE runs SET config_json = '{broken' WHERE id = 'run-one'")
        connection.execute("UPDATE epochs SET metrics_json = 'nope' WHERE run_id = 'run-two'")
    runs = store.list_runs()
    assert [run["id"] for run in runs] == ["run-two"] and runs[0]["epochs"] == []
    assert store.get_run("run-one") is None
    assert check_health().damaged_runs == 1


def test_model_files_without_a_record_are_found_again(data_home):
    models = data_home / "models"
    models.mkdir()
    shutil.copy(DEFAULT_MODEL, models / "lost-one.keras")
    shutil.copy(DEFAULT_MODEL, models / "lost-two.keras")
    (models / ".lost-three.123.tmp.keras").write_bytes(b"half written")
    store.create_run("kept", {"epochs": 1}, status="completed")
    shutil.copy(DEFAULT_MODEL, models / "kept.keras")
    store.update_run("kept", model_path=str(models / "kept.keras"))
    found = check_health().orphan_models
    assert sorted(path.name for path in found) == ["lost-one.keras", "lost-two.keras"]


def test_train_says_where_the_damaged_store_went_and_lists_the_orphans(data_home):
    damaged_store(data_home, "zero_bytes")
    models = data_home / "models"
    models.mkdir()
    shutil.copy(DEFAULT_MODEL, models / "lost-one.keras")
    at = open_page("train.py", "ko")
    moved = next(iter(data_home.glob("runs.sqlite.damaged-*")))
    messages = texts(at)
    assert any(moved.name in text and "옮겼으며" in text for text in messages), messages
    assert any("lost-one.keras" in text for text in messages), messages
    assert not at.button(key="train_start").disabled


def test_draw_offers_the_orphaned_model(data_home):
    models = data_home / "models"
    models.mkdir()
    shutil.copy(DEFAULT_MODEL, models / "lost-one.keras")
    at = open_page("draw.py")
    options = at.selectbox(key="draw_model").options
    assert translate("draw.model.orphan", "en", name="lost-one.keras") in options


def test_a_run_record_with_bad_json_does_not_break_train(data_home):
    a_store_with_a_run(data_home)
    with sqlite3.connect(data_home / store.DB_NAME) as connection:
        connection.execute("UPDATE runs SET config_json = 'not json' WHERE id = 'run-one'")
    at = open_page("train.py")
    assert translate("store.damaged_runs", "en", count=1) in texts(at)


@pytest.fixture
def home_is_a_file(tmp_path, monkeypatch):
    path = tmp_path / "not_a_directory"
    path.write_text("a file, not a directory")
    monkeypatch.setenv(store.HOME_ENV, str(path))
    return path


def test_a_data_directory_that_is_a_file_is_reported_on_train(home_is_a_file):
    assert check_health().problem == "home_unusable"
    at = open_page("train.py")
    assert any("cannot be used" in text for text in texts(at)), texts(at)
    assert at.button(key="train_start").disabled
    assert home_is_a_file.read_text() == "a file, not a directory"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_homes_train_button_is_disabled_with_the_pages_message_without_a_store(
    home_is_a_file, lang
):
    """Issue 14: Home's Train button stayed enabled when the store was unusable (a run there
    could not be recorded); now it is disabled and Home says why, as Train does."""
    at = open_page("../app.py", lang)  # Home runs through the app (its links name the pages)
    # The message's own words, between the directory and the system's words.
    words = translate("store.home_unusable", lang).split("{home}")[1].split("{detail}")[0]
    assert any(words in text for text in texts(at)), texts(at)
    assert at.button(key="home_train").disabled


def test_homes_train_button_is_enabled_with_a_usable_store(data_home):
    at = open_page("../app.py")
    assert not at.button(key="home_train").disabled
    assert not at.error


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_draw_keeps_working_with_the_default_model_without_a_store(home_is_a_file, lang):
    at = open_page("draw.py", lang)
    assert any(translate("store.draw_default_only", lang) in text for text in texts(at))
    shipped = {translate(f"draw.model.{name}", lang) for name in ("default", "mnist")}
    assert set(at.selectbox(key="draw_model").options) <= shipped  # the shipped models only
    assert translate("draw.empty", lang) in texts(at)


@pytest.fixture
def read_only_home(data_home):
    """The data directory made immutable (chattr +i: even root cannot write in it)."""
    a_store_with_a_run(data_home)
    if subprocess.run(["chattr", "+i", str(data_home)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    yield data_home
    subprocess.run(["chattr", "-i", str(data_home)], check=True)


def test_a_read_only_data_directory_is_reported(read_only_home):
    health = check_health()
    assert health.problem == "read_only", health
    at = open_page("train.py", "ko")
    assert any("읽기 전용" in text for text in texts(at)), texts(at)
    assert at.button(key="train_start").disabled
    at = open_page("draw.py")
    assert any(translate("store.draw_default_only", "en") in text for text in texts(at))


@pytest.mark.parametrize("value", ["0", "abc", "-3", "1.5"])
def test_a_bad_max_training_is_said_and_one_run_trains_at_a_time(monkeypatch, value):
    from mnist_demo import ui

    monkeypatch.setenv("MNIST_DEMO_MAX_TRAINING", value)
    at = open_page("train.py", "ko")
    assert translate("store.max_training", "ko", value=f"`{value}`") in texts(at)
    assert ui.max_training_problem() == value
    assert not at.button(key="train_start").disabled
