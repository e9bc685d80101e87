"""Turn a canvas drawing or an uploaded picture into an MNIST-style 28x28 input (NumPy/Pillow)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

# Pixels at least this bright (0-1) count as ink for the bounding box and the blank test.
INK_THRESHOLD = 0.2
# Fewer ink pixels than this fraction of the picture is "near-blank" (a stray click, noise).
MIN_INK_FRACTION = 0.0005
# Ink no longer than this many stroke widths is a dot or a blob (a single click), not a digit:
# a click's extent is about 2 widths, the shortest real digit (a 1) spans well over 5.
MIN_EXTENT_IN_STROKES = 3.0
BOX_SIZE = 20  # MNIST fits each digit's longer side into 20 px ...
FIELD_SIZE = 28  # ... and centres it by centre of mass in a 28x28 field.
CENTRE = 14.0  # MNIST's mean centre of mass, in pixel indices (measured on the training set)
# Stroke thickness is normalised at this working resolution (4x the 20 px box) before the final,
# anti-aliased reduction, so thin and thick pens, small and big digits all end up like MNIST's pen.
WORK_SIZE = 80
# MNIST's pen, measured as 2 * ink area / ink perimeter inside the 20 px box (see default_model).
TARGET_THICKNESS = 2.6


@dataclass(frozen=True)
class Steps:
    """The intermediate pictures of the preprocessing, for showing them on the page."""

    crop: np.ndarray  # (h, w) float32 in [0, 1]: the ink's bounding box at canvas resolution
    box: np.ndarray  # (20, 20) float32: the digit scaled so its longer side is 20 px
    final: np.ndarray  # (28, 28) float32: pasted into 28x28 and centred by centre of mass


def canvas_to_mnist(rgba: np.ndarray) -> np.ndarray | None:
    """(h, w, 4) RGBA canvas (white-on-black or ink in alpha only) -> (28, 28) float32 in [0, 1],
    or None when nothing (or almost nothing) is drawn."""
    steps = canvas_steps(rgba)
    return None if steps is None else steps.final


def canvas_steps(rgba: np.ndarray) -> Steps | None:
    return ink_steps(canvas_ink(rgba))


def canvas_ink(rgba: np.ndarray) -> np.ndarray:
    """The ink of a canvas as (h, w) float32 in [0, 1].

    An opaque canvas carries its ink in brightness (white strokes on black). A canvas with any
    transparency carries it in alpha: the strokes are opaque, the background transparent.
    """
    array = np.asarray(rgba)
    if array.ndim == 2:
        return array.astype(np.float32) / _full_scale(array)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"expected an (h, w, 3|4) RGB(A) or (h, w) gray array, got {array.shape}")
    scale = _full_scale(array)
    if array.shape[2] == 4:
        alpha = array[..., 3]
        if alpha.min() < scale:
            return alpha.astype(np.float32) / scale
    # Channel by channel: a max over the short last axis is about 10x slower.
    brightest = np.maximum(np.maximum(array[..., 0], array[..., 1]), array[..., 2])
    return brightest.astype(np.float32) / scale


def _full_scale(array: np.ndarray) -> float:
    return 1.0 if np.issubdtype(array.dtype, np.floating) else 255.0


def ink_steps(ink: np.ndarray) -> Steps | None:
    """(h, w) ink in [0, 1] -> the MNIST-style steps, or None when near-blank."""
    mask = ink >= INK_THRESHOLD  # (h, w)
    if mask.sum() < max(4, MIN_INK_FRACTION * ink.size):
        return None
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]  # (h, w)
    if max(crop.shape) < MIN_EXTENT_IN_STROKES * stroke_thickness(crop):
        return None
    small = _fit_box(crop)  # (h, w), longer side 20
    box = np.zeros((BOX_SIZE, BOX_SIZE), dtype=np.float32)
    top, left = (BOX_SIZE - small.shape[0]) // 2, (BOX_SIZE - small.shape[1]) // 2
    box[top : top + small.shape[0], left : left + small.shape[1]] = small
    return Steps(crop=crop, box=box, final=centre(small))


# Ink whose bounding box spans this share of the canvas both ways fills it: a scribble over the
# whole canvas, not a digit drawn large (a large digit leaves at least one side's margins).
FILLS_CANVAS = 0.95
FILLED_INK_SHARE = 0.5


def ink_problem(ink: np.ndarray) -> str | None:
    """Why ink_steps finds no digit in (h, w) ink: "blank" (nothing or nearly nothing drawn),
    "fills" (ink over most of the canvas) or "blob" (a dot or blob); None when it finds one."""
    mask = ink >= INK_THRESHOLD  # (h, w)
    if mask.sum() < max(4, MIN_INK_FRACTION * ink.size):
        return "blank"
    if ink_steps(ink) is not None:
        return None
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    spans = (rows[-1] - rows[0] + 1) / ink.shape[0], (cols[-1] - cols[0] + 1) / ink.shape[1]
    if min(spans) >= FILLS_CANVAS and mask.mean() >= FILLED_INK_SHARE:
        return "fills"
    return "blob"


def _fit_box(crop: np.ndarray) -> np.ndarray:
    """Scale the crop so its longer side is 20 px (anti-aliased), thickness normalised: (h, w)."""
    height, width = crop.shape
    longer = max(height, width)
    work = resize(crop, scaled_shape(height, width, WORK_SIZE / longer))
    work = normalise_thickness(work, TARGET_THICKNESS * WORK_SIZE / BOX_SIZE)
    small = resize(work, scaled_shape(height, width, BOX_SIZE / longer))
    peak = small.max()
    return small / peak if peak > 0 else small  # MNIST strokes are saturated in their core


def scaled_shape(height: int, width: int, factor: float) -> tuple[int, int]:
    return max(1, round(height * factor)), max(1, round(width * factor))


def resize(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of a float image to (height, width). Shrinking uses Pillow's box filter,
    which averages the area each output pixel covers, as MNIST's anti-aliased size normalisation
    did; enlarging (a tiny upload, an augmented MNIST digit) interpolates bilinearly."""
    if image.shape == shape:
        return image.astype(np.float32, copy=False)
    picture = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32), mode="F")
    shrinking = shape[0] <= image.shape[0] and shape[1] <= image.shape[1]
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    resized = picture.resize((shape[1], shape[0]), method)
    return np.clip(np.asarray(resized, dtype=np.float32), 0, 1)


