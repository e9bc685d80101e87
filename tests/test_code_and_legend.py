"""What the Train page shows matches what it trains (issue 14, item 17): the Keras code counts the
corrections a run adds and reshapes the convnet's images; the live chart's legend serves both
panels (its one red entry stood for the blue accuracy curves too)."""

from mnist_demo.charts import train as charts
from mnist_demo.training import train_settings
from mnist_demo.training.config import TrainConfig


def test_the_code_counts_the_corrections_a_run_adds():
    config = TrainConfig(train_size=2048, include_corrections=True)
    code = train_settings.keras_code(config, corrections=4)
    assert "np.concatenate([train_images[:2048], corrected_images])" in code
    assert "2,048 MNIST images + 4 corrections = 2,052" in code
    assert "model.fit(images, labels, epochs=5" in code
    # Without corrections (or with none stored) the chapter's line stays as it was.
    assert "model.fit(train_images[:2048], train_labels[:2048]" in train_settings.keras_code(
        config, corrections=0
    )


def test_corrections_join_the_training_part_and_validation_stays_mnist():
    config = TrainConfig(train_size=1000, validation_split=0.2, include_corrections=True)
    code = train_settings.keras_code(config, corrections=3)
    assert "train_images[:800], corrected_images" in code
    assert "validation_data=(train_images[800:1000], train_labels[800:1000])" in code
    assert "validation_split" not in code


def test_the_cnn_code_reshapes_its_images():
    code = train_settings.keras_code(TrainConfig(architecture="cnn", train_size=2048))
    assert "images = train_images[:2048].reshape((-1, 28, 28, 1))" in code
    assert "model.fit(images, train_labels[:2048]" in code
    dense = train_settings.keras_code(TrainConfig())
    assert "reshape" not in dense


def test_the_legend_is_neutral_and_the_panel_titles_carry_the_colours():
    figure = charts.live_curves(
        [1, 2, 3],
        [0.9, 0.5, 0.3],
        [0.5, 0.8, 0.9],
        [{"epoch": 1, "loss": 0.3, "accuracy": 0.9, "val_loss": 0.4, "val_accuracy": 0.88}],
        3,
    )
    shown = [trace for trace in figure.data if trace.showlegend is not False]
    names = [trace.name for trace in sorted(shown, key=lambda trace: trace.legendrank)]
    assert names == ["per batch", "smoothed", "training (epoch)", "validation (epoch)"]
    for trace in shown:
        colour = (trace.line.color if trace.mode == "lines" else trace.marker.color) or ""
        assert colour not in (charts.LOSS_COLOR, charts.ACCURACY_COLOR), trace.name
    titles = {a.text: a.font.color for a in figure.layout.annotations[:2]}
    assert titles == {"Loss": charts.LOSS_COLOR, "Accuracy": charts.ACCURACY_COLOR}
