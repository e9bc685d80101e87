"""Train settings: slider choices, the round trip through a link, and the Keras code shown."""

import pytest

from mnist_demo.i18n import translate
from mnist_demo.training import train_settings
from mnist_demo.training.config import TrainConfig


def test_defaults_come_from_train_config():
    defaults = train_settings.defaults()
    assert defaults["epochs"] == 5 and defaults["batch_size"] == 128
    assert defaults["validation_split"] == 0.0 and defaults["learning_rate"] is None
    for name, options in train_settings.CHOICES.items():
        assert defaults[name] in options, name


def test_choices_add_a_linked_value_in_order():
    assert train_settings.choices("hidden_units", 100)[:5] == [16, 32, 64, 100, 128]
    assert train_settings.choices("learning_rate", 0.005)[0] is None
    assert 0.005 in train_settings.choices("learning_rate", 0.005)
    assert train_settings.choices("batch_size", 128) == list(train_settings.CHOICES["batch_size"])


def test_query_round_trip_keeps_only_changed_settings():
    settings = {
        **train_settings.defaults(),
        "epochs": 3,
        "architecture": "cnn",
        "learning_rate": 0.003,
        "validation_split": 0.2,
    }
    query = train_settings.to_query(settings)
    assert query == {
        "epochs": "3",
        "learning_rate": "0.003",
        "validation_split": "0.2",
        "architecture": "cnn",
    }
    expected = {"epochs": 3, "learning_rate": 0.003, "validation_split": 0.2, "architecture": "cnn"}
    assert train_settings.from_query(query) == expected
    assert train_settings.to_query(train_settings.defaults()) == {}


def test_from_query_ignores_bad_values_but_keeps_good_ones():
    params = {
        "epochs": "99",
        "batch_size": "100",
        "optimizer": "adam",
        "seed": "x",
        "train_size": "1024",
        "lang": "ko",
        "learning_rate": "default",
    }
    assert train_settings.from_query(params) == {
        "optimizer": "adam",
        "train_size": 1024,
        "learning_rate": None,
    }


def test_keras_code_for_the_chapter_and_for_a_variant():
    chapter = train_settings.keras_code(TrainConfig())
    assert 'layers.Dense(512, activation="relu")' in chapter
    assert 'optimizer="rmsprop"' in chapter
    assert "model.fit(train_images, train_labels, epochs=5, batch_size=128)" in chapter
    variant = train_settings.keras_code(
        TrainConfig(
            architecture="cnn",
            optimizer="adam",
            learning_rate=0.003,
            validation_split=0.1,
            train_size=1024,
            epochs=2,
        )
    )
    assert "layers.Conv2D(32, 3" in variant
    assert "keras.optimizers.Adam(learning_rate=0.003)" in variant
    assert "train_images[:1024]" in variant and "validation_split=0.1" in variant


@pytest.mark.parametrize(
    "config",
    [TrainConfig(), TrainConfig(hidden_units=64), TrainConfig(architecture="cnn", hidden_units=32)],
)
def test_the_keras_code_shown_builds_the_network_the_app_trains(config):
    import keras
    from keras import layers

    from mnist_demo.training.model import build_model

    code = train_settings.keras_code(config)
    network_code = code[: code.index("model.compile")]
    namespace = {"keras": keras, "layers": layers}
    exec(network_code, namespace)  # the app's own generated text, not user input
    shown = namespace["model"]
    shown.build((None, *build_model(config).input_shape[1:]))
    built = build_model(config)

    def described(model):
        ignored = {"name", "dtype", "trainable", "seed"}
        layers = []
        for layer in model.layers:
            settings = layer.get_config()
            kept = {key: settings[key] for key in settings.keys() - ignored}
            layers.append((type(layer).__name__, kept))
        return layers

    assert described(shown) == described(built)
    assert shown.count_params() == built.count_params()


def test_make_config_words_a_batch_too_large_for_the_training_set_in_the_pages_language():
    values = {**train_settings.defaults(), "train_size": 100, "batch_size": 128}
    config, problem = train_settings.make_config(values, "ko")
    assert config is None
    assert problem == translate(
        "train.settings.batch_too_large", "ko", samples="100", batch_size=128, split="0%"
    )
    split = {**values, "train_size": 1000, "batch_size": 1024, "validation_split": 0.2}
    assert train_settings.make_config(split, "en")[1] == translate(
        "train.settings.batch_too_large_split", samples="800", batch_size=1024, split="20%"
    )
    config, problem = train_settings.make_config(train_settings.defaults())
    assert (config, problem) == (TrainConfig(), None)
