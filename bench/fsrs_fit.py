#!/usr/bin/env python
"""Fitting FSRS to one learner (issue 19): 10,000 synthetic reviews (bench/seeding/fsrs_history.py) fitted,
scored and rescheduled as the settings page does it, then the desired-retention workload computed. Budget:
2 s for the whole fit, the limit for doing it inside a web request. Then two fits started at once from two
threads (two database connections, as two requests): exactly one may run. Runs on a throw-away SQLite file
unless DATABASE_URL is set (the tests' in-memory SQLite cannot hold two writers waiting on each other). Exit
status 1 when the budget is exceeded or both fits ran.

    .venv/bin/python bench/fsrs_fit.py [REVIEWS]
"""

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyapp.settings")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.seeding import fsrs_history  # noqa: E402
from bench.seeding.study import _questions  # noqa: E402
from quizzes.models import LearnerSettings  # noqa: E402
from quizzes.study import fitting  # noqa: E402
from studyapp.accounts.models import User  # noqa: E402

FIT_BUDGET = 2.0


def main() -> int:
    reviews = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    call_command("migrate", verbosity=0)
    now = timezone.now()
    learner, _ = User.objects.get_or_create(username="bench-fsrs-fit")
    learner.review_logs.all().delete()
    learner.question_memories.all().delete()
    questions = _questions(reviews // 4 + 10)
    written = fsrs_history.seed_learner(learner, questions, reviews, now)

    started = time.perf_counter()
    fit, _ = fitting.fit_learner(learner, now, force=True)
    fit_seconds = time.perf_counter() - started
    prefs = LearnerSettings.for_learner(User.objects.get(pk=learner.pk))
    cache.clear()
    started = time.perf_counter()
    workload = fitting.workload(learner, prefs, written, now)
    workload_seconds = time.perf_counter() - started
    started = time.perf_counter()
    fitting.workload(learner, prefs, written, now)
    cached_seconds = time.perf_counter() - started

    print(f"FSRS fit of one learner with {written} reviews ({fit.trained_on} fitted on, {fit.held_out} held out)")
    print(f"  fit, score and reschedule ({fit.rescheduled} questions): {fit_seconds:.2f} s (budget {FIT_BUDGET} s)")
    print(f"  held-out log loss: defaults {fit.log_loss_before:.4f}, fitted {fit.log_loss_after:.4f} ({fit.outcome})")
    print(f"  held-out RMSE (bins): defaults {fit.rmse_before:.4f}, fitted {fit.rmse_after:.4f}")
    costs = ", ".join(f"{r:.2f}: {per_day:.1f}/day" for r, per_day in workload)
    timing = f"{workload_seconds * 1000:.0f} ms, cached {cached_seconds * 1000:.1f} ms"
    print(f"  workload at each retention ({costs}): {timing}")
    ran = fits_at_once(learner)
    print(f"  two fits started at once: {sum(ran)} ran ({ran})")
    return 0 if fit_seconds <= FIT_BUDGET and sum(ran) == 1 else 1


def fits_at_once(learner) -> list[bool]:
    """Make a refit due, then start two from two threads at the same moment; whether each ran."""
    from quizzes.models import FsrsFit

    FsrsFit.objects.filter(learner=learner).update(outcome=FsrsFit.Outcome.RESET)
    barrier, ran = threading.Barrier(2), []

    def fit() -> None:
        try:
            barrier.wait()
            ran.append(fitting.fit_learner(learner, timezone.now())[1])
        except fitting.FitRunning:
            ran.append(False)  # the other thread's fit holds the claim
        finally:
            connection.close()

    threads = [threading.Thread(target=fit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ran


if __name__ == "__main__":
    sys.exit(main())
