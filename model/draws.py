"""Latency draws bit-identical to ``random.Random``'s, in fewer Python frames (the simulator's hot path).

``Random.lognormvariate`` runs two Python frames deep (``normalvariate``) and ``expovariate`` one; the
closures here run the same arithmetic on the same ``rng.random()`` stream in a single frame, so a seed gives
the same numbers. ``EXACT`` checks that against the running Python's ``random`` at import; where it does
not hold, callers use the library's methods instead.
"""

from __future__ import annotations

import math
import random
from random import NV_MAGICCONST  # type: ignore[attr-defined]  # not in the stubs


def exponential(rng: random.Random, rate: float):
    """``lambda: rng.expovariate(rate)``."""
    rand, log = rng.random, math.log

    def draw() -> float:
        return -log(1.0 - rand()) / rate

    return draw


def lognormal(rng: random.Random, mu: float, sigma: float):
    """``lambda: rng.lognormvariate(mu, sigma)`` (Kinderman–Monahan, as ``Random.normalvariate``)."""
    rand, log, exp = rng.random, math.log, math.exp

    def draw() -> float:
        while True:
            u1 = rand()
            u2 = 1.0 - rand()
            z = NV_MAGICCONST * (u1 - 0.5) / u2
            zz = z * z / 4.0
            if zz <= -log(u2):
                break
        return exp(mu + z * sigma)

    return draw


def _exact(draws: int = 500) -> bool:
    lib, mine = random.Random(20240611), random.Random(20240611)
    expo, logn = exponential(mine, 2.5), lognormal(mine, -2.5, 0.6)
    return all(lib.expovariate(2.5) == expo() and lib.lognormvariate(-2.5, 0.6) == logn()
               for _ in range(draws))


EXACT = _exact()
