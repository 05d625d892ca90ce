"""Benchmark data seeders: dotted paths of functions `seed(learner) -> dict` whose results are merged
into the values bench endpoints' paths may use ({placeholders} in bench/endpoints.py). Each must be
idempotent (make bench may run on a database seeded before)."""

SEEDERS: list[str] = [
    "quizzes.benchdata.seed",
    "quizzes.benchdata.seed_posts",
    "quizzes.exams.benchdata.seed",
    "quizzes.exams.benchdata.seed_burst",
    "quizzes.trainer.benchdata.seed",
    "quizzes.trainer.benchdata.seed_posts",
    "studyapp.progress.benchdata.seed",
    "quizzes.itemstats.benchdata.seed",
]

# Checks run against the live server after the load: dotted paths of `check(base_url, seed) -> (ok, message)`.
CHECKS: list[str] = [
    "quizzes.exams.benchdata.submit_burst",
]
