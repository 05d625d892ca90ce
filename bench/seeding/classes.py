"""Benchmark data for the class dashboard: a class of 200 learners and 20 assignments of every kind, each learner
with a realistic history (100 memories and 200 reviews, trainer answers, practice exams and exam attempts started
from the class's exam assignments). Idempotent: the class is created once (a PostgreSQL bench database is kept
between runs)."""

import random
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from bench.seeding import login_session
from quizzes.classes.models import Assignment, AssignmentAttempt, Classroom, Membership
from quizzes.exams.models import ExamAttempt
from quizzes.models import LearnerSettings, Question, QuestionMemory, ReviewLog, Service
from quizzes.study.scheduling import State
from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory
from studyapp.accounts.models import User
from studyapp.accounts.roles import INSTRUCTORS_GROUP

CLASS_NAME = "Bench class"
LEARNERS = 200
ASSIGNMENTS = 20
MEMORIES = 100
REVIEWS = 200
TRAINER_ANSWERS = 30
PRACTICE_EXAMS = 2


def seed(_learner=None) -> dict:
    """The class (created on the first run) and a signed-in session of its owner."""
    instructor, _ = User.objects.get_or_create(username="bench-instructor")
    instructor.groups.add(Group.objects.get_or_create(name=INSTRUCTORS_GROUP)[0])
    classroom = Classroom.objects.filter(name=CLASS_NAME, owner=instructor).first()
    if classroom is None:
        with transaction.atomic():
            classroom = _seed_class(instructor, timezone.now(), random.Random(18))
    return {"class_id": classroom.pk, "instructor_session": login_session(instructor)}


def _assignments(classroom, now, rng: random.Random) -> list[Assignment]:
    """Five of each kind, opened 3 weeks ago; due dates from two weeks ago (some overdue) to two weeks ahead."""
    services = list(Service.objects.order_by("key").values_list("key", flat=True))
    categories = sorted({key for key in Service.objects.values_list("category__key", flat=True) if key})
    rows = []
    for n in range(ASSIGNMENTS):
        kind = ["review", "master", "drill", "exam"][n % 4]
        due = now + timedelta(days=-14 + 28 * n / ASSIGNMENTS)
        extra: dict = {}
        if kind == "review":
            extra = {"target": 20, "topics": rng.sample(services, 3) if n % 8 else []}
        elif kind == "master":
            extra = {"topics": rng.sample(services, 2)} if n % 8 != 1 else {"category": categories[0]}
        elif kind == "drill":
            extra = {"target": 10, "category": rng.choice(categories)}
        else:
            extra = {"exam_preset": "quick", "max_attempts": 2}
        rows.append(
            Assignment(
                classroom=classroom, title=f"Work {n + 1:02} ({kind})", kind=kind, opens_at=now - timedelta(days=21),
                due_at=due, created_at=now - timedelta(days=22), **extra,
            )
        )  # fmt: skip
    return Assignment.objects.bulk_create(rows)


