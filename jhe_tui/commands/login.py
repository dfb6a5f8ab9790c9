"""`jhe-tui login` and `jhe-tui logout`: sign-in and token storage.

Method, best first: an access token or API key when given; otherwise a loopback redirect when
the profile has a client id registered for it (`--client-id`, remembered in the profile);
otherwise paste-back with the web console's public client.

A token or key is read from a hidden prompt (`--token` alone, or `--token -`), from stdin
(`--token-stdin`) or from `JHE_TOKEN`: a command-line argument is visible to every local user in
`ps` and /proc/PID/cmdline, so one given there still works, for scripts, with a warning.
"""

from __future__ import annotations

import argparse
import os
import sys

from jhe_tui.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_server_options, fail, shown, warn_if_readable


ASK = "-"  # the value of --token / --api-key that means "ask for it", also given by the option alone
SECRETS = {"token": "access token", "api_key": "API key"}


def register(sub) -> None:
    login = sub.add_parser(
        "login",
        help="sign in and store the token",
        description="Sign in to a JHE server and store the token for its profile.",
    )
    add_server_options(login)
    how = login.add_mutually_exclusive_group()
    how.add_argument("--token", nargs="?", const=ASK, metavar="-",
                     help="an access token, asked for without echo (default: $JHE_TOKEN)")
    how.add_argument("--token-stdin", action="store_true", help="read the access token from stdin")
    how.add_argument("--api-key", nargs="?", const=ASK, metavar="-",
                     help="a v0.0.13 practitioner API key, asked for without echo")
    how.add_argument("--api-key-stdin", action="store_true", help="read the API key from stdin")
    how.add_argument("--client-id", metavar="ID", help="an OAuth client registered for http://127.0.0.1/callback")
    how.add_argument("--paste", action="store_true", help="use paste-back even if the profile has a client id")
    how.add_argument("--set-pin", action="store_true", help="set a local PIN that unlocks the idle lock")
    how.add_argument("--clear-pin", action="store_true", help="remove the local PIN")
    login.add_argument("--ca-bundle", metavar="FILE", help="CA certificates to trust for this profile")
    login.add_argument("--no-browser", action="store_true", help="print the sign-in address, do not open a browser")
    login.add_argument("--make-default", action="store_true",
                       help="make this profile the default (the first login to a server does so anyway)")
    login.set_defaults(handler=run_login)

    logout = sub.add_parser(
        "logout",
        help="revoke and forget the stored token",
        description="Revoke the stored token on the server and delete it from this machine.",
    )
    add_server_options(logout)
    logout.set_defaults(handler=run_logout)


def _open(url: str, allowed: bool) -> None:
    import webbrowser
    print(f"\n  {url}\n", flush=True)
    from jhe_tui.api.signin import can_open_browser

    if allowed and can_open_browser():
        try:
            if webbrowser.open(url):
                print("A browser window has been opened with that address.", flush=True)
        except webbrowser.Error:
            pass


def _profile(args: argparse.Namespace):
    from jhe_tui.local import profiles
    from jhe_tui.commands.connect import ConfigurationError

    server = getattr(args, "server", None) or os.environ.get("JHE_URL") or None
    name = getattr(args, "profile", None)
    if getattr(args, "demo", False) or (server is None and name is None
                                        and not profiles.load().settings.default_profile):
        raise ConfigurationError(
            "Which server? Use --server URL (or --profile NAME); the embedded demo needs no sign-in."
        )
    try:
        profile = profiles.resolve(name or (None if server else profiles.load().settings.default_profile), server,
                                   client_id=getattr(args, "client_id", None),
                                   ca_bundle=getattr(args, "ca_bundle", None), timeout=getattr(args, "timeout", None))
    except profiles.ProfileError as exc:
        raise ConfigurationError(str(exc)) from None
    warn_if_readable(profile.url, getattr(args, "insecure", False))
    return profile


def _set_pin(clear: bool) -> int:
    import getpass
    from jhe_tui.local import pin

    if clear:
        pin.clear()
        print("The local PIN is removed; unlocking the console now needs a new sign-in.")
        return EXIT_OK
    first = getpass.getpass("New PIN (4 or more digits or characters): ")
    problem = pin.check_new(first)
    if problem:
        return fail(problem, EXIT_USAGE)
    if getpass.getpass("The same PIN again: ") != first:
        return fail("The two PINs differ; nothing was changed.", EXIT_USAGE)
    pin.save(first)
    print("PIN set: it unlocks the console after the idle lock on this computer account (stored as a salted hash).")
    return EXIT_OK


