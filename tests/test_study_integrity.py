"""One-time tokens, tampered input, access control and history that survives edits."""

import re

import pytest
from django.core import signing

from quizzes.models import Choice, Question, QuestionMemory, QuestionRevision, ReviewLog
from tests.factories import QuestionFactory
from tests.studying import answer, open_study, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client, learner):
    client.force_login(learner)
    return client


def test_it_records_a_double_submitted_wrong_answer_once_and_returns_the_same_feedback(client_for):
    QuestionFactory()
    shown = open_study(client_for)
    first = answer(client_for, shown, shown.wrong())
    second = answer(client_for, shown, shown.wrong())
    assert ReviewLog.objects.count() == 1
    assert second.status_code == 200 and "Not quite" in second.content.decode()
    assert QuestionMemory.objects.get().failures == 1
    assert first.status_code == 200


def test_a_retried_right_answer_returns_the_same_rating_buttons(client_for):
    QuestionFactory()
    shown = open_study(client_for)
    first = answer(client_for, shown, shown.right()).content.decode()
    second = answer(client_for, shown, shown.right()).content.decode()
    assert "Good · 10m" in first and "Good · 10m" in second


def test_a_second_tab_cannot_change_a_recorded_answer(client_for):
    QuestionFactory()
    shown = open_study(client_for)
    answer(client_for, shown, shown.wrong())
    replay = answer(client_for, shown, shown.right()).content.decode()
    assert "Not quite" in replay  # the answer recorded first stands
    assert ReviewLog.objects.get().correct is False


def test_it_records_a_double_clicked_rating_once(client_for):
    QuestionFactory()
    shown = open_study(client_for)
    feedback = answer(client_for, shown, shown.right())
    assert rate(client_for, feedback, 3).status_code == 303
    assert rate(client_for, feedback, 4).status_code == 303  # a second tab, another button: same result
    log = ReviewLog.objects.get()
    assert log.rating == 3
    assert QuestionMemory.objects.get().reps == 1


def test_a_token_of_another_learner_is_refused(client, learner, other_learner):
    QuestionFactory()
    client.force_login(other_learner)
    shown = open_study(client)
    client.force_login(learner)
    response = answer(client, shown, shown.right())
    assert response.status_code == 400
    assert b"belongs to another session" in response.content
    assert not QuestionMemory.objects.exists()


def test_a_tampered_token_is_a_bad_request(client_for):
    QuestionFactory()
    shown = open_study(client_for)
    shown.token = shown.token[:-3] + "abc"
    response = answer(client_for, shown, shown.right())
    assert response.status_code == 400 and b"reload the page" in response.content


def test_a_token_naming_another_question_cannot_be_forged(client_for, learner):
    question = QuestionFactory()
    other = QuestionFactory()
    shown = open_study(client_for)
    data = signing.loads(shown.token, salt="study.answer")
    assert data["q"] == question.pk
    forged = shown.token.replace(shown.token.split(":")[0], signing.dumps({**data, "q": other.pk}).split(":")[0])
    shown.token = forged
    assert answer(client_for, shown, shown.right()).status_code == 400


@pytest.mark.parametrize("bad", [["999999"], ["abc"], ["1", "1"]], ids=["unknown", "not-a-number", "duplicate"])
def test_unknown_or_malformed_choices_are_a_bad_request(client_for, bad):
    QuestionFactory()
    shown = open_study(client_for)
    choices = [shown.choice_ids[0]] * 2 if bad == ["1", "1"] else bad
    response = answer(client_for, shown, choices)
    assert response.status_code == 400
    assert b"not part of this question" in response.content
    assert not QuestionMemory.objects.exists()


def test_two_answers_to_a_single_answer_question_are_a_bad_request(client_for):
    QuestionFactory()
    shown = open_study(client_for)
    assert answer(client_for, shown, shown.choice_ids[:2]).status_code == 400


