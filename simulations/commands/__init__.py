"""One module per ssesim command; each defines ``add_parser(subparsers)`` and ``run(args) -> int``."""
