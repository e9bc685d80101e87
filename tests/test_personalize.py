"""Teaching a model one person's handwriting: adapt(), the guided lesson, the check, saving."""

import random

import numpy as np
import pytest

from mnist_demo.data import pendigits
from mnist_demo.drawing import draw_page, personalize
from mnist_demo.storage import store
from mnist_demo.training import model


@pytest.fixture(scope="module")
def network():
    # The MNIST-only model leaves the most room to improve on a pen writer's digits.
    return model.load_mnist_model()


def writer_split(writer: int, per_digit: int = 3):
    """One train-split writer's first `per_digit` digits of each class to teach, the rest to
    test, drawn as the canvas draws them."""
    data = pendigits.load()
    indices = data.writer_indices([writer])
    labels = data.labels[indices].astype(np.int64)
    teach = np.zeros(len(indices), bool)
    for digit in range(10):
        teach[np.flatnonzero(labels == digit)[:per_digit]] = True
    images = pendigits.render_images(data, indices, np.random.default_rng([0, writer]))
    return images[teach], labels[teach], images[~teach], labels[~teach]


def test_adapt_returns_a_new_model_and_leaves_the_given_one_unchanged(network):
    images, labels, _, _ = writer_split(2, per_digit=1)
    before = [weights.copy() for weights in network.get_weights()]
    adapted = personalize.adapt(network, images, labels)
    assert adapted is not network
    for old, now in zip(before, network.get_weights(), strict=True):
        np.testing.assert_array_equal(old, now)
    changed = [
        not np.array_equal(old, new) for old, new in zip(before, adapted.get_weights(), strict=True)
    ]
    assert any(changed)  # the copy did learn
    # Adapting again starts from the given model, not from the previous adaptation.
    again = personalize.adapt(network, images, labels)
    for first, second in zip(adapted.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_allclose(first, second, atol=1e-4)


def test_the_same_drawings_and_seed_give_the_same_model_in_a_new_process(network, monkeypatch):
    # A new process compiles a new network, whose dropout layers Keras seeds from Python's random
    # numbers; those seeds must not decide the adapted model (the benchmark's figures moved
    # between runs when they did).
    images, labels, _, _ = writer_split(2, per_digit=1)
    first = personalize.adapt(network, images, labels)
    monkeypatch.setattr(personalize, "_TRAINERS", {})  # as in a new process: nothing compiled
    state = random.getstate()
    random.seed(12345)
    try:
        again = personalize.adapt(network, images, labels)
    finally:
        random.setstate(state)
    for one, other in zip(first.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(one, other)


@pytest.fixture(scope="module")
def writer4(network):
    """Writer 4 of the train split: the MNIST-only model misreads 6 % of their digits."""
    teach, teach_labels, test, test_labels = writer_split(4)
    return personalize.adapt(network, teach, teach_labels), test, test_labels


def test_adapting_on_a_writers_drawings_improves_their_other_digits(network, writer4):
    adapted, test, test_labels = writer4
    result = personalize.compare(network, adapted, test, test_labels)
    assert result.count == len(test_labels) > 150
    assert result.before < 0.96
    assert result.after >= result.before + 0.03, result


def test_bad_drawings_are_refused_with_a_clear_message(network):
    images = np.zeros((2, 28, 28), np.float32)
    with pytest.raises(ValueError, match="shape"):
        personalize.adapt(network, np.zeros((2, 28, 27)), [1, 2])
    with pytest.raises(ValueError, match="labels must have shape"):
        personalize.adapt(network, images, [1])
    with pytest.raises(ValueError, match="0 to 9"):
        personalize.adapt(network, images, [1, 10])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        personalize.adapt(network, images + 2, [1, 2])
    with pytest.raises(ValueError, match="at least one"):
        personalize.adapt(network, images[:0], np.zeros(0, int))


def test_jitter_moves_the_digit_a_little_and_only_when_asked():
    _, _, test, _ = writer_split(1, per_digit=1)
    image = test[0]
    still = personalize.AdaptSettings(max_rotation_degrees=0, max_shift=0, max_scale_change=0)
    np.testing.assert_allclose(
        personalize.jitter(image, np.random.default_rng(0), still), image, atol=1e-5
    )
    moved = personalize.jitter(image, np.random.default_rng(0), personalize.AdaptSettings())
    assert moved.shape == (28, 28) and moved.min() >= 0 and moved.max() <= 1
    assert np.abs(moved - image).mean() > 0 and abs(moved.sum() / image.sum() - 1) < 0.3


def test_a_lesson_asks_for_each_digit_in_rounds_and_counts_skips():
    lesson = personalize.Lesson.start(per_digit=2)
    assert lesson.prompts == [*range(10), *range(10)]
    image = np.zeros((28, 28), np.float32)
    image[5:20, 13:15] = 1
    lesson.record(image)
    lesson.skip()
    assert (lesson.digit, lesson.position, lesson.skipped) == (2, 2, 1)
    images, labels = lesson.drawings()
    assert images.shape == (1, 28, 28) and labels.tolist() == [0]
    for _ in range(18):
        lesson.skip()
    assert lesson.done and lesson.digit is None
    with pytest.raises(ValueError, match="already answered"):
        lesson.record(image)
    with pytest.raises(ValueError, match="per_digit"):
        personalize.Lesson.start(per_digit=0)


def test_the_check_scores_both_models_on_new_drawings(network, writer4):
    adapted, test, test_labels = writer4
    check = personalize.Check(prompts=test_labels[:40].tolist())
    assert check.accuracy() is None
    for image in test[:40]:
        check.record(image, network, adapted)
    before, after = check.accuracy()
    expected = personalize.compare(network, adapted, test[:40], test_labels[:40])
    assert (before, after) == pytest.approx((expected.before, expected.after))
    assert check.digit is None


def test_an_adapted_model_saved_as_a_run_is_offered_with_its_mnist_accuracy(writer4):
    adapted, images, _ = writer4
    images = images[:5]
    run_id = personalize.save_as_run(adapted, "mnist", drawings=30)
    offered = {run.run_id: run for run in draw_page.run_models(store.list_runs())}
    assert offered[run_id].architecture == "adapted"
    assert offered[run_id].test_accuracy > 0.98  # MNIST replay: it still reads MNIST
    loaded = model.load_model_file(offered[run_id].path)
    np.testing.assert_allclose(
        model.predict_proba(loaded, images), model.predict_proba(adapted, images), atol=1e-5
    )
    assert [path.name for path in store.models_dir().iterdir()] == [f"{run_id}.keras"]
