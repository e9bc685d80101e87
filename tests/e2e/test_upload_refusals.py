"""Uploads Streamlit itself refuses, in Chromium (issue 14, items 3 and 11): the refusal is worded
in the page's language and the previous picture's prediction goes; the server refuses what the
browser would not send."""

import io

from e2e_helpers import assert_no_exception, wait_for_app
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from mnist_demo.i18n import translate

UPLOADER_LIMIT_MB = 20  # pages/draw.py UPLOADER_LIMIT_MB, server.maxUploadSize


def one_png(image_format: str = "PNG") -> bytes:
    """A dark 1 on white paper."""
    picture = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(picture).line([(100, 40), (100, 160)], 0, 16)
    buffer = io.BytesIO()
    picture.save(buffer, format=image_format)
    return buffer.getvalue()


def open_upload(page, app_url):
    page.goto(f"{app_url}/draw?lang=ko")
    wait_for_app(page)
    page.get_by_test_id("stRadio").get_by_text("그림 업로드", exact=True).click()
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    expect(uploader).to_be_attached(timeout=30_000)
    value = page.get_by_test_id("stMetric").filter(has_text="예측").get_by_test_id("stMetricValue")
    return uploader, value


def send(uploader, name: str, mime: str, payload: bytes) -> None:
    uploader.set_input_files(files=[{"name": name, "mimeType": mime, "buffer": payload}])


def test_refused_uploads_are_worded_in_korean_and_clear_the_prediction(page, app_url):
    uploader, value = open_upload(page, app_url)
    send(uploader, "one.png", "image/png", one_png())
    expect(value).to_have_text("1", timeout=60_000)

    # A GIF: Streamlit's type check said "image/gif files are not allowed." and kept the 1.
    send(uploader, "one.gif", "image/gif", one_png("GIF"))
    expect(page.get_by_text(translate("draw.upload.not_image", "ko"))).to_be_visible(timeout=60_000)
    expect(value).to_have_text("–")

    send(uploader, "one.png", "image/png", one_png())
    expect(value).to_have_text("1", timeout=60_000)
    # Over the uploader's limit: the browser never sends it; it said "File must be 20.0MB or
    # smaller." and kept the 1.
    too_large = one_png() + bytes(UPLOADER_LIMIT_MB * 1024 * 1024)
    send(uploader, "huge.png", "image/png", too_large)
    refusal = translate("draw.upload.refused", "ko", limit=UPLOADER_LIMIT_MB)
    expect(page.get_by_text(refusal)).to_be_visible(timeout=30_000)
    expect(value).to_have_text("–", timeout=30_000)
    expect(page.get_by_text("or smaller", exact=False)).to_have_count(0)
    assert_no_exception(page)

    # A picture after the refusal is read as usual (the refused file's note stays beside it).
    send(uploader, "one.png", "image/png", one_png())
    expect(value).to_have_text("1", timeout=60_000)


def test_the_server_refuses_an_upload_over_its_limit(page, app_url):
    """The probe sent 30 MB and 199 MB straight to the upload endpoint, past the browser's check,
    and the server kept them in memory. Replay the browser's own upload request with a larger
    body: the server answers 413 (it answered 204 with Streamlit's default 200 MB limit)."""
    uploader, value = open_upload(page, app_url)
    with page.expect_request(lambda request: "/_stcore/upload_file/" in request.url) as sent:
        send(uploader, "one.png", "image/png", one_png())
    request = sent.value
    expect(value).to_have_text("1", timeout=60_000)
    headers = {
        name: value
        for name, value in request.headers.items()
        if name.lower() not in ("content-type", "content-length")
    }

    def upload(size: int) -> int:
        payload = {"name": "big.png", "mimeType": "image/png", "buffer": bytes(size)}
        response = page.request.put(request.url, headers=headers, multipart={"file": payload})
        return response.status

    assert upload(1024) in (200, 204)  # the replay itself is accepted
    assert upload((UPLOADER_LIMIT_MB + 1) * 1024 * 1024) == 413
