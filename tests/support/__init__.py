"""Helpers shared by the test modules of several apps: oracles and form data, imported from here
rather than from another test module."""
