"""Tools for developers that the app never imports: the training script of the committed
default models (default_model, with their network in default_cnn and augmentation in augment),
the browser harness of the tests, the benchmarks and tools/screenshots.py (browser), and a
server's CPU and memory as benchmarks/classroom.py measures them (server_usage)."""
