"""Guest learners: created only when something is stored, converted on sign-up, merged or discarded on login."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from studyapp.accounts import guests
from studyapp.accounts.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def anonymous_request(address="203.0.113.7"):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().post("/", REMOTE_ADDR=address)
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = AnonymousUser()
    return request


def become_guest(client) -> User:
    """Make the test client's browser a guest, as the first storing request does."""
    request = anonymous_request()
    guest = guests.learner_for_write(request)
    request.session.save()
    client.cookies["sessionid"] = request.session.session_key
    return guest


def test_reading_pages_create_no_guest(client, loaded_content):
    for path in ["/", "/notes/", "/notes/lambda/", "/notes/search?q=ecs", "/accounts/login/", "/healthz"]:
        client.get(path)
    assert User.objects.filter(is_guest=True).count() == 0


def test_the_first_storing_request_creates_one_guest_attached_to_the_session(django_assert_max_num_queries):
    request = anonymous_request()
    with django_assert_max_num_queries(2):  # the per-address count and one INSERT
        guest = guests.learner_for_write(request)
    assert guest.is_guest and guest.created_from == "203.0.113.7"
    assert request.session["_auth_user_id"] == str(guest.pk)
    assert guests.learner_for_write(request) == guest  # the next request reuses it
    assert User.objects.filter(is_guest=True).count() == 1


def test_guest_creation_is_limited_per_address():
    for _ in range(guests.GUESTS_PER_ADDRESS_PER_HOUR):
        guests.learner_for_write(anonymous_request())
    with pytest.raises(guests.GuestLimitReached):
        guests.learner_for_write(anonymous_request())
    assert guests.learner_for_write(anonymous_request("198.51.100.1")).is_guest  # other addresses are fine


def test_a_guest_sees_the_banner_and_never_the_authoring_entry(client):
    become_guest(client)
    body = client.get("/").content.decode()
    assert "your progress lives in this browser only" in body
    assert ">Author<" not in body


def test_signing_up_converts_the_guest_into_the_account(client):
    guest = become_guest(client)
    old_session = client.cookies["sessionid"].value
    response = client.post(
        "/accounts/signup/", {"username": "kept", "password1": PASSWORD, "password2": PASSWORD}, follow=True
    )
    assert "Your progress so far is kept." in response.content.decode()
    account = User.objects.get(username="kept")
    assert account.pk == guest.pk and not account.is_guest and account.created_from is None
    assert client.cookies["sessionid"].value != old_session  # rotated
    assert User.objects.count() == 1


def test_a_double_submitted_sign_up_creates_one_account(client):
    become_guest(client)
    data = {"username": "twice", "password1": PASSWORD, "password2": PASSWORD}
    old_cookie = client.cookies["sessionid"].value
    client.post("/accounts/signup/", data)
    client.cookies["sessionid"] = old_cookie  # the second click still carries the guest's old cookie
    response = client.post("/accounts/signup/", data)
    assert User.objects.filter(username="twice").count() == 1
    assert response.status_code in (200, 302)