async def _login(args: argparse.Namespace, profile) -> tuple[str, str]:
    import asyncio
    from jhe_tui.api.signin import SignIn, describe_expiry

    from jhe_tui.commands.connect import tls_verify, token_store

    verify = False if args.insecure else tls_verify(profile.ca_bundle)
    signin = SignIn(profile.url, profile.name, store=token_store(), client_id=profile.client_id, verify=verify)
    kind, secret = _secret(args)
    if kind == "token":
        tokens, where = await signin.token(secret)
        how = "with the given access token (no renewal: sign in again when it expires)"
    elif kind == "api_key":
        tokens, where = await signin.api_key(secret)
        how = "with the practitioner API key"
    elif profile.client_id and not args.paste:
        print(f"Signing in to {profile.url} in your browser (client {profile.client_id}, loopback redirect).")
        print("Open this address if no browser window appears; jhe-tui waits for the browser to come back:")
        tokens, where = await signin.loopback(lambda url: _open(url, not args.no_browser))
        how = "in the browser (loopback)"
    else:
        print(f"Signing in to {profile.url} through the web console's sign-in page.")
        url = await signin.start_paste_back()
        print("Open this address, sign in, then copy the address the browser lands on (it contains ?code=):")
        _open(url, not args.no_browser)
        print("Paste it here within 60 seconds of signing in: JHE sign-in codes expire after one minute.")
        try:
            pasted = await asyncio.to_thread(input, "Address or code: ")
        except EOFError:
            raise _Cancelled() from None
        tokens, where = await signin.finish_paste_back(pasted)
        how = "in the browser (paste-back)"
    from jhe_tui.commands.connect import Target, open_client

    # The tokens just stored, not JHE_TOKEN, which resolve_target would prefer.
    async with open_client(Target(profile.url, None, insecure=args.insecure, profile=profile,
                                  tokens=tokens)) as client:
        user = await client.profile()
    return (
        f"Signed in to {profile.url} as {user.email or user.display_name} {how}.\n"
        f"Profile: {profile.name} · token stored in {where} · expires {describe_expiry(tokens)}",
        where,
    )


def _secret(args: argparse.Namespace) -> tuple[str | None, str]:
    """Which secret this sign-in uses ("token", "api_key" or None) and its value, read so that it
    need not sit in argv; one given there is still taken, with a warning."""
    import getpass
    for kind, what in SECRETS.items():
        option = "--" + kind.replace("_", "-")
        if getattr(args, f"{kind}_stdin"):
            return kind, sys.stdin.readline().strip()
        value = getattr(args, kind)
        if value == ASK:
            try:
                return kind, getpass.getpass(f"{what[0].upper()}{what[1:]} (not shown): ")
            except EOFError:
                raise _Cancelled() from None
        if value is not None:
            print(f"jhe-tui: WARNING: an {what} on the command line can be read by other users of this computer "
                  f"(ps, /proc); give {option} without a value to be asked for it, or use {option}-stdin"
                  f"{' or JHE_TOKEN' if kind == 'token' else ''}.", file=sys.stderr)
            return kind, value
    if not (args.client_id or args.paste) and os.environ.get("JHE_TOKEN"):
        return "token", os.environ["JHE_TOKEN"]
    return None, ""


class _Cancelled(Exception):
    pass


def run_login(args: argparse.Namespace) -> int:
    import asyncio
    from jhe_tui.api.oauth import LoginFailed

    if args.set_pin or args.clear_pin:
        return _set_pin(args.clear_pin)
    from jhe_tui.local import profiles

    known = set(profiles.load().profiles)
    profile = _profile(args)
    try:
        message, _ = asyncio.run(_login(args, profile))
    except (LoginFailed, _Cancelled) as exc:
        if profile.name not in known:  # a mistyped --server should not leave a profile behind
            store = profiles.load()
            store.profiles.pop(profile.name, None)
            profiles.save(store)
        if isinstance(exc, _Cancelled):
            return fail("Sign-in cancelled; nothing was stored.", EXIT_FAILED)
        return fail(exc.message, EXIT_FAILED)
    print(shown(message))  # quotes the server's address and the user's e-mail
    print(_default_after_login(profile.name, args.make_default))
    return EXIT_OK


def _default_after_login(name: str, make_default: bool) -> str:
    """The first server signed in to becomes the default, so that `jhe-tui` and `whoami` use it
    rather than the demo; after that the default changes only when asked."""
    from jhe_tui.local import profiles

    store = profiles.load()
    current = store.settings.default_profile
    if make_default or current is None or current not in store.profiles or current == name:
        if current != name:
            store.settings.default_profile = name
            profiles.save(store)
        return f"{name} is now the default: `jhe-tui` and `jhe-tui whoami` use it (--demo for the embedded demo)."
    return (f"The default is still {current}; use this one with --profile {name}, or make it the default with "
            f"`jhe-tui login --profile {name} --make-default`.")


async def _logout(args: argparse.Namespace) -> str:
    from jhe_tui.api.tokens import TokenStoreError
    from jhe_tui.commands.connect import token_store
    from jhe_tui.api.signin import SignIn

    profile = _profile(args)
    store = token_store()
    try:
        tokens = store.load(profile.name)
    except TokenStoreError:
        tokens = None  # unreadable or unsafe: deleting it is exactly what logout should do
    from jhe_tui.commands.connect import tls_verify

    verify = False if args.insecure else tls_verify(profile.ca_bundle)
    confirmed = await SignIn(profile.url, profile.name, verify=verify, store=store).logout(tokens)
    note = ""
    if os.environ.get("JHE_TOKEN"):
        note = "\nJHE_TOKEN is still set in this shell; unset it to stop using that token."
    if confirmed is None:
        return f"No stored sign-in for {profile.url} (profile {profile.name}); nothing to do.{note}"
    if confirmed:
        return f"Signed out of {profile.url}: the server revoked the token and it was deleted from {store.kind}.{note}"
    return (f"Signed out of {profile.url} on this computer: the token was deleted from {store.kind}, but the server "
            f"could not confirm revoking it (unreachable?).{note}")


def run_logout(args: argparse.Namespace) -> int:
    import asyncio
    print(shown(asyncio.run(_logout(args))))
    return EXIT_OK
