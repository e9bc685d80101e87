"""What outlives a session: the SQLite run history, model files, Draw-page corrections, and the
atomic writes they use."""
