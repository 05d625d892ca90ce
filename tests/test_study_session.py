"""The study session through its real URLs: queue, answering, rating, scheduling, limits and the day boundary."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from quizzes.models import LearnerSettings, QuestionMemory, ReviewLog
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


def memory_of(learner, question) -> QuestionMemory:
    return QuestionMemory.objects.get(learner=learner, question=question)


def test_a_new_learner_gets_the_first_new_question_of_the_bank(client_for):
    first = QuestionFactory(position=1, stem_md="Which service runs code without servers?")
    QuestionFactory(position=2)
    shown = open_study(client_for)
    assert shown.question == first
    assert "Which service runs code without servers?" in shown.html
    assert "Today: 0 done · 2 to go" in shown.html


def test_a_wrong_answer_is_rated_again_and_comes_back_in_the_first_learning_step(client_for, learner, clock):
    question = QuestionFactory()
    shown = open_study(client_for)
    response = answer(client_for, shown, shown.wrong())
    assert response.status_code == 200
    assert "Not quite" in response.content.decode()
    memory = memory_of(learner, question)
    log = ReviewLog.objects.get(memory=memory)
    assert (log.rating, log.correct) == (1, False)
    assert memory.state == State.Learning and memory.step == 0
    assert memory.due == clock.now + timedelta(minutes=1)  # the first of the learning steps "1m 10m"
    assert "you will see it again in 1m" in response.content.decode()


def test_a_right_answer_offers_hard_good_and_easy_with_their_next_intervals(client_for, learner):
    QuestionFactory()
    shown = open_study(client_for)
    html = answer(client_for, shown, shown.right()).content.decode()
    assert "✓</span> Correct" in html
    assert "Hard · 6m" in html and "Good · 10m" in html and "Easy · " in html
    assert 'name="rating" value="3" class="button">' in html  # Good is the primary button
    assert ReviewLog.objects.count() == 0  # nothing is recorded until the learner rates


def test_right_then_easy_graduates_the_question_to_review(client_for, learner, clock):
    question = QuestionFactory()
    shown = open_study(client_for)
    response = rate(client_for, answer(client_for, shown, shown.right()), 4)
    assert response.status_code == 303
    assert response["Location"] == "/study/"
    memory = memory_of(learner, question)
    assert memory.state == State.Review
    assert memory.due >= clock.now + timedelta(days=1)
    log = ReviewLog.objects.get(memory=memory)
    assert (log.rating, log.correct, log.answer) == (4, True, [1])


def test_the_feedback_explains_every_option_and_links_the_note(client_for):
    QuestionFactory(type="multiple", note_slug="lambda-configuration", note_anchor="timeout")
    shown = open_study(client_for)
    html = answer(client_for, shown, shown.wrong()).content.decode()
    for letter in "ABCDE":
        assert f"Why Option {letter}." in html
    assert html.count("Right answer</span>") == 2
    assert 'href="/notes/lambda-configuration/#timeout"' in html


def test_htmx_gets_only_the_swapped_regions(client_for):
    QuestionFactory()
    page = client_for.get("/study/", headers={"HX-Request": "true"}).content.decode()
    assert 'id="study"' in page and "<html" not in page
    shown = open_study(client_for)
    feedback = answer(client_for, shown, shown.right(), htmx=True).content.decode()
    assert feedback.lstrip().startswith('<section id="card"') and "<html" not in feedback


def test_the_whole_flow_works_without_javascript(client_for):
    QuestionFactory()
    shown = open_study(client_for)
    assert '<form method="post" action="/study/answer/"' in shown.html
    feedback = answer(client_for, shown, shown.right())
    assert "<html" in feedback.content.decode()  # a full page, not a fragment
    assert '<form method="post" action="/study/rate/"' in feedback.content.decode()
    after = rate(client_for, feedback, 3)
    follow = client_for.get(after["Location"])
    assert "Today: 1 done" in follow.content.decode()


def test_a_reload_after_a_right_answer_shows_the_feedback_again_to_rate_it(client_for):
    QuestionFactory()
    shown = open_study(client_for)
    answer(client_for, shown, shown.right())
    again = client_for.get("/study/").content.decode()
    assert "✓</span> Correct" in again and 'action="/study/rate/"' in again


def test_it_studies_only_the_chosen_service(client_for):
    lambda_ = ServiceFactory(key="lambda", name="AWS Lambda")
    ecs = ServiceFactory(key="ecs", name="Amazon ECS")
    QuestionFactory(position=1, services=[ecs], stem_md="About ECS")
    QuestionFactory(position=2, services=[lambda_], stem_md="About Lambda")
    shown = open_study(client_for, service="lambda")
    assert "About Lambda" in shown.html and "Studying <strong>AWS Lambda</strong>" in shown.html
    assert "1 to go" in shown.html
    # The scope travels with the answer and the rating.
    assert '<input type="hidden" name="service" value="lambda">' in shown.html
    response = rate(client_for, answer(client_for, shown, shown.right(), service="lambda"), 3, service="lambda")
    assert response["Location"] == "/study/?service=lambda"


def test_a_notes_practice_link_studies_the_notes_services(client_for):
    from studyapp.notes.models import Note

    ServiceFactory(key="batch", name="AWS Batch")
    fargate = ServiceFactory(key="fargate", name="AWS Fargate")
    docker = ServiceFactory(key="docker", name="Docker")
    Note.objects.create(
        slug="fargate", title="AWS Fargate", order=1, theme="Containers", services=["fargate", "batch"],
        domain="cloud-technology", task_statement="3.3", summary="s", body_md="", body_html="", search_text="",
        source_hash="x",
    )  # fmt: skip
    QuestionFactory(position=1, services=[docker], stem_md="About Docker")
    QuestionFactory(position=2, services=[fargate], stem_md="About Fargate")
    shown = open_study(client_for, note="fargate")
    assert "About Fargate" in shown.html and "AWS Fargate (note)" in shown.html


@pytest.mark.parametrize(
    "params", [{"service": "no-such-service"}, {"note": "no-such-note"}, {"mode": "sideways"}], ids=str
)
def test_an_unknown_scope_is_a_bad_request_with_a_message(client_for, params):
    response = client_for.get("/study/", params)
    assert response.status_code == 400
    assert b"There is no" in response.content or b"Unknown study mode" in response.content


def test_done_for_today_shows_the_next_due_time_and_ways_to_keep_going(client_for, learner, clock):
    QuestionFactory()
    shown = open_study(client_for)
    rate(client_for, answer(client_for, shown, shown.right()), 4)
    html = open_study(client_for).html
    assert "Done for today" in html
    assert "Next question due:" in html
    assert 'href="/study/?mode=ahead"' in html and 'href="/study/?mode=new"' in html
    ahead = open_study(client_for, mode="ahead")
    assert ahead.token is not None  # the review due in a few days can be studied now


def test_new_questions_stop_at_the_daily_limit_and_extra_practice_goes_past_it(client_for, learner):
    LearnerSettings.objects.create(learner=learner, new_per_day=2)
    for position in range(4):
        QuestionFactory(position=position)
    for _ in range(2):
        shown = open_study(client_for)
        rate(client_for, answer(client_for, shown, shown.right()), 4)
    assert "Done for today" in open_study(client_for).html
    extra = open_study(client_for, mode="new")
    assert extra.question.position == 2


def test_reviews_stop_at_the_daily_review_limit(client_for, learner, clock):
    LearnerSettings.objects.create(learner=learner, reviews_per_day=1, new_per_day=0)
    for question in (QuestionFactory(), QuestionFactory()):
        QuestionMemory.objects.create(
            learner=learner, question=question, state=State.Review, stability=5, difficulty=5,
            due=clock.now - timedelta(hours=1), last_review=clock.now - timedelta(days=5),
            introduced_at=clock.now - timedelta(days=5), reps=1,
        )  # fmt: skip
    shown = open_study(client_for)
    assert "1 to go" in shown.html
    rate(client_for, answer(client_for, shown, shown.right()), 3)
    assert "Done for today" in open_study(client_for).html


def test_due_today_follows_the_learners_time_zone_and_the_hour_their_day_starts(client_for, learner, monkeypatch):
    # 07:30 UTC is 03:30 in New York (EDT, UTC-4): still the study day that started yesterday at 04:00.
    clock = Clock(monkeypatch, datetime(2026, 6, 10, 7, 30, tzinfo=UTC))
    LearnerSettings.objects.create(learner=learner, time_zone="America/New_York", day_start_hour=4, new_per_day=0)
    question = QuestionFactory()
    QuestionMemory.objects.create(
        learner=learner, question=question, state=State.Review, stability=5, difficulty=5,
        due=datetime(2026, 6, 10, 8, 30, tzinfo=UTC),  # 04:30 local: tomorrow's study day
        last_review=datetime(2026, 6, 5, tzinfo=UTC), introduced_at=datetime(2026, 6, 5, tzinfo=UTC),
    )  # fmt: skip
    assert "Done for today" in open_study(client_for).html
    clock.advance(minutes=31)  # 04:01 local: a new study day, and the review is due in it
    assert open_study(client_for).question == question


def test_option_order_is_shuffled_per_showing_and_recorded_as_shown(client_for, learner):
    orders = set()
    for position in range(12):
        QuestionFactory(position=position, type="multiple")
    for _ in range(12):
        shown = open_study(client_for)
        orders.add(tuple(pk - min(shown.choice_ids) for pk in shown.choice_ids))
        response = answer(client_for, shown, shown.wrong())
        log = ReviewLog.objects.filter(learner=learner).latest("pk")
        keys = {pk: key for key, pk in enumerate(sorted(shown.choice_ids), start=1)}
        assert log.shown == [keys[pk] for pk in shown.choice_ids]
        assert response.status_code == 200
    assert len(orders) > 1


def test_a_multiple_response_answer_needs_exactly_the_asked_number_and_keeps_the_selection(client_for):
    QuestionFactory(type="multiple")
    shown = open_study(client_for)
    response = answer(client_for, shown, shown.right()[:1])
    html = response.content.decode()
    assert response.status_code == 200 and "Select exactly two options." in html
    assert html.count(" checked>") == 1
    assert QuestionMemory.objects.count() == 0


def test_submitting_nothing_asks_for_an_answer(client_for):
    QuestionFactory()
    shown = open_study(client_for)
    assert "Choose an answer first." in answer(client_for, shown, []).content.decode()


def test_a_true_false_question_keeps_true_first(client_for):
    QuestionFactory(type="truefalse")
    shown = open_study(client_for)
    assert shown.html.index("True</span>") < shown.html.index("False</span>")


def test_a_question_missed_eight_times_is_tagged_a_leech_and_points_to_its_note(client_for, learner):
    question = QuestionFactory(note_slug="ecs")
    for _ in range(8):
        shown = open_study(client_for)
        response = answer(client_for, shown, shown.wrong())
    assert memory_of(learner, question).leech
    html = response.content.decode()
    assert "Leech:" in html and "missed this question 8 times" in html and 'href="/notes/ecs/"' in html


def test_a_stored_question_page_carries_each_learners_own_token_and_progress(client, learner, other_learner):
    from django.core import signing

    QuestionFactory(position=1)
    QuestionFactory(position=2)
    for person in (learner, other_learner, learner, other_learner):  # the second round comes from the store
        client.force_login(person)
        shown = open_study(client)
        assert signing.loads(shown.token, salt="study.answer")["l"] == person.pk
        assert "Today: 0 done · 2 to go" in shown.html
    client.force_login(learner)
    shown = open_study(client)
    answer(client, shown, shown.wrong())
    again = open_study(client)  # the other question, with this learner's new progress and undo button
    assert "Today: 1 done · 2 to go" in again.html
    assert f'name="log" value="{ReviewLog.objects.get().pk}"' in again.html
    assert 'value="STUDY' not in again.html and "PLACEHOLDER" not in again.html


def test_a_stored_question_page_shows_the_question_as_edited(client_for):
    question = QuestionFactory(stem_md="Before?", stem_html="<p>Before?</p>")
    assert "Before?" in open_study(client_for).html
    from quizzes.models import Question

    Question.objects.filter(pk=question.pk).update(stem_html="<p>After?</p>", revision=2)
    html = open_study(client_for).html
    assert "After?" in html and "Before?" not in html


def test_a_learning_step_that_falls_due_while_the_page_is_reloaded_takes_over_without_any_write(
    client_for, learner, clock
):
    first = QuestionFactory(position=1)
    second = QuestionFactory(position=2)
    shown = open_study(client_for)
    assert shown.question == first
    answer(client_for, shown, shown.wrong())  # Again: back in one minute
    assert open_study(client_for).question == second  # the step is not due: the new question comes first
    assert open_study(client_for).question == second  # again, from the decision kept for these counts
    writes = ReviewLog.objects.count(), memory_of(learner, first).version
    clock.advance(minutes=1, seconds=1)
    assert open_study(client_for).question == first
    assert (ReviewLog.objects.count(), memory_of(learner, first).version) == writes


def test_a_reloaded_question_gets_a_new_token_each_time(client_for, clock):
    QuestionFactory()
    first = open_study(client_for)
    clock.advance(seconds=5)
    again = open_study(client_for)
    assert first.question == again.question and first.token != again.token  # the token dates the showing


def test_a_question_an_instructor_adds_joins_the_queue_at_once(client_for):
    QuestionFactory(position=2)
    assert "0 done · 1 to go" in open_study(client_for).html
    added = QuestionFactory(position=1)
    shown = open_study(client_for)
    assert shown.question == added and "0 done · 2 to go" in shown.html
