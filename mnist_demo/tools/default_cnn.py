"""The network of the Draw page's committed models (see default_model, which trains them): a
small batch-normalised convnet, its training compile, the copy of it that is saved (no optimizer
state), and the average of several of them as one model.
"""

from __future__ import annotations


def build_default_cnn(name: str = "default_cnn") -> object:
    """conv32(5x5)-pool-conv64-conv64-pool-dense256 with batch norm and dropout, on (28, 28, 1).

    About 5 M multiply-adds per digit: half of a 32-32-pool-64-64 stack, so it trains in about
    half the time on 2 shared cores, and one prediction stays well under a millisecond."""
    import keras
    from keras import layers

    def conv(filters: int, size: int = 3) -> list:
        return [
            layers.Conv2D(filters, size, use_bias=False),
            layers.BatchNormalization(),
            layers.Activation("relu"),
        ]

    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            *conv(32, 5),
            layers.MaxPooling2D(),
            layers.Dropout(0.1),
            *conv(64),
            *conv(64),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(256, use_bias=False),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Dropout(0.4),
            layers.Dense(10, activation="softmax"),
        ],
        name=name,
    )


def compile_for_training(model, learning_rate: float, steps: int) -> None:
    """Adam from learning_rate decayed to 0 over `steps` batches (a cosine), on integer labels."""
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,  # XLA's CPU convolutions are about 4x slower than oneDNN's here
    )


def inference_copy(model, name: str = "default_cnn"):
    """The same network and weights without the optimizer's state: a third of the file size."""
    copy = build_default_cnn(name)
    copy.set_weights(model.get_weights())
    return copy


def average(networks: list):
    """One Keras model whose output is the mean of the networks' probabilities (a single network
    is returned as it is). Built from standard layers only, so it loads with safe_mode."""
    if len(networks) == 1:
        return networks[0]
    import keras
    from keras import layers

    inputs = keras.Input(shape=(28, 28, 1))
    outputs = layers.Average()([network(inputs) for network in networks])
    return keras.Model(inputs, outputs, name="default_ensemble")
