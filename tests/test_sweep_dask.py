"""The sweep on a Dask distributed cluster gives the same runs as the local process pool."""

from __future__ import annotations

import csv

import pytest

from simulations.cli import main

distributed = pytest.importorskip("distributed")

SWEEP = """
name = "d"
base = "{base}"
strategies = ["seed", "reconciled"]
seeds = 3
[scenario]
workload.count = 5
[grid]
"post.faults.error_after_commit" = [0.0, 0.3]
"""


def runs(out):
    with (out / "runs.csv").open() as fh:
        return {tuple(v for k, v in r.items() if k != "wall_time") for r in csv.DictReader(fh)}


def test_local_cluster_matches_process_pool(tmp_path):
    from simulations.io.scenario import BUILTIN_DIR

    path = tmp_path / "d.toml"
    path.write_text(SWEEP.format(base=BUILTIN_DIR / "realistic.toml"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        assert main(["sweep", str(path), "--out", str(tmp_path / "dask"), "--quiet",
                     "--scheduler", cluster.scheduler_address]) == 0
    assert main(["sweep", str(path), "--out", str(tmp_path / "pool"), "--quiet",
                 "--workers", "2"]) == 0
    assert len(runs(tmp_path / "dask")) == 12
    assert runs(tmp_path / "dask") == runs(tmp_path / "pool")
