"""`jhe-tui study create` and `jhe-tui member add`: enough to set up a cohort's study from a
script (the study, its data types and data sources; a colleague with a role), not an API shell.

Each prints what it did, or one JSON object with --json. Exit codes: 0 all done; 1 the server
refused or a step failed (a study already created stays, and the output says which of its data
types and sources were added); 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from jhe_tui.commands.common import EXIT_FAILED, EXIT_OK, add_server_options, fail, shown, target

ROLES = ("member", "manager", "viewer")


def _command(sub, noun: str, verb: str, helps: tuple[str, str, str, str], handler) -> argparse.ArgumentParser:
    """``jhe-tui NOUN VERB`` (helps: the noun's help and description, the verb's) with the options
    both commands share (--org, --json and the server's); the caller adds the rest."""
    noun_help, noun_description, verb_help, verb_description = helps
    group = sub.add_parser(noun, help=noun_help, description=noun_description)
    actions = group.add_subparsers(dest=f"{noun}_command", metavar="ACTION", required=True)
    command = actions.add_parser(verb, help=verb_help, description=verb_description)
    command.add_argument("--org", type=int, required=True, metavar="ID", help="the organization, by id")
    command.add_argument("--json", action="store_true", help="one JSON object")
    add_server_options(command)
    command.set_defaults(handler=handler)
    return command


def register(sub) -> None:
    create = _command(sub, "study", "create", (
        "set up a study (study create)", "Set up a study from a script.",
        "create a study with its data types and data sources",
        "Create a study in an organization, then request its data types and link its data sources. "
        "Takes a manager or member of the organization."), run_study_create)
    create.add_argument("--name", required=True, help="the study's name")
    create.add_argument("--description", required=True, help="what the study is about (the server requires one)")
    create.add_argument("--icon-url", metavar="URL", help="an icon for the patient apps")
    create.add_argument("--scope", action="append", default=[], metavar="CODE",
                        help="a data type to request, e.g. omh:blood-pressure:4.0 (repeat for more)")
    create.add_argument("--data-source", action="append", default=[], type=int, metavar="ID",
                        help="a data source to link, by id (repeat for more)")

    add = _command(sub, "member", "add", (
        "add a colleague to an organization (member add)", "Manage an organization's members from a script.",
        "give a practitioner a role in an organization",
        "Look the practitioner up by e-mail and give them a role in the organization. Takes a manager "
        "of the organization (at JHE before v0.0.13: of its parent)."), run_member_add)
    add.add_argument("--email", required=True, help="the practitioner's login e-mail")
    add.add_argument("--role", required=True, choices=ROLES, help="their role there")


async def _study_create(args: argparse.Namespace) -> tuple[dict[str, Any], str | None]:
    from jhe_tui.api import InvalidInput, JheError, scope_key
    from jhe_tui.commands.connect import open_client

    async with open_client(target(args)) as client:
        # Checked before the study exists, so a typo leaves nothing half set up.
        known = {c.key for c in await client.codeable_concepts()}
        unknown = [code for code in args.scope if scope_key(code) not in known]
        sources = {s.id for s in await client.data_sources()}
        unknown += [f"data source {i}" for i in args.data_source if i not in sources]
        if unknown:
            raise InvalidInput(f"This server does not know {', '.join(unknown)}; nothing was created.")
        study = await client.create_study(args.org, args.name, args.description, args.icon_url)
        done: dict[str, Any] = {"study": {"id": study.id, "name": study.name, "organization_id": args.org},
                                "scopes": [], "data_sources": []}
        try:
            for code in args.scope:
                concept = await client.add_scope_request(study.id, code)
                done["scopes"].append({"id": concept.id, "code": concept.coding_code, "text": concept.display})
            for source_id in args.data_source:
                source = await client.add_study_data_source(study.id, source_id)
                done["data_sources"].append({"id": source.id, "name": source.name})
        except JheError as failure:
            return done, failure.message
    return done, None


def run_study_create(args: argparse.Namespace) -> int:
    import asyncio

    done, problem = asyncio.run(_study_create(args))
    if args.json:
        print(json.dumps({**done, "error": problem}, ensure_ascii=False))
    else:
        study = done["study"]
        lines = [f"Created study {study['id']} {study['name']} in organization {study['organization_id']}."]
        lines += [f"  requests {s['text']} ({s['code']})" for s in done["scopes"]]
        lines += [f"  data source {d['name']} ({d['id']})" for d in done["data_sources"]]
        print(shown("\n".join(lines)))
    if problem:
        return fail(f"{problem} The study was created; add what is missing on the Studies screen (F3).", EXIT_FAILED)
    return EXIT_OK


async def _member_add(args: argparse.Namespace):
    from jhe_tui.commands.connect import open_client

    async with open_client(target(args)) as client:
        return await client.add_member(args.org, args.email, args.role)


def run_member_add(args: argparse.Namespace) -> int:
    import asyncio

    member = asyncio.run(_member_add(args))
    if args.json:
        print(json.dumps({"organization_id": args.org, "user_id": member.id, "email": member.email,
                          "name": member.display_name, "role": member.role}, ensure_ascii=False))
    else:
        print(shown(f"Added {member.display_name} <{member.email}> to organization {args.org} as {member.role}."))
    return EXIT_OK
