"""The online checkers of the ten invariants of SPEC §3 and of the run metrics (SPEC §4).

``model.invariants`` is the public face (``Monitor``, ``INVARIANTS``, …); the modules here are its parts.
"""
