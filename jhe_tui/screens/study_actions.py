"""What the Studies screen sets up: a study (create, edit, delete with its preview), the data
types it requests, its data sources and (v0.0.13) the patient apps invitations are issued for.

Each flow asks in a dialog and answers True when something changed, so the screen reloads. A new
data type comes with the warning that enrolled patients must consent to it; removing one says
that their answers for it go.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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


async def _toggle(screen: StudiesScreen, title: str, intro: str, items: Sequence[tuple[str, Any, bool]],
                  add: Callable[[Any], Awaitable[Any]], remove: Callable[[Any], Awaitable[Any]],
                  add_warning: str, remove_warning: str, noun: str) -> bool:
    """Pick one of ``items`` (label, value, linked): a linked one is removed, another added,
    each after a confirmation that says what follows."""
    choices = [(f"{'[x]' if linked else '[ ]'} {label}", (label, value, linked)) for label, value, linked in items]
    chosen = await screen.app.push_screen_wait(ChoiceModal(title, intro, choices, empty=f"This server has no {noun}s."))
    if chosen is None:
        return False
    label, value, linked = chosen
    verb = "Remove" if linked else "Add"
    answer = await screen.app.push_screen_wait(ConfirmModal(
        f"{verb} {label}?", [f"{verb} the {noun} {label}."], confirm_label=verb,
        warning=remove_warning if linked else add_warning, danger=linked))
    if answer is None:
        return False
    call = remove(value) if linked else add(value)
    return await admin_steps.done(screen, call, f"{'Removed' if linked else 'Added'} {label}.")


async def data_types(screen: StudiesScreen, study: Study) -> bool:
    client = screen.console.client
    found = await admin_steps.read(screen, client.codeable_concepts(), client.study_scope_requests(study.id))
    if found is None:
        return False
    concepts, requested = found
    keys = {r.scope_code.key for r in requested}
    items = [(f"{c.display} ({c.coding_code})", c.id, c.key in keys) for c in concepts]
    return await _toggle(
        screen, f"Data types of {study.name}", "Enter on a requested one [x] removes it, on another adds it.", items,
        lambda cid: client.add_scope_request(study.id, cid), lambda cid: client.remove_scope_request(study.id, cid),
        "Every enrolled patient must consent to the new data type before its data is shared with the study.",
        "The consent answers patients gave for this data type in this study are deleted.", "data type")


async def data_sources(screen: StudiesScreen, study: Study) -> bool:
    client = screen.console.client
    found = await admin_steps.read(screen, client.data_sources(), client.study_data_sources(study.id))
    if found is None:
        return False
    sources, linked = found
    ids = {s.id for s in linked}
    items = [(f"{s.name} ({s.type or 'source'} {s.id})", s.id, s.id in ids) for s in sources]
    return await _toggle(
        screen, f"Data sources of {study.name}", "Enter on a linked one [x] removes it, on another adds it.", items,
        lambda sid: client.add_study_data_source(study.id, sid),
        lambda sid: client.remove_study_data_source(study.id, sid),
        "Patients see it among the devices and apps the study accepts data from.",
        "Data already sent from it stays on the server.", "data source")


async def patient_apps(screen: StudiesScreen, study: Study) -> bool:
    client = screen.console.client
    found = await admin_steps.read(screen, client.patient_apps(), client.study_apps(study.id))
    if found is None:
        return False
    apps, linked = found
    ids = {a.id for a in linked}
    items = [(f"{a.name} (app {a.id})", a.id, a.id in ids) for a in apps]
    return await _toggle(
        screen, f"Patient apps of {study.name}", "Invitations to this study's patients are issued for these apps.",
        items, lambda aid: client.add_study_app(study.id, aid), lambda aid: client.remove_study_app(study.id, aid),
        "Invitations can then be issued for this app.", "No new invitation can be issued for this app.", "patient app")


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

    async def _set_up(self: StudiesScreen, flow) -> None:
        study, org = self.study, self.console.organization
        if study is not None and org is not None and await flow(self, study):
            self.load_studies(org)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_edit_study(self: StudiesScreen) -> None:
        await self._set_up(edit_study)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_delete_study(self: StudiesScreen) -> None:
        await self._set_up(delete_study)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_data_types(self: StudiesScreen) -> None:
        await self._set_up(data_types)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_data_sources(self: StudiesScreen) -> None:
        await self._set_up(data_sources)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def action_patient_apps(self: StudiesScreen) -> None:
        await self._set_up(patient_apps)