def stroke_thickness(image: np.ndarray) -> float:
    """Mean stroke width in pixels, estimated as 2 * area / perimeter of the ink (a long stroke of
    width w and length L has area w * L and perimeter about 2 L)."""
    mask = image >= 0.5
    area = mask.sum()
    if area == 0:
        return 0.0
    padded = np.pad(mask, 1)
    edges = (padded[1:, :] != padded[:-1, :]).sum() + (padded[:, 1:] != padded[:, :-1]).sum()
    # Pixel edges overcount a diagonal boundary by about 4/pi; correct for it.
    return float(2 * area / (edges * np.pi / 4))


def normalise_thickness(image: np.ndarray, target: float) -> np.ndarray:
    """Dilate (grey max filter) or erode (min filter) so the strokes are about `target` px wide."""
    current = stroke_thickness(image)
    if current == 0:
        return image
    steps = int(round((target - current) / 2))  # each 3x3 step changes the width by 2 px
    if steps > 0:
        for _ in range(steps):
            image = _grey_filter(image, np.maximum)
    elif steps < 0:
        for _ in range(-steps):
            eroded = _grey_filter(image, np.minimum)
            if (eroded >= 0.5).sum() < 0.5 * (image >= 0.5).sum():
                break  # eroding further would break strokes apart
            image = eroded
    return image


def _grey_filter(image: np.ndarray, combine) -> np.ndarray:
    """3x3 cross-shaped (plus then diagonals blended) max or min filter of a float image."""
    fill = 0.0 if combine is np.maximum else 1.0
    padded = np.pad(image, 1, constant_values=fill)
    out = image.copy()
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        out = combine(out, padded[dy : dy + image.shape[0], dx : dx + image.shape[1]])
    return out


def centre(small: np.ndarray) -> np.ndarray:
    """Paste the (h, w) digit into 28x28 so its centre of mass lands on the centre (kept whole)."""
    height, width = small.shape
    total = small.sum()
    centre_y = (small.sum(axis=1) @ np.arange(height)) / total
    centre_x = (small.sum(axis=0) @ np.arange(width)) / total
    top = int(np.clip(round(CENTRE - centre_y), 0, FIELD_SIZE - height))
    left = int(np.clip(round(CENTRE - centre_x), 0, FIELD_SIZE - width))
    final = np.zeros((FIELD_SIZE, FIELD_SIZE), dtype=np.float32)
    final[top : top + height, left : left + width] = small
    return final


