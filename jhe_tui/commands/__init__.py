"""One module per `jhe-tui` command: each has `register(sub)`, which adds its parser
and sets `handler`, so commands grow without touching each other."""
