"""Arguments several commands share: ``--strategy``, ``--quiet``, and finding a sweep by name."""

from __future__ import annotations

import argparse
from pathlib import Path

from model.errors import InputError
from model.strategies import BUILTIN

STRATEGY_HELP = f"{' | '.join(BUILTIN)} | module:Class (a plug-in)"


def strategy_name(text: str) -> str:
    """argparse type of ``--strategy``: any non-blank text (resolved by ``check_strategy``)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must not be empty: {STRATEGY_HELP}")
    return text


def add_strategy(p: argparse.ArgumentParser, help: str = STRATEGY_HELP) -> None:
    p.add_argument("--strategy", type=strategy_name, metavar="S", help=help)


def positive_int(text: str) -> int:
    """argparse type of a count that must be at least one (``--workers``)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def add_quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true",
                   help="no progress on stderr (progress never goes to stdout)")


def add_workers(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="share the exploration between N processes (default 1: in this process); "
                        "the same states, verdicts and shortest counterexample lengths; not with "
                        "--reduction")


def check_workers(workers: int, reduction: bool) -> None:
    """``--workers`` must be at least 1, and more than 1 is not combined with sleep sets."""
    if workers < 1:
        raise InputError("--workers", None, f"must be >= 1, got {workers}")
    if workers > 1 and reduction:
        raise InputError("--workers", None, "cannot be combined with --reduction (sleep sets need "
                                            "the serial search): drop one of them")


def add_frontier(p: argparse.ArgumentParser) -> None:
    p.add_argument("--frontier-objects", type=int, default=None, metavar="N",
                   help="keep at most N queued states as objects; the rest of the frontier is packed "
                        "(compressed bytes, about 150 B each, unpacked when reached): less memory, "
                        "more CPU (default 16384; 0 packs them all)")


def check_frontier(n: int | None) -> None:
    if n is not None and n < 0:
        raise InputError("--frontier-objects", None, f"must be >= 0, got {n}")


def check_strategy(name: str | None) -> None:
    """Resolve ``--strategy`` now, so that a bad one is blamed on the option, before any work."""
    if name is not None:
        from model.plugins import resolve_strategy
        resolve_strategy(name, "--strategy", None)


def check_search(args) -> None:
    """The search options ``explore`` and ``check`` share, each blamed on its option before any work."""
    if args.max_states < 1:
        raise InputError("--max-states", None, f"must be >= 1, got {args.max_states}")
    check_workers(args.workers, args.reduction)
    check_frontier(args.frontier_objects)
    check_strategy(args.strategy)
    if args.symmetry and (args.reduction or args.ample):
        raise InputError("--symmetry", None, "cannot be combined with --reduction or --ample (their "
                         "skipped steps name clients, which symmetry renames)")
    if args.symmetry and args.workers > 1:
        raise InputError("--symmetry", None, "runs with one worker only (--workers 1)")


def add_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("--check", action="store_true",
                   help="a gate: exit 1 when the run broke an invariant, or stopped without its "
                        "end-of-run checks (without --check: exit 0, the findings are printed)")


def check_exit(args, result, prog: str) -> int:
    """``--check``'s exit status for one run: 1 on a violation or an unchecked end, else 0."""
    if not getattr(args, "check", False):
        return 0
    import sys
    broken = [f"{inv} {n}" for inv, n in result.violations.items() if n]
    if broken:
        print(f"{prog}: check failed: {', '.join(broken)}", file=sys.stderr)
        return 1
    if result.metrics.get("stuck"):
        print(f"{prog}: check failed: the run stopped before its end-of-run checks", file=sys.stderr)
        return 1
    return 0


def _invariant_list(text: str) -> list[str]:
    """argparse type of ``--invariants`` / ``--ignore``: comma-separated invariant ids."""
    from model.invariants import INVARIANTS
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"needs invariant ids, comma-separated: {', '.join(INVARIANTS)}")
    for name in names:
        if name not in INVARIANTS:
            raise argparse.ArgumentTypeError(f"unknown invariant {name!r}: choose from "
                                             f"{', '.join(INVARIANTS)}")
    return names


def add_waivers(p: argparse.ArgumentParser) -> None:
    p.add_argument("--invariants", type=_invariant_list, metavar="ID,...",
                   help="count only these invariants; the others are waived (printed as waived)")
    p.add_argument("--ignore", type=_invariant_list, action="append", default=[], metavar="ID,...",
                   help="waive these invariants (repeatable): still checked and printed as waived, "
                        "but a violation of one does not fail")


def waivers(args) -> frozenset:
    """The invariants ``--invariants`` and ``--ignore`` waive."""
    from model.invariants import INVARIANTS
    waived = {i for group in args.ignore for i in group}
    if args.invariants is not None:
        waived |= {i for i in INVARIANTS if i not in args.invariants}
    if len(waived) == len(INVARIANTS):
        raise InputError("--invariants", None, "every invariant is waived: nothing would be checked")
    return frozenset(waived)


def find_sweep(name: str, option: str | None) -> Path:
    """A sweep file as given, or a built-in sweep's; an unknown name lists the built-in ones."""
    from simulations.io.sweep_file import BUILTIN_SWEEPS, resolve_sweep_path
    path = resolve_sweep_path(name)
    if path.is_file():
        return path
    builtins = ", ".join(sorted(p.stem for p in BUILTIN_SWEEPS.glob("*.toml")))
    what = "is a folder, not a sweep file" if path.is_dir() else "no such file"
    raise InputError(name, option, f"{what}, and not the name of a built-in sweep ({builtins})")
