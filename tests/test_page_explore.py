"""The Explore page headless (AppTest): split switch, index lookup, bad indexes, filter, paging,
shared links, Korean, and no TensorFlow import.

Widgets bound to the URL (`bind="query-params"`) are written to the address bar by the browser,
which AppTest has not: here links are checked as input; tests/e2e/test_explore.py checks that
the address bar follows the widgets."""

import html
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "explore.py")


def open_page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def printed_summary(at) -> str:
    """The chapter's look at the data, as the page prints it (HTML-escaped >>> prompts)."""
    (text,) = [m.value for m in at.markdown if "&gt;&gt;&gt; " in m.value and "_labels" in m.value]
    return html.unescape(text.rsplit("</div>", 1)[0].split(">", 1)[1])


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def warnings(at) -> list[str]:
    return [w.value for w in at.warning]


@pytest.fixture
def at():
    return open_page()


def test_train_split_prints_like_the_chapter(at):
    summary = printed_summary(at)
    assert "(60000, 28, 28)" in summary
    assert "\nuint8\n" in summary and "\n60000\n" in summary
    assert summary.endswith("array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)")
    assert at.number_input(key="index").value == 4  # the chapter's train_images[4]
    assert at.metric[0].value == "9"  # ... is a 9
    assert "Pixel values of train_images[4]" in markdown(at)
    assert not warnings(at)


def test_switching_split_changes_the_printed_arrays(at):
    at.segmented_control(key="split").set_value("test").run()
    summary = printed_summary(at)
    assert "(10000, 28, 28)" in summary and "\n10000\n" in summary
    assert summary.endswith("array([7, 2, 1, ..., 4, 5, 6], dtype=uint8)")
    assert at.query_params["split"] == "test"
    assert at.number_input(key="index").help == "A whole number from 0 to 9999."
    assert "test_images.reshape((10000, 28 * 28))" in at.code[1].value
    at.segmented_control(key="split").set_value("train").run()
    assert "(60000, 28, 28)" in printed_summary(at)
    assert "split" not in at.query_params  # the default stays out of the link


def test_index_lookup_shows_that_sample(at):
    at.number_input(key="index").set_value(7).run()
    assert "Pixel values of train_images[7]" in markdown(at)
    assert at.metric[0].value == "3"
    ink = int(at.metric[1].value)
    assert 50 < ink < 400
    before = at.code[0].value
    assert ">>> train_images[7, 14, 11:17]" in before


def test_a_typed_index_beyond_the_split_shows_the_nearest_one_in_the_box(at):
    # The box has no bounds for the browser to enforce (it kept "70000" in red over
    # train_images[4]): the page clamps the number and writes it back into the box.
    at.number_input(key="index").set_value(70000).run()
    assert at.number_input(key="index").value == 59999
    assert "Pixel values of train_images[59999]" in markdown(at)
    assert warnings(at) == [
        "Index 70000 does not exist in the training set (0 to 59999), so the last sample, "
        "59999, is shown."
    ]
    at.number_input(key="index").set_value(-1).run()
    assert at.number_input(key="index").value == 0
    assert "Pixel values of train_images[0]" in markdown(at)
    assert warnings(at) == [
        "Index -1 does not exist: indexes start at 0, so the first sample, 0, is shown."
    ]


def test_a_typed_page_beyond_the_last_shows_the_last_in_the_box(at):
    at.pills(key="label").set_value(3).run()
    at.number_input(key="grid_page").set_value(500).run()
    assert at.number_input(key="grid_page").value == 96
    assert "Page 96 of 96" in captions(at)
    at.toggle(key="shuffle").set_value(True).run()
    at.button(key="explore_next").click().run()
    assert at.number_input(key="grid_page").value == 2
    assert "Page 2 of 96" in captions(at)


def test_a_page_beyond_the_last_in_a_link_shows_the_last():
    at = open_page(label="3", grid_page="500")
    assert at.number_input(key="grid_page").value == 96
    assert "Page 96 of 96 · 6,131 images" in captions(at)


def test_switching_to_a_smaller_split_clamps_the_index_with_a_message(at):
    at.number_input(key="index").set_value(20000).run()
    at.segmented_control(key="split").set_value("test").run()
    assert at.number_input(key="index").value == 9999
    assert warnings(at) == [
        "Index 20000 does not exist in the test set (0 to 9999), so the last sample, 9999, "
        "is shown."
    ]
    at.run()
    assert not warnings(at)  # said once, not on every rerun


