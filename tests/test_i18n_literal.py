"""Values from a URL, a user or an error are shown verbatim (never as Markdown); the training
log's own lines are worded in the page's language."""

import pytest

from mnist_demo.i18n import LITERAL_MAX_CHARS, literal, log_lines, translate
from mnist_demo.training import run_state
from tests.markup import active_markup

# The probe's payloads (issue 14, item 2) and the ways out of a code span it suggests.
HOSTILE = [
    "[Session expired - click here to log in](https://evil.example/login)",
    "![x](http://evil.example/pixel.png)",
    "https://evil.example/login",
    "www.evil.example",
    "<https://evil.example>",
    "<img src=http://evil.example/x.png>",
    "`[a](https://evil.example)`",
    "``` [a](https://evil.example) ```",
    "x`` [a](https://evil.example) ``y",
    "`",
    "line one\n\n[a](https://evil.example)",
    "line\r\n\r\n![x](http://evil.example/p.png)",
    "a\u2028[a](https://evil.example)",
    "evil@evil.example",
    ":red[**bold**] :material/warning:",
    "$x^2$",
    "",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_literal_renders_no_link_picture_or_html(value):
    sentence = translate("train.live.gone_missing", "en", run_id=literal(value))
    assert active_markup(sentence) == []


def test_the_check_would_see_the_probes_link():
    """Before the fix the page put the raw value into the sentence: the check catches that."""
    raw = translate("train.live.gone_missing", "en", run_id=HOSTILE[0])
    assert active_markup(raw) == ["link: https://evil.example/login"]


def test_a_literal_shows_the_value_itself():
    assert literal("abc123") == "`abc123`"
    assert literal("a`b") == "``a`b``"
    assert literal("`") == "`` ` ``"
    shown = literal("x" * 1000)
    assert len(shown) == LITERAL_MAX_CHARS + 2 and shown.endswith("…`")


def test_the_engines_stop_and_failure_lines_are_translated():
    stop = run_state.stop_log_line(2, 5, 31, 469)
    failure = "Training failed: ValueError: boom"
    keras_line = "469/469 - 3s - accuracy: 0.9254 - loss: 0.2571"
    korean = log_lines(["Epoch 2/5", stop, failure, keras_line], "ko")
    assert korean == [
        "Epoch 2/5",
        "요청에 따라 에포크 5번 중 2번째에서, 배치 469개 중 31개를 마친 뒤 중지했습니다",
        "훈련 실패: ValueError: boom",
        keras_line,
    ]
    assert log_lines([stop, failure], "en") == [stop, failure]
