"""The report's HTML page: Markdown rendered as GitHub would, diagrams drawn without a network.

A small report (the lifecycle charts and the check verdicts of two scenarios) is built once.
The fast tests read the HTML; the browser test opens it from ``file://`` in headless Chromium
(no network), screenshots it, and reads back what a person sees (``innerText``) and how big
the drawings came out.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from simulations.report.build import build_report, lifecycle_section
from simulations.report.check import check_section, verdict
from simulations.report.html_page import markdown_to_html, write_html
from simulations.report.sequence_svg import parse_sequence, render_sequence_svg

SCENARIOS = Path(__file__).resolve().parents[1] / "simulations" / "scenarios"
GAP = ("POSTSending", "SSE delivers canonical state", "SSEReceived")


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("report")
    results = [verdict(str(SCENARIOS / f"{name}.toml"), strategy, 1, 300)
               for name in ("response-lost-after-commit", "two-tabs")
               for strategy in ("seed", "reconciled")]
    readme = build_report(out, [lifecycle_section(out, [GAP]), check_section(results, 1, 300)])
    return write_html(readme, out / "index.html"), results


def shortest(results: list[dict]) -> dict[str, list[str]]:
    best: dict[str, list[str]] = {}
    for r in results:
        for inv, steps in r["explored"]["violations"].items():
            if inv not in best or len(steps) < len(best[inv]):
                best[inv] = steps
    return best


def test_counterexamples_render_as_bold_code_and_numbered_lists(page):
    path, results = page
    text = path.read_text()
    best = shortest(results)
    assert best, "the seed breaks invariants in these scenarios"
    lists = [[html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", block)]
             for block in re.findall(r"<ol>\n(.*?)</ol>", text, re.DOTALL)]
    for inv, steps in best.items():
        assert f"<strong><code>{inv}</code></strong>" in text
        assert steps in lists, inv
    assert "**" not in re.sub(r"<details>.*?</details>", "", text, flags=re.DOTALL)


def test_every_sequence_diagram_is_drawn_and_its_source_folded(page):
    path, results = page
    text = path.read_text()
    figures = re.findall(r'<figure class="diagram">\n(<svg .*?</svg>)\n</figure>', text, re.DOTALL)
    assert len(figures) == len(shortest(results))
    ids = re.findall(r'<marker id="([^"]+)"', text)
    assert len(ids) == len(set(ids)) == len(figures)  # ids unique on the page
    outside = re.sub(r"<details>.*?</details>", "", text, flags=re.DOTALL)
    for word in ("sequenceDiagram", "stateDiagram", "```"):
        assert word not in outside
    assert text.count("data:image/png;base64,") == 2  # both state charts, embedded


def test_sequence_svg_reads_the_counterexample_subset():
    src = ('---\ntitle: "x: seed on a.toml"\n---\nsequenceDiagram\n    participant U as User\n'
           "    participant C as Client\n    U->>C: 1. send 'A'#59; fault ok\n    %% comment\n"
           "    C--xC: 2. times out\n    Note over C: violates no-ghost\n")
    seq = parse_sequence(src)
    assert seq.title == "x: seed on a.toml"
    assert seq.lanes == {"U": "User", "C": "Client"}
    assert [r.text for r in seq.rows] == ["1. send 'A'; fault ok", "2. times out",
                                          "violates no-ghost"]
    svg = render_sequence_svg(src, "d7")
    assert svg.startswith("<svg ") and 'id="d7-head"' in svg and "send &#x27;A&#x27;" not in svg
    assert "1. send 'A'; fault ok" in svg and svg == render_sequence_svg(src, "d7")
    with pytest.raises(ValueError, match="line 3"):
        parse_sequence("sequenceDiagram\n    participant U\n    loop every second\n")


def test_a_mermaid_block_outside_the_subset_stays_code(tmp_path):
    body = markdown_to_html("```mermaid\nsequenceDiagram\n    loop x\n```\n", tmp_path)
    assert '<code class="language-mermaid">sequenceDiagram' in body and "<svg" not in body


def chromium() -> str | None:
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                                "google-chrome"))), None)


PROBE = """<script>window.addEventListener("load", () => {
  const box = e => { const b = e.getBoundingClientRect(); return [b.width, b.height]; };
  const probe = {text: document.body.innerText,
    svgs: [...document.querySelectorAll("figure.diagram svg")].map(box),
    images: [...document.images].map(i => [i.complete, i.naturalWidth]),
    strongCode: document.querySelectorAll("strong > code").length,
    lists: [...document.querySelectorAll("ol")].map(o => o.children.length)};
  const pre = document.createElement("pre");
  pre.id = "probe"; pre.textContent = JSON.stringify(probe); document.body.append(pre);
});</script>"""


def run_chromium(binary: str, profile: Path, *args: str) -> str:
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           f"--user-data-dir={profile}", "--window-size=1200,2400", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_page_in_a_headless_browser_shows_drawings_not_source(page, tmp_path):
    binary = chromium()
    if binary is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)")
    path, results = page
    shot = tmp_path / "index.png"
    run_chromium(binary, tmp_path / "profile", f"--screenshot={shot}", path.as_uri())
    assert shot.read_bytes().startswith(b"\x89PNG")
    print(f"screenshot of the page: {shot}")
    probed = tmp_path / "probed.html"
    probed.write_text(path.read_text().replace("</body>", PROBE + "</body>"))
    dom = run_chromium(binary, tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom",
                       probed.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert found, dom[-2000:]
    probe = json.loads(found.group(1).replace("&lt;", "<").replace("&gt;", ">")
                       .replace("&amp;", "&"))
    best = shortest(results)
    assert len(probe["svgs"]) == len(best)
    assert all(w > 300 and h > 150 for w, h in probe["svgs"])  # drawn, at a readable size
    assert len(probe["images"]) == 2 and all(ok and w > 300 for ok, w in probe["images"])
    for word in ("sequenceDiagram", "stateDiagram", "**", "```", "-->"):
        assert word not in probe["text"], word
    assert "Mermaid source" in probe["text"]  # folded, one click away
    assert probe["strongCode"] >= len(best)
    assert sorted(probe["lists"]) == sorted(len(steps) for steps in best.values())
