"""ssesim's drivers: the discrete-event simulator, the explorer, sweeps, reports and the command line."""

__version__ = "0.1.0"