def test_a_split_switch_blames_no_link_and_keeps_the_asked_for_index(at):
    at.number_input(key="index").set_value(50000).run()
    # What the browser does after that run: the bound box writes its value into the address.
    at.query_params["index"] = "50000"
    at.segmented_control(key="split").set_value("test").run()
    assert at.number_input(key="index").value == 9999
    assert warnings(at) == [
        "Index 50000 does not exist in the test set (0 to 9999), so the last sample, 9999, "
        "is shown."
    ]
    at.query_params["index"] = "9999"
    at.segmented_control(key="split").set_value("train").run()
    assert at.number_input(key="index").value == 50000  # the asked-for index is back
    assert "Pixel values of train_images[50000]" in markdown(at)
    assert not warnings(at)


def test_an_index_picked_in_the_smaller_split_is_the_one_kept(at):
    at.number_input(key="index").set_value(50000).run()
    at.segmented_control(key="split").set_value("test").run()
    at.number_input(key="index").set_value(123).run()
    at.segmented_control(key="split").set_value("train").run()
    assert at.number_input(key="index").value == 123
    assert not warnings(at)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # The link's value is shown verbatim in a code span, never as Markdown.
        ("70000", "The link asked for index `70000`, but the test set holds indexes 0 to 9999"),
        ("nine", "The link asked for index `nine`, which is not a whole number."),
    ],
)
def test_bad_index_in_a_link_gives_a_clear_message(raw, expected):
    at = open_page(split="test", index=raw)
    assert at.number_input(key="index").value == 4
    (message,) = warnings(at)
    assert message.startswith(expected)
    assert message.endswith("Showing index 4 instead.")
    assert "(10000, 28, 28)" in printed_summary(at)


def test_filter_by_label_and_paging(at):
    assert "Page 1 of 938 · 60,000 images · dataset order" in captions(at)
    at.pills(key="label").set_value(3).run()
    assert "Page 1 of 96 · 6,131 images · dataset order" in captions(at)
    at.button(key="explore_next").click().run()
    assert at.number_input(key="grid_page").value == 2
    assert "Page 2 of 96" in captions(at)
    assert at.button(key="explore_previous").disabled is False
    at.button(key="explore_previous").click().run()
    assert at.number_input(key="grid_page").value == 1
    assert at.button(key="explore_previous").disabled is True
    at.number_input(key="grid_page").set_value(96).run()
    assert at.button(key="explore_next").disabled is True
    at.pills(key="label").set_value(5).run()  # a new filter starts again at page 1
    assert "Page 1 of 85 · 5,421 images" in captions(at)


def test_shuffle_uses_the_seed(at):
    at.toggle(key="shuffle").set_value(True).run()
    assert "shuffled with seed 0" in captions(at)
    at.number_input(key="shuffle_seed").set_value(7).run()
    assert "shuffled with seed 7" in captions(at)


def test_a_shared_link_reproduces_the_view():
    at = open_page(split="test", label="3", grid_page="2", index="123", shuffle="true")
    assert at.segmented_control(key="split").value == "test"
    assert at.pills(key="label").value == 3
    assert at.number_input(key="grid_page").value == 2
    assert at.number_input(key="index").value == 123
    assert at.toggle(key="shuffle").value is True
    assert "Page 2 of 16 · 1,010 images · shuffled with seed 0" in captions(at)
    assert "Pixel values of test_images[123]" in markdown(at)
    assert not warnings(at)


def test_korean_through_the_app_keeps_the_language_param():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "ko"
    at.run()
    at.switch_page("pages/explore.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "MNIST 데이터 살펴보기"
    assert printed_summary(at).endswith("array([5, 0, 4, ..., 5, 6, 8], dtype=uint8)")
    # AppTest formats the value outside the session, where the language is English: pass the
    # Korean label the browser would send.
    at.segmented_control(key="split").set_value("테스트 세트").run()
    assert printed_summary(at).endswith("array([7, 2, 1, ..., 4, 5, 6], dtype=uint8)")
    assert at.query_params["lang"] == "ko"
    assert at.query_params["split"] == "test"
    assert "테스트 세트" in at.segmented_control(key="split").options


def test_explore_does_not_import_tensorflow():
    script = textwrap.dedent(
        f"""
        import sys
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({PAGE!r}, default_timeout=60)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("dtype=uint8)" in m.value for m in at.markdown)
        at.number_input(key="index").set_value(9).run()
        at.segmented_control(key="split").set_value("test").run()
        heavy = {{"tensorflow", "keras"}}
        print("TF_LOADED", sorted(m for m in sys.modules if m.split(".")[0] in heavy)[:5])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TF_LOADED []" in result.stdout, result.stdout
