"""Speed baselines for ssesim (issue 6): a SimPy twin and a bare heapq twin of the realistic
workload, and the benchmark that times them against ``simulations.engine.simulator.simulate``.

Run it with ``python -m simulations.bench``; see ``simulations.bench.cli``.
"""
