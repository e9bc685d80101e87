"""Training speed of the chapter's network against this machine's float32 matmul roofline.

Prints, from one run:
- the float32 matmul (sgemm) rate of NumPy's BLAS and of TensorFlow/XLA on the network's shapes;
- steady-state seconds per epoch (60,000 images, batch 128) of plain model.fit, of Keras' fit with
  XLA and steps_per_execution=16, and of the fit the app uses (mnist_demo.training.fit_loop.fit:
  a few hundred batches per XLA-compiled call), and their ratio to the roofline: one epoch is
  146.35 GFLOP forward + backward, divided by the best sgemm rate;
- the overhead of the live page: the same fit run through mnist_demo.training.TrainingRun (live
  callback, lock, SQLite records each epoch) against the bare fit_loop.fit, interleaved.

The machine is shared, so every figure is the best (fastest epoch / highest rate) over all
epochs and repeats: other processes only ever make a measurement slower. Usage:
    python benchmarks/train_speed.py [--epochs 5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np

# Forward 2*784*512 + 2*512*10 FLOP per image; backward counted as twice the forward pass.
EPOCH_GFLOP = 3 * 2 * (784 * 512 + 512 * 10) * 60_000 / 1e9  # 146.35
TARGET_RATIO = 1.3
TARGET_OVERHEAD = 0.05
# The network's matmuls at batch 128: forward of layer 1, its weight gradient, and the
# gradient to the hidden layer (m, k, n of an (m, k) @ (k, n) product).
SHAPES = ((128, 784, 512), (784, 128, 512), (128, 10, 512))


def sgemm_numpy(m: int, k: int, n: int, seconds: float = 0.5) -> float:
    """GFLOP/s of NumPy's BLAS on one (m, k) @ (k, n) float32 product, best of many."""
    rng = np.random.default_rng(0)
    a, b = rng.random((m, k), dtype="float32"), rng.random((k, n), dtype="float32")
    out = np.empty((m, n), dtype="float32")
    return _best_rate(lambda: np.matmul(a, b, out=out), 2 * m * k * n, seconds)


def sgemm_tensorflow(m: int, k: int, n: int, seconds: float = 0.5) -> float:
    """GFLOP/s of an XLA-compiled tf.matmul, 50 products per call to hide the dispatch."""
    import tensorflow as tf

    a, b = tf.random.uniform((m, k)), tf.random.uniform((k, n))

    @tf.function(jit_compile=True)
    def fifty(a, b):
        total = tf.zeros((m, n))
        for index in range(50):
            total += tf.matmul(a + float(index), b)  # distinct inputs: nothing is hoisted
        return total

    return _best_rate(lambda: fifty(a, b).numpy(), 50 * 2 * m * k * n, seconds)


def _best_rate(call, flop: int, seconds: float) -> float:
    call()
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        for _ in range(5):
            call()
        best = min(best, (time.perf_counter() - start) / 5)
    return flop / best / 1e9


def matmul_rates() -> dict[str, float]:
    """Rate over the network's shapes weighted by their FLOP (the epoch's mix), per library."""
    weights = [m * k * n for m, k, n in SHAPES]
    rates = {}
    for name, measure in (("numpy", sgemm_numpy), ("tensorflow", sgemm_tensorflow)):
        times = [w / measure(*shape) for w, shape in zip(weights, SHAPES, strict=True)]
        rates[name] = sum(weights) / sum(times)
    return rates


def epoch_timer():
    """A callback placed after all others: the time between the ends of consecutive epochs
    includes every callback's work (the live callback's SQLite write at the epoch's end too)."""
    import keras

    times: list[float] = []
    cpu_times: list[float] = []  # process CPU seconds (all threads): less sensitive to sharing

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.last, self.last_cpu = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            now, now_cpu = time.perf_counter(), time.process_time()
            times.append(now - self.last)
            cpu_times.append(now_cpu - self.last_cpu)
            self.last, self.last_cpu = now, now_cpu

    return EpochTimer(), times, cpu_times


def keras_fit(config, arrays, *, jit_compile: bool, steps_per_execution: int) -> list[float]:
    """Keras' own model.fit: per-epoch wall seconds."""
    from mnist_demo.training.model import build_model

    model = build_model(config, jit_compile=jit_compile, steps_per_execution=steps_per_execution)
    timer, times, _ = epoch_timer()
    model.fit(
        arrays.x_train,
        arrays.y_train,
        epochs=config.epochs,
        batch_size=config.batch_size,
        callbacks=[timer],
        verbose=0,
    )
    return times


def bare_fit(config, settings, arrays) -> tuple[list[float], list[float]]:
    """The app's fit (mnist_demo.training.fit_loop.fit) without the live callback: per-epoch wall
    and CPU seconds."""
    from mnist_demo.training import fit_loop
    from mnist_demo.training.model import build_model

    xla = settings.xla_for(config.architecture)
    model = build_model(config, jit_compile=xla)
    timer, times, cpu_times = epoch_timer()
    fit_loop.fit(
        model,
        arrays.x_train,
        arrays.y_train,
        epochs=config.epochs,
        batch_size=config.batch_size,
        callbacks=[timer],
        seed=config.seed,
        settings=settings,
        jit_compile=xla,
    )
    return times, cpu_times


