"""Streamlit's frontend files served from memory: a class's first visits cost the server a fifth
of the CPU.

Every student's browser downloads Streamlit's frontend once (about 115 files, 10 MB). Streamlit
serves them with Starlette's `StaticFiles`, which hands each file's stat, open, reads and close to
worker threads, about five thread hops per file: 0.17 server CPU-seconds per browser, a third of
what a student's whole visit costs (benchmarks/static_files.py). The files are package content
that never changes while the server runs, so this keeps each one's bytes and headers after its
first request and answers later requests in one send from the event loop: 0.03 CPU-seconds per
browser.

Nothing else changes: the same bytes, the same headers (ETag, Last-Modified, Content-Type, and
the Cache-Control Streamlit adds), the same 304 for a browser that has the file, and every other
request (a missing file, a directory, another method, any other `StaticFiles` such as a
component's) still goes through Starlette's own code.

app.py turns it on, after streamlit_fixes.drop_nested_fragment_messages_on_rerun: with it on,
benchmarks/classroom.py at N = 30 left 9, 2, 1, 0 and 0 of 30 students on a white page (a second
stroke whose rerun started before the first stroke's answer had been sent: a Streamlit bug that
the other fix mends), where the one class served by Starlette had none; a large file sent from
the event loop itself may keep the session messages waiting longer.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

import anyio
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles

# Streamlit's largest bundle is under 5 MB; a file above this is streamed from disk as before.
LARGEST_KEPT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class _KeptFile:
    body: bytes
    headers: dict[str, str]


# (directory, path) -> the file as first served. Written only from the event loop's thread.
_kept: dict[tuple[str, str], _KeptFile] = {}
# Starlette's own method, kept on the class so that a re-imported copy of this module (Streamlit
# reloads changed modules while developing) still calls it and not an earlier copy's.
_ORIGINAL = "_mnist_demo_starlette_get_response"
_starlette_get_response = StaticFiles.__dict__.get(_ORIGINAL, StaticFiles.get_response)
_KEEPS = "_mnist_demo_serves_from_memory"


def streamlit_static_dir() -> str:
    from streamlit import file_util

    return os.path.abspath(file_util.get_static_dir())


def _read(static_files: StaticFiles, path: str) -> _KeptFile | None:
    """The file at path under static_files' directory, or None when Starlette must answer."""
    full_path, stat_result = static_files.lookup_path(path)  # refuses paths outside the folder
    if stat_result is None or not stat.S_ISREG(stat_result.st_mode):
        return None
    if stat_result.st_size > LARGEST_KEPT_BYTES:
        return None
    with open(full_path, "rb") as file:
        body = file.read()
    if len(body) != stat_result.st_size:
        return None  # changed while read: let Starlette serve it
    # FileResponse's own headers (content type, length, last-modified, etag), computed once.
    headers = dict(FileResponse(full_path, stat_result=stat_result).headers)
    return _KeptFile(body, headers)


async def _get_response(self: StaticFiles, path: str, scope) -> Response:
    if scope["method"] not in ("GET", "HEAD") or not _keeps(self):
        return await _starlette_get_response(self, path, scope)
    key = (str(self.directory), path)
    kept = _kept.get(key)
    if kept is None:
        kept = await anyio.to_thread.run_sync(_read, self, path)
        if kept is None:
            return await _starlette_get_response(self, path, scope)
        _kept[key] = kept
    headers = Headers(headers=kept.headers)
    if self.is_not_modified(headers, Headers(scope=scope)):
        return NotModifiedResponse(headers)
    return Response(kept.body, headers=kept.headers)


def _keeps(static_files: StaticFiles) -> bool:
    """Whether static_files serves Streamlit's frontend (decided once per instance, the first
    time it answers: its directory does not change after that)."""
    keeps = static_files.__dict__.get(_KEEPS)
    if keeps is None:
        directory = static_files.directory
        keeps = directory is not None and os.path.abspath(directory) == streamlit_static_dir()
        static_files.__dict__[_KEEPS] = keeps
    return keeps


def serve_from_memory() -> bool:
    """Serve Streamlit's frontend files from memory from now on (once per process; calling again
    changes nothing). Returns whether it is on: False when Starlette's StaticFiles no longer has
    the methods this relies on, and Streamlit's own serving stays."""
    needed = ("get_response", "lookup_path", "is_not_modified")
    if not all(hasattr(StaticFiles, name) for name in needed):
        return False
    setattr(StaticFiles, _ORIGINAL, _starlette_get_response)
    StaticFiles.get_response = _get_response
    return True
