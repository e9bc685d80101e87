"""Tools for developers that the app never imports: the browser harness of the tests, the
benchmarks and tools/screenshots.py."""
