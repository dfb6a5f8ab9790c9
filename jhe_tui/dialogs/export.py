"""Where to export the observations on screen: format and file, checked before anything runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from jhe_tui.api import FhirObservation, JheClient, JheError
from jhe_tui.jobs.export import ExportFailed, ExportRefused, check_output, export_observations
from jhe_tui.jobs.observations import ObservationQuery

EXTENSIONS = {"csv": ".csv", "ndjson": ".ndjson", "fhir": ".json"}


@dataclass(frozen=True)
class ExportRequest:
    fmt: str
    path: Path
    force: bool

    async def run(self, client: JheClient, query: ObservationQuery, notice: Static,
                  chosen: Sequence[FhirObservation] | None = None) -> tuple[bool, str]:
        """Export ``query``'s matches (or only ``chosen``), the progress shown in ``notice``; whether
        it worked, and the one sentence that says what happened (also left in ``notice``)."""

        def progress(done: int, total: int | None) -> None:
            notice.update(f"Exporting to {self.path.name}: {done:,}" + (f" of {total:,}" if total else ""))

        notice.add_class("shown")
        progress(0, None)
        try:
            result = await export_observations(client, query, self.fmt, self.path, force=self.force,
                                               progress=progress, chosen=chosen)
        except (ExportFailed, ExportRefused) as failure:
            notice.update(f"⚠ {failure}")
            return False, str(failure)
        except JheError as failure:
            notice.update(f"⚠ {failure.message}")
            return False, failure.message
        done = f"Exported {result.count:,} observations to {result.path}."
        notice.update(done)
        return True, done


class ExportModal(ModalScreen[ExportRequest | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="export.cancel", tooltip="Close without exporting"),
        Binding("ctrl+j", "export", "Export", id="export.ok", tooltip="Start the export"),
    ]

    def __init__(self, summary: str, default_stem: str) -> None:
        super().__init__()
        self._summary = summary
        self._stem = default_stem

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Export observations", classes="dialog-title")
            yield Static(self._summary, classes="dialog-line", markup=False)
            with Horizontal(classes="form-row"):
                yield Label("Format", classes="form-label")
                yield Select(
                    [("CSV, one tidy row per observation", "csv"), ("NDJSON, one FHIR Observation a line", "ndjson"),
                     ("FHIR Bundle (one JSON document)", "fhir")],
                    value="csv", allow_blank=False, compact=True, id="format",
                )
            with Horizontal(classes="form-row"):
                yield Label("File", classes="form-label")
                yield Input(str(Path.cwd() / f"{self._stem}.csv"), id="path", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("", classes="form-label")
                yield Checkbox("Overwrite if it exists: no", id="force", compact=True)
            yield Static("", id="problem", classes="field-error", markup=False)
            yield Static("The file is readable by you only (mode 0600): it holds health data.",
                         classes="dialog-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", id="go", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Select.Changed, "#format")
    def _format_changed(self, event: Select.Changed) -> None:
        box = self.query_one("#path", Input)
        path = Path(box.value)
        if path.suffix in EXTENSIONS.values() and isinstance(event.value, str):
            box.value = str(path.with_suffix(EXTENSIONS[event.value]))

    @on(Checkbox.Changed, "#force")
    def _force_changed(self, event: Checkbox.Changed) -> None:
        # In words: the box's glyph alone looks the same ticked and unticked in some themes.
        event.checkbox.label = f"Overwrite if it exists: {'yes' if event.value else 'no'}"

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#go")
    @on(Input.Submitted, "#path")
    def action_export(self) -> None:
        fmt = str(self.query_one("#format", Select).value)
        raw = self.query_one("#path", Input).value.strip()
        force = self.query_one("#force", Checkbox).value
        problem = self.query_one("#problem", Static)
        if not raw:
            problem.update("Enter a file name.")
            problem.add_class("shown")
            return
        path = Path(raw).expanduser()
        try:
            check_output(path, force=force)
        except ExportRefused as refusal:
            problem.update(str(refusal).replace("add --force", "tick Overwrite"))
            problem.add_class("shown")
            return
        self.dismiss(ExportRequest(fmt, path, force))
