"""``ssesim schema NAME``: print the JSON Schema of a file format (scenario, sweep, trace, counterexample)."""

from __future__ import annotations

from model.errors import SsesimError


def add_parser(sub) -> None:
    from simulations.io.schema import NAMES
    p = sub.add_parser("schema", help="print the JSON Schema of a file format",
                       description="Print the JSON Schema of a file format, for editors and other tools: "
                                   f"{', '.join(NAMES)} (trace: one line of the JSON Lines file). "
                                   "Validation and its error messages come from the same declaration.")
    p.add_argument("name", metavar="NAME", help=f"one of: {', '.join(NAMES)}")
    p.add_argument("--table", action="store_true",
                   help="print the scenario keys as a Markdown table (key, type, range, default) instead")
    p.set_defaults(func=run)


def run(args) -> int:
    from simulations.io.schema import NAMES, dumps, key_table
    if args.name not in NAMES:
        raise SsesimError(f"schema: unknown format {args.name!r}; one of: {', '.join(NAMES)}")
    if args.table:
        if args.name != "scenario":
            raise SsesimError("schema: --table: only the scenario format has a key table")
        print(key_table(), end="")
        return 0
    print(dumps(args.name), end="")
    return 0
