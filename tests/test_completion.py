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


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_name_every_command(shell):
    text = script(shell)
    for command in ("login", "whoami", "env", "import", "export", "serve-demo"):
        assert command in text
    checker = shutil.which(shell)
    if checker:  # the shell itself, where installed, parses it
        subprocess.run([checker, "-n" if shell == "zsh" else "--no-execute", "-c", text], check=True)
