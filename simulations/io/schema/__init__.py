"""The declared file formats (scenario, sweep, trace, counterexample) and their JSON Schemas.

Each format is declared once, as pydantic models in this package; loading, error messages, the JSON
Schema printed by ``ssesim schema NAME`` (and kept in ``reports/schemas/``, for editors) and the README's
table of scenario keys (``key_table``) all come from that declaration.
"""

from __future__ import annotations

import json

NAMES = ("scenario", "sweep", "trace", "counterexample")
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(name: str) -> dict:
    """The JSON Schema of format ``name`` (KeyError for an unknown name)."""
    if name not in NAMES:
        raise KeyError(name)
    if name == "scenario":
        from simulations.io.schema.scenario import ScenarioFile
        schema = ScenarioFile.model_json_schema()
    elif name == "sweep":
        from simulations.io.schema.sweep import SweepFile
        schema = SweepFile.model_json_schema()
    elif name == "trace":
        from simulations.io.schema.trace import line
        schema = line().json_schema()
        schema["description"] = ("One line of an ssesim trace (JSON Lines): seq counts up from 1 by "
                                 "one, t never decreases, the first record is the config")
    else:
        from simulations.io.schema.counterexample import CounterexampleFile
        schema = CounterexampleFile.model_json_schema()
    return _drop_null_defaults({"$schema": DIALECT, **schema})


def _drop_null_defaults(node):
    """An optional key's ``default: null`` means "not set"; TOML has no null, so it is left out."""
    if isinstance(node, dict):
        return {k: _drop_null_defaults(v) for k, v in node.items() if not (k == "default" and v is None)}
    if isinstance(node, list):
        return [_drop_null_defaults(v) for v in node]
    return node


def dumps(name: str) -> str:
    """The JSON Schema as text: sorted keys, two-space indents, a final newline (stable to diff)."""
    return json.dumps(json_schema(name), indent=2, sort_keys=True) + "\n"


# --- the README's key table ------------------------------------------------------------------------
def key_table() -> str:
    """The scenario keys as a Markdown table: key, type, range, default, meaning (from the schema)."""
    schema = json_schema("scenario")
    defs = schema["$defs"]
    rows = ["| key | type | range | default | meaning |", "|---|---|---|---|---|"]
    for key, prop in _leaves(schema, defs, ""):
        rows.append(f"| `{key}` | {_type(prop, defs)} | {_range(prop, defs)} | {_default(prop)} | "
                    f"{prop.get('description', '')} |")
    rows.append("")
    rows.append("| distribution table (SPEC §2.5) | keys and ranges |")
    rows.append("|---|---|")
    for name in ("Constant", "Uniform", "Exponential", "Lognormal", "Empirical"):
        d = defs[name]
        parts = [f"`{k}` {_range(p, defs)}" for k, p in d["properties"].items() if k != "dist"]
        extra = " (high >= low)" if name == "Uniform" else ""
        rows.append(f'| `{{dist = "{d["properties"]["dist"]["const"]}", ...}}` | {", ".join(parts)}{extra} |')
    return "\n".join(rows) + "\n"


def _resolve(prop: dict, defs: dict) -> dict:
    while "$ref" in prop:
        prop = {**defs[prop["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in prop.items() if k != "$ref"}}
    return prop


def _leaves(schema: dict, defs: dict, prefix: str):
    """(dotted key, property schema) of every value a scenario sets; arrays of tables as ``key[]``."""
    for key, prop in schema.get("properties", {}).items():
        full = _resolve(prop, defs)
        if "properties" in full:  # a table
            yield from _leaves(full, defs, f"{prefix}{key}.")
            if full.get("additionalProperties") is not False:
                yield f"{prefix}{key}.*", {"description": "the keys a plug-in strategy declares in "
                                                          "option_keys"}
        elif full.get("type") == "array" and "properties" in _resolve(full.get("items", {}), defs):
            yield from _leaves(_resolve(full["items"], defs), defs, f"{prefix}{key}[].")
        else:
            yield f"{prefix}{key}", full


def _type(prop: dict, defs: dict) -> str:
    if "oneOf" in prop:
        return "seconds, or a distribution table"
    kind = prop.get("type", "")
    if "x-unit" in prop:
        return prop["x-unit"]
    if kind == "array":
        return f"array of {_type(_resolve(prop.get('items', {}), defs), defs)}"
    if "enum" in prop or "const" in prop:
        return "string"
    return {"number": "number", "integer": "integer", "string": "string", "boolean": "boolean"}.get(kind, kind
                                                                                                   or "any")


def _bound(x) -> str:
    from simulations.io.schema.base import num
    return num(x)


def _range(prop: dict, defs: dict) -> str:
    if "oneOf" in prop:
        return _range(prop["oneOf"][0], defs)
    if prop.get("type") == "array":
        items = _resolve(prop.get("items", {}), defs)
        size = []
        if "minItems" in prop:
            size.append(f"at least {prop['minItems']}")
        if "maxItems" in prop:
            size.append(f"at most {prop['maxItems']}")
        inner = _range(items, defs)
        return "; ".join(x for x in (inner, " and ".join(size) + " items" if size else "") if x)
    if "enum" in prop or "const" in prop:
        return ", ".join(f"`{v}`" for v in prop.get("enum", [prop.get("const")]))
    if "minimum" in prop or "maximum" in prop:
        text = f"{_bound(prop.get('minimum', '-inf'))} … {_bound(prop.get('maximum', 'inf'))}"
        hole = prop.get("not", {})
        if "exclusiveMaximum" in hole:
            text = f"0, or {_bound(hole['exclusiveMaximum'])} … {_bound(prop['maximum'])}"
        return text
    if prop.get("type") == "string" and "maxLength" in prop:
        low = "1" if prop.get("minLength") else "0"
        return f"{low} … {prop['maxLength']} characters"
    return ""


def _default(prop: dict) -> str:
    if "default" not in prop:
        return "—"
    value = prop["default"]
    if isinstance(value, dict):
        return "`{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + "}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{json.dumps(value)}`"
