"""`jhe-tui completion SHELL`: tab completion for bash, zsh and fish, generated from the argument
parser itself, so a new command or option completes without anyone editing a script."""

from __future__ import annotations

import argparse

from jhe_tui.commands.common import EXIT_OK

SHELLS = ("bash", "zsh", "fish")


def register(sub) -> None:
    completion = sub.add_parser(
        "completion",
        help="print a tab-completion script for bash, zsh or fish",
        description="Print a completion script. bash: eval \"$(jhe-tui completion bash)\" in ~/.bashrc; "
        "zsh: eval \"$(jhe-tui completion zsh)\" in ~/.zshrc; "
        "fish: jhe-tui completion fish > ~/.config/fish/completions/jhe-tui.fish",
    )
    completion.add_argument("shell", choices=SHELLS)
    completion.set_defaults(handler=run)


def _walk(parser: argparse.ArgumentParser, name: str, commands: dict[str, list[str]], valued: set[str]) -> None:
    """Record ``parser``'s options under ``name`` and recurse into its commands (``study create``).

    argparse has no public way to list what a parser holds: its ``_actions`` are read here, as the
    completion generators built on argparse (shtab, argcomplete) read them."""
    found = [(s, action) for action in parser._actions for s in action.option_strings if s.startswith("--")]
    valued.update(s for s, action in found if action.nargs != 0)
    words = sorted(s for s, _ in found)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, subparser in action.choices.items():
                words.append(command)
                _walk(subparser, f"{name} {command}".strip(), commands, valued)
    commands[name] = words


def _words(parser: argparse.ArgumentParser) -> tuple[dict[str, list[str]], list[str]]:
    """Every command's words (its options, and its own commands), ``""`` for the top level, by the
    words that name it (``"study create"``); and the options that take a value."""
    commands: dict[str, list[str]] = {}
    valued: set[str] = set()
    _walk(parser, "", commands, valued)
    return commands, sorted(valued)


def bash(parser: argparse.ArgumentParser) -> str:
    commands, valued = _words(parser)
    cases = "\n".join(f'        "{name}") opts="{" ".join(words)}" ;;'
                      for name, words in sorted(commands.items()) if name)
    return f'''_jhe_tui() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" command="" word skip="" opts
    for word in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
        if [[ -n "$skip" ]]; then skip=""; continue; fi
        case " {" ".join(valued)} " in *" $word "*) skip=1; continue ;; esac
        case "$word" in
            -*) ;;
            *) case "|{"|".join(sorted(commands))}|" in *"|${{command:+$command }}$word|"*) command="${{command:+$command }}$word" ;; *) break ;; esac ;;
        esac
    done
    case "$command" in
{cases}
        *) opts="{" ".join(commands[""])}" ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    if [[ ${{#COMPREPLY[@]}} -eq 0 && "$cur" != -* ]]; then COMPREPLY=($(compgen -f -- "$cur")); fi
}}
complete -o default -F _jhe_tui jhe-tui
'''


def _fish_condition(name: str, commands: dict[str, list[str]]) -> str:
    """True in fish when the command line is at ``name`` (its words seen, none of its commands)."""
    if not name:
        return "__fish_use_subcommand"
    seen = " and ".join(f"__fish_seen_subcommand_from {word}" for word in name.split())
    below = [word for word in commands[name] if not word.startswith("-")]
    if below:
        seen += " and not __fish_seen_subcommand_from " + " ".join(below)
    return seen.replace(" and ", "; and ")


def fish(parser: argparse.ArgumentParser) -> str:
    commands, _ = _words(parser)
    lines = ["complete -c jhe-tui -f"]
    for name, words in sorted(commands.items()):
        condition = _fish_condition(name, commands)
        lines += [f"complete -c jhe-tui -n '{condition}' -l {word[2:]}" if word.startswith("--")
                  else f"complete -c jhe-tui -n '{condition}' -a {word}" for word in words]
    lines += ["complete -c jhe-tui -n '__fish_seen_subcommand_from import' -F"]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from jhe_tui.cli import build_parser

    parser = build_parser()
    if args.shell == "fish":
        print(fish(parser), end="")
    elif args.shell == "zsh":
        # bash's script through zsh's bashcompinit, which needs compinit (loaded here if .zshrc did not)
        print("(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }\n"
              "autoload -U +X bashcompinit && bashcompinit\n" + bash(parser), end="")
    else:
        print(bash(parser), end="")
    return EXIT_OK
