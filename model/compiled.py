"""Whether this install is the compiled build (README: A compiled build), and the one decorator the
mypyc build reads: ``mypyc_attr`` marks the classes plug-ins and tests subclass in Python.

Without mypy_extensions (the pure install) ``mypyc_attr`` is a no-op, so the sources need nothing
that the pure install lacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_extensions import mypyc_attr
else:
    try:
        from mypy_extensions import mypyc_attr
    except ImportError:  # the pure install: nothing to mark

        def mypyc_attr(*args, **kwargs):
            return lambda cls: cls


def is_compiled() -> bool:
    """Whether this process runs the compiled model (the compiled build installed)."""
    from importlib.util import find_spec

    spec = find_spec("model.system")  # found, not imported: this module is below it
    return spec is not None and (spec.origin or "").endswith((".so", ".pyd"))


def own_slots(klass: type) -> tuple:
    """The instance attributes ``klass`` itself declares: its ``__slots__``, or for a compiled class
    (which has none) the attributes mypyc gave it (``__mypyc_attrs__``, its bases' included)."""
    return klass.__dict__.get("__slots__", ()) or klass.__dict__.get("__mypyc_attrs__", ())


def compiled_modules() -> list[str]:
    """The modules of ``model`` and ``simulations`` this process runs compiled (extension modules)."""
    import sys

    return sorted(name for name, m in list(sys.modules.items())
                  if name.split(".")[0] in ("model", "simulations")
                  and (getattr(m, "__file__", None) or "").endswith((".so", ".pyd")))
