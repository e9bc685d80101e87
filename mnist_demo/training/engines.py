"""The training engines behind one interface: local (this process) or Ray (a Ray cluster).

Pages, the Home walkthrough and the CLI only use what Engine and Run below describe, so the
same page trains in-process on a laptop or on a cluster of machines.
"""

from __future__ import annotations

import contextlib
import os
from typing import Protocol

from mnist_demo.training.config import TrainConfig
from mnist_demo.training.fit_loop import FitSettings
from mnist_demo.training.ray_cluster import LOCAL_RAY
from mnist_demo.training.run_state import RunSnapshot, RunStatus

RAY_ADDRESS_ENV = "MNIST_DEMO_RAY_ADDRESS"
ENGINES = ("local", "ray")


class Run(Protocol):
    """A run as pages and the CLI see it, whatever engine trains it."""

    run_id: str
    config: TrainConfig
    owner: str | None

    def snapshot(self) -> RunSnapshot: ...

    @property
    def status(self) -> RunStatus: ...

    @property
    def model(self): ...  # the trained Keras model once it has one, else None

    def may_stop(self, owner: str | None) -> bool: ...

    def request_stop(self, owner: str | None = None) -> bool: ...

    def join(self, timeout: float | None = None) -> bool: ...


class Engine(Protocol):
    """Where runs train. submit() returns at once; the run waits for a free slot (shown as its
    queue position) and then trains; its progress, results and model go to the store."""

    name: str

    def submit(self, config: TrainConfig, *, owner: str | None = None) -> Run: ...

    def get(self, run_id: str) -> Run | None: ...

    def runs(self) -> list[Run]: ...

    def slot(self) -> contextlib.AbstractContextManager:
        """Hold one of this machine's training slots for work done in this process (the Draw
        page's handwriting adaptation), in first-come order with this engine's local work."""
        ...

    def shutdown(self) -> None: ...


def make_engine(
    kind: str | None = None,
    ray_address: str | None = None,
    *,
    settings: FitSettings | None = None,
    max_concurrent: int | None = None,
) -> Engine:
    """The engine asked for: kind "local" or "ray"; None reads $MNIST_DEMO_RAY_ADDRESS (unset:
    local; "local": Ray started on this machine; host:port: that Ray cluster). A ray engine
    without an address starts Ray on this machine. Ray is imported only for the ray engine."""
    environment_address = os.environ.get(RAY_ADDRESS_ENV, "").strip()
    if kind is None:
        kind = "ray" if environment_address else "local"
    if kind not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {kind!r}")
    if kind == "local":
        from mnist_demo.training.training_queue import TrainingQueue

        return TrainingQueue(max_concurrent=max_concurrent, settings=settings)
    from mnist_demo.training.ray_engine import RayEngine

    return RayEngine(ray_address or environment_address or LOCAL_RAY, settings=settings)
