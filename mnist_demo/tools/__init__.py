"""Tools for developers that the app never imports: the training script of the committed
default models (default_model) and the browser harness of the tests, the benchmarks and
tools/screenshots.py (browser)."""
