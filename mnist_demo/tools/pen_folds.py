"""Choose the pen stage's settings by writer: cross-validation over folds of writers 1-30.

    python -m mnist_demo.tools.pen_folds [--folds 1-10/11-20/21-30] [--renderings 6]
        [--pen-epochs 4] [--max-warp 0.2] [--max-stroke-shift 0.2] [--max-trim 0.1]
        [--mnist-per-pen 2] [--plain-replay 0.5] [--replay-extra-strokes] [--base PATH]

For each fold, a copy of the MNIST-only model is fine-tuned on the pen digits of the other
writers (pen_stage.fine_tune_on_pen) and counts its mistakes on the fold's writers, drawn as
benchmarks/drawn_digits.py draws. Writers differ far more than seeds, and one writer's odd 9s can
be half of a fold's mistakes, so the sum over all 30 writers (7,494 digits) is what settings are
chosen on. Writers 31-44 never take part.
"""

from __future__ import annotations

import argparse
import collections
import json
from dataclasses import dataclass, replace
from pathlib import Path

from mnist_demo.tools import default_model, pen_stage
from mnist_demo.tools.augment import AugmentConfig
from mnist_demo.training.model import MNIST_MODEL_PATH, load_model_file


@dataclass(frozen=True)
class FoldResult:
    writers: tuple[int, ...]  # the held-out writers
    count: int  # their digits
    errors: int
    confusions: list[tuple[tuple[int, int], int]]  # ((true, predicted), count), most common first


def fold_result(base, settings: pen_stage.PenSettings, held_out: tuple[int, ...], log=print):
    """Fine-tune `base` on settings.writers minus `held_out`; its mistakes on `held_out`."""
    training = tuple(writer for writer in settings.writers if writer not in set(held_out))
    if not training or not set(held_out) <= set(settings.writers):
        raise ValueError("held-out writers must be some, not all, of the pen stage's writers")
    images, labels = pen_stage.render_pen_digits(settings, training, log)
    network = pen_stage.fine_tune_on_pen(base, images, labels, settings, log=log)
    predicted, truth = pen_stage.pen_predictions(network, held_out)
    wrong = predicted != truth
    confusions = collections.Counter(
        zip(truth[wrong].tolist(), predicted[wrong].tolist(), strict=True)
    )
    return FoldResult(held_out, len(truth), int(wrong.sum()), confusions.most_common(5))


def parse_folds(text: str) -> tuple[tuple[int, ...], ...]:
    """ "1-10/11-20/21-30" -> the writers of each fold."""
    return tuple(default_model.parse_writers(part) for part in text.split("/"))


# The augmentation's marks that pen digits have for real: flags on 1s, bars on 7s, curled and
# open 9s. (A max_flag_length or crossbar height without them changes nothing.)
EXTRA_STROKES = ("flag_one", "cross_seven", "curl_nine", "open_nine")


def has_extra_strokes(config: AugmentConfig) -> bool:
    return any(getattr(config, name) > 0 for name in EXTRA_STROKES)


def replay_augmentation(extra_strokes: bool) -> AugmentConfig:
    """The first stage's augmentation, with or without its extra strokes on 1s, 7s and 9s."""
    first_stage = default_model.MEMBERS[0][1]
    return first_stage if extra_strokes else replace(first_stage, **dict.fromkeys(EXTRA_STROKES, 0))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = pen_stage.PenSettings()
    parser.add_argument("--folds", type=parse_folds, default="1-10/11-20/21-30")
    parser.add_argument("--base", type=Path, default=MNIST_MODEL_PATH)
    parser.add_argument("--renderings", type=int, default=defaults.renderings)
    parser.add_argument("--pen-epochs", type=int, default=defaults.epochs)
    parser.add_argument("--max-warp", type=float, default=defaults.stroke_jitter.max_warp)
    parser.add_argument(
        "--max-stroke-shift", type=float, default=defaults.stroke_jitter.max_stroke_shift
    )
    parser.add_argument("--max-trim", type=float, default=defaults.stroke_jitter.max_trim)
    parser.add_argument("--mnist-per-pen", type=float, default=defaults.mnist_per_pen)
    parser.add_argument("--plain-replay", type=float, default=defaults.plain_replay)
    parser.add_argument(
        "--replay-extra-strokes",
        action=argparse.BooleanOptionalAction,
        default=has_extra_strokes(defaults.replay_augmentation),
        help="flags on 1s, bars on 7s, curled and open 9s in the replayed MNIST digits",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    args = parser.parse_args(argv)
    try:
        jitter = replace(
            defaults.stroke_jitter,
            max_warp=args.max_warp,
            max_stroke_shift=args.max_stroke_shift,
            max_trim=args.max_trim,
        )
        settings = replace(
            defaults,
            renderings=args.renderings,
            epochs=args.pen_epochs,
            stroke_jitter=jitter,
            mnist_per_pen=args.mnist_per_pen,
            plain_replay=args.plain_replay,
            replay_augmentation=replay_augmentation(args.replay_extra_strokes),
            seed=args.seed,
        )
        base = load_model_file(args.base)
        results = []
        for fold in args.folds:
            results.append(fold_result(base, settings, fold, log=lambda *_: None))
            print(
                f"writers {fold[0]}-{fold[-1]}: {results[-1].errors} of {results[-1].count} "
                f"wrong; most common (true, predicted): {results[-1].confusions}",
                flush=True,
            )
    except ValueError as error:
        parser.error(str(error))
    errors, count = sum(r.errors for r in results), sum(r.count for r in results)
    summary = {"errors": errors, "digits": count, "accuracy": round(1 - errors / count, 4)}
    print(json.dumps({"settings": repr(settings), **summary}))


if __name__ == "__main__":
    main()
