"""Exam readiness: the documented rule, by hand, and through the dashboard with real exam attempts."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from quizzes.exams.models import AttemptQuestion, ExamAttempt
from quizzes.models import Domain
from studyapp.progress import readiness
from studyapp.progress.exams import exam_domains
from studyapp.progress.memory import Coverage
from tests.factories import QuestionFactory, QuestionMemoryFactory, ServiceFactory
from tests.studying import Clock

NOW = datetime(2026, 5, 4, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_memory_counts_recall_for_questions_seen_and_a_guess_for_the_rest():
    assert readiness.memory_estimate(10, 4, 3.2) == pytest.approx((3.2 + 6 * 0.25) / 10)  # 0.47
    assert readiness.memory_estimate(0, 0, 0.0) is None


def test_a_domain_blends_exams_and_memory_once_exams_asked_five_of_its_questions():
    coverage = {Domain.TECHNOLOGY.value: Coverage(questions=10, seen=4, recall_sum=3.2)}
    few = readiness.estimate(coverage, {Domain.TECHNOLOGY.value: (3, 4)})
    enough = readiness.estimate(coverage, {Domain.TECHNOLOGY.value: (4, 5)})
    technology = next(d for d in few.domains if d.key == Domain.TECHNOLOGY.value)
    assert technology.estimate == pytest.approx(0.47)  # 4 exam answers: memory alone
    technology = next(d for d in enough.domains if d.key == Domain.TECHNOLOGY.value)
    assert technology.estimate == pytest.approx(0.6 * 0.8 + 0.4 * 0.47)  # 0.668


def test_the_overall_weighs_domains_like_the_exam_over_those_with_an_estimate():
    coverage = {
        Domain.TECHNOLOGY.value: Coverage(questions=4, seen=4, recall_sum=3.6),  # 0.90
        Domain.CLOUD_CONCEPTS.value: Coverage(questions=2, seen=2, recall_sum=1.0),  # 0.50
        Domain.BILLING.value: Coverage(questions=5, seen=0, recall_sum=0.0),  # nothing seen: no estimate
    }
    result = readiness.estimate(coverage, {})
    assert result.overall == pytest.approx((34 * 0.9 + 24 * 0.5) / (34 + 24))  # 0.7345, 73.4 %
    assert result.missing == ["Security and Compliance", "Billing, Pricing and Support"]
    assert result.scaled == 715  # 73.4 % right: 700 + 300 * (0.734 - 0.72) / 0.28 = 715
    assert result.likely_pass


def test_no_data_gives_no_estimate():
    result = readiness.estimate({}, {})
    assert result.overall is None and result.scaled is None and not result.likely_pass


def test_the_weakest_services_rank_memory_blended_with_trainer_accuracy():
    def standing(key, order, memory, right=0, asked=0, questions=5):
        service = type("S", (), {"key": key, "order": order})()
        return readiness.ServiceStanding(service, questions, 5, memory, right, asked)

    standings = [
        standing("ecs", 1, 0.8, right=1, asked=10),  # (0.8 + 0.1) / 2 = 0.45
        standing("lambda", 2, 0.5),  # 0.5
        standing("fargate", 3, 0.6, right=2, asked=4),  # too few trainer answers: 0.6
        standing("batch", 4, 0.3),
        standing("ecr", 5, 0.1, questions=0),  # nothing to study: not recommended
    ]
    assert [s.service.key for s in readiness.weakest(standings)] == ["batch", "ecs", "lambda"]


def finished_exam(learner, answers: list[tuple[object, bool]], when, pilot=()) -> ExamAttempt:
    attempt = ExamAttempt.objects.create(
        learner=learner, preset="custom", title="Custom exam", options={}, state="finished", started_at=when,
        finished_at=when + timedelta(minutes=20), scored_total=len(answers),
        scored_correct=sum(1 for _, right in answers if right), scaled_score=700, passed=True,
    )  # fmt: skip
    for position, (question, right) in enumerate(answers, start=1):
        AttemptQuestion.objects.create(
            attempt=attempt, position=position, question=question, revision=1, snapshot={}, answered=True,
            correct=right, is_pilot=position in pilot,
        )  # fmt: skip
    return attempt


@pytest.mark.django_db
def test_exam_answers_per_domain_leave_out_pilot_questions(learner):
    tech = [QuestionFactory(domain="cloud-technology") for _ in range(3)]
    billing = QuestionFactory(domain="billing-pricing")
    attempt = finished_exam(
        learner, [(tech[0], True), (tech[1], False), (tech[2], True), (billing, True)], NOW, pilot={3}
    )
    assert exam_domains([attempt.pk]) == {"cloud-technology": (1, 2), "billing-pricing": (1, 1)}


@pytest.mark.django_db
def test_the_dashboard_estimates_readiness_from_the_last_three_exams_and_memory(client, learner, monkeypatch):
    Clock(monkeypatch, NOW)
    lambda_ = ServiceFactory(key="lambda", name="AWS Lambda", note_slug="lambda")
    questions = [QuestionFactory(domain="cloud-technology", services=[lambda_]) for _ in range(5)]
    for question in questions[:2]:  # seen yesterday with a long stability: recall close to 1
        QuestionMemoryFactory(learner=learner, question=question, stability=1000.0, last_review=NOW - timedelta(days=1))
    old = finished_exam(learner, [(q, False) for q in questions], NOW - timedelta(days=10))
    for days in (3, 2, 1):
        finished_exam(learner, [(q, True) for q in questions[:4]] + [(questions[4], False)], NOW - timedelta(days=days))
    client.force_login(learner)
    page = client.get("/progress/").content.decode()
    # Memory: (2 x ~1.0 + 3 x 0.25) / 5 = 55 %; exams: 12 of 15 right = 80 % (the older exam is left out).
    assert "<td>80 % of 15</td>" in page
    assert "<td>55 %</td>" in page
    assert "<td><strong>70 %</strong></td>" in page  # 0.6 x 80 % + 0.4 x 55 %
    assert "How this is computed" in page
    assert 'href="/notes/lambda/"' in page and 'href="/study/?service=lambda"' in page
    assert 'href="/trainer/?service=lambda"' in page
    assert f'href="/exam/{old.pk}/results/"' in page  # in the score table
