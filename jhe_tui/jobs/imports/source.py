"""Reading the patients CSV: header aliases, BOM, CRLF, comma or semicolon, and per-row checks.

The guide's columns are ``email,last_name,first_name,dob,phone``; ``external_id`` is optional.
Exports from EHRs and spreadsheets name them in many ways, so headers are matched
case-insensitively, ignoring spaces, dashes and underscores, against a list of aliases. A file
that is not UTF-8 is refused with a sentence saying how to fix it, never read as mojibake.

Row numbers are spreadsheet rows: the header is row 1, the first patient row 2.

Parsing is strict and line by line: every physical line (ended by LF, CRLF or CR) is the header,
one patient row or a blank line, so ``Source.lines`` always reconciles with the rows read. A patient
field never legitimately holds a line break, so a quote that does not close on its own line makes
that line an invalid row, and reading goes on with the next line: a stray ``"O'Neil (see note``
costs one row instead of silently swallowing the rest of the file into one field.

Cells and header names are ``visible`` (terminal controls shown as marks, so the preview, the
report and the CLI never write them raw), and a cell holding a control character makes its row
invalid: the rule the embedded backend applies (real JHE stores such text, or answers a NUL with
an HTML 500).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jhe_tui import patient_rules
from jhe_tui.api.text import has_control, visible

# our field -> accepted header spellings, already normalised (see _norm)
ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "mail", "telecomemail", "patientemail", "emailaddr"),
    "family": ("lastname", "last", "familyname", "family", "surname", "namefamily", "patientlastname"),
    "given": ("firstname", "first", "givenname", "given", "forename", "namegiven", "patientfirstname"),
    "birth_date": ("dob", "birthdate", "dateofbirth", "birthday", "born"),
    "phone": ("phone", "phonenumber", "telephone", "tel", "cell", "cellphone", "mobile", "telecomphone"),
    "external_id": ("externalid", "externalidentifier", "identifier", "mrn", "medicalrecordnumber", "patientidentifier"),
}
REQUIRED = ("email", "family", "given", "birth_date")
COLUMN_LABELS = {
    "email": "email",
    "family": "last_name",
    "given": "first_name",
    "birth_date": "dob",
    "phone": "phone",
    "external_id": "external_id",
}
FIELD_LABELS = patient_rules.LABELS
# Trimmed around cells and header names: whitespace, but never a control (those are shown and refused).
_BLANKS = "".join(c for c in map(chr, range(0x3001)) if c.isspace() and not has_control(c)) + "\ufeff"
UNCLOSED_QUOTE = "a quoted field is not closed on this line (a patient field cannot span lines)"


class SourceError(Exception):
    """The file cannot be imported at all (encoding, missing columns, empty): bad usage, exit 2."""


@dataclass
class SourceRow:
    number: int  # spreadsheet row: header is 1
    email: str
    family: str
    given: str
    birth_date: str
    phone: str = ""
    external_id: str = ""
    problems: list[str] = field(default_factory=list)
    duplicate_of: int | None = None  # the earlier row with the same e-mail

    @property
    def valid(self) -> bool:
        return not self.problems and self.duplicate_of is None

    @property
    def key(self) -> str:
        """What identifies a patient across the file and across runs: the e-mail, case-folded."""
        return self.email.strip().casefold()

    @property
    def reason(self) -> str:
        """Why the row will not be imported ("" when valid)."""
        parts = list(self.problems)
        if self.duplicate_of is not None:
            parts.append(f"same e-mail as row {self.duplicate_of}")
        return "; ".join(parts)


@dataclass
class Source:
    path: Path
    rows: list[SourceRow]
    columns: dict[str, str]  # our field -> header as written in the file
    ignored_columns: list[str]
    delimiter: str
    lines: int = 0  # physical lines: the header, one per row, and the blank ones
    blank_lines: list[int] = field(default_factory=list)

    @property
    def valid_rows(self) -> list[SourceRow]:
        return [row for row in self.rows if row.valid]

    @property
    def invalid_rows(self) -> list[SourceRow]:
        return [row for row in self.rows if not row.valid]


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", header.strip(_BLANKS)).casefold()


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(
            f"{name} is UTF-16, not UTF-8. Save it again as 'CSV UTF-8' "
            "(in Excel: File > Save As > CSV UTF-8), then run the import again."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"{name} is not UTF-8 (byte 0x{data[exc.start]:02X} on line {line}); it is probably Latin-1 or "
            "Windows-1252. Save it again as 'CSV UTF-8' (in Excel: File > Save As > CSV UTF-8), or convert it "
            f"with: iconv -f WINDOWS-1252 -t UTF-8 {name} > utf8.csv"
        ) from None


def _physical_lines(text: str) -> list[str]:
    """The file's lines without their ends; LF, CRLF and CR all end one (never U+2028 or FF)."""
    return [line.rstrip("\r\n") for line in io.StringIO(text, newline="")]


