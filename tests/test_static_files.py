"""Streamlit's frontend files served from memory (mnist_demo/ui/static_files.py): the real
Streamlit static handler, called as the server calls it (ASGI), answers as Starlette's own code
does: same bytes, headers, 304s, fallbacks and refusals."""

from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path

import anyio
import pytest
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles
from streamlit.web.server.starlette.starlette_static_routes import create_streamlit_static_handler

from mnist_demo.ui import static_files

STATIC_DIR = Path(static_files.streamlit_static_dir())


def request(handler, path: str, method: str = "GET", headers: dict | None = None):
    """(status, headers, body) of one ASGI HTTP request to handler."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    sent = []
    requested = False

    async def receive():
        # The request once; then, as a browser that stays, nothing until the answer is sent
        # (Starlette's FileResponse listens for a disconnect while it streams).
        nonlocal requested
        if requested:
            await anyio.sleep_forever()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    # In a thread of its own: in the whole suite, Playwright's sync API keeps an event loop
    # running in the main thread (CI: "Cannot run the event loop while another loop is running").
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, handler, scope, receive, send).result()
    start = sent[0]
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return start["status"], response_headers, body


@pytest.fixture(scope="module")
def handler():
    assert static_files.serve_from_memory()
    return create_streamlit_static_handler(directory=str(STATIC_DIR), base_url=None)


@pytest.fixture(scope="module")
def bundle() -> Path:
    """The largest of Streamlit's JavaScript bundles."""
    return max((STATIC_DIR / "static" / "js").glob("*.js"), key=lambda file: file.stat().st_size)


def test_a_bundle_is_the_file_with_starlettes_headers_and_kept_after_its_first_request(
    handler, bundle
):
    path = "/" + bundle.relative_to(STATIC_DIR).as_posix()
    first = request(handler, path)
    second = request(handler, path)
    assert first == second
    status, headers, body = second
    assert status == 200
    assert body == bundle.read_bytes()
    expected = FileResponse(bundle, stat_result=os.stat(bundle)).headers
    for name in ("content-type", "content-length", "etag", "last-modified"):
        assert headers[name] == expected[name], name
    assert headers["cache-control"].startswith("public, immutable")  # Streamlit's, as before
    assert (str(STATIC_DIR), bundle.relative_to(STATIC_DIR).as_posix()) in static_files._kept


def test_a_browser_with_the_file_gets_304_without_a_body(handler, bundle):
    path = "/" + bundle.relative_to(STATIC_DIR).as_posix()
    etag = request(handler, path)[1]["etag"]
    status, headers, body = request(handler, path, headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert headers["etag"] == etag
    status, _, body = request(handler, path, headers={"If-None-Match": '"another"'})
    assert status == 200 and body == bundle.read_bytes()


def test_head_sends_the_headers_of_the_file(handler, bundle):
    path = "/" + bundle.relative_to(STATIC_DIR).as_posix()
    status, headers, _ = request(handler, path, method="HEAD")
    assert status == 200
    assert int(headers["content-length"]) == bundle.stat().st_size


def test_pages_missing_files_and_bad_paths_are_answered_as_streamlit_answers_them(handler):
    index = (STATIC_DIR / "index.html").read_bytes()
    for path in ("/", "/explore", "/static/js/no-such-bundle.js"):
        status, headers, body = request(handler, path)
        assert (status, body) == (200, index), path  # the app's page: Streamlit's fallback
        assert headers["cache-control"] == "no-cache", path
    assert request(handler, "/static/../../../etc/passwd")[0] == 400
    assert request(handler, "//example.com")[0] == 400
    with pytest.raises(HTTPException) as refused:  # the app's middleware answers it with a 405
        request(handler, "/index.html", method="POST")
    assert refused.value.status_code == 405


def test_other_static_folders_are_left_to_starlette(tmp_path):
    assert static_files.serve_from_memory()
    (tmp_path / "a.txt").write_text("first")
    other = StaticFiles(directory=tmp_path)
    assert request(other, "/a.txt")[2] == b"first"
    (tmp_path / "a.txt").write_text("second")  # read from disk each time, as Starlette does
    assert request(other, "/a.txt")[2] == b"second"
    assert not any(directory == str(tmp_path) for directory, _ in static_files._kept)
