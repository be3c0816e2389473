"""The sweep file, declared once: a base scenario, grids of scenario keys, strategies and seeds.

``simulations.io.sweep_file`` validates a TOML table against ``SweepFile``, then expands the cells and
validates each cell's scenario against the scenario declaration; ``ssesim schema sweep`` prints the
JSON Schema. The ranges keep a sweep's size known before anything runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Discriminator, Field, Tag
from typing_extensions import TypeAliasType

from simulations.io.schema.base import INT64, Integer, Says, Table, Text
from simulations.io.schema.scenario import ScenarioFile, optional

MAX_SEEDS = 100_000  # seeds per sweep
MAX_VALUES = 10_000  # values of one swept key
MAX_RUNS = 1_000_000  # cells x strategies x seeds

Values = Annotated[list[Any], Field(min_length=1, max_length=MAX_VALUES),
                   Says("must be a list of at least one value to sweep")]
GridEntry = TypeAliasType(
    "GridEntry",
    Annotated[Annotated[Values, Tag("<value>")] | Annotated[dict[str, "GridEntry"], Tag("<table>")],
              Discriminator(lambda v: "<table>" if isinstance(v, dict) else "<value>")])
Study = Annotated[dict[str, GridEntry], Field(
    min_length=1, description='scenario keys (dotted: "post.faults.rejected") to lists of values; a '
                              "study runs the product of its lists")]

SeedCount = Integer(1, MAX_SEEDS, "a count of seeds: an integer")
SeedList = Annotated[list[Annotated[int, Field(ge=0, le=INT64, strict=True)]],
                     Field(min_length=1, max_length=MAX_SEEDS),
                     Says("must be a non-empty list of integers >= 0")]
Seeds = Annotated[Annotated[SeedCount, Tag("<count>")] | Annotated[SeedList, Tag("<list>")],
                  Discriminator(lambda v: "<list>" if isinstance(v, list) else "<count>")]


class SweepFile(Table):
    """A sweep file (TOML): the cells are each study's product, in file order."""

    model_config = ConfigDict(title="ssesim sweep")

    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                               strict=True),
                    Says("must be a slug (letters, digits, '.', '_', '-'; starting with a letter or "
                         "digit; at most 64; no '..')")] = Field(
        description="the sweep's name, a slug (its output folder by default)")
    description: Text(10_000) = Field("", description="one line for people")
    base: Text(4096, min_length=1) = optional("a scenario file, relative to the sweep file")
    scenario: ScenarioFile = optional("scenario keys merged over base")
    grid: Study = optional("the study named main")
    grids: Annotated[dict[str, Study], Field(min_length=1)] = optional("more studies: [grids.NAME]")
    strategies: Annotated[list[Annotated[str, Field(min_length=1, max_length=500, strict=True)]],
                          Field(min_length=1, max_length=100, json_schema_extra={"uniqueItems": True}),
                          Says("must be a non-empty list of strategy names")] = Field(
        description="built-in names or module:Class")
    seeds: Seeds = Field(description="a count (seeds seed_start, seed_start+1, ...) or a list of seeds")
    seed_start: Integer(0, INT64) = Field(1, description="the first seed when seeds is a count")