# Uploaded pictures ------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a photo of one digit needs far less
# Pillow refuses to decode pictures with more pixels than this (decompression-bomb guard); a digit
# needs nowhere near 16 megapixels, and a 16 MP greyscale float copy is still only 64 MB.
MAX_UPLOAD_PIXELS = 16_000_000
UPLOAD_FORMATS = ("PNG", "JPEG")
# The first bytes of every PNG and every JPEG: a file that starts so but does not open is damaged.
UPLOAD_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


class UploadError(ValueError):
    """An upload that cannot be used; `reason` names why (a key of the page's messages)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def upload_ink(payload: bytes) -> np.ndarray:
    """The ink of an uploaded PNG/JPEG as (h, w) float32 in [0, 1], light ink on dark.

    Raises UploadError with reason "too_large" (file size), "not_image" (not a PNG or JPEG),
    "corrupt" (truncated or broken), "too_many_pixels" (a decompression bomb) or "blank".
    """
    if len(payload) > MAX_UPLOAD_BYTES:
        raise UploadError("too_large", f"{len(payload)} bytes > {MAX_UPLOAD_BYTES}")
    picture = _open_checked(payload)
    gray = _to_gray(picture)  # (h, w) in [0, 1], transparency flattened onto white
    return _as_light_on_dark(gray)


def _open_checked(payload: bytes) -> Image.Image:
    """Open, check the format and the pixel count (from the header, before decoding anything),
    verify the structure, then decode. Pillow's own bomb guard (Image.MAX_IMAGE_PIXELS, a
    process-wide setting left alone here) stays as a second line."""
    try:
        probe = Image.open(io.BytesIO(payload))
        if probe.format not in UPLOAD_FORMATS:
            raise UploadError("not_image", f"format {probe.format}")
        width, height = probe.size
        if width * height > MAX_UPLOAD_PIXELS:
            raise UploadError("too_many_pixels", f"{width}x{height}")
        probe.verify()  # checks the structure (PNG chunk CRCs) without decoding pixels
        picture = Image.open(io.BytesIO(payload))  # verify() leaves the image unusable
        picture.load()
        # A phone stores a photo as the sensor saw it and says how to turn it in its EXIF
        # orientation tag: a 7 photographed with the phone on its side arrived lying down.
        picture = ImageOps.exif_transpose(picture)
    except UploadError:
        raise
    except Image.DecompressionBombError as error:
        raise UploadError("too_many_pixels", str(error)) from error
    except Image.UnidentifiedImageError as error:
        # Pillow cannot tell a broken PNG or JPEG from another kind of file: the signature can.
        reason = "corrupt" if payload.startswith(UPLOAD_SIGNATURES) else "not_image"
        raise UploadError(reason, str(error)) from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise UploadError("corrupt", str(error)) from error
    return picture


def _to_gray(picture: Image.Image) -> np.ndarray:
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        pixels = np.asarray(rgba)  # (h, w, 4) uint8
        opaque = pixels[..., 3] > 127
        if not opaque.any():
            raise UploadError("blank", "fully transparent")
        # Flatten onto the paper that contrasts with the drawn pixels: white ink on a transparent
        # background would vanish on white paper, black ink on black.
        ink_is_light = pixels[..., :3][opaque].mean() > 127
        paper = (0, 0, 0, 255) if ink_is_light else (255, 255, 255, 255)
        picture = Image.alpha_composite(Image.new("RGBA", rgba.size, paper), rgba)
    return np.asarray(picture.convert("L"), dtype=np.float32) / 255


def _as_light_on_dark(gray: np.ndarray) -> np.ndarray:
    """Decide the polarity from the border (the paper) and stretch the contrast to [0, 1]."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    paper = float(np.median(border))
    if paper > 0.5:
        gray = 1 - gray  # dark ink on light paper: make the ink bright
        paper = 1 - paper
    ink_level = float(np.percentile(gray, 99.5))
    if ink_level - paper < 0.15:
        raise UploadError("blank", "no contrast between ink and paper")
    # Paper (and its noise or a faint shadow) goes to 0, ink to 1.
    low = paper + 0.25 * (ink_level - paper)
    return np.clip((gray - low) / (ink_level - low), 0, 1).astype(np.float32)
