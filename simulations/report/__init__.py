"""Reports: diagrams, plots, the check and sweep sections, Markdown and HTML (the only part that imports matplotlib)."""

REPORT_RUNS = 5  # seeded runs per scenario and strategy in the verdict section
# Every example explores to completion below this bound (the largest, seed-retry on
# accepted-then-dropped, has 158,648 states with the report's reductions) except three seed-retry
# ones (more than two million states each: assistant-typing, old-stream-drains, two-sessions), which
# the report names and runs again within a timeout budget (simulations.report.check.bounded). At
# 500,000 the three found the same violations, for 3 more CPU minutes.
REPORT_MAX_STATES = 250_000
# ``ssesim report --quick``: the same sections, every exploration capped low (the bounded re-runs
# too), fewer seeded runs and the quick sweep; a try-out of the report, not its verdicts.
QUICK_MAX_STATES = 5_000
QUICK_RUNS = 2
QUICK_SWEEP = "quick"
