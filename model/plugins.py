"""Loading strategies by name (``module:Class`` plug-ins) and blaming a plug-in for its failures.

``resolve_strategy`` turns a built-in name or an import path into a ``Strategy`` subclass; every way a
plug-in can fail to load is one ``InputError``. ``plugin_failure`` reads a run-time traceback and names
the plug-in whose code raised (one line, exit status 1), in this process or, through ``PluginFailed``,
in a worker process.
"""

from __future__ import annotations

import importlib
import os
import sys

from model.errors import InputError
from model.strategies import BUILTIN, Strategy


def resolve_strategy(name: str, source: str = "<strategy>", key: str = "strategy") -> type[Strategy]:
    """The strategy class for a built-in name or a ``module:Class`` import path.

    Every way a plug-in can fail to load is one ``InputError`` naming the plug-in, where it failed
    and the exception (the original exception is chained, for ``--debug``).
    """
    if name in BUILTIN:
        return BUILTIN[name]
    if not isinstance(name, str) or not name.strip():
        raise InputError(source, key, f"must not be empty: one of {', '.join(BUILTIN)}, or module:Class")
    if ":" not in name:
        raise InputError(source, key, f"unknown strategy {name!r}; built-ins: {', '.join(BUILTIN)}, "
                                      "or module:Class")
    module_name, _, attr = name.partition(":")
    plug = f"plug-in {name!r}"
    _check_plugin_path(module_name, attr, plug, source, key)
    module = _import_plugin(module_name, plug, source, key)
    cls = getattr(module, attr, _MISSING)
    if cls is _MISSING:
        where = getattr(module, "__file__", None) or module_name
        raise InputError(source, key, f"{plug}: module {module_name!r} ({where}) has no attribute "
                                      f"{attr!r}")
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise InputError(source, key, f"{plug}: {attr!r} is {_kind(cls)}, not a "
                                      "model.strategies.Strategy subclass")
    for module in {module_name, cls.__module__}:
        if module.partition(".")[0] not in ("model", "simulations"):  # ssesim's own code is no plug-in
            _LOADED[module] = name
    return cls


_MISSING = object()
_LOADED: dict[str, str] = {}  # module name -> the "module:Class" loaded from it (run-time blame)


def _check_plugin_path(module_name: str, attr: str, plug: str, source: str, key: str) -> None:
    """``module:Class`` must be an absolute dotted module name and an identifier."""
    if not module_name:
        raise InputError(source, key, f"{plug}: no module before ':' (expected module:Class, e.g. "
                                      "mystrategies:Mine)")
    if module_name.startswith("."):
        raise InputError(source, key, f"{plug}: relative module {module_name!r} is not supported; "
                                      "give its absolute import path (package.module:Class)")
    if not all(part.isidentifier() for part in module_name.split(".")):
        raise InputError(source, key, f"{plug}: {module_name!r} is not a module name (dotted "
                                      "Python identifiers)")
    if not attr.isidentifier():
        raise InputError(source, key, f"{plug}: {attr!r} after ':' is not a class name" if attr
                         else f"{plug}: no class after ':' (expected module:Class)")


def _import_plugin(module_name: str, plug: str, source: str, key: str):
    """Import a plug-in's module; whatever importing it does wrong is one InputError."""
    _working_folder_importable()
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise InputError(source, key, f"{plug}: no module named {exc.name!r} (looked in the "
                                          "working folder and on PYTHONPATH)") from exc
        cause, problem = exc, f"importing module {module_name!r} failed{_where(exc)}: {_text(exc)}"
    except SyntaxError as exc:
        cause, problem = exc, (f"module {module_name!r} has a syntax error ({exc.filename}, line "
                               f"{exc.lineno}): {exc.msg}")
    except SystemExit as exc:
        cause, problem = exc, (f"importing module {module_name!r} called sys.exit({exc.code!r})"
                               f"{_where(exc)}")
    except Exception as exc:  # noqa: BLE001 - any failure of a user's module is reported, not raised
        cause, problem = exc, f"importing module {module_name!r} failed{_where(exc)}: {_text(exc)}"
    raise InputError(source, key, f"{plug}: {problem}") from cause


class PluginFailed(Exception):
    """A plug-in's failure in another process (``explore --workers``), carried as its one-line blame:
    the traceback that :func:`plugin_failure` reads stayed in that process."""

    def __init__(self, blame: str):
        super().__init__(blame)
        self.blame = blame


class BadEffect(PluginFailed, ValueError):
    """A strategy returned something the World cannot carry out (not an effect of ``model.vocab``, or
    one out of range): the strategy's failure, blamed on it in one line like an exception it raised."""

    def __init__(self, strategy: object, problem: str):
        cls = type(strategy)
        super().__init__(f"plug-in '{cls.__module__}:{cls.__qualname__}' failed at run time: {problem}")
        self.args = (problem,)


def plugin_failure(exc: BaseException) -> str | None:
    """One line blaming a loaded plug-in for ``exc`` raised at run time, or None when no plug-in's
    code is on the traceback (then it is not the plug-in's failure)."""
    if isinstance(exc, PluginFailed):
        return exc.blame
    blamed = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") in _LOADED:
            blamed = tb
        tb = tb.tb_next
    if blamed is None:
        return None
    frame = blamed.tb_frame
    name = _LOADED[frame.f_globals["__name__"]]
    return (f"plug-in {name!r} failed at run time in {frame.f_code.co_name} "
            f"({frame.f_code.co_filename}, line {blamed.tb_lineno}): {_text(exc)}")


def _where(exc: BaseException) -> str:
    """`` at FILE, line N``: the innermost frame of the traceback outside the import machinery."""
    tb, last = exc.__traceback__, None
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith("<frozen"):
            last = tb
        tb = tb.tb_next
    return "" if last is None else f" at {last.tb_frame.f_code.co_filename}, line {last.tb_lineno}"


def _text(exc: BaseException) -> str:
    """``Type: message`` on one line."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _kind(obj) -> str:
    return f"a class ({obj.__module__}.{obj.__qualname__})" if isinstance(obj, type) \
        else f"of type {type(obj).__name__}"


def _working_folder_importable() -> None:
    """Let ``module:Class`` name a module of the working folder under the ``ssesim`` script too.

    ``python -m simulations`` puts the working folder first on ``sys.path``; a console script does
    not, so the same plug-in path would fail there. Adding it (as uvicorn's ``--app-dir .`` does)
    makes both spellings of the command agree.
    """
    cwd = os.getcwd()
    if "" not in sys.path and cwd not in sys.path:
        sys.path.insert(0, cwd)
