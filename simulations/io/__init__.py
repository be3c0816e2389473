"""File formats and files: scenario, sweep and trace files; atomic writes (above ``model``, below every driver)."""
