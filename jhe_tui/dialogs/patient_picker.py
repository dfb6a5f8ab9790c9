"""Pick several patients of an organization: type to narrow, space to tick, Enter to act on them.

Organizations hold a thousand patients and more, so a plain list in server order is no way to
find five people. Every page of the organization's patients loads in a worker while the list
already answers the typing; the ones the caller rules out (already enrolled) are counted, not
listed. The action (``apply``) runs inside the dialog, so a refusal is shown where the choice was
made and the ticks are kept for another try.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from jhe_tui import privacy
from jhe_tui.api import JheClient, JheError, Organization, Patient

MAX_SHOWN = 200  # options on show at once; typing narrows the rest


class FilterBox(Input):
    """The filter: every key but Space, which ticks (so a filter is one run of letters, e.g.
    "rossi" or "mrn-67", rather than several words)."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return key != "space" and super().check_consume_key(key, character)


def picker_text(patient: Patient) -> str:
    """What the typed words are looked for in: names, e-mail, external ids and the id."""
    parts = (patient.name_family, patient.name_given, patient.telecom_email, patient.external_ids, str(patient.id))
    return " ".join(part for part in parts if part).casefold()


def _label(patient: Patient, ticked: bool, masked: bool) -> Text:
    email = f" · {privacy.email(patient.telecom_email, masked)}" if patient.telecom_email else ""
    ids = f" · {privacy.identifier(patient.external_ids, masked)}" if patient.external_ids else ""
    mark = "[x]" if ticked else "[ ]"
    return Text(f"{mark} {privacy.name(patient.display_name, masked)} · patient {patient.id}{email}{ids}")


