"""Benchmark data for the study session (registered in bench/seeders.py).

BENCH_FULL=1: 10,000 questions and 1,000,000 review logs over 500 learners (the issue's target).
Otherwise a small set (300 questions, 20,000 logs) so a normal `make bench` stays quick.
Idempotent: a second run on the same database adds nothing.
"""

import os
import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from quizzes.models import Bank, Choice, Question, QuestionMemory, QuestionRevision, ReviewLog, Service
from quizzes.scheduling import State
from studyapp.accounts.models import User

LEARNERS = 500


def sizes() -> tuple[int, int]:
    full = os.environ.get("BENCH_FULL") == "1"
    return (10_000, 1_000_000) if full else (300, 20_000)


def seed(learner) -> dict:
    question_count, log_count = sizes()
    with transaction.atomic():
        questions = _questions(question_count)
        people = _learners()
        if ReviewLog.objects.filter(learner__username__startswith="bench-learner-").count() < log_count:
            _history(people, questions, log_count)
        _bench_learner_history(learner, questions)
    return {"study_questions": len(questions)}


def _questions(count: int) -> list[int]:
    bank, _ = Bank.objects.get_or_create(slug="bench", defaults={"title": "Benchmark bank", "source": "import"})
    have = bank.questions.count()
    if have < count:
        services = list(Service.objects.values_list("pk", flat=True)) or [
            Service.objects.create(
                key="lambda",
                name="AWS Lambda",
                short="Lambda",
                use_when="",
                limits="",
                pricing="",
                managed="",
                note_slug="lambda",
            ).pk
        ]
        new = Question.objects.bulk_create(
            Question(
                bank=bank, external_id=f"bench-{n}", type="single", stem_md=f"Bench question {n}?",
                stem_html=f"<p>Bench question {n}? Which compute service fits a short event-driven task?</p>",
                explanation_md="Because.", explanation_html="<p>Because Lambda runs code on events.</p>",
                domain="cloud-technology", difficulty=1 + n % 3, note_slug="lambda", position=10_000 + n,
                source_hash="bench",
            )
            for n in range(have, count)
        )  # fmt: skip
        Choice.objects.bulk_create(
            Choice(
                question=q, key=k, text=f"Option {k}", text_html=f"Option {k}", correct=k == 1,
                why_md="Why.", why_html="<p>Why this option is right or wrong.</p>",
            )
            for q in new
            for k in range(1, 5)
        )  # fmt: skip
        Question.services.through.objects.bulk_create(
            Question.services.through(question=q, service_id=services[i % len(services)]) for i, q in enumerate(new)
        )
        QuestionRevision.objects.bulk_create(QuestionRevision(question=q, number=1, snapshot={}) for q in new)
    return list(bank.questions.values_list("pk", flat=True))


def _learners() -> list[User]:
    existing = set(User.objects.filter(username__startswith="bench-learner-").values_list("username", flat=True))
    User.objects.bulk_create(
        User(username=f"bench-learner-{n}", password="!")
        for n in range(LEARNERS)
        if f"bench-learner-{n}" not in existing
    )
    return list(User.objects.filter(username__startswith="bench-learner-"))


def _history(people: list[User], questions: list[int], log_count: int) -> None:
    """Each learner studied some questions a few times: memories plus their append-only logs."""
    ReviewLog.objects.filter(learner__in=people).delete()
    QuestionMemory.objects.filter(learner__in=people).delete()
    rng = random.Random(42)
    now = timezone.now()
    per_learner = log_count // len(people)
    reviews_each = 4
    studied = max(1, min(len(questions), per_learner // reviews_each))
    for person in people:
        picked = rng.sample(questions, studied)
        memories = QuestionMemory.objects.bulk_create(
            QuestionMemory(
                learner=person, question_id=q, state=State.Review, step=None, stability=rng.uniform(1, 60),
                difficulty=rng.uniform(2, 8), due=now + timedelta(hours=rng.randint(-72, 24 * 30)),
                last_review=now - timedelta(days=rng.randint(1, 30)), introduced_at=now - timedelta(days=60),
                reps=reviews_each, version=reviews_each,
            )
            for q in picked
        )  # fmt: skip
        logs = []
        for memory in memories:
            for seq in range(reviews_each):
                if len(logs) >= per_learner:
                    break
                logs.append(
                    ReviewLog(
                        learner=person, memory=memory, seq=seq, revision=1, rating=rng.choice((1, 3, 3, 3, 4)),
                        shown=[2, 1, 4, 3], answer=[1], correct=True, response_ms=rng.randint(2000, 30000),
                        reviewed_at=now - timedelta(days=60 - 14 * seq), before={}, scheduled_due=now,
                    )
                )  # fmt: skip
        ReviewLog.objects.bulk_create(logs, batch_size=5000)


def _bench_learner_history(learner, questions: list[int]) -> None:
    """The measured learner has reviews due now and new questions left, the usual state of a session."""
    if QuestionMemory.objects.filter(learner=learner).exists():
        return
    now = timezone.now()
    QuestionMemory.objects.bulk_create(
        QuestionMemory(
            learner=learner, question_id=q, state=State.Review, step=None, stability=10, difficulty=5,
            due=now - timedelta(hours=1) if n % 2 else now + timedelta(days=n), last_review=now - timedelta(days=10),
            introduced_at=now - timedelta(days=20), reps=2, version=2,
        )
        for n, q in enumerate(questions[: len(questions) // 3])
    )  # fmt: skip
