"""The patient fields, shared by "create" and "edit", with a message beside each field.

Checks here are the ones a coordinator can fix on the spot (a 31 February, a birth date
in the future, a phone number in the e-mail box after a burst of keys over SSH, a control
character pasted with a name): ``patient_rules``, which the importer and the demo backend apply
too. Each field is checked on its own, so a value that landed in the wrong box is caught there
instead of being filed; the server's own refusals go beside the field it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from jhe_tui import patient_rules
from jhe_tui.api import InvalidInput, JheError, Patient
from jhe_tui.api.models import DEFAULT_IDENTIFIER_SYSTEM, Identifier
from jhe_tui.console_app import console_app


@dataclass(frozen=True)
class Field:
    name: str  # our field name, as in PatientDraft and InvalidInput.field_errors
    label: str
    placeholder: str = ""
    required: bool = False


FIELDS = (
    Field("email", "E-mail", "name@example.org", required=True),
    Field("external_id", "External ID", "e.g. MRN-12345 (several: MRN-1, urn:sys|ID-2)"),
    Field("family", "Family name", required=True),
    Field("given", "Given name", required=True),
    Field("birth_date", "Birth date", "YYYY-MM-DD", required=True),
    Field("phone", "Phone", "with country/area code"),
)


def identifiers_text(patient: Patient) -> str:
    """Identifiers as typed: a bare value, or system|value when the system says something."""
    return ", ".join(
        i.value if i.system in (None, "", DEFAULT_IDENTIFIER_SYSTEM) else f"{i.system}|{i.value}"
        for i in patient.identifiers
    )


def parse_identifiers(text: str) -> list[Identifier]:
    found = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        system, bar, value = entry.rpartition("|")
        found.append(Identifier(system=system.strip() if bar else DEFAULT_IDENTIFIER_SYSTEM, value=value.strip()))
    return found


SENSITIVE_FIELDS = ("external_id", "email", "family", "given", "birth_date", "phone")


class PatientForm(Vertical):
    def __init__(self, *, email: str, patient: Patient | None = None, id: str | None = None,
                 focus: bool = False) -> None:
        super().__init__(id=id)
        self._focus = focus  # take the focus once mounted (a refresh may come before the fields exist)
        self._initial = {
            "email": email,
            "external_id": identifiers_text(patient) if patient else "",
            "family": (patient.name_family or "") if patient else "",
            "given": (patient.name_given or "") if patient else "",
            "birth_date": patient.birth_date.isoformat() if patient and patient.birth_date else "",
            "phone": (patient.telecom_phone or "") if patient else "",
        }

    def compose(self) -> ComposeResult:
        for field in FIELDS:
            with Horizontal(classes="form-row"):
                star = " *" if field.required else ""
                yield Label(f"{field.label}{star}", classes="form-label")
                yield Input(
                    self._initial[field.name],
                    placeholder=field.placeholder,
                    id=f"field-{field.name}",
                    compact=True,
                    # The e-mail is the patient's login: fixed by the lookup, never edited here.
                    disabled=field.name == "email",
                )
            yield Static("", id=f"error-{field.name}", classes="field-error", markup=False)
        yield Static("", id="form-problem", classes="form-problem", markup=False)

    def on_mount(self) -> None:
        self.watch(console_app(self), "privacy", self._privacy_changed)
        if self._focus:
            self.focus_first()

    def _privacy_changed(self, masked: bool) -> None:
        """Privacy mode hides what is typed in the identifying fields, as a password box does."""
        for name in SENSITIVE_FIELDS:
            self.query_one(f"#field-{name}", Input).password = masked

    def focus_first(self) -> None:
        self.query_one("#field-external_id", Input).focus()

    def value(self, name: str) -> str:
        return self.query_one(f"#field-{name}", Input).value.strip()

    def values(self) -> dict[str, str]:
        return {field.name: self.value(field.name) for field in FIELDS}

    def fields(self, *, only_changed: bool = False) -> dict[str, object]:
        """The values as PatientDraft/PatientChanges fields (cleared ones become None); with
        `only_changed`, just what differs from what the form opened with."""
        found: dict[str, object] = {}
        for name, value in self.values().items():
            if name == "email" or (only_changed and value == self._initial[name]):
                continue
            if name == "external_id":
                found["identifiers"] = parse_identifiers(value)
            else:
                found[name] = value or None
        return found

    def problems(self) -> dict[str, list[str]]:
        """The rules the importer and the embedded backend apply too (``patient_rules``)."""
        found = patient_rules.problems(self.values())
        return {name: [patient_rules.sentence(problem)] for name, problem in found.items()}

    @on(Input.Changed)
    def _recheck(self, event: Input.Changed) -> None:
        """A field showing a message is checked again as it is typed in: the message goes once the
        value is right (or says what is still wrong), instead of staying until the next save."""
        name = (event.input.id or "").removeprefix("field-")
        box = self.query_one(f"#error-{name}", Static) if name in self._initial else None
        if box is None or not box.has_class("shown"):
            return
        problem = patient_rules.field_problem(name, event.value.strip())
        box.update(patient_rules.sentence(problem) if problem else "")
        box.set_class(problem is not None, "shown")

    def show_problems(self, problems: dict[str, list[str]], general: str | None = None) -> None:
        """Messages beside fields; anything not tied to a field goes in the line below."""
        loose = [general] if general else []
        for field in FIELDS:
            box = self.query_one(f"#error-{field.name}", Static)
            messages = problems.get(field.name, [])
            box.update(" ".join(messages))
            box.set_class(bool(messages), "shown")
        known = {field.name for field in FIELDS}
        loose += [" ".join(msgs) for name, msgs in problems.items() if name not in known]
        banner = self.query_one("#form-problem", Static)
        banner.update(" ".join(loose))
        banner.set_class(bool(loose), "shown")
        first = next((f.name for f in FIELDS if f.name in problems and f.name != "email"), None)
        if first:
            self.query_one(f"#field-{first}", Input).focus()

    def check(self) -> bool:
        """Show every problem at once (fixing one at a time is slow over SSH); True if none."""
        problems = self.problems()
        self.show_problems(problems)
        return not problems

    def show_error(self, error: JheError) -> None:
        """A server refusal: beside the fields it names, else as one sentence."""
        if isinstance(error, InvalidInput) and error.field_errors:
            self.show_problems(error.field_errors)
        else:
            self.show_problems({}, error.message)
