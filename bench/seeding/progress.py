"""Benchmark data for the progress dashboard: a learner with 20,000
reviews spread over a year, finished practice exams and trainer answers. Idempotent."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from bench.seeding import login_session
from bench.seeding import trainer as trainer_bench
from quizzes.exams.models import AttemptQuestion, ExamAttempt
from quizzes.exams.scoring import scaled_score
from quizzes.models import LearnerSettings, Question, QuestionMemory, ReviewLog
from quizzes.study.scheduling import State
from studyapp.accounts.models import User

REVIEWS = 20_000
QUESTIONS = 400
EXAMS = 6


def seed(_learner) -> dict:
    learner, _ = User.objects.get_or_create(username="bench-progress")
    LearnerSettings.objects.get_or_create(learner=learner, defaults={"time_zone": "Europe/Berlin"})
    if not ReviewLog.objects.filter(learner=learner).exists():
        with transaction.atomic():
            question_ids = list(Question.objects.active().order_by("position").values_list("pk", flat=True)[:QUESTIONS])
            seed_history(learner, question_ids, REVIEWS, timezone.now(), random.Random(8))
            seed_exams(learner, question_ids, EXAMS, timezone.now(), random.Random(9))
    trainer_bench.seed(learner)  # 5,000 trainer answers (idempotent)
    return {"progress_session": login_session(learner)}


def seed_history(learner, question_ids: list[int], reviews: int, now, rng: random.Random) -> None:
    """`reviews` reviews over the last year (about one day in seven skipped), new questions introduced as
    it goes, 88 % right; memories end in review state with the number of reviews as their version."""
    # Days ago, oldest first. A review up to 12 hours before a day 363 days ago still falls within the
    # dashboard's 365 study days at any time of day and with any day start (it once fell out at 3 am).
    days = [day for day in range(363, -1, -1) if rng.random() > 0.15 or day == 0]
    memories: dict[int, QuestionMemory] = {}
    logs = []
    for index in range(reviews):
        day = days[index * len(days) // reviews]
        fresh = len(memories) < len(question_ids) and (not memories or rng.random() < 0.1)
        question_id = question_ids[len(memories)] if fresh else rng.choice(question_ids[: len(memories)])
        at = now - timedelta(days=day, seconds=rng.randint(0, 12 * 3600))
        memory = memories.get(question_id)
        if memory is None:
            memory = memories[question_id] = QuestionMemory(
                learner=learner, question_id=question_id, state=State.Learning.value, step=0,
                introduced_at=at, due=at, version=0,
            )  # fmt: skip
        correct = rng.random() < 0.88
        logs.append((memory, at, correct))
        memory.version += 1
        memory.reps += 1
        memory.failures += not correct
        memory.state = State.Review.value
        memory.step = None
        memory.stability = rng.uniform(1, 120)
        memory.difficulty = rng.uniform(2, 8)
        memory.introduced_at = min(memory.introduced_at, at)
        memory.last_review = at if memory.last_review is None else max(memory.last_review, at)
        memory.due = memory.last_review + timedelta(days=memory.stability)
    QuestionMemory.objects.bulk_create(memories.values(), batch_size=1000)
    seqs: dict[int, int] = {}
    rows = []
    for memory, at, correct in sorted(logs, key=lambda log: log[1]):
        seq = seqs.get(memory.question_id, 0)
        seqs[memory.question_id] = seq + 1
        rows.append(
            ReviewLog(
                learner=learner, memory=memory, seq=seq, revision=1, rating=3 if correct else 1, shown=[1, 2, 3, 4],
                answer=[1] if correct else [2], correct=correct, response_ms=rng.randint(2000, 30000), reviewed_at=at,
                before={"state": State.Review.value if seq else State.Learning.value},
                scheduled_due=at + timedelta(days=3),
            )
        )  # fmt: skip
    ReviewLog.objects.bulk_create(rows, batch_size=2000)


def seed_exams(learner, question_ids: list[int], count: int, now, rng: random.Random) -> None:
    """Finished 65-question practice exams, one a week, each 60-85 % right."""
    for index in range(count):
        started = now - timedelta(days=7 * (count - index))
        picked = rng.sample(question_ids, min(65, len(question_ids)))
        share = rng.uniform(0.6, 0.85)
        answers = [rng.random() < share for _ in picked]
        attempt = ExamAttempt.objects.create(
            learner=learner, preset="full", title="Full simulation", options={}, state=ExamAttempt.State.FINISHED,
            started_at=started, finished_at=started + timedelta(minutes=80), scored_total=len(picked),
            scored_correct=sum(answers), scaled_score=scaled_score(sum(answers), len(picked)),
            passed=scaled_score(sum(answers), len(picked)) >= 700,
        )  # fmt: skip
        AttemptQuestion.objects.bulk_create(
            AttemptQuestion(
                attempt=attempt, position=position, question_id=question_id, revision=1, snapshot={},
                answer=[1], answered=True, answered_at=started, correct=right,
            )
            for position, (question_id, right) in enumerate(zip(picked, answers, strict=True), start=1)
        )  # fmt: skip
