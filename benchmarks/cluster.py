"""Training on the ray engine against the local engine: the chapter's network, one run.

Prints, from one run:
- steady-state seconds per epoch (60,000 images, batch 128) of the chapter's network on the
  local engine (a thread of this process) and on the ray engine (a Ray actor given 2 CPUs),
  interleaved, and their ratio (target <= 1.25x);
- the start-up cost of a run on Ray: connecting (ray.init) once, then per run the time from
  submit to the first live record, against the same on the local engine, and the time from the
  last epoch to the model saved in this process's store.

The machine is shared, so per-epoch figures are the fastest epoch after the first (which
compiles) over all repeats: other processes only ever make an epoch slower. By default Ray is
started on this machine (127.0.0.1, 2 CPUs) and shut down at the end; --ray-address uses a
running head instead. Usage (from the repository root):
    PYTHONPATH=. python benchmarks/cluster.py [--epochs 3] [--repeats 2] [--ray-address ADDR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["MNIST_DEMO_HOME"] = tempfile.mkdtemp(prefix="mnist_demo_cluster_bench_")

TARGET_RATIO = 1.25


def timed_run(engine, config) -> dict:
    """Submit config, follow it to the end; its per-epoch seconds and start-up times."""
    submitted = time.perf_counter()
    run = engine.submit(config)
    first_record = last_epoch = None
    while not run.join(0.05):
        snapshot = run.snapshot()
        if first_record is None and snapshot.batch_steps:
            first_record = time.perf_counter() - submitted
        if last_epoch is None and len(snapshot.epoch_metrics) == config.epochs:
            last_epoch = time.perf_counter()
    done = time.perf_counter()
    snapshot = run.snapshot()
    if snapshot.status != "completed":
        raise RuntimeError(f"{engine.name} run {snapshot.status}: {snapshot.error}")
    return {
        "epochs": [metrics["seconds"] for metrics in snapshot.epoch_metrics],
        "first_record": first_record,
        "total": done - submitted,
        "end": done - (last_epoch or done),
        "accuracy": snapshot.test_accuracy,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (first compiles)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved runs per engine")
    parser.add_argument("--ray-address", default="local", help="host:port, or local (default)")
    args = parser.parse_args()

    from mnist_demo.training import engines, ray_engine
    from mnist_demo.training.config import TrainConfig

    config = TrainConfig(epochs=args.epochs)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared machine)")
    local = engines.make_engine("local", max_concurrent=1)
    started = time.perf_counter()
    ray = ray_engine.RayEngine(args.ray_address, num_cpus=2)
    ray.wait_connected()
    connect_seconds = time.perf_counter() - started
    print(f"Ray connected in {connect_seconds:.1f} s ({args.ray_address}), capacity {ray.capacity}")
    results: dict[str, list[dict]] = {"local": [], "ray": []}
    try:
        for repeat in range(args.repeats):
            for engine in (local, ray):
                result = timed_run(engine, config)
                results[engine.name].append(result)
                epochs = ", ".join(f"{seconds:.2f}" for seconds in result["epochs"])
                print(
                    f"repeat {repeat + 1} {engine.name:>5}: epochs {epochs} s; first live record "
                    f"after {result['first_record']:.1f} s; test_acc {result['accuracy']:.4f}",
                    flush=True,
                )
    finally:
        local.shutdown()
        ray.shutdown()

    def steady(name: str) -> float:
        return min(min(result["epochs"][1:]) for result in results[name])

    def best(name: str, key: str) -> float:
        return min(result[key] for result in results[name])

    ratio = steady("ray") / steady("local")
    print()
    print(
        f"per epoch (fastest after the first): local {steady('local'):.3f} s, "
        f"ray {steady('ray'):.3f} s = {ratio:.2f}x (target <= {TARGET_RATIO}x)"
    )
    print(
        f"start-up, submit to first live record (best): local {best('local', 'first_record'):.1f}"
        f" s, ray {best('ray', 'first_record'):.1f} s (a worker process starts and imports "
        f"TensorFlow); connecting to Ray once: {connect_seconds:.1f} s"
    )
    print(
        f"end, last epoch to model saved here (best): local {best('local', 'end'):.2f} s, "
        f"ray {best('ray', 'end'):.2f} s (evaluation, then the model's bytes come back)"
    )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
