"""``python -m simulations.bench.live``: wall times of ``ssesim live``, the reference server under
load, and live violation rates against the simulator's 95% intervals.

Sections (each bounded; none is a test):
  examples  every scripted example × built-in strategy, lockstep: wall seconds per run (target ≤ 2 s)
  realistic the realistic workload (300 sends), lockstep, each strategy (target ≤ 30 s)
  load      the reference server (``ssesim serve`` in its own process): POST/s with one client per
            session, and N concurrent SSE streams each checked to receive every event in order
  rates     violations per 100 sends of the realistic workload over seeds 1..K, live (lockstep, and
            free at --free-scale) against the simulator's 95% intervals over the same seeds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
from httpx_sse import EventSource

from model.invariants import INVARIANTS
from model.strategies import BUILTIN
from simulations.engine.simulator import simulate
from simulations.io.scenario import builtin_scenarios, load_scenario
from simulations.live.runner import live_run
from simulations.sweep.aggregate import RatioStat

SCENARIOS = {p.stem: p for p in builtin_scenarios()}
SECTIONS = ("examples", "realistic", "load", "rates")


def examples(strategies=tuple(BUILTIN)) -> list[dict]:
    rows = []
    for name in sorted(n for n in SCENARIOS if n != "realistic"):
        scenario = load_scenario(SCENARIOS[name])
        for strategy in strategies:
            start = time.perf_counter()
            r = live_run(scenario, strategy=strategy)
            rows.append({"scenario": name, "strategy": strategy, "wall": time.perf_counter() - start,
                         "steps": r.live["steps"]})
    return rows


def realistic(strategies=tuple(BUILTIN), mode="lockstep", time_scale=None, seed=None) -> list[dict]:
    scenario = load_scenario(SCENARIOS["realistic"])
    rows = []
    for strategy in strategies:
        start = time.perf_counter()
        r = live_run(scenario, strategy=strategy, mode=mode, time_scale=time_scale, seed=seed)
        rows.append({"strategy": strategy, "mode": mode, "wall": time.perf_counter() - start,
                     "sends": r.sends, "steps": r.live["steps"], "posts": r.live["posts_sent"],
                     "sse_events": r.live["sse_events_received"], "sse_bytes": r.live["sse_bytes_received"],
                     "rtt_ms": r.live["post_rtt_ms"]})
    return rows


# --- the server under load -----------------------------------------------------------------------------

def start_server(max_seconds: float = 600.0) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "simulations", "serve", "--max-seconds", str(max_seconds)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("ssesim serve did not start")
    return proc, line.split()[2]


def _pct(values: list[float], p: int):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, max(0, -(-p * len(values) // 100) - 1))]


async def post_load(url: str, clients: int, posts: int) -> dict:
    """``clients`` clients (one AsyncClient and one session each) post ``posts`` messages one after
    another; POST/s over the whole."""
    context = ssl.create_default_context()
    https = [httpx.AsyncClient(base_url=url, verify=context, timeout=30) for _ in range(clients)]
    rtt: list[float] = []
    statuses: dict[int, int] = {}

    async def one(i: int):
        for k in range(posts):
            t = time.perf_counter()
            r = await https[i].post("/api/chat", json={"session": f"load-{i}", "content": f"m{k}"})
            rtt.append(time.perf_counter() - t)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(clients))), 300)
    wall = time.perf_counter() - start
    for h in https:
        await h.aclose()
    return {"clients": clients, "posts": clients * posts, "wall": wall, "posts_per_s": clients * posts / wall,
            "statuses": statuses, "rtt_ms_p50": _pct(rtt, 50) * 1000, "rtt_ms_p99": _pct(rtt, 99) * 1000}


async def stream_load(url: str, streams: int, sessions: int, events: int) -> dict:
    """``streams`` SSE streams over ``sessions`` sessions; ``events`` posts per session; every stream
    must receive versions 1..events, in order. Latency: POST sent → event received."""
    context = ssl.create_default_context()
    per_client = 25
    https = [httpx.AsyncClient(base_url=url, verify=context, timeout=httpx.Timeout(30, read=None),
                               limits=httpx.Limits(max_connections=per_client + 5))
             for _ in range((streams + per_client - 1) // per_client)]
    posters = [httpx.AsyncClient(base_url=url, verify=context, timeout=30) for _ in range(sessions)]
    tag = f"{time.time_ns()}"
    got: list[list[int]] = [[] for _ in range(streams)]
    lag: list[float] = []
    sent: dict[tuple[int, int], float] = {}
    opened = asyncio.Semaphore(0)
    done = asyncio.Event()
    complete = [0]

    async def reader(i: int):
        session = i % sessions
        async with https[i // per_client].stream("GET", "/api/chat/stream",
                                                 params={"session": f"streams-{tag}-{session}"}) as r:
            opened.release()
            async for sse in EventSource(r).aiter_sse():
                v = int(sse.id)
                lag.append(time.perf_counter() - sent.get((session, v), time.perf_counter()))
                got[i].append(v)
                if len(got[i]) == events:
                    complete[0] += 1
                    if complete[0] == streams:
                        done.set()
                    return

    async def poster(session: int):
        for k in range(events):
            sent[(session, k + 1)] = time.perf_counter()
            await posters[session].post("/api/chat", json={"session": f"streams-{tag}-{session}",
                                                           "content": f"e{k}"})

    tasks = [asyncio.create_task(reader(i)) for i in range(streams)]
    for _ in range(streams):
        await asyncio.wait_for(opened.acquire(), 60)
    start = time.perf_counter()
    await asyncio.gather(*(poster(s) for s in range(sessions)))
    try:
        await asyncio.wait_for(done.wait(), 120)
    except TimeoutError:
        pass
    wall = time.perf_counter() - start
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for h in https + posters:
        await h.aclose()
    in_order = sum(g == list(range(1, events + 1)) for g in got)
    return {"streams": streams, "sessions": sessions, "events_per_stream": events, "wall": wall,
            "streams_complete_in_order": in_order, "events_received": sum(map(len, got)),
            "lag_ms_p50": _pct(lag, 50) * 1000, "lag_ms_p99": _pct(lag, 99) * 1000}


def load(post_clients: int, posts: int, stream_counts: list[int], sessions: int, events: int) -> dict:
    proc, url = start_server()
    try:
        out = {"posts": asyncio.run(post_load(url, post_clients, posts))}
        out["streams"] = [asyncio.run(stream_load(url, n, sessions, events)) for n in stream_counts]
    finally:
        proc.terminate()
        proc.wait(30)
    return out


# --- violation rates -------------------------------------------------------------------------------------

def rates(seeds: list[int], strategies, runs) -> dict:
    """Per strategy and invariant: (rate per 100 sends, low, high) for each source in ``runs``:
    {"name": function(scenario, strategy, seed) -> (violations, sends)}."""
    scenario = load_scenario(SCENARIOS["realistic"])
    out = {}
    for strategy in strategies:
        per_source = {}
        for source, run in runs.items():
            stats = {inv: RatioStat() for inv in INVARIANTS + ("all",)}
            start = time.perf_counter()
            for seed in seeds:
                violations, sends = run(scenario, strategy, seed)
                for inv in INVARIANTS:
                    stats[inv].add(violations[inv], sends)
                stats["all"].add(sum(violations.values()), sends)
            per_source[source] = {inv: [100 * x for x in s.interval()] for inv, s in stats.items()}
            per_source[source]["wall"] = time.perf_counter() - start
        out[strategy] = per_source
    return out


def _simulated(scenario, strategy, seed):
    r = simulate(scenario, strategy=strategy, seed=seed)
    return r.violations, r.sends


def _live(mode, time_scale):
    def run(scenario, strategy, seed):
        r = live_run(scenario, strategy=strategy, seed=seed, mode=mode, time_scale=time_scale)
        return r.violations, r.sends
    return run


# --- printing --------------------------------------------------------------------------------------------

def render(out: dict) -> str:
    lines = []
    if "examples" in out:
        rows = out["examples"]
        worst = max(rows, key=lambda r: r["wall"])
        lines += ["## Scripted examples, lockstep (wall seconds per run)", "",
                  (f"{len(rows)} runs; median {_pct([r['wall'] for r in rows], 50):.3f} s, max "
                   f"{worst['wall']:.3f} s ({worst['scenario']}, {worst['strategy']})"), "",
                  "| scenario | " + " | ".join(sorted({r["strategy"] for r in rows}, key=list(BUILTIN).index)) + " |",
                  "|---|" + "---:|" * len({r["strategy"] for r in rows})]
        for name in dict.fromkeys(r["scenario"] for r in rows):
            cells = [f"{r['wall']:.3f}" for r in rows if r["scenario"] == name]
            lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
        lines.append("")
    if "realistic" in out:
        lines += ["## Realistic workload (300 sends), lockstep", "",
                  "| strategy | wall s | steps | POSTs | SSE events | SSE MB | POST round trip p50 / p99 ms |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for r in out["realistic"]:
            lines.append(f"| `{r['strategy']}` | {r['wall']:.2f} | {r['steps']} | {r['posts']} | {r['sse_events']} "
                         f"| {r['sse_bytes'] / 1e6:.1f} | {r['rtt_ms']['p50']:.1f} / {r['rtt_ms']['p99']:.1f} |")
        lines.append("")
    if "load" in out:
        p = out["load"]["posts"]
        lines += ["## Reference server under load (`ssesim serve` in its own process)", "",
                  (f"POST: {p['posts']} posts by {p['clients']} clients (one session each, one after "
                   f"another): {p['wall']:.2f} s, **{p['posts_per_s']:.0f} POST/s**, round trip p50 "
                   f"{p['rtt_ms_p50']:.1f} ms, p99 {p['rtt_ms_p99']:.1f} ms, statuses {p['statuses']}"), "",
                  "| streams | sessions | events each | complete and in order | POST → event p50 / p99 ms | wall s |",
                  "|---:|---:|---:|---:|---|---:|"]
        for s in out["load"]["streams"]:
            lines.append(f"| {s['streams']} | {s['sessions']} | {s['events_per_stream']} | "
                         f"{s['streams_complete_in_order']} / {s['streams']} | {s['lag_ms_p50']:.1f} / "
                         f"{s['lag_ms_p99']:.1f} | {s['wall']:.2f} |")
        lines.append("")
    if "rates" in out:
        r = out["rates"]
        lines += [f"## Violations per 100 sends, realistic workload, seeds {r['seeds'][0]}–{r['seeds'][-1]}", "",
                  "Rate [95% interval, the run as the unit]; `inside`: the live rate lies in the simulator's interval.", "",
                  "| strategy | invariant | simulated | " + " | ".join(r["sources"]) + " |",
                  "|---|---|---|" + "---|" * len(r["sources"])]
        order = list(BUILTIN)
        for strategy, per in sorted(r["table"].items(),
                                    key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)):
            ran = [s for s in r["sources"] if s in per]
            for inv in INVARIANTS + ("all",):
                sim = per["simulated"][inv]
                if inv != "all" and not any(per[s][inv][0] for s in ["simulated"] + ran):
                    continue
                cells = []
                for source in r["sources"]:
                    if source not in per:
                        cells.append("not run")
                        continue
                    rate, low, high = per[source][inv]
                    inside = sim[1] <= rate <= sim[2]
                    cells.append(f"{rate:.2f} [{low:.2f}, {high:.2f}] {'inside' if inside else '**outside**'}")
                lines.append(f"| `{strategy}` | `{inv}` | {sim[0]:.2f} [{sim[1]:.2f}, {sim[2]:.2f}] | "
                             + " | ".join(cells) + " |")
        lines += ["", f"Wall seconds for the {len(r['seeds'])} runs of each strategy:", ""]
        for source in ["simulated"] + r["sources"]:
            walls = ", ".join(f"`{k}` {r['table'][k][source]['wall']:.0f} s"
                              for k in sorted(r["table"], key=lambda k: order.index(k) if k in order else 99)
                              if source in r["table"][k])
            lines.append(f"- {source}: {walls}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.live", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}")
    p.add_argument("--strategies", default=",".join(BUILTIN))
    p.add_argument("--seeds", type=int, default=20, help="rates: seeds 1..K (default 20)")
    p.add_argument("--free-scale", type=float, default=0.05,
                   help="rates: the time scale of the free live runs (default 0.05; 0 skips them)")
    p.add_argument("--free-strategies", default="seed,reconciled", help="rates: strategies run free")
    p.add_argument("--no-lockstep", action="store_true", help="rates: no lockstep live runs")
    p.add_argument("--merge", type=Path, metavar="JSON", help="rates: add the sources of an earlier --json")
    p.add_argument("--post-clients", type=int, default=20)
    p.add_argument("--posts", type=int, default=100, help="load: posts per client")
    p.add_argument("--streams", default="200,1000", help="load: stream counts")
    p.add_argument("--json", type=Path, help="also write the figures as JSON here")
    p.add_argument("--render", type=Path, metavar="JSON", help="print the tables of a saved --json file")
    args = p.parse_args(argv)
    if args.render:
        print(render(json.loads(args.render.read_text())))
        return 0
    sections = args.sections.split(",")
    strategies = args.strategies.split(",")
    out: dict = {"python": sys.version.split()[0]}
    if "examples" in sections:
        out["examples"] = examples(strategies)
    if "realistic" in sections:
        out["realistic"] = realistic(strategies)
    if "load" in sections:
        out["load"] = load(args.post_clients, args.posts, [int(n) for n in args.streams.split(",")],
                           sessions=4, events=20)
    if "rates" in sections:
        seeds = list(range(1, args.seeds + 1))
        runs = {"simulated": _simulated}
        if not args.no_lockstep:
            runs["live lockstep"] = _live("lockstep", None)
        table = rates(seeds, strategies, runs)
        sources = [s for s in runs if s != "simulated"]
        if args.free_scale > 0:
            free = rates(seeds, args.free_strategies.split(","),
                         {f"live free ×{args.free_scale:g}": _live("free", args.free_scale)})
            for strategy, per in free.items():
                table.setdefault(strategy, {}).update(per)
            sources.append(f"live free ×{args.free_scale:g}")
        out["rates"] = {"seeds": seeds, "sources": sources, "table": table}
        if args.merge:  # an earlier --json of the same seeds: its sources join these
            old = json.loads(args.merge.read_text())["rates"]
            for strategy, per in old["table"].items():
                for source, figures in per.items():
                    table.setdefault(strategy, {}).setdefault(source, figures)
            out["rates"]["sources"] = list(dict.fromkeys(old["sources"] + sources))
    print(render(out))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
