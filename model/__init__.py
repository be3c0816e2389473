"""ssesim's pure model: the seed's lifecycle chart, the system (server, channels, clients), strategies and invariants.

Nothing in ``model`` imports ``simulations``; every driver (simulator, explorer, Hypothesis tests) shares it.
"""
