"""`jhe-tui whoami`: which server, which user, which roles."""

from __future__ import annotations

import argparse
import json

from jhe_tui.commands.common import EXIT_OK, add_server_options, shown, target


def register(sub) -> None:
    whoami = sub.add_parser(
        "whoami",
        help="show server, user and roles",
        description="Show the server and its API generation, the signed-in user, their role in each "
        "organization, and when the token expires.",
    )
    add_server_options(whoami)
    whoami.add_argument("--json", action="store_true", help="one JSON object (never the token)")
    whoami.set_defaults(handler=run)


async def _whoami(args: argparse.Namespace) -> list[str]:
    from jhe_tui.commands.connect import open_client

    where = target(args)
    async with open_client(where) as client:
        info = await client.server_info()
        profile = await client.profile()
        orgs = await client.my_organizations()
    if args.json:
        return [json.dumps(_as_json(where, info, profile, orgs, client), ensure_ascii=False)]
    chosen = where
    where = "embedded demo backend" if where.is_demo else where.url
    name = " ".join(p for p in (profile.first_name, profile.last_name) if p)
    lines = [
        f"Server:  {where} ({info.describe()})",
        f"User:    {name} <{profile.email}> (user id {profile.id})",
    ]
    if orgs:
        lines.append("Roles:")
        lines += [f"  {org.current_user_role:<8} {org.name} ({org.id})" for org in orgs]
    else:
        lines.append("Roles:   none (this user belongs to no organization)")
    lines += _token_lines(chosen, client)
    return lines


def _as_json(where, info, profile, orgs, client) -> dict:
    from jhe_tui.api.auth import RefreshingAuth

    tokens = client.auth.tokens if isinstance(client.auth, RefreshingAuth) else None
    return {
        "server": None if where.is_demo else where.url,
        "demo": where.is_demo,
        "generation": info.generation.value,
        "version": info.version,
        "profile": where.profile.name if where.profile else None,
        "user": {"id": profile.id, "email": profile.email, "first_name": profile.first_name,
                 "last_name": profile.last_name},
        "roles": [{"organization_id": org.id, "organization": org.name, "role": org.current_user_role}
                  for org in orgs],
        "token": {"source": "demo" if where.is_demo else where.token_source,
                  "method": tokens.method if tokens else None,
                  "expires_at": tokens.expires_at if tokens else None,
                  "renewable": tokens.renewable if tokens else False},
        "tls_verified": not where.insecure,
    }


def _token_lines(target, client) -> list[str]:
    from jhe_tui.api.auth import RefreshingAuth
    from jhe_tui.api.signin import describe_expiry

    if target.is_demo:
        return ["Token:   the demo practitioner's, in memory only"]
    lines = []
    if target.profile is not None:
        lines.append(f"Profile: {target.profile.name}")
    auth = client.auth
    if isinstance(auth, RefreshingAuth):
        tokens = auth.tokens
        lines.append(f"Token:   expires {describe_expiry(tokens)}")
        lines.append(f"         signed in by {tokens.method}, stored in {target.token_source}")
    else:
        lines.append(f"Token:   from {target.token_source}; expiry unknown to jhe-tui (no renewal)")
    if target.insecure:
        lines.append("TLS:     NOT VERIFIED (--insecure)")
    return lines


def run(args: argparse.Namespace) -> int:
    import asyncio
    print(shown("\n".join(asyncio.run(_whoami(args)))))  # organization and user names are the server's
    return EXIT_OK
