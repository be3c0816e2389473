"""``ssesim browser``: a real client module in headless Chromium against the reference server,
played by the live conductor's schedule and judged by the same checkers (SPEC §6.1)."""