def _cells(line: str, delimiter: str) -> tuple[list[str], str | None]:
    """One line's cells and what is wrong with its quoting (None: nothing). A line whose quotes
    do not pair up still gets its cells as far as they can be told, for the preview."""
    if '"' not in line:
        return line.split(delimiter), None  # exactly what csv makes of a line without quotes, far cheaper
    try:
        return next(csv.reader((line,), delimiter=delimiter, strict=True), []), None
    except csv.Error as exc:
        cells = next(csv.reader((line,), delimiter=delimiter), [])
        return cells, UNCLOSED_QUOTE if "end of data" in str(exc) else f"the line is not valid CSV ({exc})"


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def check_row(row: SourceRow, today: date) -> None:
    """Fill ``row.problems`` with what the patient form and the server would refuse: the rules
    all three share (``patient_rules``)."""
    fields = {name: getattr(row, name) for name in FIELD_LABELS}
    row.problems.extend(patient_rules.problems(fields, today=today).values())


def read_source(path: Path, *, today: date | None = None) -> Source:
    """Read and check the whole file (10,000 rows is a few MB; it is held in memory)."""
    path = Path(path)
    where, file_name = visible(str(path)), visible(path.name)  # file names are foreign text too
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{where} does not exist.") from None
    except IsADirectoryError:
        raise SourceError(f"{where} is a directory, not a CSV file.") from None
    except OSError as exc:
        raise SourceError(f"{where} cannot be read ({exc.strerror}).") from None
    text = _decode(data, file_name)
    if not text.strip():
        raise SourceError(f"{file_name} is empty.")
    lines = _physical_lines(text)
    delimiter = _delimiter(lines[0])
    header, quoting = _cells(lines[0], delimiter)
    if quoting:
        raise SourceError(f"{file_name}: the header (line 1) is not readable: {quoting}.")
    lookup = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        title = visible(title.strip(_BLANKS))
        name = lookup.get(_norm(title))
        if name and name not in columns:
            columns[name] = index
            written[name] = title
        elif title:
            ignored.append(title)
    missing = [COLUMN_LABELS[name] for name in REQUIRED if name not in columns]
    if missing:
        found = ", ".join(visible(h.strip(_BLANKS)) for h in header if h.strip(_BLANKS)) or "nothing"
        raise SourceError(
            f"{file_name} lacks the column(s) {', '.join(missing)}. Expected a header like "
            f"email,last_name,first_name,dob,phone[,external_id]; found: {found[:200]}."
        )
    today = today or date.today()
    rows: list[SourceRow] = []
    blank: list[int] = []
    first_row_of: dict[str, int] = {}  # e-mail key -> its first row
    first_row_of_id: dict[str, int] = {}  # external id -> its first row
    for number, line in enumerate(lines[1:], start=2):
        cells, quoting = _cells(line, delimiter)
        if not line.strip(_BLANKS + delimiter + '"') and not quoting and not any(c.strip(_BLANKS) for c in cells):
            blank.append(number)  # often the last one
            continue
        row = _row(number, cells, columns, clean=visible(line) is line)
        if quoting:
            row.problems.insert(0, quoting)  # the cells after the quote are not where they belong
        else:
            check_row(row, today)
        if row.email and not row.problems:
            earlier = first_row_of.setdefault(row.key, number)
            if earlier != number:
                row.duplicate_of = earlier
            elif row.external_id:
                holder = first_row_of_id.setdefault(row.external_id, number)
                if holder != number:
                    row.problems.append(f"same external id as row {holder}")
        rows.append(row)
    if not rows:
        raise SourceError(f"{file_name} has a header but no patient rows.")
    return Source(path, rows, written, ignored, delimiter, len(lines), blank)


def _row(number: int, cells: list[str], columns: dict[str, int], *, clean: bool) -> SourceRow:
    """The row's fields, shown ``visible``; a field holding a control character is a problem.
    ``clean``: the line holds nothing ``visible`` would change (the usual case, checked once)."""
    values: dict[str, str] = {}
    problems: list[str] = []
    for name, label in FIELD_LABELS.items():
        index = columns.get(name)
        value = cells[index].strip(_BLANKS) if index is not None and index < len(cells) else ""
        shown = value if clean else visible(value)
        if not clean and has_control(value):
            mark = next(a for a, b in zip(shown, value) if a != b)
            problems.append(f"{label} contains a control character (shown as {mark})")
        values[name] = shown
    return SourceRow(number, **values, problems=problems)
