"""`jhe-tui login` and `jhe-tui logout`: sign-in and token storage."""

from __future__ import annotations

from jhe_tui.commands.common import add_server_options, not_yet


def register(sub) -> None:
    login = sub.add_parser("login", help="sign in and store the token")
    add_server_options(login)
    how = login.add_mutually_exclusive_group()
    how.add_argument("--token", metavar="T", help="an access token (default: $JHE_TOKEN)")
    how.add_argument("--api-key", metavar="K", help="a v0.0.13 practitioner API key")
    how.add_argument("--client-id", metavar="ID", help="an OAuth client registered for loopback")
    login.set_defaults(handler=not_yet)

    logout = sub.add_parser("logout", help="revoke and forget the stored token")
    add_server_options(logout)
    logout.set_defaults(handler=not_yet)
