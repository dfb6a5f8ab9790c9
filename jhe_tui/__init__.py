"""jhe-tui: a terminal console for JupyterHealth Exchange practitioners."""

__version__ = "0.1.0"