def _seed_class(instructor, now, rng: random.Random) -> Classroom:
    classroom = Classroom.objects.create(name=CLASS_NAME, owner=instructor)
    assignments = _assignments(classroom, now, rng)
    exams = [a for a in assignments if a.kind == "exam"]
    questions = list(Question.objects.active().values_list("pk", flat=True))
    scenarios = list(Scenario.objects.active().values_list("pk", "answer_key"))
    learners = User.objects.bulk_create(
        User(username=f"bench-class-{n:03}", first_name=f"First{n}", last_name=f"Last{n}", email=f"l{n}@example.com")
        for n in range(LEARNERS)
    )
    Membership.objects.bulk_create(Membership(classroom=classroom, learner=learner) for learner in learners)
    LearnerSettings.objects.bulk_create(LearnerSettings(learner=learner) for learner in learners[::2])
    memories, logs = [], []
    for learner in learners:
        for question_id in rng.sample(questions, min(MEMORIES, len(questions))):
            at = now - timedelta(days=rng.uniform(0, 40))
            memories.append(
                QuestionMemory(
                    learner=learner, question_id=question_id, state=State.Review.value, introduced_at=at, due=at,
                    last_review=at, stability=rng.uniform(1, 60), difficulty=rng.uniform(2, 8), reps=2,
                    failures=rng.random() < 0.2, version=2,
                )
            )  # fmt: skip
    QuestionMemory.objects.bulk_create(memories, batch_size=2000)
    for memory in memories:
        for seq in range(REVIEWS // MEMORIES):
            at = memory.last_review - timedelta(days=seq * rng.uniform(0, 5))
            correct = rng.random() < 0.8
            logs.append(
                ReviewLog(
                    learner_id=memory.learner_id, memory=memory, seq=seq, revision=1, rating=3 if correct else 1,
                    shown=[1, 2, 3, 4], answer=[1] if correct else [2], correct=correct, response_ms=9000,
                    reviewed_at=at, before={}, scheduled_due=at + timedelta(days=3),
                )
            )  # fmt: skip
    ReviewLog.objects.bulk_create(logs, batch_size=2000)
    _trainer(learners, scenarios, now, rng)
    _exams(learners, exams, now, rng)
    return classroom


def _trainer(learners, scenarios, now, rng: random.Random) -> None:
    chosen = {learner.pk: rng.sample(scenarios, min(TRAINER_ANSWERS, len(scenarios))) for learner in learners}
    memories = ScenarioMemory.objects.bulk_create(
        ScenarioMemory(learner=learner, scenario_id=pk, due=now) for learner in learners for pk, _ in chosen[learner.pk]
    )
    memory_of = {(m.learner_id, m.scenario_id): m.pk for m in memories}
    rounds = Round.objects.bulk_create(
        Round(learner=learner, size=10, started_at=now - timedelta(days=d), finished_at=now - timedelta(days=d))
        for learner in learners
        for d in range(TRAINER_ANSWERS // 10)
    )
    items = []
    for index, round_ in enumerate(rounds):
        for position, (pk, key) in enumerate(chosen[round_.learner_id][(index % 3) * 10 : (index % 3) * 10 + 10], 1):
            right = rng.random() < 0.7
            items.append(
                RoundItem(
                    round=round_, learner_id=round_.learner_id, position=position, scenario_id=pk,
                    memory_id=memory_of[(round_.learner_id, pk)], answered_at=round_.finished_at, chosen=[key],
                    chosen_key=key if right else "other", expected_key=key, correct=right, response_ms=9000, rating=3,
                )
            )  # fmt: skip
    RoundItem.objects.bulk_create(items, batch_size=2000)
    User.recount_trainer_answers([learner.pk for learner in learners])  # written in bulk: the app's count, set once


def _exams(learners, exams, now, rng: random.Random) -> None:
    """Finished practice exams, and for most learners an attempt at some of the exam assignments."""
    attempts, links = [], []
    for learner in learners:
        for n in range(PRACTICE_EXAMS):
            total, right = 20, rng.randint(8, 19)
            attempts.append(
                ExamAttempt(
                    learner=learner, preset="quick", title="Quick exam", options={}, state="finished",
                    started_at=now - timedelta(days=3 + 7 * n), finished_at=now - timedelta(days=3 + 7 * n),
                    scored_total=total, scored_correct=right,
                )
            )  # fmt: skip
        for assignment in exams:
            if rng.random() < 0.6:
                attempt = ExamAttempt(
                    learner=learner, preset="quick", title=assignment.title, options={}, state="finished",
                    started_at=now - timedelta(days=1), finished_at=now - timedelta(days=1), scored_total=20,
                    scored_correct=rng.randint(8, 20),
                )  # fmt: skip
                attempts.append(attempt)
                links.append((assignment, attempt))
    ExamAttempt.objects.bulk_create(attempts, batch_size=1000)
    AssignmentAttempt.objects.bulk_create(
        AssignmentAttempt(assignment=assignment, attempt=attempt) for assignment, attempt in links
    )
