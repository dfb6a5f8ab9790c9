"""`jhe-tui study create` and `jhe-tui member add` on the demo: output, --json, exit codes."""

from __future__ import annotations

import json

import pytest

from jhe_tui.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main


def test_study_create_with_data_types_and_a_source(capsys):
    code = main(["study", "create", "--demo", "--org", "20003", "--name", "Sleep", "--description", "Sleep study",
                 "--scope", "omh:heart-rate:2.0", "--scope", "omh:blood-pressure:4.0", "--data-source", "70004",
                 "--json"])
    assert code == EXIT_OK
    done = json.loads(capsys.readouterr().out)
    assert done["study"]["name"] == "Sleep" and done["error"] is None
    assert [s["code"] for s in done["scopes"]] == ["omh:heart-rate:2.0", "omh:blood-pressure:4.0"]
    assert done["data_sources"] == [{"id": 70004, "name": "Oura Ring"}]
    assert main(["study", "create", "--demo", "--org", "20003", "--name", "Sleep 2", "--description", "d"]) == EXIT_OK
    assert "Created study" in capsys.readouterr().out


def test_study_create_refuses_unknown_codes_before_creating_anything(capsys):
    code = main(["study", "create", "--demo", "--org", "20003", "--name", "X", "--description", "d",
                 "--scope", "omh:nothing:1.0", "--data-source", "79999"])
    assert code == EXIT_FAILED
    err = capsys.readouterr().err
    assert "omh:nothing:1.0, data source 79999" in err and "nothing was created" in err
    with pytest.raises(SystemExit) as usage:  # no description
        main(["study", "create", "--demo", "--org", "20003", "--name", "X"])
    assert usage.value.code == EXIT_USAGE


def test_member_add_and_its_refusals(capsys):
    assert main(["member", "add", "--demo", "--org", "20003", "--email", "dana.brooks@demo.jhe.example",
                 "--role", "viewer", "--json"]) == EXIT_OK
    added = json.loads(capsys.readouterr().out)
    assert (added["user_id"], added["role"], added["name"]) == (10005, "viewer", "Dana Brooks")
    assert main(["member", "add", "--demo", "--org", "20003", "--email", "dana.brooks@demo.jhe.example",
                 "--role", "member"]) == EXIT_FAILED
    assert "already a viewer" in capsys.readouterr().err
    assert main(["member", "add", "--demo", "--org", "20003", "--email", "nobody@example.org",
                 "--role", "member"]) == EXIT_FAILED
    assert "No user has this e-mail" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["member", "add", "--demo", "--org", "20003", "--email", "x@example.org", "--role", "owner"])
    assert usage.value.code == EXIT_USAGE
