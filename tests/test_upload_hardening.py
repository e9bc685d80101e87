"""Uploads (issue 14, items 10 and 11): a phone photo's EXIF orientation is applied; a damaged PNG
or JPEG is called damaged, not "not a PNG or JPEG"."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_demo.drawing import preprocess
from mnist_demo.training import model


def seven(size=(300, 400)) -> Image.Image:
    """A dark 7 on white paper, upright."""
    picture = Image.new("L", size, 255)
    ImageDraw.Draw(picture).line([(60, 60), (240, 60), (120, 340)], fill=0, width=22)
    return picture


def encode(picture: Image.Image, image_format: str, orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    options = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation  # Orientation
        options["exif"] = exif.tobytes()
    picture.save(buffer, format=image_format, **options)
    return buffer.getvalue()


# EXIF orientation -> how the camera stored an upright picture (what the viewer must undo).
STORED = {
    3: lambda picture: picture.transpose(Image.Transpose.ROTATE_180),
    6: lambda picture: picture.transpose(Image.Transpose.ROTATE_90),  # shown turned 90° right
    8: lambda picture: picture.transpose(Image.Transpose.ROTATE_270),
}


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
@pytest.mark.parametrize("orientation", sorted(STORED))
def test_exif_orientation_is_applied(image_format, orientation):
    upright = preprocess.upload_ink(encode(seven(), image_format))
    stored = STORED[orientation](seven())
    turned = preprocess.upload_ink(encode(stored, image_format, orientation))
    assert turned.shape == upright.shape
    assert np.abs(turned - upright).mean() < 0.02


def test_a_phone_photo_of_a_seven_lying_down_is_read_as_seven():
    stored = encode(STORED[6](seven()), "JPEG", orientation=6)
    steps = preprocess.ink_steps(preprocess.upload_ink(stored))
    probabilities = model.predict_proba(model.load_default_model(), steps.final[None])[0]
    assert probabilities.argmax() == 7


PNG = encode(seven(), "PNG")
JPEG = encode(seven(), "JPEG")


@pytest.mark.parametrize(
    "payload",
    [
        PNG[:12],  # the signature and half a chunk header
        PNG[:8] + b"\x00" * 200,  # a PNG signature, then zeros
        PNG[:8] + bytes(range(256)),  # then garbage
        JPEG[:3] + b"\x00" * 64,
        JPEG[:10],
    ],
    ids=["png-cut-in-header", "png-zeros", "png-garbage", "jpeg-zeros", "jpeg-cut"],
)
def test_a_damaged_png_or_jpeg_is_called_damaged(payload):
    with pytest.raises(preprocess.UploadError) as caught:
        preprocess.upload_ink(payload)
    assert caught.value.reason == "corrupt"


def test_a_file_of_another_kind_is_still_not_an_image():
    for payload in (b"%PDF-1.4 " * 20, b"\x89PNX not quite a png", b""):
        with pytest.raises(preprocess.UploadError) as caught:
            preprocess.upload_ink(payload)
        assert caught.value.reason == "not_image"
