"""An observation as the Observations screen shows it: a table row that reads like a chart entry
("120/80 mmHg", "98 mg/dL"), and the detail pane's decoded fields beside the raw Open mHealth JSON."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.highlight import highlight
from textual.widgets import Static

from jhe_tui import privacy
from jhe_tui.api import FhirObservation
from jhe_tui.jobs.observations import source_of
from jhe_tui.privacy import Sensitive
from jhe_tui.widgets.clock import utc_text
from jhe_tui.widgets.paged_table import Row

# Who and when first: at 80 columns the patient and both dates are on screen, the rest scrolls.
COLUMNS = ("Patient", "Effective (UTC)", "Received (UTC)", "Data type", "Value", "Source", "ID")

Types = dict[tuple[str, str], str]


def patient_label(pid: int | None, names: dict[int, str], unnamed: str = "{}") -> str | Sensitive:
    """The patient's name (masked in privacy mode) with their id, or only the id until the name is known."""
    if pid in names:
        return Sensitive(names[pid], "name", f" ({pid})")
    return unnamed.format(pid) if pid else ""


def kind_of(o: FhirObservation, types: Types) -> str:
    """The data type's name as the server calls it, else what the observation says."""
    return types.get((o.coding_system or "", o.coding_code or "")) or o.coding_display or o.coding_code or ""


def observation_row(o: FhirObservation, names: dict[int, str], types: Types) -> Row:
    value = o.value.text if o.value and o.value.text else "(unreadable payload)"
    return Row(
        key=o.id,
        item=o,
        cells=(patient_label(o.subject_patient_id, names), utc_text(o.effective_time), utc_text(o.last_updated),
               kind_of(o, types), value, source_of(o.payload), o.id),
    )


def renamed(row: Row, names: dict[int, str]) -> Row:
    """The row again with the patient's name, which arrived after its page."""
    return Row(row.key, row.item, (patient_label(row.item.subject_patient_id, names), *row.cells[1:]))


def detail_renderable(o: FhirObservation, patient: str, kind: str) -> Group:
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold")
    fields.add_column()
    value = o.value
    rows = [
        ("Observation", o.id),
        ("Patient", patient),
        ("Data type", f"{kind} ({o.coding_system or '?'} | {o.coding_code or '?'})"),
        ("Value", value.text if value and value.text else "the OMH payload could not be read; raw data below"),
    ]
    if value:
        rows += [(name.replace("_", " "), f"{number:g}") for name, number in value.values.items()]
        if value.unit:
            rows.append(("Unit", value.unit))
    if o.effective_end:
        rows.append(("Effective", f"{utc_text(o.effective_start)} → {utc_text(o.effective_end)} UTC"))
    else:
        rows.append(("Effective", f"{utc_text(o.effective_time)} UTC"))
    rows.append(("Received", f"{utc_text(o.last_updated)} UTC"))
    if source_of(o.payload):
        rows.append(("Source", source_of(o.payload)))
    header = o.payload.get("header") if isinstance(o.payload, dict) else None
    if isinstance(header, dict):
        for key in ("modality", "uuid"):
            if isinstance(header.get(key), str):
                rows.append((key.capitalize(), header[key]))
    for name, text in rows:
        fields.add_row(Text(name), Text(str(text)))
    return Group(fields, Text(""), Text("Raw Open mHealth JSON", style="bold"))


def raw_json(o: FhirObservation) -> str:
    """The Open mHealth payload as sent, or the attachment when it could not be decoded."""
    if o.payload is not None:
        return json.dumps(o.payload, indent=2, ensure_ascii=False)
    return json.dumps(o.resource.get("valueAttachment", {}), indent=2)


class ObservationDetail(VerticalScroll):
    """The pane under the table: the row under the cursor decoded, then its raw JSON."""

    DEFAULT_CSS = """
    ObservationDetail { display: none; height: 45%; border-top: solid $primary; padding: 0 1; }
    ObservationDetail.shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown_detail: RenderableType | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-body")
        # Highlighted with the theme's own colours, so it follows a theme change like the rest.
        yield Static("", id="detail-json", markup=False)

    def show(self, item: FhirObservation | None, names: dict[int, str], types: Types, masked: bool) -> None:
        body, raw_view = self.query_one("#detail-body", Static), self.query_one("#detail-json", Static)
        if item is None:
            body.update("No observation under the cursor.")
            raw_view.update("")
            return
        who = privacy.shown(patient_label(item.subject_patient_id, names), masked)
        fields, raw = detail_renderable(item, who, kind_of(item, types)), raw_json(item)
        self.shown_detail = Group(fields, Text(raw))
        body.update(fields)
        raw_view.update(highlight(raw, language="json"))
        self.scroll_home(animate=False)
