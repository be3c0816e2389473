"""The discrete-event simulator: virtual time, seeded draws, the model's handlers, the checkers online."""
