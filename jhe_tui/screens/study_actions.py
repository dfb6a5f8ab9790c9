"""What the Studies screen sets up: a study (create, edit, delete with its preview), the data
types it requests, its data sources and (v0.0.13) the patient apps invitations are issued for.

Each flow asks in a dialog and answers True when something changed, so the screen reloads. A new
data type comes with the warning that enrolled patients must consent to it; removing one says
that their answers for it go.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work

from jhe_tui.api import Organization, Study
from jhe_tui.api.admin_rules import study_refusal
from jhe_tui.dialogs.admin_form import AdminFormModal, Field
from jhe_tui.dialogs.choice import ChoiceModal
from jhe_tui.dialogs.confirm import ConfirmModal
from jhe_tui.screens import admin_steps

if TYPE_CHECKING:
    from jhe_tui.screens.studies import StudiesScreen

SET_UP = frozenset({"create_study", "edit_study", "delete_study", "data_types", "data_sources", "patient_apps"})


def _fields(study: Study | None) -> list[Field]:
    return [Field("name", "Name", value=study.name if study else ""),
            Field("description", "Description (required by the server)",
                  value=(study.description or "") if study else ""),
            Field("icon_url", "Icon URL (optional)", value=(study.icon_url or "") if study else "",
                  placeholder="https://…")]


async def create_study(screen: StudiesScreen, org: Organization) -> Study | None:
    client = screen.console.client

    async def create(values: dict[str, str]) -> Study:
        return await client.create_study(org.id, values["name"], values["description"], values["icon_url"])

    created = await screen.app.push_screen_wait(AdminFormModal(
        f"New study in {org.name}", "Then choose its data types (t) and data sources (h), and enroll patients (+).",
        _fields(None), confirm_label="Create", apply=create))
    if created is not None:
        screen.notify(f"Created study {created.id} {created.name} in {org.name}.", markup=False)
    return created


async def edit_study(screen: StudiesScreen, study: Study) -> bool:
    client = screen.console.client

    async def save(values: dict[str, str]) -> Study:
        return await client.update_study(study.id, name=values["name"], description=values["description"],
                                         icon_url=values["icon_url"])

    saved = await screen.app.push_screen_wait(AdminFormModal(
        f"Edit study {study.id}", "Its name, description and icon, as the patient apps show them.",
        _fields(study), confirm_label="Save", apply=save))
    if saved is not None:
        screen.notify(f"Study {saved.id} saved.", markup=False)
    return saved is not None


async def delete_study(screen: StudiesScreen, study: Study) -> bool:
    client = screen.console.client
    return await admin_steps.delete_after_preview(
        screen, study.name, study.id, client.study_delete_impact(study.id), lambda: client.delete_study(study.id))


@dataclass(frozen=True)
class _Links:
    """What a study links to, as the toggle dialog says it."""

    noun: str
    intro: str
    add_warning: str
    remove_warning: str


async def _toggle(screen: StudiesScreen, study: Study, links: _Links,
                  reads: tuple[Awaitable[Sequence[Any]], Awaitable[Sequence[Any]]],
                  item: Callable[[Any], tuple[str, Any, Any]], linked_key: Callable[[Any], Any],
                  add: Callable[[Any], Awaitable[Any]], remove: Callable[[Any], Awaitable[Any]]) -> bool:
    """Read everything and what the study links to, pick one (``item``: label, value, key): a
    linked one is removed, another added, each after a confirmation that says what follows."""
    found = await admin_steps.read(screen, *reads)
    if found is None:
        return False
    everything, linked = found
    keys = {linked_key(x) for x in linked}
    choices = []
    for thing in everything:
        label, value, key = item(thing)
        on = key in keys
        choices.append((f"{'[x]' if on else '[ ]'} {label}", (label, value, on)))
    chosen = await screen.app.push_screen_wait(ChoiceModal(
        f"{links.noun.capitalize()}s of {study.name}", links.intro, choices,
        empty=f"This server has no {links.noun}s."))
    if chosen is None:
        return False
    label, value, on = chosen
    verb = "Remove" if on else "Add"
    answer = await screen.app.push_screen_wait(ConfirmModal(
        f"{verb} {label}?", [f"{verb} the {links.noun} {label}."], confirm_label=verb,
        warning=links.remove_warning if on else links.add_warning, danger=on))
    if answer is None:
        return False
    call = remove(value) if on else add(value)
    return await admin_steps.done(screen, call, f"{'Removed' if on else 'Added'} {label}.")


DATA_TYPES = _Links(
    "data type", "Enter on a requested one [x] removes it, on another adds it.",
    "Every enrolled patient must consent to the new data type before its data is shared with the study.",
    "The consent answers patients gave for this data type in this study are deleted.")
DATA_SOURCES = _Links(
    "data source", "Enter on a linked one [x] removes it, on another adds it.",
    "Patients see it among the devices and apps the study accepts data from.",
    "Data already sent from it stays on the server.")
PATIENT_APPS = _Links(
    "patient app", "Invitations to this study's patients are issued for these apps.",
    "Invitations can then be issued for this app.", "No new invitation can be issued for this app.")


async def data_types(screen: StudiesScreen, study: Study) -> bool:
    client = screen.console.client
    return await _toggle(
        screen, study, DATA_TYPES, (client.codeable_concepts(), client.study_scope_requests(study.id)),
        lambda c: (f"{c.display} ({c.coding_code})", c.id, c.key), lambda r: r.scope_code.key,
        lambda cid: client.add_scope_request(study.id, cid), lambda cid: client.remove_scope_request(study.id, cid))


async def data_sources(screen: StudiesScreen, study: Study) -> bool:
    client = screen.console.client
    return await _toggle(
        screen, study, DATA_SOURCES, (client.data_sources(), client.study_data_sources(study.id)),
        lambda s: (f"{s.name} ({s.type or 'source'} {s.id})", s.id, s.id), lambda s: s.id,
        lambda sid: client.add_study_data_source(study.id, sid),
        lambda sid: client.remove_study_data_source(study.id, sid))


async def patient_apps(screen: StudiesScreen, study: Study) -> bool:
    client = screen.console.client
    return await _toggle(
        screen, study, PATIENT_APPS, (client.patient_apps(), client.study_apps(study.id)),
        lambda a: (f"{a.name} (app {a.id})", a.id, a.id), lambda a: a.id,
        lambda aid: client.add_study_app(study.id, aid), lambda aid: client.remove_study_app(study.id, aid))


def _study_action(flow: Callable[[StudiesScreen, Study], Awaitable[bool]]):
    """The key's action: ``flow`` on the chosen study in a write worker, the list reloaded after a change."""

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action(self: StudiesScreen) -> None:
        await self._set_up(flow)

    return action


class StudySetUp:
    """The Studies screen's set-up keys (their bindings are the screen's): why each is off, and
    each action, run in a worker."""

    def _set_up_refusal(self: StudiesScreen, action: str) -> str | None:
        refusal = study_refusal(self.console.organization)
        if refusal or action == "create_study":
            return refusal
        if self.study is None:
            return "choose a study first"
        if action == "patient_apps" and not (self.rules and self.rules.patient_apps):
            return "this server has no list of patient apps (JHE before v0.0.13)"
        return None

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_create_study(self: StudiesScreen) -> None:
        org = self.console.organization
        if org is not None and await create_study(self, org) is not None:
            self.load_studies(org)

    async def _set_up(self: StudiesScreen, flow: Callable[[StudiesScreen, Study], Awaitable[bool]]) -> None:
        study, org = self.study, self.console.organization
        if study is not None and org is not None and await flow(self, study):
            self.load_studies(org)

    action_edit_study = _study_action(edit_study)
    action_delete_study = _study_action(delete_study)
    action_data_types = _study_action(data_types)
    action_data_sources = _study_action(data_sources)
    action_patient_apps = _study_action(patient_apps)