class PatientPickerModal(ModalScreen[list[Patient] | None]):
    """Dismisses with the ticked patients once ``apply`` has accepted them, or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel", tooltip="Close without acting"),
        Binding("space", "tick", "Tick", priority=True, id="picker.tick", tooltip="Tick or untick the highlighted patient, then move down"),
        Binding("down", "move(1)", "Next", show=False, priority=True, id="picker.down", tooltip="Highlight the next patient"),
        Binding("up", "move(-1)", "Previous", show=False, priority=True, id="picker.up", tooltip="Highlight the previous patient"),
        Binding("ctrl+a", "tick_shown", "Tick shown", id="picker.tick_shown", tooltip="Tick every patient the filter shows (or untick them)"),
    ]

    def __init__(
        self,
        client: JheClient,
        organization: Organization,
        *,
        title: str,
        intro: str,
        verb: str,
        apply: Callable[[list[Patient]], Awaitable[object]],
        exclude_study: int | None = None,
        excluded_as: str = "already enrolled",
    ) -> None:
        super().__init__()
        self._client = client
        self._org = organization
        self._title = title
        self._intro = intro
        self._verb = verb
        self._apply = apply
        self._exclude_study = exclude_study
        self._excluded_as = excluded_as
        self.patients: list[Patient] = []
        self._texts: dict[int, str] = {}
        self.excluded = 0
        self.loaded = False
        self.ticked: dict[int, Patient] = {}
        self.shown: list[Patient] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label(self._title, classes="dialog-title", markup=False)
            yield Static(self._intro, classes="dialog-line", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("Filter", classes="form-label")
                yield FilterBox(placeholder="name, e-mail, MRN or patient id", id="picker-filter", compact=True)
            yield Static("Loading patients…", id="picker-status", classes="dialog-line", markup=False)
            yield OptionList(id="picker-list", markup=False)
            yield Static("", id="problem", classes="field-error", markup=False)
            yield Label(f"Type to filter · ↑ ↓ move · Space ticks · Enter {self._verb} the ticked · Escape cancels",
                        classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#picker-list", OptionList).can_focus = False  # the filter box keeps the keys
        self.query_one("#picker-filter", Input).focus()
        self._load()

    @work(exclusive=True, group="load", exit_on_error=False)
    async def _load(self) -> None:
        try:
            excluded = set()
            if self._exclude_study is not None:
                excluded = {p.id async for p in self._client.iter_patients(self._org.id, self._exclude_study)}
            async for patient in self._client.iter_patients(self._org.id):
                if patient.id in excluded:
                    self.excluded += 1
                    continue
                self.patients.append(patient)
                self._texts[patient.id] = picker_text(patient)
                if len(self.patients) % 500 == 0:
                    self._refilter()
        except JheError as error:
            self._problem(f"The patients could not all be loaded: {error.message}")
        self.loaded = True
        self._refilter()

    # --- the list -------------------------------------------------------------------------------

    @property
    def _list(self) -> OptionList:
        return self.query_one("#picker-list", OptionList)

    @on(Input.Changed, "#picker-filter")
    def _refilter(self) -> None:
        words = self.query_one("#picker-filter", Input).value.casefold().split()
        self.shown = [p for p in self.patients if all(w in self._texts[p.id] for w in words)]
        masked = privacy.is_on(self)
        options = self._list
        keep = options.highlighted
        options.set_options(Option(_label(p, p.id in self.ticked, masked)) for p in self.shown[:MAX_SHOWN])
        if options.option_count:
            options.highlighted = min(keep or 0, options.option_count - 1)
        self._count()

    def _count(self) -> None:
        loading = "" if self.loaded else " (still loading)"
        shown = len(self.shown)
        more = f", the first {MAX_SHOWN} listed (type more to narrow)" if shown > MAX_SHOWN else ""
        excluded = f" · {self.excluded:,} {self._excluded_as}, not listed" if self.excluded else ""
        if self.loaded and not self.patients:
            text = f"No patient of {self._org.name} can be chosen here{excluded}."
        else:
            text = f"{shown:,} of {len(self.patients):,} patients shown{more}{loading} · {len(self.ticked):,} ticked{excluded}"
        self.query_one("#picker-status", Static).update(text)

    def _redraw(self, index: int) -> None:
        patient = self.shown[index]
        self._list.replace_option_prompt_at_index(index, _label(patient, patient.id in self.ticked, privacy.is_on(self)))

    def action_move(self, step: int) -> None:
        options = self._list
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -step
            options.highlighted = min(max(current + step, 0), options.option_count - 1)

    def action_tick(self) -> None:
        index = self._list.highlighted
        if index is None or not self._list.option_count:
            return
        patient = self.shown[index]
        if self.ticked.pop(patient.id, None) is None:
            self.ticked[patient.id] = patient
        self._redraw(index)
        self.action_move(1)
        self._count()

    def action_tick_shown(self) -> None:
        listed = self.shown[:MAX_SHOWN]
        untick = all(p.id in self.ticked for p in listed)
        for index, patient in enumerate(listed):
            if untick:
                self.ticked.pop(patient.id, None)
            else:
                self.ticked[patient.id] = patient
            self._redraw(index)
        self._count()

    # --- acting ---------------------------------------------------------------------------------

    def _problem(self, text: str) -> None:
        problem = self.query_one("#problem", Static)
        problem.update(text)
        problem.set_class(bool(text), "shown")

    @on(OptionList.OptionSelected, "#picker-list")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self._list.highlighted = event.option_index
        self.action_tick()

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self) -> None:
        if not self.ticked:
            self._problem("Tick patients with Space first.")
            return
        self._run(list(self.ticked.values()))

    @work(exclusive=True, group="apply", exit_on_error=False)
    async def _run(self, patients: Sequence[Patient]) -> None:
        self._problem("")
        self.query_one("#picker-status", Static).update(f"Working on {len(patients):,} patients…")
        try:
            await self._apply(list(patients))
        except JheError as error:
            self._problem(error.message)
            self._count()
            return
        self.dismiss(list(patients))

    def action_cancel(self) -> None:
        self.workers.cancel_all()
        self.dismiss(None)
