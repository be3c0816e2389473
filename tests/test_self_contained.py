"""A clone is self-contained (issue 23, item 11): the README's links stay inside the repository and
name files that exist; the SPEC, the race catalogue and the seed design ship in ``model/docs/``; every
race A1–A14 of the catalogue has an example scenario that names it."""

from __future__ import annotations

import re
from pathlib import Path

from simulations.io.scenario import builtin_scenarios, load_scenario

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_readme_link_stays_in_the_repository_and_exists():
    targets = [t for t in LINK.findall(README) if not t.startswith(("http://", "https://", "mailto:"))]
    assert targets, "the README links to its own files"
    for target in targets:
        path = (ROOT / target).resolve()
        assert ROOT in path.parents or path == ROOT, f"{target} leaves the repository"
        assert path.exists(), f"{target} does not exist"
    assert "../shared" not in README


def test_the_docs_ship_in_the_package():
    for name in ("spec.md", "research.md", "seed-design.md"):
        text = (ROOT / "model" / "docs" / name).read_text(encoding="utf-8")
        assert text.startswith("<!-- Shipped with ssesim")
    assert "docs/*.md" in (ROOT / "pyproject.toml").read_text()


def test_every_race_of_the_catalogue_has_an_example_scenario():
    research = (ROOT / "model" / "docs" / "research.md").read_text(encoding="utf-8")
    races = set(re.findall(r"^\| (A\d+) \|", research, re.MULTILINE))
    assert races == {f"A{i}" for i in range(1, 15)}
    named = set()
    for path in builtin_scenarios():
        named |= set(re.findall(r"A\d+", load_scenario(path).description.split(":")[0]))
    assert races <= named, f"races without an example: {sorted(races - named)}"
