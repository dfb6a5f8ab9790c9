"""`jhe-tui` with no command: the console."""

from __future__ import annotations

import argparse

from jhe_tui.commands.common import EXIT_OK, target


def run(args: argparse.Namespace) -> int:
    from jhe_tui.connection import open_client

    where = target(args)
    client = open_client(where)
    from jhe_tui.app import JheApp

    JheApp(client, demo=where.is_demo, server_url=where.url).run()
    return EXIT_OK