def live_fit(config, settings) -> tuple[list[float], list[float]]:
    """The same fit through TrainingRun (live callback, SQLite per epoch): per-epoch wall and
    CPU seconds."""
    from mnist_demo.storage import store
    from mnist_demo.training import training_run

    timer, times, cpu_times = epoch_timer()
    run = training_run.TrainingRun(config, settings=settings, callbacks=(timer,))
    store.create_run(run.run_id, config.to_dict())
    run.start()
    run.join()
    snapshot = run.snapshot()
    if snapshot.status != "completed":
        raise RuntimeError(f"benchmark run {snapshot.status}: {snapshot.error}")
    return times, cpu_times


def steady(times: list[float]) -> float:
    """Steady-state epoch time: the fastest epoch after the first (which compiles). Other
    processes on a shared machine only ever make an epoch slower, so the fastest one is the
    closest to what this code costs on a quiet machine."""
    return min(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per fit (first is warm-up)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats of each fit")
    args = parser.parse_args()

    import tempfile

    os.environ["MNIST_DEMO_HOME"] = tempfile.mkdtemp(prefix="mnist_demo_bench_")
    from mnist_demo.training import training_run
    from mnist_demo.training.config import TrainConfig

    config = TrainConfig(epochs=args.epochs)
    fast = training_run.FitSettings()
    arrays = training_run.training_data(config)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared machine)")

    rates = [matmul_rates()]
    plain_times, keras_xla_times, bare_times, live_times, bare_cpu, live_cpu = (
        [] for _ in range(6)
    )
    for repeat in range(args.repeats):
        plain_times.append(
            steady(keras_fit(config, arrays, jit_compile=False, steps_per_execution=1))
        )
        keras_xla_times.append(
            steady(keras_fit(config, arrays, jit_compile=True, steps_per_execution=16))
        )
        wall, cpu = bare_fit(config, fast, arrays)
        bare_times.append(steady(wall))
        bare_cpu.append(steady(cpu))
        wall, cpu = live_fit(config, fast)
        live_times.append(steady(wall))
        live_cpu.append(steady(cpu))
        rates.append(matmul_rates())
        print(
            f"repeat {repeat + 1}: plain fit {plain_times[-1]:.3f} s/epoch, Keras fit with XLA "
            f"{keras_xla_times[-1]:.3f}, app fit {bare_times[-1]:.3f}, app fit + live callback "
            f"{live_times[-1]:.3f} s/epoch",
            flush=True,
        )

    numpy_rate = max(rate["numpy"] for rate in rates)
    tf_rate = max(rate["tensorflow"] for rate in rates)
    best_rate = max(numpy_rate, tf_rate)
    roofline = EPOCH_GFLOP / best_rate
    plain_best, bare_best, live_best = min(plain_times), min(bare_times), min(live_times)
    keras_xla_best = min(keras_xla_times)
    overhead = live_best / bare_best - 1
    print()
    print(f"float32 matmul, network shapes: NumPy BLAS {numpy_rate:.0f} GFLOP/s, ")
    print(f"                                TensorFlow XLA {tf_rate:.0f} GFLOP/s (best of runs)")
    print(f"roofline: {EPOCH_GFLOP:.2f} GFLOP / {best_rate:.0f} GFLOP/s = {roofline:.3f} s/epoch")
    print(
        f"plain model.fit:        {plain_best:.3f} s/epoch = {plain_best / roofline:.2f}x roofline"
    )
    print(
        f"Keras fit, jit_compile + steps_per_execution=16: {keras_xla_best:.3f} s/epoch = "
        f"{keras_xla_best / roofline:.2f}x roofline"
    )
    print(
        f"app fit (fit_loop, up to {fast.seconds_per_call:g} s of batches per XLA call): "
        f"{bare_best:.3f} s/epoch = {bare_best / roofline:.2f}x roofline "
        f"(target <= {TARGET_RATIO}x; {bare_best / (EPOCH_GFLOP / tf_rate):.2f}x TensorFlow's "
        "own matmul rate)"
    )
    print(
        f"app fit CPU time: {min(bare_cpu):.3f} core-seconds/epoch (both threads; wall time "
        "near half of it means the two cores were free)"
    )
    print(
        f"live callback overhead: {live_best:.3f} vs {bare_best:.3f} s/epoch = {overhead:+.1%} "
        f"(target <= {TARGET_OVERHEAD:.0%}); in CPU time: {min(live_cpu):.3f} vs "
        f"{min(bare_cpu):.3f} core-seconds/epoch = {min(live_cpu) / min(bare_cpu) - 1:+.1%}"
    )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
