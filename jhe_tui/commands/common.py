"""What every command shares: exit codes, the one-sentence failure, server options."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def fail(message: str, code: int) -> int:
    print(f"jhe-tui: {shown(message)}", file=sys.stderr)
    return code


def shown(message: object) -> str:
    """A message that may quote foreign text (file names, CSV headers, server names and errors)
    made safe for the terminal, line by line (``jhe_tui.api.text.visible``)."""
    from jhe_tui.api.text import visible

    return "\n".join(visible(line) for line in str(message).split("\n"))


def add_server_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """The same options before or after a command name; after it they only override
    (argparse would otherwise reset what was given before the command)."""
    default = {} if top else {"default": argparse.SUPPRESS}
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--demo", action="store_true", help="use the embedded demo backend", **default)
    where.add_argument("--server", metavar="URL", help="JHE base URL (default: $JHE_URL)", **default)
    where.add_argument("--profile", metavar="NAME", help="a saved server profile", **default)
    parser.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="how long to wait for a page from the server (default 120, or the profile's timeout); "
        "writes and connecting keep short timeouts",
        **default,
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify TLS certificates (not advised)",
        **default,
    )


def moment(value: str) -> datetime:
    """``--now``: an ISO 8601 time, ``Z`` allowed, UTC when it names no zone."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--now must be a time like 2026-12-01T09:00Z (got {value!r}).") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds (got {value!r})")
    return seconds


def target(args: argparse.Namespace, *, save_profile: bool = False):
    """Where this command connects, from the server options and the environment. Only a command
    that may sign in (the console) saves a new server as a profile: the others never write the
    user's profiles file."""
    from jhe_tui.commands.connect import resolve_target

    where = resolve_target(
        getattr(args, "server", None),
        demo=getattr(args, "demo", False),
        insecure=getattr(args, "insecure", False),
        profile=getattr(args, "profile", None),
        save_profile=save_profile,
        timeout=getattr(args, "timeout", None),
    )
    if not where.is_demo:
        warn_if_readable(where.url, where.insecure)
    return where


def warn_if_readable(url: str, insecure: bool) -> None:
    """One sentence on stderr for each reason others on the network can read this connection."""
    from urllib.parse import urlsplit

    from jhe_tui.api.loopback import in_clear

    if insecure:
        print(f"jhe-tui: WARNING: TLS certificates of {url} are NOT verified (--insecure); anyone on the "
              "network path can read and change what is sent, tokens included.", file=sys.stderr)
    if in_clear(url):
        print(f"jhe-tui: WARNING: {urlsplit(url).netloc} is reached over plain http://, so tokens and patient data "
              "travel unencrypted and anyone on the network path can read them; use https://.", file=sys.stderr)