def test_choices_of_another_question_are_a_bad_request(client_for):
    QuestionFactory(position=1)
    elsewhere = QuestionFactory(position=2)
    shown = open_study(client_for)
    foreign = Choice.objects.filter(question=elsewhere).first().pk
    assert answer(client_for, shown, [foreign]).status_code == 400


@pytest.mark.parametrize("rating", ["0", "1", "5", "good", ""])
def test_a_rating_out_of_range_is_a_bad_request(client_for, rating):
    QuestionFactory()
    shown = open_study(client_for)
    response = rate(client_for, answer(client_for, shown, shown.right()), rating)
    assert response.status_code == 400
    assert b"Hard (2), Good (3) or Easy (4)" in response.content
    assert not ReviewLog.objects.exists()


def test_a_retired_question_is_not_part_of_the_session(client_for):
    question = QuestionFactory()
    shown = open_study(client_for)
    Question.objects.filter(pk=question.pk).update(is_active=False)
    response = answer(client_for, shown, shown.right())
    assert response.status_code == 400 and b"not part of your study session" in response.content


def test_a_question_edited_while_open_is_shown_again_not_misrecorded(client_for):
    question = QuestionFactory()
    shown = open_study(client_for)
    Question.objects.filter(pk=question.pk).update(revision=2)
    response = answer(client_for, shown, shown.right())
    assert response.status_code == 303
    assert "just updated by its author" in client_for.get(response["Location"]).content.decode()
    assert not ReviewLog.objects.exists()


def test_htmx_gets_a_client_redirect_for_a_stale_answer(client_for):
    question = QuestionFactory()
    shown = open_study(client_for)
    Question.objects.filter(pk=question.pk).update(revision=2)
    response = answer(client_for, shown, shown.right(), htmx=True)
    assert response["HX-Redirect"] == "/study/"


def test_an_answer_undone_meanwhile_is_not_recorded_twice(client_for):
    QuestionFactory()
    shown = open_study(client_for)
    answer(client_for, shown, shown.wrong())
    client_for.post("/study/undo/", {"log": ReviewLog.objects.get().pk})
    response = answer(client_for, shown, shown.wrong())  # the old tab retries
    assert response.status_code == 303
    assert not ReviewLog.objects.exists()


def test_a_learner_never_sees_another_learners_pending_answer(client, learner, other_learner):
    QuestionFactory()
    client.force_login(other_learner)
    shown = open_study(client)
    answer(client, shown, shown.right())
    client.force_login(learner)
    html = open_study(client).html
    assert 'action="/study/answer/"' in html and "✓</span> Correct" not in html


def test_editing_a_question_keeps_what_the_learner_saw_in_their_history(client_for, learner):
    question = QuestionFactory(stem_md="Old wording?", stem_html="<p>Old wording?</p>")
    shown = open_study(client_for)
    answer(client_for, shown, shown.wrong())
    from quizzes.study.bank_writing import write_bank
    from quizzes.study.banks import ChoiceData, QuestionData
    from tests.factories import ServiceFactory

    ServiceFactory(key="lambda")
    data = QuestionData(
        external_id=question.external_id, type="single", stem="New wording?",
        choices=[ChoiceData(text=f"New {n}", correct=n == 1, why="Why.") for n in range(1, 5)],
        explanation="Because.", services=["lambda"], domain="cloud-technology", difficulty=1,
        note_slug="lambda", note_anchor="",
    )  # fmt: skip
    write_bank("test-bank", "Test bank", "", [data])
    question.refresh_from_db()
    assert question.revision == 2 and "New wording?" in question.stem_html
    log = ReviewLog.objects.get()
    seen = QuestionRevision.objects.get(question=question, number=log.revision).snapshot
    assert "Old wording?" in seen["stem_html"]
    assert [c["text_html"] for c in seen["choices"]] == ["Option A", "Option B", "Option C", "Option D"]
    assert re.search(r"New wording", open_study(client_for).html)
