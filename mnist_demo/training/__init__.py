"""Training the network: its settings (config), the Keras model, the fit loop, one run's live
state, and the engines that run it (a local queue of threads, or Ray actors)."""
