"""Strict CSV reading: every physical line of the file is the header, a row or a blank line, so
an unbalanced quote costs one invalid row instead of the rest of the file; cells and header names
holding terminal controls are shown as marks, and such a cell makes its row invalid."""

from __future__ import annotations

import csv
import re
import shutil
from datetime import date

import pytest

from jhe_tui.cli import main
from jhe_tui.jobs.imports import read_source

TODAY = date(2026, 1, 15)
HEADER = "email,last_name,first_name,dob"
RAW = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def cohort_with_unbalanced_quote(tmp_path, rows: int = 500, bad: int = 10):
    """The issue's file: ``rows`` patients, the ``bad``-th with a quote opened and never closed."""
    lines = [HEADER]
    for n in range(1, rows + 1):
        family = "\"O'Neil (see note" if n == bad else f"Family{n}"
        lines.append(f"p{n}@example.org,{family},Given{n},1980-01-01")
    path = tmp_path / "cohort.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_unbalanced_quote_costs_one_row_not_the_rest_of_the_file(tmp_path):
    source = read_source(cohort_with_unbalanced_quote(tmp_path), today=TODAY)
    assert len(source.rows) == 500
    assert len(source.valid_rows) == 499
    [bad] = source.invalid_rows
    assert bad.number == 11  # the header is line 1: the 10th patient is on line 11
    assert bad.email == "p10@example.org"
    assert "quote" in bad.reason and "line" in bad.reason
    assert [r.number for r in source.rows] == list(range(2, 502))
    assert source.lines == 501 and source.blank_lines == []


def test_every_physical_line_is_the_header_a_row_or_a_blank_line(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"email,last_name,first_name,dob\r\n"
        b"a@example.org,\"Smith, Jr.\",Ann,1980-01-01\r\n"  # a quoted field on one line is fine
        b"\r\n"
        b"b@example.org,\"Multi\r\n"  # a quoted field spanning lines: each line is reported
        b"line\",Bob,1980-01-01\r\n"
        b"c@example.org,Lee,Cy,1980-01-01\r"  # old Mac line end
        b"d@example.org,Ng,Di,1980-01-01"  # no line end at all
    )
    source = read_source(path, today=TODAY)
    assert [(r.number, r.valid) for r in source.rows] == [(2, True), (4, False), (5, False), (6, True), (7, True)]
    assert source.rows[0].family == "Smith, Jr."
    assert "quote" in source.rows[1].reason
    assert source.blank_lines == [3]
    assert source.lines == 7 == 1 + len(source.rows) + len(source.blank_lines)


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("\x1b]0;PWNED\x1b\\x", "␛]0;PWNED␛\\x"),
        ("\x1b[2J", "␛[2J"),
        ("\x1b]52;c;cHduZWQ=\x1b\\x", "␛]52;c;cHduZWQ=␛\\x"),
        ("\x1b]8;;http://evil.example/\x1b\\x\x1b]8;;\x1b\\", "␛]8;;http://evil.example/␛\\x␛]8;;␛\\"),
        ("C1\u009b2J", "C1\ufffd2J"),
        ("DEL\x7f", "DEL␡"),
    ],
)
def test_a_cell_with_a_control_character_is_an_invalid_row_shown_with_marks(tmp_path, cell, shown):
    path = tmp_path / "ctl.csv"
    path.write_text(f"{HEADER},phone\nok@example.org,Ok,Ok,1980-01-01,\nx@example.org,{cell},X,1980-01-01,555{cell}\n")
    source = read_source(path, today=TODAY)
    ok, bad = source.rows
    assert ok.valid and not bad.valid and bad.number == 3
    assert bad.family == shown and bad.phone == f"555{shown}"
    assert "family name contains a control character" in bad.reason
    assert "phone contains a control character" in bad.reason
    assert not RAW.search(bad.reason)


def test_a_nul_makes_its_row_invalid_not_the_file_unreadable(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(f"{HEADER}\nok@example.org,Ok,Ok,1980-01-01\nx@example.org,N\x00ul,X,1980-01-01\n".encode())
    ok, bad = read_source(path, today=TODAY).rows
    assert ok.valid and not bad.valid and bad.family == "N␀ul" and "control character" in bad.reason


def test_header_names_are_shown_with_marks(tmp_path):
    path = tmp_path / "head.csv"
    path.write_text(f"{HEADER},Ward\x1b]0;PWNED\x07\nok@example.org,Ok,Ok,1980-01-01,B\n")
    assert read_source(path, today=TODAY).ignored_columns == ["Ward␛]0;PWNED␇"]


@pytest.fixture
def demo_home(_seeded, isolated_home):
    shutil.copytree(_seeded, isolated_home / "data" / "demo")
    return isolated_home


def test_the_dry_run_accounts_for_all_500_rows(demo_home, tmp_path, capsys):
    path = cohort_with_unbalanced_quote(tmp_path)
    report = tmp_path / "report.csv"
    assert main(["import", str(path), "--demo", "--org", "20003", "--dry-run", "--report", str(report)]) == 1
    err = capsys.readouterr().err
    assert "cohort.csv: 500 rows, 1 invalid" in err
    lines = list(csv.DictReader(report.open()))
    assert len(lines) == 500
    assert [line["row"] for line in lines] == [str(n) for n in range(2, 502)]
    [invalid] = [line for line in lines if line["outcome"] == "invalid"]
    assert invalid["row"] == "11" and "quote" in invalid["message"]
    assert sum(line["outcome"] == "would create" for line in lines) == 499


def test_cli_messages_quoting_the_file_show_marks(demo_home, tmp_path, capsys):
    path = tmp_path / "evil\x1b]0;PWNED\x07.csv"
    path.write_text(f"{HEADER},Ward\x1b]52;c;cHduZWQ=\x07\nok@example.org,Ok,Ok,1980-01-01,B\n")
    report = tmp_path / "report.csv"
    main(["import", str(path), "--demo", "--org", "20003", "--dry-run", "--report", str(report)])
    err = capsys.readouterr().err
    assert "ignored columns: Ward␛]52;c;cHduZWQ=␇" in err
    assert "evil␛]0;PWNED␇.csv" in err
    assert not RAW.search(err.replace("\n", ""))
    bad = tmp_path / "bad\x1b[2J.csv"
    bad.write_text("email,nom\x1b]0;x\x07\nx@example.org,X\n")
    assert main(["import", str(bad), "--demo", "--org", "20003"]) == 2
    err = capsys.readouterr().err
    assert "nom␛]0;x␇" in err and "bad␛[2J.csv" in err and not RAW.search(err.replace("\n", ""))
