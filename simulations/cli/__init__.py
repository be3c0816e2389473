"""The ``ssesim`` command line: parses arguments, dispatches to a command module, maps errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from model.errors import SsesimError

# Command modules under simulations/cli, in the order --help lists them.
COMMANDS = ("run", "explore", "check", "check_trace", "sweep", "diagram", "report", "serve", "live")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str):
        raise SsesimError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ssesim", description="Model, simulate and check POST + SSE sync strategies.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"simulations.cli.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ssesim with ``argv`` (default: sys.argv[1:]); return the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except SsesimError as exc:
        print(f"ssesim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ssesim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``ssesim run … | head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
