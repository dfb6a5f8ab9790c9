"""Reading the patients CSV: header aliases, BOM, CRLF, comma or semicolon, and per-row checks.

The guide's columns are ``email,last_name,first_name,dob,phone``; ``external_id`` is optional.
Exports from EHRs and spreadsheets name them in many ways, so headers are matched
case-insensitively, ignoring spaces, dashes and underscores, against a list of aliases. A file
that is not UTF-8 is refused with a sentence saying how to fix it, never read as mojibake.

Row numbers are spreadsheet rows: the header is row 1, the first patient row 2.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

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
# A practical e-mail check: one @, no spaces, a dot in the domain, sane characters.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_FIELD = 200


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

    @property
    def valid_rows(self) -> list[SourceRow]:
        return [row for row in self.rows if row.valid]

    @property
    def invalid_rows(self) -> list[SourceRow]:
        return [row for row in self.rows if not row.valid]


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", header.strip().lstrip("\ufeff")).casefold()


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


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def check_row(row: SourceRow, today: date) -> None:
    """Fill ``row.problems`` with what the server would refuse or what is surely wrong."""
    problems = row.problems
    if not row.email:
        problems.append("e-mail is missing")
    elif not _EMAIL.match(row.email):
        problems.append("e-mail is not a valid address")
    if not row.family:
        problems.append("last name is missing")
    if not row.given:
        problems.append("first name is missing")
    if not row.birth_date:
        problems.append("date of birth is missing")
    elif not _ISO_DATE.match(row.birth_date):
        problems.append("date of birth must be YYYY-MM-DD")
    else:
        try:
            born = date.fromisoformat(row.birth_date)
        except ValueError:
            problems.append("date of birth is not a real date")
        else:
            if born > today:
                problems.append("date of birth is in the future")
            elif today.year - born.year > 130:
                problems.append("date of birth is more than 130 years ago")
    for label, value in (("last name", row.family), ("first name", row.given), ("phone", row.phone),
                         ("external id", row.external_id)):
        if len(value) > MAX_FIELD:
            problems.append(f"{label} is longer than {MAX_FIELD} characters")


def read_source(path: Path, *, today: date | None = None) -> Source:
    """Read and check the whole file (10,000 rows is a few MB; it is held in memory)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise SourceError(f"{path} is a directory, not a CSV file.") from None
    except OSError as exc:
        raise SourceError(f"{path} cannot be read ({exc.strerror}).") from None
    text = _decode(data, path.name)
    if not text.strip():
        raise SourceError(f"{path.name} is empty.")
    delimiter = _delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise SourceError(f"{path.name} is not a readable CSV file ({exc}).") from None
    lookup = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        name = lookup.get(_norm(title))
        if name and name not in columns:
            columns[name] = index
            written[name] = title.strip().lstrip("\ufeff")
        elif title.strip():
            ignored.append(title.strip())
    missing = [COLUMN_LABELS[name] for name in REQUIRED if name not in columns]
    if missing:
        found = ", ".join(h.strip() for h in header if h.strip()) or "nothing"
        raise SourceError(
            f"{path.name} lacks the column(s) {', '.join(missing)}. Expected a header like "
            f"email,last_name,first_name,dob,phone[,external_id]; found: {found[:200]}."
        )
    today = today or date.today()
    rows: list[SourceRow] = []
    first_row_of: dict[str, int] = {}
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank line (often the last one)

            def cell(name: str) -> str:
                index = columns.get(name)
                return cells[index].strip() if index is not None and index < len(cells) else ""

            row = SourceRow(number, cell("email"), cell("family"), cell("given"), cell("birth_date"),
                            cell("phone"), cell("external_id"))
            check_row(row, today)
            if row.email and not row.problems:
                earlier = first_row_of.setdefault(row.key, number)
                if earlier != number:
                    row.duplicate_of = earlier
            rows.append(row)
    except csv.Error as exc:
        raise SourceError(f"{path.name} is not a readable CSV file ({exc}).") from None
    if not rows:
        raise SourceError(f"{path.name} has a header but no patient rows.")
    return Source(path, rows, written, ignored, delimiter)
