"""Keep the server console for real problems: drop two kinds of log noise that say nothing is
wrong."""

from __future__ import annotations

import logging

# Streamlit 1.67's WebSocket sender catches starlette's WebSocketDisconnect but not the
# WebSocketDisconnected (a RuntimeError) starlette 1.x raises for a send after the browser closed
# the tab, so every closed tab with a message in flight logged "Error sending websocket payload"
# and a traceback.
WEBSOCKET_LOGGER = "streamlit.web.server.starlette.starlette_websocket"
# TensorFlow warns when many tf.functions are traced in a row; model.compiled_call traces one per
# model on purpose (each once), so with a few models loaded the console filled with
# "... triggered tf.function retracing" warnings.
TENSORFLOW_LOGGER = "tensorflow"
RETRACING = "triggered tf.function retracing"


class _ClosedTab(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return type(error).__name__ != "WebSocketDisconnected"


class _Retracing(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return RETRACING not in record.getMessage()


def install() -> None:
    """Add the filters (once per process; calling again changes nothing)."""
    for name, kind in ((WEBSOCKET_LOGGER, _ClosedTab), (TENSORFLOW_LOGGER, _Retracing)):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, kind) for existing in logger.filters):
            logger.addFilter(kind())
