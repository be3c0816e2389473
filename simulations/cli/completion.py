"""``ssesim completion SHELL``: print a tab-completion script for bash, zsh or tcsh.

The script is generated from the same argparse parser that parses the command line (with shtab), so
it always knows every command and option; it is static, so a tab press does not start Python.
"""

from __future__ import annotations

SHELLS = ("bash", "zsh", "tcsh")
FILES = {"SCENARIO", "FILE", "SWEEP"}  # metavars that complete file names
FOLDERS = {"DIR"}


def add_parser(sub) -> None:
    p = sub.add_parser("completion", help="print a shell completion script (bash, zsh, tcsh)",
                       description="Print a tab-completion script for SHELL on stdout. bash: "
                                   "`ssesim completion bash > ~/.local/share/bash-completion/"
                                   "completions/ssesim`; zsh: `ssesim completion zsh > "
                                   "\"${fpath[1]}/_ssesim\"`; or `eval \"$(ssesim completion bash)\"` "
                                   "in the shell's start-up file.")
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help=" | ".join(SHELLS))
    p.set_defaults(func=run)


def run(args) -> int:
    import shtab

    from model.strategies import BUILTIN
    names = " ".join(BUILTIN)
    strategies = {"bash": "_ssesim_strategies", "zsh": f"({names})", "tcsh": f"({names})"}
    preamble = {"bash": f'_ssesim_strategies() {{\n  compgen -W "{names}" -- "$1"\n}}\n'}
    parser = args.parser
    for command in _subparsers(parser):
        for action in command._actions:
            if action.metavar in FILES:
                action.complete = shtab.FILE
            elif action.metavar in FOLDERS:
                action.complete = shtab.DIRECTORY
            elif "--strategy" in action.option_strings:
                action.complete = strategies
    print(shtab.complete(parser, shell=args.shell, preamble=preamble), end="")
    return 0


def _subparsers(parser):
    import argparse
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.values()
