"""The counterexample file (JSON), declared once: an invariant, the scenario, the strategy and the
schedule of explorer steps that breaks it.

``simulations.explore.counterexample`` loads files against ``CounterexampleFile``; ``ssesim schema
counterexample`` prints the JSON Schema. A step is ``[kind, args...]``; ``ARITY`` gives each kind's
argument types (an index is an integer >= 0; ``arrive`` takes the POST's fault).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag

from model.config import ALL_FAULTS
from model.invariants import INVARIANTS
from simulations.io.schema.base import Choice, Says, Table, Text

FORMAT, VERSION = "counterexample", 1
MAX_STEPS = 1_000_000
MAX_INDEX = 2**31 - 1

# Step kind -> the types of its arguments (after the kind), as stored in JSON.
ARITY: dict[str, tuple[type, ...]] = {
    "send": (int,), "arrive": (int, str), "response": (int,), "timeout": (int, int),
    "deliver": (int, int), "drain": (int, int), "retry": (int, int), "assistant": (int,),
    "reconnect": (int,), "refuse": (int,), "disconnect": (int,),
}

Index = Annotated[int, Field(ge=0, le=MAX_INDEX, strict=True)]
Fault = Literal[ALL_FAULTS]


def _step(kind: str):
    args = tuple(Fault if t is str else Index for t in ARITY[kind])
    names = ", ".join("fault" if t is str else "index >= 0" for t in ARITY[kind])
    # not strict: JSON gives a list (each item stays strict)
    return Annotated[tuple[(Literal[kind], *args)], Field(strict=False), Says(f"{kind!r} takes ({names})"),
                     Tag(kind)]


def _kind(step) -> str | None:
    if isinstance(step, list) and step and isinstance(step[0], str) and step[0] in ARITY:
        return step[0]
    return None


Step = Annotated[
    _step("send") | _step("arrive") | _step("response") | _step("timeout") | _step("deliver")
    | _step("drain") | _step("retry") | _step("assistant") | _step("reconnect") | _step("refuse")
    | _step("disconnect"),
    Discriminator(_kind, custom_error_type="says",
                  custom_error_message=f"must be [kind, ...] with kind one of {', '.join(ARITY)}")]


class CounterexampleFile(Table):
    """A counterexample file: replay it with ``ssesim run FILE``."""

    model_config = ConfigDict(title="ssesim counterexample")

    ssesim: Annotated[Literal[FORMAT], Says(f'must be "{FORMAT}"')] = Field(
        description="marks the file as a counterexample")
    version: Annotated[Literal[VERSION], Says(f"unsupported version (this is {VERSION})")] = Field(
        description="the format's version")
    scenario: Text(4096, min_length=1) = Field(description="the scenario file (relative to the working "
                                                           "folder or to this file)")
    strategy: Text(500, min_length=1) = Field(description="a built-in strategy or module:Class")
    invariant: Choice(*INVARIANTS) = Field(description="the invariant the schedule violates")
    steps: Annotated[list[Step], Field(min_length=1, max_length=MAX_STEPS)] = Field(
        description="the explorer's steps, in order")
    labels: Annotated[list[Annotated[str, Field(max_length=10_000, strict=True)]],
                      Field(max_length=MAX_STEPS), Says("must be an array of strings")] = Field(
        [], description="one readable line per step")
