"""Command line: `python -m mnist_demo train ...` trains headless, stores the run and its model."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from mnist_demo.training.config import ARCHITECTURES, BATCH_SIZES, OPTIMIZERS, TrainConfig
from mnist_demo.training.engines import ENGINES, RAY_ADDRESS_ENV

DEFAULTS = TrainConfig()
POLL_SECONDS = 0.1
BAR_WIDTH = 30


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mnist_demo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train",
        help="train a network headless (defaults: the chapter's, test accuracy about 0.979)",
        description="Train like the Train page: the run is stored in $MNIST_DEMO_HOME "
        "(runs.sqlite) and its model saved as models/<run id>.keras.",
    )
    train.add_argument("--epochs", type=int, default=DEFAULTS.epochs, help="1 to 30")
    train.add_argument(
        "--batch-size", type=int, default=DEFAULTS.batch_size, choices=BATCH_SIZES, metavar="N"
    )
    train.add_argument("--hidden-units", type=int, default=DEFAULTS.hidden_units)
    train.add_argument("--optimizer", default=DEFAULTS.optimizer, choices=OPTIMIZERS)
    train.add_argument(
        "--learning-rate", type=float, default=None, help="default: the optimizer's Keras default"
    )
    train.add_argument(
        "--validation-split", type=float, default=DEFAULTS.validation_split, help="0 to 0.5"
    )
    train.add_argument(
        "--train-size", type=int, default=DEFAULTS.train_size, help="use the first N images"
    )
    train.add_argument("--arch", default=DEFAULTS.architecture, choices=ARCHITECTURES)
    train.add_argument("--seed", type=int, default=DEFAULTS.seed)
    train.add_argument(
        "--include-corrections",
        action="store_true",
        help="also train on the digits corrected on the Draw page",
    )
    train.add_argument("--out", type=Path, help="also save the model here (a .keras path)")
    train.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help=f"where to train: local (this process, the default) or ray (a Ray actor); "
        f"default: ray if ${RAY_ADDRESS_ENV} is set",
    )
    train.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="the Ray cluster's head (host:port), or 'local' to start Ray on this machine "
        f"(the default for --engine ray; implies it); default: ${RAY_ADDRESS_ENV}",
    )
    train.set_defaults(handler=train_command)
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        hidden_units=args.hidden_units,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        validation_split=args.validation_split,
        train_size=args.train_size,
        architecture=args.arch,
        seed=args.seed,
        include_corrections=args.include_corrections,
    )


def train_command(args: argparse.Namespace) -> int:
    """Train one run in the background thread and follow it from here; Ctrl-C stops it."""
    try:
        config = config_from_args(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problem = out_problem(args.out)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ banner quiet

    from mnist_demo.storage import store
    from mnist_demo.training import engines

    store.mark_interrupted()
    kind = args.engine or ("ray" if args.ray_address else None)
    engine = engines.make_engine(kind, args.ray_address, max_concurrent=1)
    try:
        run = engine.submit(config)
        print(f"Run {run.run_id} on the {engine.name} engine: {_describe(config)}")
        try:
            snapshot = _follow(run)
        except KeyboardInterrupt:
            print("\nStopping after the current batches ...", file=sys.stderr)
            run.request_stop()
            snapshot = _follow(run)
    finally:
        engine.shutdown()
    return _report(snapshot, args.out)


def out_problem(out: Path | None) -> str | None:
    """Why the model could not be copied to --out, found before training rather than after."""
    if out is None:
        return None
    if out.suffix != ".keras":
        return f"--out must end in .keras, got {out}"
    if out.is_dir():
        return f"--out names a directory, not a file: {out}"
    folder = out.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the nearest existing folder is where the new ones are made
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return f"--out cannot be written: {folder} is not a writable folder"
    if out.exists() and not os.access(out, os.W_OK):
        return f"--out cannot be written: {out} is read-only"
    return None


def _describe(config: TrainConfig) -> str:
    return (
        f"{config.architecture} network, {config.train_size:,} training images, "
        f"{config.epochs} epoch{'s' if config.epochs > 1 else ''}, "
        f"batch size {config.batch_size}, {config.optimizer} "
        f"(learning rate {config.effective_learning_rate:g})"
    )


def _follow(run) -> object:
    """Print the log lines as they appear and a progress bar on a terminal; return the last
    snapshot."""
    printed = 0
    interactive = sys.stderr.isatty()
    while True:
        finished = run.join(POLL_SECONDS)
        snapshot = run.snapshot()
        new_lines = snapshot.log_lines[printed:]
        if new_lines and interactive:
            sys.stderr.write("\r\033[K")
        for line in new_lines:
            print(line, flush=True)
        printed = len(snapshot.log_lines)
        if finished:
            return snapshot
        if interactive:
            sys.stderr.write("\r\033[K" + progress_line(snapshot))
            sys.stderr.flush()


def progress_line(snapshot) -> str:
    """`Epoch 2/5 [=======>      ] 240/469 - loss: 0.1234 - 41,230 samples/s - ETA 4s`."""
    if snapshot.status == "queued":
        return f"queued (position {snapshot.queue_position})"
    done = int(snapshot.progress * BAR_WIDTH)
    bar = "=" * done + (">" if done < BAR_WIDTH else "") + " " * max(0, BAR_WIDTH - done - 1)
    parts = [
        f"Epoch {snapshot.epoch}/{snapshot.epochs} [{bar}] "
        f"{snapshot.step}/{snapshot.steps_per_epoch or '?'}"
    ]
    if snapshot.batch_loss:
        parts.append(f"loss: {snapshot.batch_loss[-1]:.4f}")
    if snapshot.samples_per_second:
        parts.append(f"{snapshot.samples_per_second:,.0f} samples/s")
    if snapshot.eta_seconds is not None:
        parts.append(f"ETA {snapshot.eta_seconds:.0f}s")
    return " - ".join(parts)


def _report(snapshot, out: Path | None) -> int:
    if snapshot.status == "failed":
        # The log's last line (printed already) names the error; printed again it reads twice.
        if not snapshot.log_lines or snapshot.error not in snapshot.log_lines[-1]:
            print(f"Training failed: {snapshot.error}", file=sys.stderr)
        return 1
    if snapshot.test_accuracy is not None:
        print(f"test_acc: {snapshot.test_accuracy:.4f}")
    if snapshot.model_path:
        print(f"Model saved: {snapshot.model_path}")
        if out is not None:
            _copy_atomically(Path(snapshot.model_path), out)
            print(f"Model copied to: {out}")
    seconds = (snapshot.finished_at or time.time()) - (snapshot.started_at or time.time())
    print(f"Run {snapshot.run_id} {snapshot.status} in {seconds:.1f} s")
    return 0 if snapshot.status == "completed" else 130


def _copy_atomically(source: Path, target: Path) -> None:
    from mnist_demo.storage.store import atomic_path

    with atomic_path(target) as temporary:
        shutil.copyfile(source, temporary)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
