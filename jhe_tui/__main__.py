"""`python -m jhe_tui` runs the same entry point as the `jhe-tui` script."""

from jhe_tui.cli import main

raise SystemExit(main())
