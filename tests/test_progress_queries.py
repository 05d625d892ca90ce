"""The dashboard's SQL: at most 12 queries with a year of history (cold cache), fewer once cached, the same for
a small and a large history (no N+1)."""

import random

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quizzes.models import LearnerSettings, Question, ReviewLog, Service
from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory
from studyapp.progress.benchdata import seed_exams, seed_history
from tests.factories import QuestionFactory, ServiceFactory

pytestmark = pytest.mark.django_db
MAX_QUERIES = 12
MAX_CACHED_QUERIES = 6


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def catalogue(questions: int) -> list[int]:
    services = [ServiceFactory(key=key, name=key.title()) for key in ("lambda", "ecs", "fargate", "batch")]
    domains = ["cloud-technology", "cloud-concepts", "security-compliance", "billing-pricing"]
    for n in range(questions):
        QuestionFactory(services=[services[n % 4]], domain=domains[n % 4])
    return list(Question.objects.order_by("position").values_list("pk", flat=True))


def trainer_answers(learner, count: int) -> None:
    now = timezone.now()
    scenarios = [
        Scenario.objects.create(
            external_id=f"s-{learner.pk}-{key}", text_md=".", text_html=".", highlighted_html=".", answer=[key],
            answer_key=key, difficulty=1, why_md=".", why_html=".", source="t.yaml",
        )
        for key in ("lambda", "ecs", "fargate")
    ]  # fmt: skip
    for scenario in scenarios:
        scenario.services.set(Service.objects.filter(key=scenario.answer_key))
    memories = [ScenarioMemory.objects.create(learner=learner, scenario=s, due=now) for s in scenarios]
    round_ = Round.objects.create(learner=learner, size=count, started_at=now, finished_at=now)
    rng = random.Random(3)
    items = []
    for position in range(1, count + 1):
        index = rng.randrange(3)
        chosen = rng.choice(["lambda", "ecs", "fargate"])
        items.append(
            RoundItem(
                round=round_, learner=learner, position=position, scenario=scenarios[index], memory=memories[index],
                answered_at=now, chosen=[chosen], chosen_key=chosen, expected_key=scenarios[index].answer_key,
                correct=chosen == scenarios[index].answer_key, response_ms=1000,
            )
        )  # fmt: skip
    RoundItem.objects.bulk_create(items)


def history(learner, reviews: int, questions: list[int]) -> None:
    LearnerSettings.objects.create(learner=learner, time_zone="Europe/Berlin")
    seed_history(learner, questions, reviews, timezone.now(), random.Random(1))
    seed_exams(learner, questions, 4, timezone.now(), random.Random(2))
    trainer_answers(learner, reviews // 10)


def count_dashboard(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/progress/")
    assert response.status_code == 200
    return len(queries)


def test_the_dashboard_reads_a_year_of_history_in_at_most_12_queries(client, learner, other_learner):
    questions = catalogue(80)
    history(learner, 4000, questions)
    history(other_learner, 400, questions)
    assert ReviewLog.objects.filter(learner=learner).count() == 4000
    client.force_login(learner)
    cold = count_dashboard(client)
    warm = count_dashboard(client)
    assert cold <= MAX_QUERIES
    assert warm <= MAX_CACHED_QUERIES

    client.force_login(other_learner)  # ten times less history: the same number of queries
    assert count_dashboard(client) == cold
    assert count_dashboard(client) == warm


def test_the_page_shows_the_seeded_year(client, learner):
    questions = catalogue(40)
    history(learner, 1000, questions)
    client.force_login(learner)
    page = client.get("/progress/").content.decode()
    assert "1000 reviews in the last year" in page
    assert '<title id="trend-title">Scaled score of your last 4 exams</title>' in page
    assert '<caption id="trainer-table-caption">' in page
