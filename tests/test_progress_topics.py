"""Every topic, by category: its own page (/progress/topics/), which the dashboard loads with htmx when its
"Every topic, by category" section is opened, and links without JavaScript."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from quizzes.models import Category
from quizzes.study.scheduling import Card, State, scheduler
from tests.factories import QuestionFactory, QuestionMemoryFactory, ServiceFactory
from tests.studying import answer, open_study

pytestmark = pytest.mark.django_db
URL = "/progress/topics/"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def topics():
    """Two categories: compute (Lambda: 3 questions, one retired; ECS: 1) and storage (S3: 2), and a topic
    without questions."""
    compute = Category.objects.create(key="compute", name="Compute", order=1)
    storage = Category.objects.create(key="storage", name="Storage", order=2)
    lambda_ = ServiceFactory(key="lambda", name="AWS Lambda", note_slug="lambda", category=compute, order=1)
    ecs = ServiceFactory(key="ecs", name="Amazon ECS", note_slug="ecs", category=compute, order=2)
    s3 = ServiceFactory(key="s3", name="Amazon S3", note_slug="s3", category=storage, order=1)
    ServiceFactory(key="glacier", name="S3 Glacier", category=storage, order=2)  # no question: no row
    return {
        "lambda": [QuestionFactory(services=[lambda_]) for _ in range(2)]
        + [QuestionFactory(services=[lambda_], is_active=False)],
        "ecs": [QuestionFactory(services=[ecs])],
        "s3": [QuestionFactory(services=[s3]) for _ in range(2)],
    }


def recall(stability: float, days: float) -> float:
    now = timezone.now()
    card = Card(card_id=1, state=State.Review, stability=stability, last_review=now - timedelta(days=days))
    return scheduler().get_card_retrievability(card, now)


def row(name: str, slug: str, key: str, questions: int, seen: str, recall_text: str) -> str:
    return (
        f'<tr><th scope="row"><a href="/notes/{slug}/">{name}</a></th><td>{questions}</td><td>{seen}</td>'
        f'<td>{recall_text}</td><td><a href="/study/?service={key}" aria-label="Study {name}">study</a></td></tr>'
    )


def test_the_page_lists_each_category_with_its_topics_questions_seen_and_recall(client, learner, other_learner, topics):
    now = timezone.now()
    five_days_ago = now - timedelta(days=5)
    QuestionMemoryFactory(learner=learner, question=topics["lambda"][0], stability=10.0, last_review=five_days_ago)
    QuestionMemoryFactory(learner=learner, question=topics["lambda"][2], stability=10.0, last_review=now)  # retired
    QuestionMemoryFactory(learner=other_learner, question=topics["s3"][0], stability=10.0, last_review=now)
    client.force_login(learner)

    page = client.get(URL).content.decode()

    assert "<h1>Every topic</h1>" in page and '<a href="/progress/">Back to your progress</a>' in page
    assert page.index(">Compute · ") < page.index(">Storage · ")  # the catalogue's order
    assert '<a href="/study/?category=compute">study this category</a>' in page
    expected = f"{round(100 * recall(10.0, 5))} %"
    assert row("AWS Lambda", "lambda", "lambda", 2, "1 (50 %)", expected) in page  # the retired one left out
    assert row("Amazon ECS", "ecs", "ecs", 1, "0 (0 %)", "–") in page
    assert row("Amazon S3", "s3", "s3", 2, "0 (0 %)", "–") in page  # another learner's memory left out
    assert "S3 Glacier" not in page


def test_the_dashboard_loads_the_table_with_htmx_and_links_it_without(client, learner, topics):
    client.force_login(learner)
    dashboard = client.get("/progress/").content.decode()
    assert f'data-hx-get="{URL}" data-hx-trigger="toggle once"' in dashboard
    assert f'<a href="{URL}">See every topic</a>' in dashboard
    assert "AWS Lambda</a></th>" not in dashboard  # the dashboard draws no topic row itself

    fragment = client.get(URL, headers=HTMX).content.decode()
    assert fragment.lstrip().startswith('<div class="table-wrap"')
    assert "<html" not in fragment and "<h1>" not in fragment
    assert row("AWS Lambda", "lambda", "lambda", 2, "0 (0 %)", "–") in fragment


def test_an_answer_shows_on_the_page_right_after_it(client, learner, topics):
    client.force_login(learner)
    assert row("Amazon ECS", "ecs", "ecs", 1, "0 (0 %)", "–") in client.get(URL).content.decode()
    shown = open_study(client, service="ecs")
    answer(client, shown, shown.wrong())
    # Seen now, and reviewed less than a whole day ago: recalled for sure (the dashboard counts whole days).
    assert row("Amazon ECS", "ecs", "ecs", 1, "1 (100 %)", "100 %") in client.get(URL).content.decode()


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_page_only_reads(client, learner, topics, django_assert_max_num_queries):
    client.force_login(learner)
    client.get(URL)  # the content is cached
    with django_assert_max_num_queries(4):  # the session, the user, today's activity and the memories
        assert client.get(URL).status_code == 200
    assert client.post(URL).status_code == 405
