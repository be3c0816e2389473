"""The ``ssesim`` command line: parses arguments, dispatches to a command module, maps errors to exit codes.

Exit codes: 0 success; 1 a finding (``check``: a violation or an undecided invariant; ``run``/``live
--check``: a violation; ``sweep``: a run failed) or a plug-in that raised at run time; 2 bad input or
usage (one line on stderr, no traceback); 3 ``check-trace`` of a trace that checks nothing; 130
Ctrl-C; 143 SIGTERM.
Every message starts with the command that printed it: ``ssesim run: error: …``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
import traceback

import simulations
from model.errors import SsesimError
from model.plugins import plugin_failure

# Command modules under simulations/cli, in the order --help lists them.
COMMANDS = ("run", "explore", "check", "check_trace", "sweep", "diagram", "report", "serve", "live", "browser", "schema", "completion")


class UsageError(SsesimError):
    """argparse's complaint about the command line, with the (sub)command it is about."""

    def __init__(self, prog: str, message: str):
        self.prog, self.message = prog, message
        super().__init__(message)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that it unwinds (and cleans up) as on Ctrl-C."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str):
        raise UsageError(self.prog, f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ssesim", description="Model, simulate and check POST + SSE sync strategies.",
                     epilog="`ssesim COMMAND --help` describes a command. Exit codes: 0 ok; 1 a "
                            "finding or a plug-in failure; 2 bad input; 3 check-trace: the trace "
                            "checks nothing; 130/143 interrupted.")
    parser.add_argument("--version", action="version", version=f"ssesim {simulations.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"simulations.cli.{name}").add_parser(sub)
    for command in sub.choices.values():
        command.add_argument("--debug", action="store_true",
                             help="on a failure, print the traceback too")
    parser.set_defaults(parser=parser)  # for `ssesim completion`, which describes the whole parser
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ssesim with ``argv`` (default: sys.argv[1:]); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"{exc.prog}: error: {exc.message}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version have printed and "exited"
        return exc.code if isinstance(exc.code, int) else 0
    if args.command is None:  # bare `ssesim`: what there is to do, as a usage error
        parser.print_help(sys.stderr)
        return 2
    prog = f"ssesim {args.command}"
    with _sigterm_as_interrupt() as caught:
        return _dispatch(args, prog, caught)


def _dispatch(args, prog: str, caught: threading.Event) -> int:
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        return _fail(args, f"{exc.prog}: error: {exc.message}", 2)
    except SsesimError as exc:
        return _fail(args, f"{prog}: error: {exc}", 2)
    except KeyboardInterrupt as exc:
        caught.set()
        # a search stopped by a signal re-raises it wrapped, with what it found (explorer.SearchInterrupted)
        terminated = isinstance(exc, Terminated) or isinstance(getattr(exc, "cause", None), Terminated)
        print(f"{prog}: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return 143 if terminated else 130
    except BrokenPipeError:
        # The reader went away (``ssesim run … | head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        blame = plugin_failure(exc)
        if blame is None:
            raise  # a bug of ssesim itself: the traceback is what is needed
        hint = "" if args.debug else " (--debug shows the traceback)"
        return _fail(args, f"{prog}: error: {blame}{hint}", 1)


def _fail(args, line: str, status: int) -> int:
    if getattr(args, "debug", False):
        traceback.print_exc()
    print(line, file=sys.stderr)
    return status


BACKSTOP = 3.0  # seconds after a SIGTERM that nothing caught before it is raised again


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """While a command runs, SIGTERM unwinds it like Ctrl-C (temporary files removed, exit 143).

    Python prints and drops an exception raised where it cannot propagate (a fork or ``__del__``
    hook); should that befall the ``Terminated``, it is raised again every ``BACKSTOP`` seconds
    until the command has caught it. Yields the event that says it was caught.
    """
    caught = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    lock, main_thread = threading.Lock(), threading.main_thread().ident
    backstop = []

    def again():
        while not caught.wait(BACKSTOP):
            with lock:
                if not caught.is_set():
                    signal.pthread_kill(main_thread, signal.SIGTERM)

    def handler(signum, frame):
        if not backstop and hasattr(signal, "pthread_kill"):
            backstop.append(threading.Thread(target=again, daemon=True, name="ssesim-sigterm"))
            backstop[0].start()
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield caught
    finally:
        with lock:
            caught.set()
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
