"""What every file format's declaration shares: tables that refuse unknown keys, numbers with
documented ranges, and pydantic's errors turned into one line naming the file, the key and the problem.

A format is declared once, as pydantic models (``simulations.io.schema.scenario`` and its siblings);
validation, the error messages and the published JSON Schema all come from that declaration. A
field's type carries its range (``Number(0, 1e6, "seconds")``) and, through ``Says``, the sentence
an error about it prints, so that a wrong type and an out-of-range value read the same way:
``post.timeout: must be a number of seconds >= 0 and <= 1000000, got 1e+300``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from model.errors import InputError

MAX_DEPTH = 32  # tables and arrays inside each other; deeper input is refused before anything walks it
INT64 = 2**63 - 1


class Says:
    """Marks a field type with the sentence its errors print (any error inside it: type, range,
    choice); the loader appends what it got. Invisible in the JSON Schema."""

    def __init__(self, message: str):
        self.message = message

    def __get_pydantic_core_schema__(self, source, handler):
        return core_schema.custom_error_schema(handler(source), custom_error_type="says",
                                               custom_error_message=self.message)


def num(x: float) -> str:
    """A bound as people write it: 1000000, 0.5, 1e-06."""
    if isinstance(x, int) or (x.is_integer() and abs(x) < 1e16):
        return str(int(x))
    return f"{x:g}"


def Number(lo: float, hi: float, unit: str = "", *, what: str = "a number"):
    """A finite number in [lo, hi] (an integer is accepted); ``unit`` names what it counts."""
    of = f" of {unit}" if unit else ""
    extra = {"x-unit": unit} if unit else None
    return Annotated[float, Field(ge=lo, le=hi, strict=True, allow_inf_nan=False, json_schema_extra=extra),
                     Says(f"must be {what}{of} >= {num(lo)} and <= {num(hi)}")]


def Integer(lo: int, hi: int, what: str = "an integer"):
    return Annotated[int, Field(ge=lo, le=hi, strict=True), Says(f"must be {what} >= {num(lo)} and <= {num(hi)}")]


def Choice(*values: str, what: str = "one of"):
    return Annotated[Literal[values], Says(f"must be {what} {', '.join(values)}")]


def Text(max_length: int, *, min_length: int = 0):
    what = "a non-empty string" if min_length else "a string"
    return Annotated[str, Field(min_length=min_length, max_length=max_length, strict=True),
                     Says(f"must be {what} of at most {max_length} characters")]


Flag = Annotated[bool, Field(strict=True), Says("must be true or false")]


def by_form(number_branch, table_branch):
    """A value that is either a bare number/value or a table, told apart by its form (the tags are
    internal and never shown: ``key_of`` drops them)."""
    return Annotated[
        Annotated[number_branch, Tag("<value>")] | Annotated[table_branch, Tag("<table>")],
        Discriminator(_form)]


def _form(value: Any) -> str:
    return "<table>" if isinstance(value, dict) else "<value>"


class Table(BaseModel):
    """A TOML table / JSON object: known keys only (the first unknown one is named), immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)
    open_keys: ClassVar[bool] = False  # True: unknown keys are kept for the loader to judge

    _keys: ClassVar[frozenset] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs):
        super().__pydantic_init_subclass__(**kwargs)
        cls._keys = frozenset(cls.model_fields)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data):
        if isinstance(data, dict) and not cls.open_keys and not cls._keys.issuperset(data):
            key = next(k for k in data if k not in cls._keys)
            raise PydanticCustomError("unknown_key", "unknown key (expected one of: {choices})",
                                      {"key": key, "choices": ", ".join(sorted(cls._keys))})
        return data


# --- errors ----------------------------------------------------------------------------------------
class Words:
    """How a format names its containers: TOML says table, JSON says object."""

    def __init__(self, table: str):
        self.table = table


TOML, JSON = Words("table"), Words("object")


def kind_of(value: Any, words: Words = TOML) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return f"an {words.table}" if words.table[0] in "aeiou" else f"a {words.table}"
    return type(value).__name__


def shown(value: Any, words: Words = TOML) -> str:
    """A value as an error line quotes it: short, on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value.bit_length() > 64:
            return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
        return str(value)
    if isinstance(value, float):
        return repr(value) if not math.isfinite(value) else f"{value:g}"
    if isinstance(value, str):
        text = json.dumps(value[:40])
        return text + ("…" if len(value) > 40 else "")
    if isinstance(value, (list, tuple, dict)):
        try:
            text = json.dumps(value, separators=(", ", ": "))
        except (ValueError, TypeError, RecursionError):  # an integer too long to print, a cycle
            text = ""
        if text and len(text) <= 60:
            return text
    return kind_of(value, words)


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")
# Every character str.splitlines() breaks at, and the other control characters: escaped in messages.
_BREAKS = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"
           for c in (*range(0x20), 0x7F, 0x85, 0x2028, 0x2029)}


def one_line(text: str) -> str:
    """``text`` with line breaks and control characters escaped: an error stays one line."""
    return text.translate(_BREAKS)


def render_key(parts) -> str:
    """``post.faults.rejected``, ``sends[2].at``; odd key text is quoted so the line stays one line."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if _PLAIN_KEY.match(part) else json.dumps(part)
            out += f".{text}" if out else text
    return out


