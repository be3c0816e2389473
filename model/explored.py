"""One declaration of the explored state: each part lists its fields once; copy and key derive from it.

The exhaustive explorer branches on the whole state (it copies it) and deduplicates states by a key
that keeps only what can change a future verdict. Both used to be hand-kept field lists, where a
field missing from a key silently merged distinct states. Now every part (``Session``, ``Client``,
``World``, ``Attempt``, the explorer's network, the ``Monitor`` and its ``Mirror`` and ``Lifecycle``,
every strategy) declares each of its fields with :func:`field`: how a copy gets it, and how the key
shows it (or why it is left out). :func:`derive` turns a declaration into two functions, generated
once per class, so they cost no more than the hand-written lists did:

* ``copy(src)``: a new instance whose declared fields are taken from ``src`` by their copy rule;
* ``key(obj)``: the tuple of the keyed fields, each by its key rule.

``tests/test_explored.py`` fails when a part holds a field its declaration does not name.

Copy rules: ``SHARE`` (the same object: immutable values, values a step writes by replacement,
never in place, and configuration every copy shares), ``COPY`` (a one-level copy of a list, dict or
set of immutable items), ``COPY2`` (a list or dict of such containers: each copied), ``PART`` (an
owned part, rebuilt by the owner's copy; declared here so that no field goes unnoticed), ``METRIC``
(the same object, written in place by every copy: a metric or example, out of the key, that no
verdict, counterexample or output of the explorer reads; the explorer's counterexamples and their
metrics come from a replay of one path, where nothing is shared. Its value in an explored state is
the union of its branches', so the field's ``why`` must say what makes that safe). Key rules: ``OUT`` (left out: the README says why no verdict can
depend on it), ``VALUE`` (as it is), ``TUPLE``, ``SORTED``, ``ITEMS`` (a sorted tuple of a dict's
items), ``LEN``, or a method name (``"method:_key_x"``: ``obj._key_x(K)`` gives it, where ``K`` is the
exploration's key functions: an owner keys its parts through it, and an exploration may leave out
more than the declaration does, what its scenario and strategy can never read).
"""

from __future__ import annotations

import hashlib
import importlib
from typing import Any, NamedTuple

from model.compiled import own_slots

SHARE, COPY, COPY2, PART, METRIC = "share", "copy", "copy2", "part", "metric"
OUT, VALUE, TUPLE, SORTED, ITEMS, LEN = None, "value", "tuple", "sorted", "items", "len"

_COPY_RULES = (SHARE, COPY, COPY2, PART, METRIC)
_KEY_RULES = (OUT, VALUE, TUPLE, SORTED, ITEMS, LEN)


class Field(NamedTuple):
    copy: str
    key: str | None
    why: str  # for a field left out of the key: why no verdict depends on it


def field(copy: str = SHARE, key: str | None = VALUE, why: str = "") -> Field:
    if copy not in _COPY_RULES:
        raise ValueError(f"copy rule {copy!r} is not one of {_COPY_RULES}")
    if key not in _KEY_RULES and not (isinstance(key, str) and key.startswith("method:")):
        raise ValueError(f"key rule {key!r} is not one of {_KEY_RULES} or 'method:NAME'")
    if key is OUT and not why:
        raise ValueError("a field left out of the key must say why no verdict depends on it")
    if copy == METRIC and key is not OUT:
        raise ValueError("a field shared by every copy and written in place cannot be keyed")
    return Field(copy, key, why)


def config(why: str = "configuration, the same in every state") -> Field:
    """Shared by every copy, not part of the key."""
    return Field(SHARE, OUT, why)


_COPY_CODE = {SHARE: "src.{0}", COPY: "src.{0}.copy()", PART: "src.{0}", METRIC: "src.{0}"}
# Each walrus has a name of its own: a compiled function gives a local one type.
_KEY_CODE = {VALUE: "o.{0}", TUPLE: "tuple(o.{0})",
             SORTED: "(tuple(sorted(v_{0})) if (v_{0} := o.{0}) else ())",
             ITEMS: "(tuple(sorted(v_{0}.items())) if (v_{0} := o.{0}) else ())", LEN: "len(o.{0})"}


def _copy2(name: str) -> str:
    return (f"({{k: v.copy() for k, v in src.{name}.items()}} if type(src.{name}) is dict "
            f"else [v.copy() for v in src.{name}])")


def _source(cls: type, fields: dict[str, Field], tag: str = "", typed: bool = False) -> str:
    """The two functions' source; ``tag`` suffixes every global name (``copy{tag}``, ``NEW{tag}``,
    ``M{tag}_field``) and ``typed`` annotates them with ``cls`` (the generated module's form)."""
    name = cls.__name__
    ann, ret, new_ann = (f": {name}", f" -> {name}", f": {name}") if typed else ("", "", "")
    ignore = "  # type: ignore" if typed else ""
    lines = [f"def copy{tag}(src{ann}){ret}:", f"    new{new_ann} = NEW{tag}(CLS{tag})"]
    for field_name, f in fields.items():
        code = _copy2(field_name) if f.copy == COPY2 else _COPY_CODE[f.copy].format(field_name)
        lines.append(f"    new.{field_name} = {code}{ignore}")
    lines.append("    return new")
    parts = []
    for field_name, f in fields.items():
        if f.key is OUT:
            continue
        if f.key.startswith("method:"):
            # Called as a function, not through the instance: a compiled function set on a class
            # does not bind as a method (README: A compiled build).
            parts.append(f"M{tag}_{field_name}(o, K)")
        else:
            parts.append(_KEY_CODE[f.key].format(field_name))
    lines += ["", ""] if typed else []
    lines += [f"def key{tag}(o{ann}, K{': Any' if typed else ''}=None){' -> tuple' if typed else ''}:",
              f"    return ({', '.join(parts)}{',' if len(parts) == 1 else ''}){ignore}"]
    return "\n".join(lines) + "\n"


