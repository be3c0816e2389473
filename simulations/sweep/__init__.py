"""Sweeps: a parameter grid × strategies × seeds, run in parallel (processes or Dask), streamed to disk, aggregated."""
