"""`jhe-tui env`: the signed-in session as JHE_URL and JHE_TOKEN, for jupyterhealth-client, curl
and notebooks (`eval "$(jhe-tui env)"`), as `gh auth token` does for GitHub. The token is renewed
first where it can be, so the other program gets the longest-lived one; it is printed only here,
on this explicit command."""

from __future__ import annotations

import argparse
import json
import shlex

from jhe_tui.commands.common import EXIT_OK, add_server_options, target

SECRET_WARNING = ("The output is a secret: it holds an access token that acts as you. Do not paste it in "
                  "a chat or a ticket, and do not redirect it to a file others can read.")


def register(sub) -> None:
    env = sub.add_parser(
        "env",
        help="print JHE_URL and a fresh JHE_TOKEN for other programs (a secret)",
        description="Print `export JHE_URL=... JHE_TOKEN=...` for the signed-in profile, with the token "
        "renewed first where the sign-in allows it, so jupyterhealth-client, curl and notebooks use "
        "the same session: eval \"$(jhe-tui env)\". " + SECRET_WARNING,
    )
    add_server_options(env)
    env.add_argument("--json", action="store_true", help="one JSON object instead of shell lines")
    env.set_defaults(handler=run)


async def _fresh(args: argparse.Namespace) -> dict[str, object]:
    from jhe_tui.api.auth import RefreshingAuth
    from jhe_tui.commands.connect import ConfigurationError, open_client

    where = target(args)
    if where.is_demo:
        raise ConfigurationError("The embedded demo has no address other programs can reach; "
                                 "`jhe-tui serve-demo` serves it and prints these two lines.")
    async with open_client(where) as client:
        auth = client.auth
        if isinstance(auth, RefreshingAuth):
            auth.margin = float("inf")  # renew now, whatever time the current token has left
        await client.profile()  # the token works (and was renewed on the way)
        tokens = auth.tokens if isinstance(auth, RefreshingAuth) else None
        if tokens is None:
            return {"JHE_URL": where.url, "JHE_TOKEN": auth.token, "expires_at": None, "renewed": False}
        return {"JHE_URL": where.url, "JHE_TOKEN": tokens.access_token, "expires_at": tokens.expires_at,
                "renewed": tokens.renewable}


def run(args: argparse.Namespace) -> int:
    import asyncio

    found = asyncio.run(_fresh(args))
    if args.json:
        print(json.dumps(found))
    else:
        print(f"export JHE_URL={shlex.quote(str(found['JHE_URL']))}")
        print(f"export JHE_TOKEN={shlex.quote(str(found['JHE_TOKEN']))}")
    return EXIT_OK
