"""`streamlit run` whose event loop is late with every session's messages, as a busy server's is.

    python -m mnist_demo.ui.busy_server SECONDS <streamlit run arguments>

Streamlit sends a session's messages to its browser whenever its event loop comes round to it;
on a server that thirty browsers keep busy, a script run's messages can wait seconds, and a
browser's next message (a second stroke) can start a new run before they have gone. This holds
each session's messages and sends them in batches, at most one batch every SECONDS, so that
the browser tests meet that order of events on an idle machine (the same app, the same
messages, only later). tests/e2e/test_draw.py starts it through tools.browser.streamlit_server.
"""

from __future__ import annotations

import asyncio
import sys
import time


def hold_messages(seconds: float) -> None:
    """From now on, each session's queued messages go to its browser at most every `seconds`."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.app_session import AppSession

    flush = AppSession.flush_browser_queue

    def flush_late(session: AppSession) -> list:
        now = time.monotonic()
        due = session.__dict__.setdefault("_next_batch_due", now)
        if now >= due:
            session.__dict__["_next_batch_due"] = now + seconds
            return flush(session)
        if len(session._browser_queue) and not session.__dict__.get("_wake_up_set"):
            # The runtime's loop sleeps until a new message arrives: wake it when the batch is
            # due (a little after: a timer may fire early, and then it sets another one).
            session.__dict__["_wake_up_set"] = True
            need_send_data = Runtime.instance()._get_async_objs().need_send_data

            def wake_up() -> None:
                session.__dict__["_wake_up_set"] = False
                need_send_data.set()

            asyncio.get_running_loop().call_later(due - now + 0.05, wake_up)
        return []

    AppSession.flush_browser_queue = flush_late


def main(argv: list[str]) -> None:
    if not argv or float(argv[0]) <= 0:
        raise SystemExit(__doc__)
    hold_messages(float(argv[0]))
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *argv[1:]]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
