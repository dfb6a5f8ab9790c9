"""The `jhe-tui` command: the console by default, and the same jobs without the UI.

Command names and exit codes are a contract (design.md): 0 all done, 1 some calls
failed (reported), 2 bad usage or configuration. Errors print one sentence, never a
traceback; heavy imports (Textual, FastAPI) happen only in the command that needs them
so `jhe-tui --help` and the CLI jobs start fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from jhe_tui import __version__
from jhe_tui.commands import (admin, completion, config, console, env, export, followup, import_patients, login,
                              serve_demo, whoami)
from jhe_tui.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_server_options, fail

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


COMMANDS_HELP = """\
commands:
  (none)        the console; the embedded demo backend when no server is configured
  serve-demo    serve the embedded JHE-compatible backend on loopback for curl and other clients
  login         sign in to a server and store the token
  logout        revoke and forget the stored token
  whoami        show the server, the signed-in user and their roles
  env           print JHE_URL and a fresh JHE_TOKEN for notebooks and scripts (a secret)
  import        bulk-onboard patients from a CSV file
  export        export observations as CSV, NDJSON or a FHIR Bundle
  followup      who needs a follow-up (not connected, consent pending, went quiet...)
  study create  create a study with its data types and data sources
  member add    give a practitioner a role in an organization
  config path   where jhe-tui keeps its files
  completion    print a tab-completion script for bash, zsh or fish

Server from --profile, --server or JHE_URL; token from JHE_TOKEN (as
jupyterhealth-client does) or the profile's stored sign-in (`jhe-tui login`).
Exit codes: 0 all done, 1 some rows or calls failed, 2 bad usage or configuration.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jhe-tui",
        description="A keyboard-first console for JupyterHealth Exchange practitioners.",
        epilog=COMMANDS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"jhe-tui {__version__}")
    add_server_options(parser, top=True)
    console.add_options(parser)
    parser.set_defaults(handler=console.run)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (serve_demo, login, whoami, env, import_patients, export, followup, admin, config, completion):
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # first: --help and --version answer before any import
    from jhe_tui.api import JheError, Unauthenticated
    from jhe_tui.api.tokens import TokenStoreError
    from jhe_tui.commands.connect import ConfigurationError
    from jhe_tui.local.logfile import start_log

    start_log()
    try:
        return args.handler(args)
    except ConfigurationError as exc:
        return fail(str(exc), EXIT_USAGE)
    except TokenStoreError as exc:
        return fail(exc.message, EXIT_USAGE)
    except Unauthenticated as exc:
        return fail(f"{exc.message} Sign in with `jhe-tui login` (see `jhe-tui login --help`).", EXIT_FAILED)
    except JheError as exc:
        return fail(exc.message, EXIT_FAILED)
    except KeyboardInterrupt:
        return fail("interrupted.", EXIT_FAILED)
