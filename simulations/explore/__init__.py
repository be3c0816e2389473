"""Exhaustive exploration: the explorer, partial-order reduction, counterexamples, state graphs and the CI check."""
