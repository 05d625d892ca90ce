"""The dashboard's SQL: at most 8 queries per request with a year of history, on the first visit of a study
day (nothing cached), on the next ones, right after an answer and after an undo that rewrites an earlier day;
the same for a small and a large history (no N+1)."""

import random
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.seeding.progress import seed_exams, seed_history
from quizzes.models import LearnerSettings, Question, ReviewLog, Service
from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory
from tests.factories import QuestionFactory, ServiceFactory, UserFactory
from tests.studying import Clock, answer, open_study

pytestmark = pytest.mark.django_db
MAX_QUERIES = 8  # the session, the user (with their settings and role), and the dashboard's own


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
    type(learner).recount_trainer_answers([learner.pk])  # written in bulk: the count the app keeps, set once


def history(learner, reviews: int, questions: list[int], until=None) -> None:
    LearnerSettings.objects.create(learner=learner, time_zone="Europe/Berlin")
    seed_history(learner, questions, reviews, until or timezone.now(), random.Random(1))
    seed_exams(learner, questions, 4, timezone.now(), random.Random(2))
    trainer_answers(learner, reviews // 10)


def reviews_in_the_year(page: str) -> int:
    return int(re.search(r"(\d+) reviews in the last year", page).group(1))


def count_dashboard(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/progress/")
    assert response.status_code == 200
    return len(queries)


def test_the_dashboard_reads_a_year_of_history_in_at_most_8_queries(client, learner, other_learner):
    questions = catalogue(80)
    history(learner, 4000, questions)
    history(other_learner, 400, questions)
    assert ReviewLog.objects.filter(learner=learner).count() == 4000
    client.force_login(learner)
    first = count_dashboard(client)  # the first visit of the study day counts the whole year
    again = count_dashboard(client)  # the next ones take the days before today from the cache
    assert first <= MAX_QUERIES
    assert again <= MAX_QUERIES

    client.force_login(other_learner)  # ten times less history: the same number of queries
    cache.clear()  # as on a first visit (the content the first learner's visit read is shared)
    assert count_dashboard(client) == first
    assert count_dashboard(client) == again


def test_right_after_an_answer_the_dashboard_takes_at_most_8_queries(client, learner, django_assert_max_num_queries):
    questions = catalogue(20)
    history(learner, 2000, questions)
    QuestionFactory()  # a new question to answer
    client.force_login(learner)
    count_dashboard(client)
    shown = open_study(client)
    answer(client, shown, shown.wrong())
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get("/progress/").status_code == 200


def test_after_undoing_a_rating_of_an_earlier_day_the_dashboard_takes_at_most_8_queries(
    client, learner, monkeypatch, django_assert_max_num_queries
):
    questions = catalogue(20)
    now = timezone.now()
    history(learner, 2000, questions, until=now - timedelta(days=2))
    QuestionFactory()
    client.force_login(learner)
    clock = Clock(monkeypatch, now - timedelta(days=1))
    shown = open_study(client)
    answer(client, shown, shown.wrong())  # yesterday's review
    clock.now = now
    before = reviews_in_the_year(client.get("/progress/").content.decode())  # the days before today are cached
    last = ReviewLog.objects.filter(learner=learner).latest("pk")
    assert client.post("/study/undo/", {"log": last.pk}).status_code == 303
    with django_assert_max_num_queries(MAX_QUERIES):  # the cached days no longer match: counted again
        page = client.get("/progress/").content.decode()
    # The seeded year began two days before the heatmap's (its first hours fall out in the morning): counted from
    # what the page showed before the undo.
    assert reviews_in_the_year(page) == before - 1 >= 1990


def test_a_guests_dashboard_takes_at_most_8_queries(client, django_assert_max_num_queries):
    guest = UserFactory(username="guest-1", is_guest=True)
    history(guest, 500, catalogue(20))
    client.force_login(guest)
    for _visit in range(2):
        with django_assert_max_num_queries(MAX_QUERIES):
            assert client.get("/progress/").status_code == 200


def test_the_page_shows_the_seeded_year(client, learner):
    questions = catalogue(40)
    history(learner, 1000, questions)
    client.force_login(learner)
    page = client.get("/progress/").content.decode()
    assert "1000 reviews in the last year" in page
    assert '<title id="trend-title">Scaled score of your last 4 exams</title>' in page
    assert '<caption id="trainer-table-caption">' in page
