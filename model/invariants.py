"""The invariants of SPEC §3: their ids, and the checkers that count their episodes.

The public face of ``model.checkers``: the simulator, the explorer, ``check-trace`` and the tests import
from here. ``Monitor`` counts episodes online as observations arrive; ``model.reference`` counts them
again, plainly, from a recorded trace.
"""

from model.checkers.clone import clone_monitor, monitor_key
from model.checkers.ids import INVARIANTS, SOMETIMES
from model.checkers.monitor import Monitor

__all__ = ["INVARIANTS", "SOMETIMES", "Monitor", "clone_monitor", "monitor_key"]