def _methods(cls: type, fields: dict[str, Field]) -> dict[str, Any]:
    return {field_name: getattr(cls, f.key[7:]) for field_name, f in fields.items()
            if f.key is not OUT and f.key.startswith("method:")}


def _tag(cls: type, source: str) -> str:
    """The name of a class's derived functions in its package's generated module: the class's name
    and a digest of their ``source`` (a declaration changed since the module was written has none)."""
    text = f"{cls.__module__}.{cls.__qualname__}\n{source}"
    return f"_{cls.__name__}_{hashlib.sha1(text.encode()).hexdigest()[:10]}"


# Every derivation of this process: tag -> (class, fields), for ``simulations.explore.generate``.
DERIVED: dict[str, tuple[type, dict[str, Field]]] = {}


def derive(cls: type, fields: dict[str, Field]) -> tuple:
    """The ``(copy, key)`` functions of ``cls`` from its declaration ``fields``: those written out in
    the ``derived`` module of the class's package when it holds them (``python -m
    simulations.explore.generate`` writes it, so that the compiled build compiles them), else generated here (a plug-in's class,
    or a declaration changed since; ``tests/test_explored.py`` checks the modules are up to date)."""
    source = _source(cls, fields)
    tag = _tag(cls, source)
    DERIVED[tag] = (cls, fields)
    new: Any
    try:
        object.__new__(cls)
        new = object.__new__
    except TypeError:  # a compiled class (or a subclass of one): its own __new__ makes a blank one
        new = cls.__new__
    methods = _methods(cls, fields)
    module = _generated(cls)
    if module is not None and hasattr(module, "copy" + tag):
        setattr(module, "NEW" + tag, new)
        setattr(module, "CLS" + tag, cls)
        for field_name, method in methods.items():
            setattr(module, f"M{tag}_{field_name}", method)
        return getattr(module, "copy" + tag), getattr(module, "key" + tag)
    namespace = {"NEW": new, "CLS": cls, **{f"M_{k}": m for k, m in methods.items()}}
    exec(source, namespace)  # noqa: S102 - code generated from the declaration above only
    return namespace["copy"], namespace["key"]


# The packages that have a generated module (``derived``): those of the built-in explored classes.
GENERATED = ("model", "model.checkers", "simulations.explore")


def _generated(cls: type):
    """The generated module beside ``cls`` (``derived`` in its package), or None."""
    package = cls.__module__.rpartition(".")[0]
    if package not in GENERATED:
        return None
    try:
        return importlib.import_module(f"{package}.derived")
    except ImportError:
        return None


def write_module(package: str) -> str:
    """The source of ``package``'s generated module: the derived functions of every class of the
    package derived in this process, typed with their classes (imported for the type checker)."""
    mine = sorted(((tag, cls, fields) for tag, (cls, fields) in DERIVED.items()
                   if cls.__module__.rpartition(".")[0] == package), key=lambda x: x[0])
    imports: dict[str, set[str]] = {}
    for _tag_, cls, _fields in mine:
        imports.setdefault(cls.__module__, set()).add(cls.__name__)
    out = [f'"""The copy and key functions of {package}\'s explored classes, derived from their declarations',
           '(``model.explored.derive``) and written out so that the compiled build compiles them.',
           "", "Generated by ``python -m simulations.explore.generate``: do not edit (tests/test_explored.py checks that it is",
           'up to date; a declaration changed since falls back to functions generated at import)."""',
           "", "# ruff: noqa", "from __future__ import annotations", "",
           "from typing import TYPE_CHECKING, Any", "", "if TYPE_CHECKING:"]
    out += [f"    from {m} import {', '.join(sorted(names))}" for m, names in sorted(imports.items())]
    for tag, cls, fields in mine:
        out += ["", "", f"NEW{tag}: Any = None", f"CLS{tag}: Any = None"]
        out += [f"M{tag}_{k}: Any = None" for k in _methods(cls, fields)]
        out += ["", "", _source(cls, fields, tag, typed=True).rstrip("\n")]
    return "\n".join(out) + "\n"


def undeclared(obj, fields: dict[str, Field]) -> set[str]:
    """The fields ``obj`` holds that ``fields`` does not declare (slots and instance attributes)."""
    names = set(getattr(obj, "__dict__", {}))
    for klass in type(obj).__mro__:
        for slot in own_slots(klass):
            if hasattr(obj, slot):
                names.add(slot)
    return names - set(fields)


def left_out(fields: dict[str, Field]) -> dict[str, str]:
    """Field -> why it is left out of the key."""
    return {name: f.why for name, f in fields.items() if f.key is OUT}
