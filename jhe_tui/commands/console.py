"""`jhe-tui` with no command: the console."""

from __future__ import annotations

import argparse
import os
import sys

from jhe_tui.commands.common import EXIT_FAILED, EXIT_OK, moment, target


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--theme", metavar="NAME",
                        help="the console's theme for this run, such as high-contrast or textual-light "
                             "(default: the one last picked with ctrl+p, \"theme\")")
    parser.add_argument("--now", metavar="TIME",
                        help="with --demo only: the console's clock starts at TIME (ISO 8601, e.g. "
                             "2026-12-05T09:00Z) and runs on from it, to see the follow-up desk days later")


def look(theme: str | None):
    """The theme (``--theme``, else the one last picked) and the owner's keymap, both checked, so a
    typo stops the console with one sentence instead of a key that silently does nothing."""
    from jhe_tui.commands.connect import ConfigurationError
    from jhe_tui.keymap import unknown_ids
    from jhe_tui.local import profiles, settings
    from jhe_tui.themes import unknown_theme

    try:
        saved = settings.load()
    except profiles.ProfileError as exc:
        raise ConfigurationError(str(exc)) from None
    chosen = theme or saved.theme
    problem = (unknown_theme(chosen) if chosen else None) or unknown_ids(saved.keymap)
    if problem:
        where = "--theme" if theme and unknown_theme(theme) else str(profiles.path())
        raise ConfigurationError(f"{where}: {problem}")
    return chosen, saved.keymap


def idle_minutes() -> float:
    """``JHE_TUI_IDLE_LOCK`` (minutes, 0 = off) overrides ``idle_lock_minutes`` of profiles.toml."""
    from jhe_tui.local import profiles
    from jhe_tui.commands.connect import ConfigurationError

    raw = os.environ.get("JHE_TUI_IDLE_LOCK")
    if raw is not None:
        try:
            value = float(raw)
        except ValueError:
            value = -1
        if value < 0:
            raise ConfigurationError(f"JHE_TUI_IDLE_LOCK must be a number of minutes, 0 to turn the lock off (got {raw!r}).")
        return value
    try:
        return profiles.load().settings.idle_lock_minutes
    except profiles.ProfileError as exc:
        raise ConfigurationError(str(exc)) from None


def _start_clock(value: str | None, demo: bool) -> None:
    """``--now``, for demonstrations: never against a real server, whose records it would misdate
    on screen (links shown expired, patients quiet) for someone who forgot it."""
    from jhe_tui.commands.connect import ConfigurationError
    from jhe_tui.widgets import clock

    if value is None:
        return
    if not demo:
        raise ConfigurationError("--now works only with the demo (--demo); `jhe-tui followup --now` takes it anywhere.")
    try:
        clock.start_at(moment(value))
    except ValueError as problem:
        raise ConfigurationError(str(problem)) from None


def run(args: argparse.Namespace) -> int:
    from jhe_tui.commands.connect import open_client, token_store
    from jhe_tui.api.signin import SignIn

    theme, keymap = look(getattr(args, "theme", None))  # first: a typo there changes nothing
    where = target(args, save_profile=True)
    _start_clock(getattr(args, "now", None), where.is_demo)
    minutes = idle_minutes()
    client = open_client(where, require_token=False)
    sign_in = None
    if not where.is_demo and where.profile is not None and not where.token:
        sign_in = SignIn(where.url, where.profile.name, store=token_store(), client_id=where.profile.client_id,
                         verify=where.verify)
    from jhe_tui.app import JheApp

    app = JheApp(
        client,
        demo=where.is_demo,
        server_url=where.url,
        sign_in=sign_in,
        signed_in=where.signed_in,
        idle_minutes=minutes,
        insecure=where.insecure,
        theme=theme,
        keymap=keymap,
    )
    app.run()
    if app.crash_message:
        print(app.crash_message, file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
