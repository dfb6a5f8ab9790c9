"""The `jhe-tui` command: the console by default, and the same jobs without the UI.

Command names and exit codes are a contract (design.md): 0 all done, 1 some calls
failed (reported), 2 bad usage or configuration. Errors print one sentence, never a
traceback; heavy imports (Textual, FastAPI) happen only in the command that needs them
so `jhe-tui --help` and the CLI jobs start fast.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from jhe_tui import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

COMMANDS_HELP = """\
commands:
  (none)        the console; the embedded demo backend when no server is configured
  serve-demo    serve the embedded JHE-compatible backend on loopback for curl and other clients
  login         sign in to a server and store the token
  logout        revoke and forget the stored token
  whoami        show the server, the signed-in user and their roles
  import        bulk-onboard patients from a CSV file
  export        export observations as CSV, NDJSON or a FHIR Bundle

Server from --server or JHE_URL, token from JHE_TOKEN (as jupyterhealth-client does).
Exit codes: 0 all done, 1 some rows or calls failed, 2 bad usage or configuration.
"""


def _add_server_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """The same options before or after a command name; after it they only override
    (argparse would otherwise reset what was given before the command)."""
    default = {} if top else {"default": argparse.SUPPRESS}
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--demo", action="store_true", help="use the embedded demo backend", **default)
    where.add_argument("--server", metavar="URL", help="JHE base URL (default: $JHE_URL)", **default)
    where.add_argument("--profile", metavar="NAME", help="a saved server profile", **default)
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify TLS certificates (not advised)",
        **default,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jhe-tui",
        description="A keyboard-first console for JupyterHealth Exchange practitioners.",
        epilog=COMMANDS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"jhe-tui {__version__}")
    _add_server_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve-demo", help="serve the embedded backend on loopback")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    serve.add_argument("--data", type=Path, metavar="DIR", help="data directory")
    serve.add_argument("--reset", action="store_true", help="delete the demo data and reseed")
    serve.add_argument(
        "--scale",
        action="store_true",
        help="seed 100,000 patients and 1,000,000 observations (benchmarks)",
    )

    login = sub.add_parser("login", help="sign in and store the token")
    _add_server_options(login)
    how = login.add_mutually_exclusive_group()
    how.add_argument("--token", metavar="T", help="an access token (default: $JHE_TOKEN)")
    how.add_argument("--api-key", metavar="K", help="a v0.0.13 practitioner API key")
    how.add_argument("--client-id", metavar="ID", help="an OAuth client registered for loopback")

    sub.add_parser("logout", help="revoke and forget the stored token")
    whoami = sub.add_parser("whoami", help="show server, user and roles")
    _add_server_options(whoami)

    imp = sub.add_parser("import", help="bulk-onboard patients from a CSV file")
    imp.add_argument("file", type=Path, metavar="FILE.csv")
    imp.add_argument("--org", type=int, required=True, metavar="ID")
    imp.add_argument("--study", type=int, metavar="ID")
    imp.add_argument("--invite", action="store_true")
    imp.add_argument("--send-email", action="store_true")
    imp.add_argument("--dry-run", action="store_true")
    imp.add_argument("--concurrency", type=int, default=4, metavar="N")
    imp.add_argument("--journal", type=Path, metavar="FILE")
    imp.add_argument("--report", type=Path, metavar="FILE")
    _add_server_options(imp)

    exp = sub.add_parser("export", help="export observations")
    exp.add_argument("what", choices=["observations"])
    exp.add_argument("--org", type=int, required=True, metavar="ID")
    exp.add_argument("--study", type=int, metavar="ID")
    exp.add_argument("--patient", type=int, metavar="ID")
    exp.add_argument("--code", metavar="CODE")
    exp.add_argument("--since", metavar="DATE")
    exp.add_argument("--until", metavar="DATE")
    exp.add_argument("--format", choices=["csv", "ndjson", "fhir"], required=True)
    exp.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    exp.add_argument("--force", action="store_true", help="overwrite an existing file")
    _add_server_options(exp)
    return parser


def _fail(message: str, code: int) -> int:
    print(f"jhe-tui: {message}", file=sys.stderr)
    return code


def _target(args: argparse.Namespace):
    from jhe_tui.connection import resolve_target

    if getattr(args, "profile", None):
        from jhe_tui.connection import ConfigurationError

        raise ConfigurationError("Server profiles are not available in this version yet; use --server.")
    return resolve_target(args.server, demo=args.demo, insecure=args.insecure)


def cmd_console(args: argparse.Namespace) -> int:
    from jhe_tui.connection import open_client

    target = _target(args)
    client = open_client(target)
    from jhe_tui.app import JheApp

    JheApp(client, demo=target.is_demo, server_url=target.url).run()
    return EXIT_OK


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def cmd_serve_demo(args: argparse.Namespace) -> int:
    from jhe_tui import paths

    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        return _fail(f"--host must be an IP address (got {args.host!r}).", EXIT_USAGE)
    if not 0 < args.port < 65536:
        return _fail("--port must be between 1 and 65535.", EXIT_USAGE)
    if not _port_free(args.host, args.port):
        return _fail(
            f"Port {args.port} on {args.host} is already in use; choose another with --port.",
            EXIT_USAGE,
        )
    import uvicorn

    from jhe_tui.backend import DemoBackend

    host = f"[{args.host}]" if ":" in args.host else args.host
    site_url = f"http://{host}:{args.port}"
    data = paths.private_dir(args.data or paths.demo_data_dir())
    if args.scale:
        print("Seeding 100,000 patients and 1,000,000 observations; this takes a minute...")
    backend = DemoBackend(data, reset=args.reset, scale=args.scale, site_url=site_url)
    print(f"JHE_URL={site_url}")
    print(f"JHE_TOKEN={backend.token_for('manager')}")
    print(f"# embedded JHE-compatible demo backend, synthetic data in {data}", file=sys.stderr)
    print("# export the two lines above, then use curl, jupyterhealth-client or `jhe-tui`", file=sys.stderr)
    if not loopback:
        print(f"# warning: listening on {args.host}, reachable from other machines", file=sys.stderr)
    # No access log: it would record query strings, which can hold patient e-mails.
    uvicorn.run(backend.app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return EXIT_OK


async def _whoami(args: argparse.Namespace) -> list[str]:
    from jhe_tui.connection import open_client

    target = _target(args)
    async with open_client(target) as client:
        info = await client.server_info()
        profile = await client.profile()
        orgs = await client.my_organizations()
    where = "embedded demo backend" if target.is_demo else target.url
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
    return lines


def cmd_whoami(args: argparse.Namespace) -> int:
    print("\n".join(asyncio.run(_whoami(args))))
    return EXIT_OK


def cmd_not_yet(args: argparse.Namespace) -> int:
    return _fail(f"`{args.command}` is not available in this version yet.", EXIT_USAGE)


HANDLERS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: cmd_console,
    "serve-demo": cmd_serve_demo,
    "whoami": cmd_whoami,
    "login": cmd_not_yet,
    "logout": cmd_not_yet,
    "import": cmd_not_yet,
    "export": cmd_not_yet,
}


def main(argv: Sequence[str] | None = None) -> int:
    from jhe_tui.api import JheError
    from jhe_tui.connection import ConfigurationError

    args = build_parser().parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except ConfigurationError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except JheError as exc:
        return _fail(exc.message, EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail("interrupted.", EXIT_FAILED)
