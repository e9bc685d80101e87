"""The server console keeps real problems only (issue 14, item 19): a closed tab's
WebSocketDisconnected and TensorFlow's retracing warnings for one trace per model are dropped."""

import logging

import keras
import numpy as np
import pytest
from starlette.websockets import WebSocketDisconnected

from mnist_demo import quiet_logs
from mnist_demo.training import model


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def collected():
    handlers = {}
    for name in (quiet_logs.WEBSOCKET_LOGGER, quiet_logs.TENSORFLOW_LOGGER):
        handlers[name] = Collect()
        logging.getLogger(name).addHandler(handlers[name])
    yield handlers
    for name, handler in handlers.items():
        logging.getLogger(name).removeHandler(handler)


def test_a_closed_tab_logs_no_traceback_but_other_send_errors_do(collected):
    quiet_logs.install()
    logger = logging.getLogger(quiet_logs.WEBSOCKET_LOGGER)
    for error in (WebSocketDisconnected("Cannot call 'send' once closed"), OSError("disk full")):
        try:
            raise error
        except Exception:
            logger.exception("Error sending websocket payload")  # as Streamlit's sender does
    logged = [type(record.exc_info[1]).__name__ for record in collected[logger.name].records]
    assert logged == ["OSError"]


def test_one_trace_per_model_warns_about_no_retracing(collected):
    images = np.zeros((1, 28, 28), dtype="float32")
    networks = [
        keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
        for _ in range(7)
    ]
    for network in networks:
        model.predict_proba(network, images)
    messages = [record.getMessage() for record in collected[quiet_logs.TENSORFLOW_LOGGER].records]
    assert not [message for message in messages if quiet_logs.RETRACING in message], messages


def test_the_filters_are_installed_once():
    quiet_logs.install()
    quiet_logs.install()
    for name in (quiet_logs.WEBSOCKET_LOGGER, quiet_logs.TENSORFLOW_LOGGER):
        assert len(logging.getLogger(name).filters) == 1
