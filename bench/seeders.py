"""Benchmark data seeders: dotted paths of functions `seed(learner) -> dict` whose results are merged
into the values bench endpoints' paths may use ({placeholders} in bench/endpoints.py). Each must be
idempotent (make bench may run on a database seeded before)."""

SEEDERS: list[str] = []
