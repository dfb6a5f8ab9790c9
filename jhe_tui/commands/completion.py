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


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """The top-level options, each command's options, and the options that take a value."""
    valued: set[str] = set()

    def options(p: argparse.ArgumentParser) -> list[str]:
        found = [(s, action) for action in p._actions for s in action.option_strings if s.startswith("--")]
        valued.update(s for s, action in found if action.nargs != 0)
        return sorted(s for s, _ in found)

    commands: dict[str, list[str]] = {}
    top = options(parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                commands[name] = options(command)
    return top, commands, sorted(valued)


def bash(parser: argparse.ArgumentParser) -> str:
    top, commands, valued = _words(parser)
    cases = "\n".join(f'        {name}) opts="{" ".join(opts)}" ;;' for name, opts in sorted(commands.items()))
    return f'''_jhe_tui() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" command="" word skip="" opts
    for word in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
        if [[ -n "$skip" ]]; then skip=""; continue; fi
        case " {" ".join(valued)} " in *" $word "*) skip=1; continue ;; esac
        case "$word" in -*) ;; *) command="$word"; break ;; esac
    done
    case "$command" in
{cases}
        *) opts="{" ".join(sorted(commands))} {" ".join(top)}" ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    if [[ ${{#COMPREPLY[@]}} -eq 0 && "$cur" != -* ]]; then COMPREPLY=($(compgen -f -- "$cur")); fi
}}
complete -o default -F _jhe_tui jhe-tui
'''


def fish(parser: argparse.ArgumentParser) -> str:
    top, commands, _ = _words(parser)
    lines = ["complete -c jhe-tui -f"]
    for name in sorted(commands):
        lines.append(f"complete -c jhe-tui -n __fish_use_subcommand -a {name}")
    lines += [f"complete -c jhe-tui -n __fish_use_subcommand -l {option[2:]}" for option in top]
    for name, opts in sorted(commands.items()):
        lines += [f"complete -c jhe-tui -n '__fish_seen_subcommand_from {name}' -l {o[2:]}" for o in opts]
    lines += ["complete -c jhe-tui -n '__fish_seen_subcommand_from import' -F"]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from jhe_tui.cli import build_parser

    parser = build_parser()
    if args.shell == "fish":
        print(fish(parser), end="")
    elif args.shell == "zsh":
        print("autoload -U +X bashcompinit && bashcompinit\n" + bash(parser), end="")
    else:
        print(bash(parser), end="")
    return EXIT_OK
