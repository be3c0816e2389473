"""The compiled build (README: A compiled build): where ``SSESIM_EXPECT_COMPILED=1`` is set (the
compiled phase of ``.ci/run``), the model and the explorer this test process imports are the
compiled extension modules, so that phase cannot silently test the pure-Python sources."""

import os

import pytest

import model.checkers.monitor
import model.system
import simulations.explore.explorer
from model.compiled import compiled_modules

EXPECTED = ("model.system", "model.strategies", "model.checkers.monitor", "model.world_state",
            "model.explored", "simulations.explore.explorer", "simulations.explore.transitions",
            "simulations.engine.simulator")


@pytest.mark.skipif(os.environ.get("SSESIM_EXPECT_COMPILED") != "1",
                    reason="the pure-Python install (SSESIM_EXPECT_COMPILED=1: the compiled one)")
def test_the_model_and_explorer_are_compiled():
    import simulations.engine.simulator
    import simulations.explore.transitions  # noqa: F401

    assert model.system.__file__.endswith(".so"), model.system.__file__
    assert set(EXPECTED) <= set(compiled_modules()), compiled_modules()


def test_a_plugin_subclasses_the_compiled_classes():
    """Plug-ins subclass Strategy and Observer in Python whichever the build (allow_interpreted_subclasses)."""
    from model.observe import Observer
    from model.strategies import Seed

    class Mine(Seed):
        name = "mine"

    class Counting(Observer):
        def __init__(self):
            self.n = 0

        def send(self, t, client, send, content):
            self.n += 1

    assert Mine.EXPLORED is Seed.EXPLORED and Mine.name == "mine"
    obs = Counting()
    obs.send(0.0, 0, 1, "hi")
    assert obs.n == 1
    assert isinstance(model.checkers.monitor.Monitor(), Observer)
    assert simulations.explore.explorer.Exploration is not None
