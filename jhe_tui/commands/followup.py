"""`jhe-tui followup`: the follow-up desk's queues for a morning e-mail or a cron job.

Exit 0 when every queue asked for is empty, 1 when any has rows (so a script can act on it),
2 on bad usage. ``--now`` fixes the clock, for tests and demonstrations.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from jhe_tui.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_server_options, fail, moment, shown, target

QUEUES = ("not-connected", "pending", "quiet", "expiring", "never")


def register(sub) -> None:
    cmd = sub.add_parser(
        "followup",
        help="who needs a follow-up: not connected, consent pending, went quiet, expiring, never invited",
        description="The follow-up desk's queues for one organization (optionally one study): patients "
        "invited more than --hours ago who never connected, those with consent pending, those whose "
        "data stopped for more than --days days, links expiring within 2 days, and enrolled patients "
        "never invited.",
        epilog="Formats: table (default), csv (formula-safe; a FILE is written mode 0600), json. "
        "On a server that keeps no invitations (JHE before v0.0.13) the invitations are those recorded "
        "on this workstation, and the output says so. "
        "Exit codes: 0 every queue empty, 1 some queue has patients (or a call failed), 2 bad usage.",
    )
    cmd.add_argument("--org", type=int, required=True, metavar="ID", help="organization (`jhe-tui whoami` lists yours)")
    cmd.add_argument("--study", type=int, metavar="ID", help="only this study (of that organization)")
    cmd.add_argument("--queue", choices=QUEUES, action="append", help="only this queue (repeatable; default: all)")
    cmd.add_argument("--hours", type=int, default=48, metavar="N",
                     help="not connected after N hours (default 48, as the user guide advises)")
    cmd.add_argument("--days", type=int, default=3, metavar="N", help="went quiet after N days without data (default 3)")
    cmd.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format")
    cmd.add_argument("-o", "--output", default="-", metavar="FILE", help="write to FILE (default: - , the standard output)")
    cmd.add_argument("--now", metavar="TIME", help="the moment to compute for (ISO 8601, e.g. 2026-12-01T09:00Z)")
    add_server_options(cmd)
    cmd.set_defaults(handler=run)


def _now(value: str | None) -> datetime:
    return datetime.now(UTC) if value is None else moment(value)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from jhe_tui.commands.connect import open_client
    from jhe_tui.jobs.followup import Queue, Rules

    try:
        now = _now(args.now)
        if args.hours < 1 or args.days < 1:
            raise ValueError("--hours and --days must be 1 or more.")
    except ValueError as problem:
        return fail(str(problem), EXIT_USAGE)
    queues = [Queue(name) for name in (args.queue or QUEUES)]
    client = open_client(target(args))
    desk = asyncio.run(_desk(client, args, now, Rules(hours=args.hours, days=args.days)))
    try:
        _write(desk, queues, args)
    except OSError as problem:
        return fail(f"could not write {args.output}: {problem.strerror or problem}.", EXIT_USAGE)
    return EXIT_FAILED if any(desk.queues[queue] for queue in queues) else EXIT_OK


async def _desk(client, args: argparse.Namespace, now: datetime, rules):
    from jhe_tui.jobs.followup import follow_up
    from jhe_tui.local.invitation_log import invitations_for

    async with client:
        log = [] if await client.keeps_invitations() else invitations_for(client.server_url)
        return await follow_up(client, args.org, args.study, now=now, rules=rules, local_log=log)


def _write(desk, queues, args: argparse.Namespace) -> None:
    from jhe_tui.jobs import followup_files as files

    if args.format == "csv" and args.output != "-":
        files.write_csv(Path(args.output), files.rows_of(desk, queues))
        print(shown(f"Wrote {sum(desk.count(q) for q in queues)} rows to {args.output}."), file=sys.stderr)
        return
    if args.format == "csv":
        text = files.csv_text(files.rows_of(desk, queues))
    elif args.format == "json":
        text = files.json_text(desk, queues)
    else:
        text = shown(files.table_text(desk, queues))
    if args.output == "-":
        sys.stdout.write(text)
        return
    from jhe_tui.local import paths

    output = Path(args.output)
    paths.make_dirs(output.parent)
    fd, temporary = paths.create_beside(output, ".tmp", hidden=True)
    with open(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    temporary.replace(output)
