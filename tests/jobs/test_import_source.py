"""Reading the CSV (aliases, BOM, CRLF, semicolons, encodings) and the command's exit codes."""

from __future__ import annotations

import csv
import os
import shutil
import stat
from datetime import date

import pytest

from jhe_tui.cli import main
from jhe_tui.jobs.imports import SourceError, read_source

TODAY = date(2026, 1, 15)


def test_guide_format(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text("email,last_name,first_name,dob,phone\n"
                    "john.smith@example.com,Smith,John,1980-01-01,555-1234\n"
                    "jane.doe@example.com,Doe,Jane,1975-05-15,555-5678\n")
    source = read_source(path, today=TODAY)
    assert [(r.number, r.email, r.family, r.given, r.birth_date, r.phone) for r in source.rows] == [
        (2, "john.smith@example.com", "Smith", "John", "1980-01-01", "555-1234"),
        (3, "jane.doe@example.com", "Doe", "Jane", "1975-05-15", "555-5678"),
    ]
    assert all(r.valid for r in source.rows)


def test_bom_crlf_semicolon_and_aliases(tmp_path):
    path = tmp_path / "export.csv"
    text = ("E-Mail;Surname;Given Name;Date of Birth;Mobile;MRN;Ward\r\n"
            "  ana@example.org ;Núñez;Ana;1990-07-04;+1 555;MRN-7;B\r\n"
            ";;;;;;\r\n"
            "bo@example.org;Ek;Bo;1991-01-01;;;C\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    source = read_source(path, today=TODAY)
    assert source.delimiter == ";"
    assert source.ignored_columns == ["Ward"]
    assert source.columns["email"] == "E-Mail" and source.columns["birth_date"] == "Date of Birth"
    first = source.rows[0]
    assert (first.email, first.family, first.phone, first.external_id) == ("ana@example.org", "Núñez", "+1 555", "MRN-7")
    assert [r.number for r in source.rows] == [2, 4]  # the blank row 3 is skipped


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("email,nom\nx@example.org,X\n".encode(), "lacks the column"),
        ("email,last_name,first_name,dob\nzoë@example.org,Zoë,Z,1980-01-01\n".encode("latin-1"), "not UTF-8"),
        ("email,last_name,first_name,dob\n".encode("utf-16"), "UTF-16"),
        (b"", "empty"),
        (b"email,last_name,first_name,dob\n", "no patient rows"),
    ],
)
def test_files_that_cannot_be_imported(tmp_path, data, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(SourceError, match=message):
        read_source(path, today=TODAY)


def test_latin1_error_says_where_and_how_to_fix(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("email,last_name,first_name,dob\na@example.org,A,A,1980-01-01\nb@example.org,Müller,B,1980-01-01\n"
                     .encode("cp1252"))
    with pytest.raises(SourceError) as caught:
        read_source(path, today=TODAY)
    assert "line 3" in str(caught.value) and "CSV UTF-8" in str(caught.value) and "iconv" in str(caught.value)


def test_row_checks_and_duplicates(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("email,last_name,first_name,dob\n"
                    "a@example.org,A,A,1980-01-01\n"
                    "b@example,B,B,1980-01-01\n"
                    "c@example.org,C,C,01/02/1980\n"
                    "d@example.org,D,D,2026-01-16\n"
                    "A@Example.org,A2,A2,1981-01-01\n"
                    "e@example.org,,E,1980-01-01\n")
    rows = read_source(path, today=TODAY).rows
    assert [r.valid for r in rows] == [True, False, False, False, False, False]
    assert "e-mail" in rows[1].reason
    assert "YYYY-MM-DD" in rows[2].reason
    assert "future" in rows[3].reason
    assert rows[4].duplicate_of == 2 and "row 2" in rows[4].reason
    assert "family name" in rows[5].reason


@pytest.fixture
def demo_home(_seeded, isolated_home):
    shutil.copytree(_seeded, isolated_home / "data" / "demo")
    return isolated_home


def test_command_exit_codes_and_formula_cells(demo_home, tmp_path, capsys):
    path = tmp_path / "cells.csv"
    path.write_text("email,last_name,first_name,dob\n"
                    "formula1@example.org,=HYPERLINK(\"http://x\"),Eve,1980-01-01\n"
                    "=cmd|' /C calc'!A0,X,Y,1980-01-01\n"
                    "formula2@example.org,@SUM(A1),-2+3,1980-01-01\n")
    report = tmp_path / "report.csv"
    code = main(["import", str(path), "--demo", "--org", "20003", "--report", str(report)])
    assert code == 1  # one invalid row
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o600
    lines = list(csv.reader(report.open()))
    assert lines[0] == ["row", "email", "outcome", "patient_id", "enrolled", "invitation_link", "message"]
    assert lines[1][2] == "created" and lines[3][2] == "created"
    assert lines[2][1].startswith("'=") and lines[2][2] == "invalid"
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)
    err = capsys.readouterr().err
    assert "@example.org" not in err  # no patient data on the terminal besides the report path

    # Rerunning the same command resumes: nothing left to do but the invalid row.
    assert main(["import", str(path), "--demo", "--org", "20003", "--report", str(report)]) == 1
    assert "Resuming" in capsys.readouterr().err

    good = tmp_path / "good.csv"
    good.write_text("email,last_name,first_name,dob\nok@example.org,Ok,Ok,1980-01-01\n")
    assert main(["import", str(good), "--demo", "--org", "20003", "--study", "30001", "--invite"]) == 0
    assert (tmp_path / "good-report.csv").exists()


def test_command_usage_errors(demo_home, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text("email,last_name,first_name,dob\nok@example.org,Ok,Ok,1980-01-01\n")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("email,last_name,first_name,dob\nz@example.org,Zoë,Z,1980-01-01\n".encode("latin-1"))
    assert main(["import", str(latin), "--demo", "--org", "20003"]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["import", str(good), "--demo", "--org", "20003", "--concurrency", "0"]) == 2
    assert main(["import", str(good), "--demo", "--org", "99999"]) == 2
    assert "no role in organization 99999" in capsys.readouterr().err
    assert main(["import", str(good), "--demo", "--org", "20003", "--study", "30003"]) == 2
    journal = tmp_path / "j.jsonl"
    assert main(["import", str(good), "--demo", "--org", "20004", "--journal", str(journal), "--dry-run"]) == 0
    assert main(["import", str(good), "--demo", "--org", "20004", "--journal", str(journal)]) == 0
    assert main(["import", str(good), "--demo", "--org", "20003", "--journal", str(journal)]) == 2
    assert "another --journal" in capsys.readouterr().err
