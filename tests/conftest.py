"""Shared test set-up: the Hypothesis profiles, ``ci`` (the default) and ``dev``.

``ci`` is derandomized with the example database off, so a test run is a function of the commit:
the same examples on every machine and every run, and a green run is not luck. ``dev``
(``HYPOTHESIS_PROFILE=dev python -m pytest -q``) runs the same tests on random seeds, with the
database on so a failure found there is replayed first next time; it is the non-blocking search for
new failures, and ``--hypothesis-seed N`` picks its seed. Neither has a deadline or the too-slow
health check: a case that merely ran long, on a loaded machine, is not a failure.

Progress lines are off in every test (and in every command a test starts) unless the test asks
for them: a command on a loaded machine runs past the 5 s after which its progress shows, and a
test that reads its stderr would then see lines an idle machine never prints.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

PATIENT = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=60, derandomize=True, database=None, **PATIENT)
settings.register_profile("dev", max_examples=60, derandomize=False, **PATIENT)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def no_progress_lines(monkeypatch):
    """Plain progress lines after an hour (simulations.io.progress, ``SSESIM_PROGRESS_LINES``)."""
    monkeypatch.setenv("SSESIM_PROGRESS_LINES", "3600 3600")
