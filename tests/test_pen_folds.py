"""Cross-validation of the pen stage over writer folds (mnist_demo.tools.pen_folds)."""

import pytest

from mnist_demo.data import pendigits
from mnist_demo.tools import pen_folds, pen_stage
from mnist_demo.training import model


def test_folds_are_parsed():
    assert pen_folds.parse_folds("1-2/3,5") == ((1, 2), (3, 5))


@pytest.mark.slow
def test_a_fold_is_trained_without_its_writers_and_counts_their_mistakes():
    settings = pen_stage.PenSettings(writers=(1, 2), renderings=1, epochs=1)
    base = model.load_model_file(model.MNIST_MODEL_PATH)
    result = pen_folds.fold_result(base, settings, (2,), log=lambda *_: None)
    strokes = pendigits.load()
    assert result.writers == (2,) and result.count == len(strokes.writer_indices((2,)))
    # The MNIST-only network already reads about 96 % of pen digits; one writer's fine-tune
    # keeps it there, and every mistake shows up among the confusions.
    assert result.errors <= 0.1 * result.count
    assert sum(count for _, count in result.confusions) <= result.errors
    assert all(true != predicted for (true, predicted), _ in result.confusions)


def test_a_fold_must_leave_writers_to_train_on():
    settings = pen_stage.PenSettings(writers=(1, 2))
    with pytest.raises(ValueError, match="some, not all"):
        pen_folds.fold_result(None, settings, (1, 2))
    with pytest.raises(ValueError, match="some, not all"):
        pen_folds.fold_result(None, settings, (3,))
