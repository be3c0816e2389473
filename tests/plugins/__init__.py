"""Plug-in strategies for the tests: a documented example and deliberately broken ones (planted bugs)."""
