"""An embedded JupyterHealth Exchange compatible server with synthetic data (the demo backend).

It speaks JHE's REST, FHIR and OAuth wire formats with the user guide's semantics, stores
everything in one SQLite file, and never imports the API client or the UI.
"""

from .db import DatabaseUnusable
from .demo_backend import DEFAULT_SITE_URL, DemoBackend, DemoUser, database_name

__all__ = ["DEFAULT_SITE_URL", "DatabaseUnusable", "DemoBackend", "DemoUser", "database_name"]
