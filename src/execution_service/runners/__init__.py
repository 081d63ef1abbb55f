"""Runners run a graph's crew; the worker talks to them through ``base.Runner``."""
