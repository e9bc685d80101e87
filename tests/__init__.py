"""Test suite (a package, so unit and browser test files may share a basename)."""
