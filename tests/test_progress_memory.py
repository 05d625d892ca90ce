"""The dashboard's memory numbers read as plain rows: retrievability computed from the forgetting curve as fsrs
computes it, to the last bit, and what the page shows moving with the passing of days and with each answer."""

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from quizzes.models import LearnerSettings, QuestionMemory
from quizzes.study.scheduling import Card, ForgettingCurve, State, scheduler
from quizzes.trainer.confusions import History
from studyapp.progress.charts import percent
from studyapp.progress.dashboard import with_partners
from studyapp.progress.memory import Topic
from studyapp.progress.readiness import ServiceStanding
from tests.factories import QuestionFactory, ServiceFactory
from tests.studying import Clock, answer, open_study, rate

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
FITTED = (
    0.3, 1.1, 2.9, 14.0, 7.0, 0.55, 1.9, 0.012, 1.6, 0.13, 1.0, 1.8, 0.09, 0.3, 2.2, 0.25, 2.9, 0.5, 0.6, 0.08, 0.25,
)  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.mark.parametrize("parameters", [None, FITTED], ids=["default parameters", "fitted parameters"])
def test_the_forgetting_curve_gives_fsrs_retrievability_to_the_last_bit(parameters):
    sched = scheduler(0.9, (1, 10), (10,), parameters=parameters)
    reviewed = int(datetime(2026, 1, 5, 9, 30, 7, tzinfo=UTC).timestamp())
    for stability in (0.1, 1.3, 5.0, 47.25, 365.0):
        # Whole days elapsed as fsrs counts them: a microsecond before and after each day ends, a review
        # in the future (no day elapsed), and over a year.
        for now in [
            datetime.fromtimestamp(reviewed, UTC) + timedelta(days=days, microseconds=micro)
            for days in (0, 1, 2, 29, 400)
            for micro in (-1, 0, 1, 123_456)
        ]:
            card = Card(
                card_id=1, state=State.Review, stability=stability, last_review=datetime.fromtimestamp(reviewed, UTC)
            )
            assert ForgettingCurve.of(sched, now).recall(stability, reviewed) == sched.get_card_retrievability(
                card, now
            )
    assert ForgettingCurve.of(sched, NOW).recall(None, reviewed) == 0


def topic_recall(client, name: str) -> str:
    """A topic's recall in the "every topic" table (the dashboard's, on its own page)."""
    page = client.get("/progress/topics/").content.decode()
    return re.search(rf">{name}</a></th><td>\d+</td><td>\d+ \(\d+ %\)</td><td>([^<]+)</td>", page).group(1)


def test_a_topics_recall_falls_with_each_whole_day_and_rises_with_the_next_answer(client, learner, monkeypatch):
    LearnerSettings.objects.create(learner=learner, time_zone="UTC", day_start_hour=4)
    lambda_ = ServiceFactory(key="lambda", name="AWS Lambda")
    QuestionFactory(services=[lambda_])
    client.force_login(learner)
    clock = Clock(monkeypatch, NOW)
    assert topic_recall(client, "AWS Lambda") == "–"  # nothing seen yet

    shown = open_study(client)
    rate(client, answer(client, shown, shown.right()), 3)  # Good
    memory = QuestionMemory.objects.get(learner=learner)
    sched = LearnerSettings.for_learner(learner).scheduler()
    shown_recall = []
    for days in (0, 3, 30):
        clock.now = NOW + timedelta(days=days, hours=1)
        expected = sched.get_card_retrievability(memory.as_card(), clock.now)
        shown_recall.append(topic_recall(client, "AWS Lambda"))
        assert shown_recall[-1] == percent(expected)
    assert [int(text.split()[0]) for text in shown_recall] == sorted(
        (int(text.split()[0]) for text in shown_recall), reverse=True
    )
    assert shown_recall[0] != shown_recall[-1]

    shown = open_study(client)  # overdue a month later: answered again, the recall is back up at once
    rate(client, answer(client, shown, shown.right()), 3)
    memory.refresh_from_db()
    assert topic_recall(client, "AWS Lambda") == percent(sched.get_card_retrievability(memory.as_card(), clock.now))
    assert topic_recall(client, "AWS Lambda") != shown_recall[-1]


def test_a_weak_topics_drill_partner_is_the_first_pair_the_trainer_ranks_with_it():
    """Counted for the weakest topics only, the partner is the one History.pairs() would give (most confused
    both ways, ties by the pair's keys)."""
    rng = random.Random(5)
    keys = [f"s{n:02}" for n in range(12)]
    history = History()
    for _ in range(400):  # many ties among 66 pairs
        history.add(rng.choice(keys), rng.choice(keys))
    catalogue = [Topic(n, key, key, key, key, n, None, None) for n, key in enumerate(keys)]
    expected: dict[str, str] = {}
    for pair in history.pairs():
        expected.setdefault(pair.first, pair.second)
        expected.setdefault(pair.second, pair.first)
    for chosen in (keys[:3], keys[5:8], keys[11:]):
        weakest = [ServiceStanding(topic, 1, 0, None, 0, 0) for topic in catalogue if topic.key in chosen]
        partners = {s.service.key: s.partner.key for s in with_partners(weakest, catalogue, history)}
        assert partners == {key: expected[key] for key in chosen}


def test_the_memories_compiled_once_read_the_same_rows_as_their_orm_query():
    from studyapp.progress.memory import MEMORY_FIELDS, _memory_values, memory_rows
    from tests.factories import QuestionMemoryFactory, UserFactory

    learner, other = UserFactory(), UserFactory()
    reviewed = datetime(2026, 3, 9, 8, 15, 30, tzinfo=UTC)
    QuestionMemoryFactory(learner=learner, last_review=reviewed, due=reviewed + timedelta(days=3), suspended=True)
    QuestionMemoryFactory(
        learner=learner, state=State.Learning.value, stability=1.25, last_review=reviewed, due=reviewed,
        buried_until=reviewed + timedelta(hours=20), introduced_at=reviewed,
    )  # fmt: skip
    QuestionMemoryFactory(learner=learner, state=State.Learning.value, stability=None, last_review=None, due=reviewed)
    QuestionMemoryFactory(learner=other)

    orm = QuestionMemory.objects.filter(learner=learner).annotate(**_memory_values())
    expected = sorted(orm.values_list("question_id", *MEMORY_FIELDS))
    assert sorted(memory_rows(learner)) == expected
    assert len(expected) == 3
    assert (reviewed.timestamp(), 1) in {(row[4], row[3]) for row in expected}  # seconds and the flag as numbers