def key_of(loc: tuple, data: Any) -> list:
    """The user's key path of a pydantic error location: union tags dropped, by walking ``data``."""
    parts, node = [], data
    for i, part in enumerate(loc):
        if _has(node, part):
            parts.append(part)
            node = node[part]
        elif i == len(loc) - 1 and isinstance(node, dict) and not str(part).startswith("<"):
            parts.append(part)  # a missing key
        # else: a union tag (<table>, a dist name, a step kind): not a key of the file
    return parts


def _has(node: Any, part) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, (list, tuple)) and isinstance(part, int) and 0 <= part < len(node)


def problem_of(err: dict, words: Words = TOML) -> tuple[list, str]:
    """(extra key parts, the problem sentence) of one pydantic error."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "says":
        return [], f"{err['msg']}, got {shown(value, words)}"
    if kind.startswith("at:"):  # a union told apart by one key (a callable discriminator): name the key
        name = kind[3:]
        if not isinstance(value, dict) or name not in value:
            return [name], f"missing ({err['msg'].removeprefix('must be ')})"
        return [name], f"{err['msg']}, got {shown(value[name], words)}"
    if kind == "unknown_key":
        return [ctx["key"]], f"unknown key (expected one of: {ctx['choices']})"
    if kind == "missing":
        return [], "missing (required)"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        name = ctx["discriminator"].strip("'")
        tags = ctx.get("expected_tags") or ", ".join(repr(t) for t in TAGS.get(name, ()))
        tags = tags.replace("'", "")
        if kind == "union_tag_not_found":
            return [name], f"missing (one of {tags})"
        return [name], f"must be one of {tags}, got {shown(ctx['tag'], words)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return [], f"must be {kind_of({}, words)}, got {shown(value, words)}"
    if kind in ("list_type", "tuple_type"):
        return [], f"must be an array, got {shown(value, words)}"
    if kind == "too_short":
        if isinstance(value, dict):
            return [], f"must be a non-empty {words.table}"
        return [], f"must have at least {ctx['min_length']} item(s)"
    if kind == "too_long":
        return [], f"must have at most {ctx['max_length']} item(s), got {ctx.get('actual_length')}"
    if kind == "string_type":
        return [], f"must be a string, got {shown(value, words)}"
    if kind == "bool_type":
        return [], f"must be true or false, got {shown(value, words)}"
    return [], one_line(str(err.get("msg", kind)))  # a custom error's own sentence


def input_error(exc: ValidationError, data: Any, source: str, words: Words = TOML,
                prefix: str | None = None) -> InputError:
    """The first error of ``exc`` as an ``InputError``: file, dotted key, problem."""
    err = exc.errors(include_url=False)[0]
    parts = key_of(err["loc"], data)
    more, problem = problem_of(err, words)
    key = render_key(parts + more) or None
    if prefix is not None:
        key = f"{prefix}: {key}" if key else prefix
    return InputError(source, key, problem)


TAGS: dict[str, tuple[str, ...]] = {}  # discriminator field -> its tags (for "missing (one of ...)")


def validate(model: type[BaseModel], data: Any, source: str, words: Words = TOML,
             prefix: str | None = None):
    """``model`` validated from ``data``; the first problem is an InputError (one line)."""
    check_depth(data, source, words, prefix)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise input_error(exc, data, source, words, prefix) from None


def read_json(raw: bytes | str, source: str, key: str | None = None):
    """The JSON value of ``raw``; anything else (not UTF-8, bad syntax, an integer of more digits
    than Python converts, nesting too deep to parse) is one InputError, its sentence whole."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise InputError(source, key, f"not UTF-8 text (byte {exc.start + 1})") from None
    try:
        return json.loads(text.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        raise InputError(source, key, f"invalid JSON: {json_problem(exc)}") from None
    except RecursionError:
        raise InputError(source, key, "invalid JSON: arrays or objects nested too deeply to read") from None
    except ValueError:  # Python's limit on the digits of an integer
        raise InputError(source, key, "invalid JSON: an integer with more than 4300 digits") from None


def json_problem(exc: json.JSONDecodeError) -> str:
    """``json``'s message as a whole sentence: 'unterminated string starting at column 5'."""
    msg = exc.msg[:1].lower() + exc.msg[1:]
    where = f"line {exc.lineno} column {exc.colno}" if exc.lineno > 1 else f"column {exc.colno}"
    return f"{msg} {where}" if msg.endswith(" at") else f"{msg} at {where}"


# --- shape -----------------------------------------------------------------------------------------
def check_depth(data: Any, source: str, words: Words = TOML, prefix: str | None = None,
                limit: int = MAX_DEPTH) -> None:
    """Refuse tables and arrays nested deeper than ``limit`` (iteratively: no recursion to overflow)."""
    if _depth_exceeds(data, limit):
        path = _deep_path(data, limit)
        key = render_key(path) or None
        if prefix is not None:
            key = f"{prefix}: {key}" if key else prefix
        raise InputError(source, key, f"{words.table}s and arrays nested more than {limit} deep")


def _depth_exceeds(data: Any, limit: int) -> bool:
    stack = [(data, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth >= limit:
            return True
        for child in children:
            if isinstance(child, (dict, list)):
                push((child, depth + 1))
    return False


def _deep_path(data: Any, limit: int) -> list:
    """The key path of the first container at depth ``limit`` (for the error line)."""
    stack = [(data, [])]
    while stack:
        node, path = stack.pop()
        if len(path) >= limit:
            return path
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in reversed(list(items)):
            if isinstance(v, (dict, list)):
                stack.append((v, [*path, k]))
    return []
