"""Reports: diagrams, plots, the check and sweep sections, Markdown and HTML (the only part that imports matplotlib)."""

REPORT_RUNS = 5  # seeded runs per scenario and strategy in the verdict section
# Every example explores to completion below this bound (the largest, seed-retry on two-sessions,
# has 243,383 states with the report's reductions, its session sets included; accepted-then-dropped
# 158,648) except two seed-retry ones (more than two million states each: assistant-typing,
# old-stream-drains), which the report names and runs again within a timeout budget
# (simulations.report.check.bounded). At 500,000 they found the same violations, for 3 more CPU
# minutes (measured when two-sessions was a third).
REPORT_MAX_STATES = 250_000
# ``ssesim report --quick``: the same sections, every exploration capped low (the bounded re-runs
# too), fewer seeded runs and the quick sweep; a try-out of the report, not its verdicts.
QUICK_MAX_STATES = 5_000
QUICK_RUNS = 2
QUICK_SWEEP = "quick"
