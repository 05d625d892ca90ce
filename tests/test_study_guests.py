"""Visitors study without an account: reading creates nothing, the first storing action creates one guest."""

import pytest
from django.core import signing

from quizzes.models import Flag, QuestionMemory, ReviewLog
from quizzes.study.scheduling import State
from studyapp.accounts import guests
from studyapp.accounts.models import User
from tests.factories import QuestionFactory, ServiceFactory
from tests.studying import answer, open_study, rate

pytestmark = pytest.mark.django_db


def guest() -> User:
    return User.objects.get(is_guest=True)


def test_an_anonymous_visitor_reads_the_first_new_question_and_nothing_is_created(client):
    first = QuestionFactory(position=1, stem_md="Which service runs code without servers?")
    QuestionFactory(position=2)
    shown = open_study(client)
    assert shown.question == first
    assert "Which service runs code without servers?" in shown.html
    assert "Today: 0 done · 2 to go" in shown.html
    assert signing.loads(shown.token, salt="study.answer")["l"] is None  # bound to nobody yet
    assert "sessionid" not in shown.response.cookies


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/study/", {}),
        ("/study/", {"HX-Request": "true"}),
        ("/study/?service=lambda", {}),
        ("/study/?mode=new", {}),
        ("/study/?mode=ahead", {}),
        ("/study/choose/", {}),
    ],
    ids=["page", "htmx", "service", "new", "ahead", "choose"],
)
def test_bots_reading_study_pages_create_nothing(client, path, headers):
    ServiceFactory(key="lambda")
    QuestionFactory()
    assert client.get(path, headers=headers).status_code == 200
    assert not User.objects.exists()
    assert not QuestionMemory.objects.exists()


def test_an_anonymous_answer_creates_exactly_one_guest_and_records_the_log(client):
    question = QuestionFactory()
    shown = open_study(client)
    response = answer(client, shown, shown.wrong(), htmx=True)
    assert response.status_code == 200 and "Not quite" in response.content.decode()
    visitor = guest()
    assert User.objects.count() == 1
    log = ReviewLog.objects.get()
    assert (log.learner, log.memory.question, log.rating, log.correct) == (visitor, question, 1, False)
    assert response.cookies["sessionid"].value  # the browser now carries the guest
    assert "Today: 1 done" in open_study(client).html  # and sees the guest's own progress


def test_a_visitors_first_answer_is_recorded_as_it_was_shown(client):
    QuestionFactory()
    shown = open_study(client)
    answer(client, shown, shown.wrong())
    log = ReviewLog.objects.get()
    shown_keys = [int(key) for key in log.shown]
    from quizzes.models import Choice

    assert shown_keys == [Choice.objects.get(pk=pk).key for pk in shown.choice_ids]


def test_a_whole_guest_flow_answers_rates_undoes_buries_suspends_and_flags(client):
    first = QuestionFactory(position=1)
    second = QuestionFactory(position=2)
    third = QuestionFactory(position=3)
    fourth = QuestionFactory(position=4)

    shown = open_study(client)
    assert shown.question == first
    feedback = answer(client, shown, shown.right())
    assert "Good · 10m" in feedback.content.decode()
    assert rate(client, feedback, 3).status_code == 303
    visitor = guest()
    assert QuestionMemory.objects.get(learner=visitor, question=first).reps == 1

    shown = open_study(client)
    assert shown.question == second
    answer(client, shown, shown.wrong())
    log = ReviewLog.objects.get(learner=visitor, memory__question=second)
    assert client.post("/study/undo/", {"log": log.pk}).status_code == 303
    assert not ReviewLog.objects.filter(pk=log.pk).exists()

    assert open_study(client).question == second
    assert client.post(f"/study/questions/{second.pk}/bury/").status_code == 303
    assert open_study(client).question == third
    assert client.post(f"/study/questions/{third.pk}/suspend/").status_code == 303
    assert QuestionMemory.objects.get(learner=visitor, question=third).suspended
    assert open_study(client).question == fourth
    assert client.post(f"/study/questions/{fourth.pk}/flag/", {"comment": "Option B is right too"}).status_code == 303
    assert Flag.objects.get().learner == visitor
    assert User.objects.count() == 1  # every action went to the same guest


@pytest.mark.parametrize("action", ["bury", "suspend", "flag"])
def test_a_visitors_first_action_on_a_question_creates_the_guest(client, action):
    question = QuestionFactory()
    response = client.post(f"/study/questions/{question.pk}/{action}/", {"comment": "Typo"})
    assert response.status_code == 303
    assert User.objects.filter(is_guest=True).count() == 1


def test_a_visitors_slip_stores_nothing(client):
    question = QuestionFactory()
    shown = open_study(client)
    response = answer(client, shown, [])
    assert "Choose an answer first." in response.content.decode()
    response = client.post(f"/study/questions/{question.pk}/flag/", {"comment": "  "})
    assert response.status_code == 400
    assert not User.objects.exists()


def test_a_tampered_visitor_token_is_a_bad_request_and_creates_no_guest(client):
    QuestionFactory()
    shown = open_study(client)
    shown.token = shown.token[:-3] + "abc"
    response = answer(client, shown, shown.right())
    assert response.status_code == 400 and b"reload the page" in response.content
    assert not User.objects.exists()


