"""Undo, bury, suspend and flag, through the real URLs."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quizzes.models import Flag, LearnerSettings, Question, QuestionMemory, ReviewLog
from quizzes.study.scheduling import State
from tests.factories import QuestionFactory, ServiceFactory
from tests.studying import Clock, answer, open_study, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, timezone.now().replace(microsecond=0))


def review_memory(learner, question, now):
    return QuestionMemory.objects.create(
        learner=learner, question=question, state=State.Review, step=None, stability=12.5, difficulty=4.25,
        due=now - timedelta(hours=2), last_review=now - timedelta(days=12), introduced_at=now - timedelta(days=30),
        reps=3, version=3,
    )  # fmt: skip


def test_undo_restores_the_previous_memory_exactly_and_removes_the_log_entry(client_for, learner, clock):
    question = QuestionFactory()
    memory = review_memory(learner, question, clock.now)
    before = {f: getattr(memory, f) for f in ("state", "step", "stability", "difficulty", "due", "last_review", "reps")}
    shown = open_study(client_for)
    response = rate(client_for, answer(client_for, shown, shown.right()), 3)
    log = ReviewLog.objects.get()
    assert "Undo last rating" in client_for.get(response["Location"]).content.decode()

    response = client_for.post("/study/undo/", {"log": log.pk})
    assert response.status_code == 303
    memory.refresh_from_db()
    assert {f: getattr(memory, f) for f in before} == before
    assert not ReviewLog.objects.exists()
    assert open_study(client_for).question == question  # due again, as before the rating


def test_undoing_a_first_answer_makes_the_question_new_again(client_for, learner):
    question = QuestionFactory()
    shown = open_study(client_for)
    answer(client_for, shown, shown.wrong())
    client_for.post("/study/undo/", {"log": ReviewLog.objects.get().pk})
    memory = QuestionMemory.objects.get(learner=learner, question=question)
    assert memory.last_review is None and memory.introduced_at is None and memory.failures == 0
    assert "Today: 0 done · 1 to go" in open_study(client_for).html


def test_a_second_press_of_undo_changes_nothing_more(client_for, learner):
    QuestionFactory(position=1)
    QuestionFactory(position=2)
    for _ in range(2):
        shown = open_study(client_for)
        answer(client_for, shown, shown.wrong())
    last = ReviewLog.objects.latest("pk")
    client_for.post("/study/undo/", {"log": last.pk})
    response = client_for.post("/study/undo/", {"log": last.pk})
    assert response.status_code == 303
    assert ReviewLog.objects.count() == 1


def test_only_the_most_recent_rating_can_be_undone(client_for):
    QuestionFactory(position=1)
    QuestionFactory(position=2)
    for _ in range(2):
        shown = open_study(client_for)
        answer(client_for, shown, shown.wrong())
    first = ReviewLog.objects.earliest("pk")
    response = client_for.post("/study/undo/", {"log": first.pk})
    assert response.status_code == 400
    assert b"Only your most recent rating can be undone." in response.content
    assert ReviewLog.objects.count() == 2


def test_it_hides_other_learners_ratings_from_undo(client, learner, other_learner):
    QuestionFactory()
    client.force_login(other_learner)
    shown = open_study(client)
    answer(client, shown, shown.wrong())
    theirs = ReviewLog.objects.get()
    client.force_login(learner)
    assert client.post("/study/undo/", {"log": theirs.pk}).status_code == 404
    assert ReviewLog.objects.filter(pk=theirs.pk).exists()


def test_bury_hides_the_question_until_the_next_study_day(client_for, learner, clock):
    LearnerSettings.objects.create(learner=learner, day_start_hour=4)
    question = QuestionFactory(position=1)
    QuestionFactory(position=2)
    shown = open_study(client_for)
    response = client_for.post(f"/study/questions/{question.pk}/bury/")
    assert response.status_code == 303
    memory = QuestionMemory.objects.get(learner=learner, question=question)
    assert memory.buried_until == LearnerSettings.objects.get().study_day(clock.now).end
    assert open_study(client_for).question != question
    assert shown.question == question
    clock.now = memory.buried_until + timedelta(minutes=1)
    assert open_study(client_for).question == question


def test_suspend_takes_the_question_out_of_the_queue(client_for, learner):
    question = QuestionFactory()
    response = client_for.post(f"/study/questions/{question.pk}/suspend/")
    assert response.status_code == 303
    assert "Suspended: this question will not be shown again" in client_for.get(response["Location"]).content.decode()
    assert QuestionMemory.objects.get(learner=learner, question=question).suspended
    assert "Done for today" in open_study(client_for).html


def test_suspending_keeps_what_the_learner_already_knows(client_for, learner, clock):
    question = QuestionFactory()
    memory = review_memory(learner, question, clock.now)
    client_for.post(f"/study/questions/{question.pk}/suspend/")
    memory.refresh_from_db()
    assert memory.suspended and memory.stability == 12.5 and memory.reps == 3


def test_a_suspended_question_is_listed_and_unsuspending_brings_it_back_with_its_schedule(client_for, learner, clock):
    question = QuestionFactory(stem_md="Which service runs containers without servers?")
    question.stem_html = f"<p>{question.stem_md}</p>"
    question.save()
    memory = review_memory(learner, question, clock.now)
    client_for.post(f"/study/questions/{question.pk}/suspend/")
    assert "Done for today" in open_study(client_for).html

    page = client_for.get("/study/suspended/").content.decode()
    assert "1 suspended question" in page and "Which service runs containers without servers?" in page
    response = client_for.post(f"/study/questions/{question.pk}/unsuspend/")

    assert response.status_code == 303 and response["Location"] == "/study/suspended/"
    page = client_for.get("/study/suspended/").content.decode()
    assert "Unsuspended: the question is back in your study sessions" in page
    assert "0 suspended questions" in page and "You have no suspended questions" in page
    memory.refresh_from_db()
    assert not memory.suspended and memory.stability == 12.5 and memory.reps == 3 and memory.version == 3
    assert open_study(client_for).question == question  # due, as it was before the suspension


def test_unsuspending_with_htmx_swaps_the_list_and_says_which_question_came_back(client_for, learner):
    kept, back = QuestionFactory(), QuestionFactory()
    for question in (kept, back):
        client_for.post(f"/study/questions/{question.pk}/suspend/")

    response = client_for.post(f"/study/questions/{back.pk}/unsuspend/", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section id="suspended"')
    assert "1 suspended question" in html and f"Unsuspended: “{back.stem_md}”" in html
    assert f'id="suspended-{kept.pk}"' in html and f'id="suspended-{back.pk}"' not in html


def test_unsuspending_acts_only_on_the_learners_own_suspended_question(client_for, learner, other_learner):
    theirs, unseen = QuestionFactory(), QuestionFactory()
    QuestionMemory.objects.create(learner=other_learner, question=theirs, due=timezone.now(), suspended=True)

    for question in (theirs, unseen):
        assert client_for.post(f"/study/questions/{question.pk}/unsuspend/").status_code == 303

    assert QuestionMemory.objects.get(learner=other_learner, question=theirs).suspended
    assert not QuestionMemory.objects.filter(learner=learner).exists()  # nothing created for a question never seen
    assert "Unsuspended" not in client_for.get("/study/suspended/").content.decode()


def test_the_suspended_page_lists_only_questions_learners_still_see_within_eight_queries(
    client_for, learner, django_assert_max_num_queries
):
    questions = [QuestionFactory() for _ in range(12)]
    for question in questions:
        QuestionMemory.objects.create(learner=learner, question=question, due=timezone.now(), suspended=True)
    Question.objects.filter(pk=questions[0].pk).update(is_active=False)

    with django_assert_max_num_queries(8):
        page = client_for.get("/study/suspended/").content.decode()

    assert "11 suspended questions" in page and f'id="suspended-{questions[0].pk}"' not in page


def test_a_visitor_sees_an_empty_suspended_page(client):
    page = client.get("/study/suspended/").content.decode()
    assert "You have no suspended questions" in page


def test_flag_sends_the_comment_and_the_revision_seen_to_the_instructors(client_for, learner):
    question = QuestionFactory(revision=3)
    response = client_for.post(f"/study/questions/{question.pk}/flag/", {"comment": "The answer is wrong because…"})
    assert response.status_code == 303
    flag = Flag.objects.get()
    assert (flag.learner, flag.question, flag.revision, flag.comment) == (
        learner,
        question,
        3,
        "The answer is wrong because…",
    )


def test_a_second_flag_updates_the_learners_open_report(client_for):
    question = QuestionFactory()
    client_for.post(f"/study/questions/{question.pk}/flag/", {"comment": "First thought"})
    client_for.post(f"/study/questions/{question.pk}/flag/", {"comment": "Better explanation"})
    assert list(Flag.objects.values_list("comment", flat=True)) == ["Better explanation"]


def test_an_empty_flag_asks_for_a_comment(client_for):
    question = QuestionFactory()
    response = client_for.post(f"/study/questions/{question.pk}/flag/", {"comment": "   "})
    assert response.status_code == 400
    assert b"Say what is wrong with the question" in response.content
    assert not Flag.objects.exists()


def test_an_overlong_flag_comes_back_with_the_comment_intact(client_for):
    question = QuestionFactory()
    comment = "x" * 2001
    response = client_for.post(
        f"/study/questions/{question.pk}/flag/", {"comment": comment}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "under 2,000 characters" in html and comment in html and "<html" not in html


def test_flag_with_htmx_answers_with_a_thank_you_in_place(client_for):
    question = QuestionFactory()
    response = client_for.post(
        f"/study/questions/{question.pk}/flag/", {"comment": "Typo in option B"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<details id="flag-{question.pk}"') and "Thank you" in html


@pytest.mark.parametrize("action", ["bury", "suspend", "unsuspend", "flag"])
def test_actions_on_a_question_that_does_not_exist_are_404(client_for, action):
    assert client_for.post(f"/study/questions/999999/{action}/", {"comment": "x"}).status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/study/answer/", "/study/rate/", "/study/undo/", "/study/questions/1/bury/", "/study/questions/1/unsuspend/"],
)
def test_state_changes_refuse_get(client_for, url):
    assert client_for.get(url).status_code == 405


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
UNDO_INPUT = re.compile(r'name="log" value="(\d+)"')


def test_the_feedback_forms_work_for_every_learner_who_answers_the_same_question(learner, other_learner):
    # The card's bury, suspend, undo and report forms are rendered once per question and scope, then stored:
    # each learner must still get their own CSRF token and their own rating to undo.
    lambda_ = ServiceFactory(key="lambda", name="AWS Lambda")
    question = QuestionFactory(services=[lambda_])
    for who in (learner, other_learner):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(who)
        shown = open_study(browser, service="lambda")
        token = CSRF_INPUT.search(shown.html).group(1)
        card = answer(browser, shown, shown.wrong(), htmx=True, service="lambda", csrfmiddlewaretoken=token)
        html = card.content.decode()
        log = ReviewLog.objects.get(learner=who)
        assert UNDO_INPUT.findall(html) == [str(log.pk)]
        assert html.count('<input type="hidden" name="service" value="lambda">') == 4  # bury, suspend, undo, report
        bury_form = html[html.index(f'action="/study/questions/{question.pk}/bury/"') :]
        bury_token = CSRF_INPUT.search(bury_form).group(1)
        bury = browser.post(
            f"/study/questions/{question.pk}/bury/", {"csrfmiddlewaretoken": bury_token, "service": "lambda"}
        )
        assert bury.status_code == 303  # not 403: the token in the stored form is this learner's
        assert QuestionMemory.objects.get(learner=who).buried_until is not None


def test_a_question_made_new_again_by_an_undo_can_be_answered_again(client_for, learner):
    QuestionFactory()
    shown = open_study(client_for)
    answer(client_for, shown, shown.wrong())
    client_for.post("/study/undo/", {"log": ReviewLog.objects.get().pk})
    again = open_study(client_for)  # new again: its token carries the memory's version, read with the queue
    assert again.token != shown.token
    response = answer(client_for, again, again.wrong())
    assert response.status_code == 200
    assert ReviewLog.objects.filter(learner=learner).count() == 1