def test_logging_in_from_a_guest_session_asks_to_merge_then_merges(client, learner, monkeypatch):
    monkeypatch.setattr(guests, "GUEST_MERGERS", ["tests.test_guests.record_merge"])
    RECORDED.clear()
    guest = become_guest(client)
    response = client.post("/accounts/login/", {"username": learner.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url.startswith("/accounts/merge/")
    page = client.get(response.url)
    assert "Keep what you did as a guest?" in page.content.decode()
    client.post("/accounts/merge/", {"choice": "merge", "next": "/"})
    assert RECORDED == [(guest.pk, learner.pk)]
    assert not User.objects.filter(pk=guest.pk).exists()


def test_discarding_guest_progress_deletes_the_guest_only(client, learner):
    guest = become_guest(client)
    client.post("/accounts/login/", {"username": learner.username, "password": PASSWORD})
    client.post("/accounts/merge/", {"choice": "discard"})
    assert not User.objects.filter(pk=guest.pk).exists()
    assert User.objects.filter(pk=learner.pk).exists()


def test_a_tampered_merge_choice_is_a_400_and_changes_nothing(client, learner):
    guest = become_guest(client)
    client.post("/accounts/login/", {"username": learner.username, "password": PASSWORD})
    response = client.post("/accounts/merge/", {"choice": "both"})
    assert response.status_code == 400
    assert User.objects.filter(pk=guest.pk).exists()


def test_a_tampered_session_cookie_simply_starts_over(client):
    client.cookies["sessionid"] = "not-a-real-session-key"
    response = client.get("/")
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated


def test_purge_removes_only_guests_inactive_that_long(learner):
    old, recent = guests.learner_for_write(anonymous_request()), guests.learner_for_write(anonymous_request())
    User.objects.filter(pk=old.pk).update(last_login=timezone.now() - timedelta(days=31))
    User.objects.filter(pk=learner.pk).update(last_login=timezone.now() - timedelta(days=400))
    out = StringIO()
    call_command("purge_guests", "--days", "30", stdout=out)
    assert "Removed 1 guest" in out.getvalue()
    assert set(User.objects.values_list("pk", flat=True)) == {recent.pk, learner.pk}


RECORDED: list[tuple[int, int]] = []


def record_merge(guest, account):
    RECORDED.append((guest.pk, account.pk))


def test_merging_keeps_every_log_takes_the_newer_memory_and_moves_exam_attempts(client, learner, monkeypatch):
    from datetime import timedelta

    from django.test import Client

    from quizzes.exams.models import ExamAttempt
    from quizzes.models import QuestionMemory, ReviewLog
    from tests.factories import QuestionFactory
    from tests.studying import Clock, answer, open_study

    clock = Clock(monkeypatch, timezone.now())
    question = QuestionFactory(position=0)
    QuestionFactory(position=1)
    account_client = Client()
    account_client.force_login(learner)
    shown = open_study(account_client)
    assert shown.question == question
    answer(account_client, shown, shown.wrong())  # the account's review: Again, an hour ago

    clock.advance(hours=1)
    guest = become_guest(client)
    shown = open_study(client)
    assert shown.question == question
    answer(client, shown, shown.wrong())  # the guest's review of the same question, now
    guest_memory = QuestionMemory.objects.get(learner=guest)
    client.post("/exam/start", {"preset": "custom", "count": "2", "untimed": "on", "source": "all"})
    assert ExamAttempt.objects.get().learner == guest

    client.post("/accounts/login/", {"username": learner.username, "password": PASSWORD})
    client.post("/accounts/merge/", {"choice": "merge"})

    memory = QuestionMemory.objects.get(learner=learner, question=question)
    assert memory.last_review == guest_memory.last_review == clock.now
    assert memory.due == guest_memory.due
    logs = ReviewLog.objects.filter(learner=learner)
    assert logs.count() == 2 and set(logs.values_list("memory", flat=True)) == {memory.pk}
    assert len(set(logs.values_list("seq", flat=True))) == 2
    assert ExamAttempt.objects.get().learner == learner
    assert not User.objects.filter(pk=guest.pk).exists()
    assert clock.now - memory.last_review < timedelta(seconds=1)


def test_merging_adds_up_both_histories_counters_and_keeps_the_first_introduction(learner):
    from quizzes.models import LEECH_FAILURES, QuestionMemory
    from quizzes.study.guest_merge import merge_study
    from tests.factories import QuestionMemoryFactory, UserFactory

    guest = UserFactory(is_guest=True)
    now = timezone.now()
    mine = QuestionMemoryFactory(
        learner=learner, reps=5, failures=LEECH_FAILURES - 3, last_review=now - timedelta(days=3),
        introduced_at=now - timedelta(days=20),
    )  # fmt: skip
    theirs = QuestionMemoryFactory(
        learner=guest, question=mine.question, reps=4, failures=3, last_review=now - timedelta(hours=1),
        introduced_at=now - timedelta(days=2), stability=2.5,
    )  # fmt: skip
    merge_study(guest, learner)
    merged = QuestionMemory.objects.get(learner=learner, question=mine.question)
    assert (merged.reps, merged.failures) == (9, LEECH_FAILURES)
    assert merged.leech  # neither was a leech alone; together they failed often enough
    assert merged.introduced_at == mine.introduced_at
    assert (merged.last_review, merged.stability) == (theirs.last_review, 2.5)  # the newer review's state


def test_merging_moves_trainer_rounds_and_keeps_the_newer_scenario_memory(learner, loaded_content):
    from datetime import timedelta

    from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory
    from tests.factories import TrainerAnswerFactory

    scenario, other = Scenario.objects.all()[:2]
    guest = guests.learner_for_write(anonymous_request())
    now = timezone.now()
    older = ScenarioMemory.objects.create(
        learner=learner, scenario=scenario, due=now, last_review=now - timedelta(days=2)
    )
    newer = ScenarioMemory.objects.create(
        learner=guest, scenario=scenario, due=now + timedelta(days=3), last_review=now, stability=5.0
    )
    only_guest = ScenarioMemory.objects.create(learner=guest, scenario=other, due=now, last_review=now)
    round_ = Round.objects.create(learner=guest, size=2, started_at=now)
    TrainerAnswerFactory(round=round_, scenario=scenario, memory=newer)
    TrainerAnswerFactory(round=round_, scenario=other, memory=only_guest)

    guests.merge_guest_into(guest, learner)

    kept = ScenarioMemory.objects.get(learner=learner, scenario=scenario)
    assert kept.pk == older.pk and kept.last_review == now and kept.stability == 5.0
    assert ScenarioMemory.objects.filter(learner=learner).count() == 2
    assert Round.objects.get().learner == learner
    assert set(RoundItem.objects.values_list("learner", flat=True)) == {learner.pk}
    assert User.objects.get(pk=learner.pk).trainer_answer_count == 2  # the account's answers gained the guest's
    assert not User.objects.filter(pk=guest.pk).exists()
