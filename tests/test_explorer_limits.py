"""The explorer-limits benchmark measures the real explorer: same states, same transitions."""

from simulations.bench.explorer_limits import commutation, phase_costs, reachable
from simulations.explore.explorer import Model, explore
from simulations.io.scenario import parse_scenario

TWO_SENDS = {
    "name": "two-sends",
    "strategy": "seed",
    "sends": [{"at": 0.0, "content": "A"}, {"at": 0.01, "content": "B"}],
    "explore": {"faults": ["ok", "response_lost"], "max_disconnects": 0},
}


def test_phase_costs_cover_every_transition_of_the_exploration():
    scenario = parse_scenario(TWO_SENDS, source="<test>")
    model = Model(scenario)
    nodes = reachable(model)
    costs = phase_costs(model, nodes)
    result = explore(scenario)
    assert (costs["states"], costs["transitions"]) == (result.states, result.transitions)
    assert set(costs["seconds"]) == {"actions", "copy", "handlers", "key", "fingerprint"}


def test_commutation_separates_conflicting_and_independent_steps():
    model = Model(parse_scenario(TWO_SENDS, source="<test>"))
    table = commutation(model, reachable(model), sample=10_000)
    both, comm = table[("response", "timeout", "same")]
    assert both > 0 and comm == 0  # a POST's answer and its own timeout exclude each other
    both, comm = table[("response", "timeout", "other")]
    assert both > 0 and comm == both  # different sends' answer and timeout commute
