"""Canvas and upload preprocessing: MNIST-style 28x28 inputs, blank detection, bad uploads."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_demo.data.pendigits import draw
from mnist_demo.drawing import preprocess

# A "7" as two strokes in a 100x100 box (screen coordinates, y down).
SEVEN = [np.array([[10, 10], [90, 10], [40, 95]], dtype=np.float32)]


def seven(left: float, top: float, size: float, width: float = 18) -> np.ndarray:
    strokes = [stroke * (size / 100) + np.array([left, top]) for stroke in SEVEN]
    return draw(strokes, width)  # (280, 280, 4) white on black


def test_blank_and_near_blank_canvases_give_none():
    blank = np.zeros((280, 280, 4), dtype=np.uint8)
    blank[..., 3] = 255
    assert preprocess.canvas_to_mnist(blank) is None
    speck = blank.copy()
    speck[100:103, 100:103, :3] = 255  # 9 pixels: a stray click, not a digit
    assert preprocess.canvas_to_mnist(speck) is None
    transparent = np.zeros((280, 280, 4), dtype=np.uint8)
    assert preprocess.canvas_to_mnist(transparent) is None


@pytest.mark.parametrize("width", [14, 18, 23, 40])
def test_a_single_click_is_not_a_digit_but_a_short_one_is(width):
    click = [np.array([[140, 140]], dtype=np.float32)]  # one point: the pen's round dot
    assert preprocess.canvas_to_mnist(draw(click, width)) is None
    one = [np.array([[140, 90], [140, 200]], dtype=np.float32)]  # a "1", 39 % of the height
    assert preprocess.canvas_to_mnist(draw(one, width)) is not None


def test_output_is_mnist_like():
    image = preprocess.canvas_to_mnist(seven(40, 30, 200))
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() >= 0 and image.max() == pytest.approx(1.0)
    rows, cols = np.flatnonzero(image.max(axis=1) > 0.2), np.flatnonzero(image.max(axis=0) > 0.2)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (19, 20, 21)
    total = image.sum()
    centre_y = image.sum(axis=1) @ np.arange(28) / total
    centre_x = image.sum(axis=0) @ np.arange(28) / total
    assert abs(centre_y - 14) <= 0.6 and abs(centre_x - 14) <= 0.6
    assert 1.8 <= preprocess.stroke_thickness(image) <= 3.4  # MNIST's pen, not a hairline


def test_place_and_size_barely_matter():
    reference = preprocess.canvas_to_mnist(seven(40, 30, 200, width=18))
    for left, top, size, width in [(5, 5, 120, 14), (150, 140, 125, 23), (20, 60, 210, 16)]:
        other = preprocess.canvas_to_mnist(seven(left, top, size, width))
        assert np.abs(other - reference).mean() < 0.05, (left, top, size, width)


def test_alpha_only_canvas_equals_white_on_black():
    opaque = seven(40, 30, 200)
    alpha_only = np.zeros_like(opaque)
    alpha_only[..., 3] = opaque[..., 0]  # black ink, visible only through alpha
    expected = preprocess.canvas_to_mnist(opaque)
    np.testing.assert_allclose(preprocess.canvas_to_mnist(alpha_only), expected, atol=1e-6)


def test_steps_are_consistent():
    steps = preprocess.canvas_steps(seven(40, 30, 200))
    assert steps.box.shape == (20, 20)
    assert steps.crop.shape[0] > steps.crop.shape[1] > 100  # the 7 is taller than wide
    assert steps.box.sum() == pytest.approx(steps.final.sum(), rel=1e-5)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="RGB"):
        preprocess.canvas_to_mnist(np.zeros((280, 280, 2), dtype=np.uint8))


# Uploads ---------------------------------------------------------------------------------------


def encode(picture: Image.Image, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=format)
    return buffer.getvalue()


def paper_seven(ink: int, paper: int, mode: str = "L") -> Image.Image:
    picture = Image.new(mode, (300, 400), paper)
    ImageDraw.Draw(picture).line([(60, 60), (240, 60), (120, 340)], fill=ink, width=22)
    return picture


@pytest.mark.parametrize("format", ["PNG", "JPEG"])
def test_upload_polarity_is_detected(format):
    dark_on_light = preprocess.upload_ink(encode(paper_seven(20, 235), format))
    light_on_dark = preprocess.upload_ink(encode(paper_seven(235, 20), format))
    for ink in (dark_on_light, light_on_dark):
        assert ink[5, 5] == 0  # paper
        assert ink[60, 150] > 0.9  # the 7's bar
    a = preprocess.ink_steps(dark_on_light).final
    b = preprocess.ink_steps(light_on_dark).final
    assert np.abs(a - b).mean() < 0.02


@pytest.mark.parametrize("colour", [(0, 0, 0, 255), (255, 255, 255, 255)])
def test_upload_with_transparency_reads_dark_and_light_ink(colour):
    picture = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(picture).line([(100, 20), (100, 180)], fill=colour, width=16)
    ink = preprocess.upload_ink(encode(picture))
    assert ink[100, 100] > 0.9 and ink[100, 20] == 0


def test_upload_errors_have_reasons():
    cases = {
        "text": b"hello, this is a text file, not a picture" * 10,
        "corrupt": encode(paper_seven(0, 255))[:400],  # a truncated PNG
        "too_large": b"\x89PNG" + bytes(preprocess.MAX_UPLOAD_BYTES),
        "blank": encode(Image.new("L", (100, 100), 255)),
    }
    gif = io.BytesIO()
    Image.new("L", (10, 10)).save(gif, format="GIF")
    cases["not_image"] = gif.getvalue()  # a real picture, but not a PNG or JPEG
    for case, payload in cases.items():
        with pytest.raises(preprocess.UploadError) as caught:
            preprocess.upload_ink(payload)
        assert caught.value.reason == ("not_image" if case == "text" else case)


def test_decompression_bomb_is_refused_before_decoding():
    # A 1-bit 6000x6000 PNG compresses to a few kB but would decode to 36 megapixels.
    bomb = encode(Image.new("1", (6000, 6000), 0))
    assert len(bomb) < preprocess.MAX_UPLOAD_BYTES
    with pytest.raises(preprocess.UploadError) as caught:
        preprocess.upload_ink(bomb)
    assert caught.value.reason == "too_many_pixels"


def test_pillow_bomb_guard_is_reported_as_too_many_pixels(monkeypatch):
    # Pillow's own guard (a lower process-wide limit set by an operator) gives the same message.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(preprocess.UploadError) as caught:
        preprocess.upload_ink(encode(paper_seven(0, 255)))  # 120,000 pixels
    assert caught.value.reason == "too_many_pixels"
