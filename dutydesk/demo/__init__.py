"""Deterministic synthetic history for demos, tests and benchmarks."""
