"""Change counts (quizzes.models.ChangeCount): triggers count every change to a learner's history and to the
question catalogue, and the dashboard's numbers, kept under them, are never stale."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from quizzes import change_counts
from quizzes.exams.models import ExamAttempt
from quizzes.models import ChangeCount, LearnerSettings, QuestionMemory
from studyapp.accounts.models import User
from studyapp.progress import stats
from tests.factories import QuestionFactory, QuestionMemoryFactory, StewardshipFactory, UserFactory
from tests.studying import Clock, answer, open_study, rate

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def count(owner) -> int:
    return ChangeCount.objects.filter(owner=getattr(owner, "pk", owner)).values_list("changes", flat=True).first() or 0


def test_every_trigger_is_installed_on_this_database():
    assert change_counts.installed(connection) == change_counts.expected(connection.vendor)


def test_answering_a_question_through_the_study_page_counts_a_change_of_the_learner_only(client, learner):
    QuestionFactory.create_batch(2)
    other = UserFactory()
    client.force_login(learner)
    shown = open_study(client)
    before, others_before = count(learner), count(other)
    assert answer(client, shown, shown.right()).status_code in (200, 302, 303)
    assert count(learner) > before and count(other) == others_before


def test_memory_updates_and_deletes_count_as_changes(learner):
    memory = QuestionMemoryFactory(learner=learner)
    after_insert = count(learner)
    QuestionMemory.objects.filter(pk=memory.pk).update(suspended=True)
    after_update = count(learner)
    memory.delete()
    assert 0 < after_insert < after_update < count(learner)


def test_settings_and_exam_attempts_count_as_changes(learner):
    before = count(learner)
    LearnerSettings.objects.create(learner=learner, new_per_day=5)
    after_settings = count(learner)
    ExamAttempt.objects.create(learner=learner, preset="quick", title="Quick", options={}, started_at=NOW)
    assert before < after_settings < count(learner)


def test_moving_a_memory_to_another_learner_counts_for_both(learner):
    guest = UserFactory(is_guest=True)
    memory = QuestionMemoryFactory(learner=guest)
    guest_before, learner_before = count(guest), count(learner)
    QuestionMemory.objects.filter(pk=memory.pk).update(learner=learner)
    assert count(guest) > guest_before and count(learner) > learner_before


def test_questions_and_bank_statuses_count_as_catalogue_changes():
    before = count(ChangeCount.CATALOGUE)
    question = QuestionFactory()
    after_question = count(ChangeCount.CATALOGUE)
    stewardship = StewardshipFactory(bank=question.bank, status="published")
    stewardship.status = "archived"
    stewardship.save()
    assert before < after_question < count(ChangeCount.CATALOGUE)


def test_deleting_an_account_deletes_its_count(learner):
    QuestionMemoryFactory(learner=learner)
    assert count(learner) > 0
    User.objects.filter(pk=learner.pk).delete()
    assert not ChangeCount.objects.filter(owner=learner.pk).exists()


def test_the_signed_in_user_comes_with_the_counts(client, learner):
    QuestionMemoryFactory(learner=learner)
    client.force_login(learner)
    response = client.get("/progress/")
    assert response.wsgi_request.user._change_counts == ChangeCount.of(User.objects.get(pk=learner.pk))


def test_todays_numbers_move_when_a_card_falls_due_without_any_write(learner, monkeypatch):
    clock = Clock(monkeypatch, NOW)
    QuestionFactory()
    memory = QuestionMemoryFactory(learner=learner, last_review=NOW - timedelta(days=2))
    QuestionMemory.objects.filter(pk=memory.pk).update(due=NOW + timedelta(minutes=30))
    prefs = LearnerSettings.for_learner(learner)
    numbers = stats.today_counts(learner, prefs, prefs.study_day(clock.now), clock.now)
    assert (numbers.due_now, numbers.due_later_today) == (0, 1)
    changes = count(learner)
    clock.advance(minutes=31)
    numbers = stats.today_counts(learner, prefs, prefs.study_day(clock.now), clock.now)
    assert (numbers.due_now, numbers.due_later_today) == (1, 0)
    assert count(learner) == changes  # nothing was written: the kept numbers expired when the card fell due


def test_the_dashboard_shows_a_new_review_and_the_new_questions_left_at_once(client, learner):
    QuestionFactory.create_batch(3)
    client.force_login(learner)
    before = client.get("/progress/").content.decode()
    assert "<dt>New available</dt><dd>3</dd>" in before and "<dt>Studied today</dt><dd>0</dd>" in before
    shown = open_study(client)
    rate(client, answer(client, shown, shown.right()), 3)  # Good
    after = client.get("/progress/").content.decode()
    assert "<dt>New available</dt><dd>2</dd>" in after and "<dt>Studied today</dt><dd>1</dd>" in after


def test_the_dashboard_counts_a_question_an_instructor_publishes_at_once(client, learner):
    QuestionFactory.create_batch(2)
    client.force_login(learner)
    assert "<dt>New available</dt><dd>2</dd>" in client.get("/progress/").content.decode()
    QuestionFactory()
    assert "<dt>New available</dt><dd>3</dd>" in client.get("/progress/").content.decode()
