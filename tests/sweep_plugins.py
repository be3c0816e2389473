"""A planted-bug strategy for sweep tests: the seed's code, except that a POST timeout raises."""

from model.strategies import Seed


class Exploding(Seed):
    name = "exploding"

    def on_timeout(self, t, attempt):
        raise RuntimeError("planted bug: on_timeout")
