"""What benchmarks/classroom.py keeps of a student who failed: the page's console and WebSocket
traffic while the visit lasts, and on failure a screenshot and a report with the server's
messages decoded (type, delta path, fragment), which is how a white page's "Bad delta path
index" was traced to a Streamlit bug (streamlit_fixes.drop_nested_fragment_messages_on_rerun)."""

from __future__ import annotations

import time
from pathlib import Path


def watch(page, student) -> None:
    """Keeps the page's console messages and WebSocket frame sizes for a failure report."""
    began = time.perf_counter()

    def frame(direction: str, payload) -> None:
        student.frames.append((time.perf_counter() - began, direction, payload))

    def socket(websocket) -> None:
        websocket.on("framesent", lambda payload: frame("sent", payload))
        websocket.on("framereceived", lambda payload: frame("received", payload))
        websocket.on("close", lambda _: frame("closed", b""))

    page.on("websocket", socket)
    page.on(
        "console",
        lambda message: student.console.append(
            f"{time.perf_counter() - began:7.1f} {message.type}: {message.text[:300]}"
        ),
    )
    page.on(
        "pageerror",
        lambda error: student.console.append(f"{time.perf_counter() - began:7.1f} error: {error}"),
    )


def describe_message(payload) -> str:
    """One line for a message from Streamlit's server: its type, a delta's path and element."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if not isinstance(payload, bytes):
        return "(text)"
    message = ForwardMsg()
    try:
        message.ParseFromString(payload)
    except Exception:  # noqa: BLE001 - a report line, not a check
        return "(not a ForwardMsg)"
    kind = message.WhichOneof("type")
    text = kind or "?"
    if kind == "delta":
        delta = message.delta
        change = delta.WhichOneof("type")
        element = delta.new_element.WhichOneof("type") if change == "new_element" else ""
        text += f" {change} {element} path={list(message.metadata.delta_path)}"
        text += f" fragment={delta.fragment_id[:8]}"
    elif kind in ("script_finished", "session_status_changed", "stop_auto_rerun"):
        text += " " + " ".join(str(getattr(message, kind)).split())
    run = message.metadata.run
    if run.script_run_id:
        text += f" run={run.script_run_id[:8]} fragments={[f[:8] for f in run.fragment_ids]}"
    return text


async def keep_failure(page, student, folder: Path) -> None:
    """A failed student's screenshot, console and WebSocket traffic, in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"student_{student.number:02d}"
    try:
        await page.screenshot(path=f"{stem}.png", full_page=True, timeout=30_000)
    except Exception as error:  # noqa: BLE001 - the report goes on without the picture
        student.console.append(f"screenshot failed: {error}")
    frames = [
        f"{at:7.2f} {direction:<8} {len(payload):>6} "
        + (describe_message(payload) if direction == "received" else "")
        for at, direction, payload in student.frames
    ]
    Path(f"{stem}.txt").write_text(
        f"{student.failure}\n\n# console\n"
        + "\n".join(student.console)
        + "\n\n# websocket frames (seconds, direction, bytes)\n"
        + "\n".join(frames)
        + "\n"
    )