@pytest.mark.parametrize("change", [{"v": 3}, {"l": None, "v": 1}], ids=["later version", "not version 0"])
def test_a_nobody_token_is_only_ever_for_a_first_showing(client, change):
    QuestionFactory()
    shown = open_study(client)
    data = signing.loads(shown.token, salt="study.answer")
    shown.token = signing.dumps({**data, **change}, salt="study.answer")  # validly signed, but never minted
    response = answer(client, shown, shown.right())
    assert response.status_code == 400 and b"belongs to another session" in response.content
    assert not User.objects.exists()


def test_a_rate_token_for_nobody_is_refused(client):
    QuestionFactory()
    shown = open_study(client)
    data = signing.loads(shown.token, salt="study.answer")
    token = signing.dumps({"l": None, "q": data["q"], "v": 0}, salt="study.rate")
    assert client.post("/study/rate/", {"token": token, "rating": 3}).status_code == 400
    assert not User.objects.exists()


def test_a_visitors_double_submitted_first_answer_is_recorded_once(client):
    QuestionFactory()
    shown = open_study(client)
    first = answer(client, shown, shown.wrong()).content.decode()
    second = answer(client, shown, shown.wrong()).content.decode()  # the retry carries the new guest cookie
    assert "Not quite" in first and "Not quite" in second
    assert ReviewLog.objects.count() == 1 and User.objects.count() == 1


def test_a_second_tab_of_a_visitor_gets_the_answer_recorded_first(client):
    QuestionFactory()
    tab_one = open_study(client)
    tab_two = open_study(client)
    answer(client, tab_one, tab_one.wrong())
    replay = answer(client, tab_two, tab_two.right()).content.decode()
    assert "Not quite" in replay
    assert ReviewLog.objects.get().correct is False


def test_a_token_shown_before_logging_in_records_a_question_the_learner_never_met(client, learner):
    question = QuestionFactory()
    shown = open_study(client)
    client.force_login(learner)
    assert answer(client, shown, shown.wrong()).status_code == 200
    assert ReviewLog.objects.get().learner == learner
    assert QuestionMemory.objects.get(learner=learner, question=question).failures == 1
    assert not User.objects.filter(is_guest=True).exists()


def test_a_token_shown_before_logging_in_cannot_touch_a_question_the_learner_has_studied(client, learner):
    from datetime import timedelta

    from django.utils import timezone

    question = QuestionFactory()
    shown = open_study(client)  # minted for nobody, at version 0
    now = timezone.now()
    memory = QuestionMemory.objects.create(
        learner=learner, question=question, state=State.Review, step=None, stability=10, difficulty=5,
        due=now + timedelta(days=3), last_review=now - timedelta(days=1), introduced_at=now - timedelta(days=9),
        reps=1, version=1,
    )  # fmt: skip
    ReviewLog.objects.create(
        learner=learner, memory=memory, seq=0, revision=1, rating=3, shown=[1, 2, 3, 4], answer=[1], correct=True,
        response_ms=900, reviewed_at=now - timedelta(days=1), before={}, scheduled_due=now,
    )  # fmt: skip
    client.force_login(learner)
    response = answer(client, shown, shown.wrong())
    assert response.status_code == 303  # back to the queue: nothing recorded, no old result replayed
    assert "studied this question since" in client.get(response["Location"]).content.decode()
    memory.refresh_from_db()
    assert (memory.version, memory.failures, ReviewLog.objects.count()) == (1, 0, 1)


def test_a_guests_token_is_refused_from_another_browser(client):
    QuestionFactory(position=1)
    QuestionFactory(position=2)
    shown = open_study(client)
    answer(client, shown, shown.wrong())
    bound = open_study(client)  # now minted for the guest
    client.cookies.clear()
    response = answer(client, bound, bound.wrong())
    assert response.status_code == 400 and b"belongs to another session" in response.content
    assert User.objects.count() == 1


def test_a_rating_without_the_guests_session_is_a_bad_request(client):
    QuestionFactory()
    shown = open_study(client)
    feedback = answer(client, shown, shown.right())
    client.cookies.pop("sessionid")
    assert rate(client, feedback, 3).status_code == 400
    assert not ReviewLog.objects.exists()


def test_a_visitor_past_the_guest_limit_is_told_and_nothing_is_recorded(client, monkeypatch):
    monkeypatch.setattr(guests, "GUESTS_PER_ADDRESS_PER_HOUR", 0)
    QuestionFactory()
    shown = open_study(client)
    response = answer(client, shown, shown.wrong())
    assert response.status_code == 429
    assert "Too many new guest sessions" in response.content.decode()
    assert not User.objects.exists() and not ReviewLog.objects.exists()


def test_an_anonymous_undo_of_someone_elses_rating_is_404(client, learner):
    QuestionFactory()
    client.force_login(learner)
    shown = open_study(client)
    answer(client, shown, shown.wrong())
    client.logout()
    assert client.post("/study/undo/", {"log": ReviewLog.objects.get().pk}).status_code == 404
    assert ReviewLog.objects.exists()
