"""The calibration chart (issue 19): predicted recall at each review, in bins, against the share recalled."""

from datetime import timedelta

from django.utils import timezone
from fsrs import Card, Scheduler, State

from quizzes.models import LearnerSettings
from tests.factories import QuestionMemoryFactory, ReviewLogFactory

URL = "/progress/calibration/"


def review(memory, at, *, days_since: float, rating: int, state: int = State.Review.value, stability: float = 10.0):
    before = {"state": state, "stability": stability, "difficulty": 5.0, "due": at.isoformat()}
    before["last_review"] = (at - timedelta(days=days_since)).isoformat() if days_since is not None else None
    return ReviewLogFactory(memory=memory, reviewed_at=at, rating=rating, correct=rating > 1, before=before)


def predicted(days: float, stability: float = 10.0) -> float:
    now = timezone.now()
    card = Card(card_id=1, state=State.Review, stability=stability, difficulty=5.0, last_review=now)
    return Scheduler().get_card_retrievability(card, now + timedelta(days=days))


def history(learner):
    """Ten reviews predicted at about 91 % (seven recalled), five at about 72 % (two recalled), and reviews
    with nothing to predict: first reviews and learning steps."""
    memory = QuestionMemoryFactory(learner=learner)
    now = timezone.now()
    for n in range(10):
        review(memory, now - timedelta(hours=n + 1), days_since=9, rating=3 if n < 7 else 1)
    for n in range(5):
        review(memory, now - timedelta(hours=20 + n), days_since=60, rating=3 if n < 2 else 1)
    review(memory, now - timedelta(hours=40), days_since=None, rating=3, state=State.Learning.value)
    review(memory, now - timedelta(hours=41), days_since=1, rating=1, state=State.Relearning.value)


def test_the_bins_hold_the_predicted_recall_and_the_share_recalled(client, learner):
    history(learner)
    high, low = predicted(9), predicted(60)
    assert 0.9 <= high < 1 and 0.7 <= low < 0.8  # the bins this history is built for
    client.force_login(learner)

    page = client.get(URL).content.decode()

    assert "<h1>Calibration</h1>" in page and "<svg" in page
    assert "15 reviews of questions in review state" in page
    row = '<tr><th scope="row">90–100 %</th><td>10</td><td>{}</td><td>7</td><td>70 %</td></tr>'
    assert row.format(f"{round(100 * high)} %") in page
    row = '<tr><th scope="row">70–80 %</th><td>5</td><td>{}</td><td>2</td><td>40 %</td></tr>'
    assert row.format(f"{round(100 * low)} %") in page
    assert "80–90 %</th>" not in page  # empty bins have no row


def test_the_progress_page_loads_the_chart_with_htmx_and_links_it_without(client, learner):
    history(learner)
    client.force_login(learner)
    page = client.get("/progress/").content.decode()
    assert f'data-hx-get="{URL}"' in page and f'href="{URL}"' in page

    fragment = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and 'id="calibration"' in fragment and "90–100 %" in fragment


def test_the_fitted_parameters_make_the_predictions(client, learner):
    history(learner)
    parameters = list(Scheduler().parameters)
    parameters[20] = 0.6  # a steeper forgetting curve: 60 days after a review, recall is predicted lower
    LearnerSettings.objects.create(learner=learner, fsrs_parameters=parameters)
    client.force_login(learner)
    page = client.get(URL).content.decode()
    assert '<th scope="row">70–80 %</th>' not in page
    assert '<tr><th scope="row">60–70 %</th><td>5</td>' in page
    assert '<tr><th scope="row">90–100 %</th><td>10</td>' in page  # at one stability, recall is 90 % by definition


def test_a_learner_sees_only_their_own_reviews(client, learner, other_learner):
    history(other_learner)
    client.force_login(learner)
    page = client.get(URL).content.decode()
    assert "No review of a question in review state yet" in page and "<svg" not in page


def test_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_chart_takes_at_most_8_queries_for_thousands_of_reviews(client, learner, django_assert_max_num_queries):
    memory = QuestionMemoryFactory(learner=learner)
    now = timezone.now()
    logs = [review(memory, now - timedelta(minutes=n), days_since=5 + n % 30, rating=1 + n % 4) for n in range(300)]
    assert len(logs) == 300
    client.force_login(learner)
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200
