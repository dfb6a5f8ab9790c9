"""Issue 18: `jhe-tui completion bash|zsh|fish`, generated from the parser; bash tried for real."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest


def script(shell: str) -> str:
    return subprocess.run([sys.executable, "-m", "jhe_tui", "completion", shell], capture_output=True, text=True,
                          check=True).stdout


def complete(line: str) -> list[str]:
    """What bash offers for the last word of ``line`` (a trailing space: a new, empty word)."""
    words = line.split(" ")
    program = (script("bash") + "\nCOMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + ")\n"
               f"COMP_CWORD={len(words) - 1}\n_jhe_tui\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    return subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True).stdout.split()


def test_bash_completes_commands_and_each_commands_options():
    assert {"login", "whoami", "env", "import", "export", "serve-demo", "completion"} <= set(complete("jhe-tui "))
    assert complete("jhe-tui who") == ["whoami"]
    assert complete("jhe-tui export --form") == ["--format"]
    assert "--make-default" in complete("jhe-tui login --")
    # The value of an option is not taken for the command.
    assert complete("jhe-tui --profile clinic who") == ["whoami"]


def test_bash_completes_the_commands_below_a_command_and_their_options():
    assert complete("jhe-tui study ") == ["--help", "create"]
    assert complete("jhe-tui config p") == ["path"]
    assert complete("jhe-tui study create --de") == ["--demo", "--description"]
    assert complete("jhe-tui member add --org 20003 --r") == ["--role"]
    # A file argument ends the command words: the options are still the command's.
    assert complete("jhe-tui import patients.csv --dry") == ["--dry-run"]


def test_fish_offers_a_commands_own_commands_only_below_it():
    text = script("fish")
    assert "-n '__fish_seen_subcommand_from study; and not __fish_seen_subcommand_from create' -a create" in text
    assert "-n '__fish_seen_subcommand_from study; and __fish_seen_subcommand_from create' -l description" in text


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_name_every_command(shell):
    text = script(shell)
    for command in ("login", "whoami", "env", "import", "export", "serve-demo"):
        assert command in text
    checker = shutil.which(shell)
    if checker:  # the shell itself, where installed, parses it
        subprocess.run([checker, "-n" if shell == "zsh" else "--no-execute", "-c", text], check=True)


def test_zsh_script_registers_itself_in_a_bare_zsh(tmp_path):
    """Without a .zshrc that ran compinit, the script loads it rather than failing on compdef."""
    text = script("zsh")
    assert text.startswith("(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }\n")
    if shutil.which("zsh"):  # where installed, a bare zsh takes it
        (tmp_path / "c.zsh").write_text(text)
        done = subprocess.run(["zsh", "-f", "-c", f"source {tmp_path / 'c.zsh'} && (( $+_comps[jhe-tui] ))"],
                              capture_output=True, text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0 and "command not found" not in done.stderr, done.stderr
