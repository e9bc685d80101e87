"""Starting or joining a Ray instance for the Ray engine, with this machine's traffic kept on
127.0.0.1. Ray is imported only inside connect(), so importing this module costs nothing."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mnist_demo

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
# The raylet's wait for its agent, which starts slowly on a busy machine.
AGENT_TIMEOUT_MS = 120_000
LOCAL_START_ATTEMPTS = 5
LOCAL_RAY = "local"  # as a Ray address: start a Ray instance on this machine


def keep_on_loopback(address: str) -> None:
    """For Ray on this machine, keep all of Ray's traffic on 127.0.0.1: without this Ray
    advertises (and dials) the machine's network interface. Ray reads it when it is imported,
    so this runs before the first `import ray`."""
    if address == LOCAL_RAY or address.rsplit(":", 1)[0] in LOOPBACK_HOSTS:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    if address == LOCAL_RAY:
        # A head started here uses token authentication, and `ray start` makes no token: on a
        # machine without ~/.ray/auth_token the head refuses to start. So this process makes one
        # (unless one is given in $RAY_AUTH_TOKEN), for the heads it starts, which inherit it,
        # and for its own driver, which presents it.
        os.environ.setdefault("RAY_AUTH_MODE", "token")
        local_token()


def local_token() -> str:
    """The token of the Ray heads this process starts: $RAY_AUTH_TOKEN, made here if unset."""
    return os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))


class LocalHead:
    """A Ray head started on this machine (127.0.0.1) as `ray start --head --block` in a process
    group of its own, so stop() ends exactly the processes it started.

    Ray gives a starting node 30 s to register, which a busy machine exceeds (measured: load
    average 60 on 2 cores); a head that fails to start is stopped and started again. A driver
    whose own ray.init failed cannot retry in-process: its dead client later ends the process.
    """

    def __init__(self, num_cpus: int | None = None, attempts: int = LOCAL_START_ATTEMPTS) -> None:
        self.process: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkdtemp(prefix="mnist_demo_ray_")) / "head.log"
        for _ in range(attempts):
            self.port = _free_port()
            self.process = self._start(num_cpus)
            if self._wait_started():
                return
            self.stop()
        raise RuntimeError(f"Ray did not start on this machine: see {self.log_path}")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _start(self, num_cpus: int | None) -> subprocess.Popen:
        command = [
            sys.executable, "-c", "from ray.scripts.scripts import main; main()",
            "start", "--head", "--block",
            "--port", str(self.port),
            "--node-ip-address", "127.0.0.1",
            "--dashboard-agent-listen-port", str(_free_port()),
            "--include-dashboard=false",
            "--disable-usage-stats",
        ]  # fmt: skip
        if num_cpus:
            command += ["--num-cpus", str(num_cpus)]
        environment = {
            **os.environ,
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": local_token(),
            # The raylet's wait for its agent, which starts slowly on a busy machine.
            "RAY_agent_register_timeout_ms": str(AGENT_TIMEOUT_MS),
        }
        with self.log_path.open("a") as log:
            return subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                start_new_session=True,
            )  # fmt: skip

    def _wait_started(self, timeout: float = 180.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if "Ray runtime started" in self.log_path.read_text(errors="replace"):
                return True
            time.sleep(0.5)
        return False

    def stop(self) -> None:
        """End the head's process group (its GCS, raylet, agents and workers)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # what SIGTERM left behind
        self.process = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def connect(address: str = LOCAL_RAY, num_cpus: int | None = None) -> LocalHead | bool:
    """Connect this process to Ray: "local" starts a head on this machine (on 127.0.0.1, with
    num_cpus CPUs, default all) and returns it (stop it when done), host:port joins that
    cluster and returns True; False if this process was connected already."""
    keep_on_loopback(address)
    import ray

    if ray.is_initialized():
        return False
    head = LocalHead(num_cpus) if address == LOCAL_RAY else None
    try:
        ray.init(
            address=head.address if head else address,
            # The workers import mnist_demo from this package, shipped to the cluster by Ray,
            # so a node needs the requirements installed but not this repository.
            runtime_env={
                "py_modules": [str(Path(mnist_demo.__file__).parent)],
                "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"},
            },
            log_to_driver=False,  # the run's log reaches the page through its snapshot
        )
    except BaseException:
        if head is not None:
            head.stop()
        raise
    return head or True
