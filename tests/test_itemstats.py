"""Item statistics (issue 6): tallies folded from study and exam answers, the figures computed from them,
who may see them, and the anonymous counts that outlive deleted learners and purged guests."""

import csv
import io
import math
import re
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from quizzes.exams.models import AttemptQuestion, ExamAttempt
from quizzes.itemstats import stats, tallies
from quizzes.itemstats.models import ChoiceTally, FoldState, QuestionTally, Source
from quizzes.models import ReviewLog
from studyapp.accounts.models import User
from tests.factories import (
    BankFactory,
    FlagFactory,
    InstructorFactory,
    QuestionFactory,
    QuestionMemoryFactory,
    ReviewLogFactory,
    StewardshipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def study_answers(question, picks: list[list[int]], ms: int = 4000) -> None:
    """One learner per answer, each picking the given choice keys (key 1 is the right one)."""
    for keys in picks:
        memory = QuestionMemoryFactory(question=question)
        ReviewLogFactory(memory=memory, answer=keys, correct=keys == [1], response_ms=ms)


def finished_exam(learner, results: list[tuple]) -> ExamAttempt:
    """A finished attempt; results are (question, right?) in order, all scored."""
    now = timezone.now()
    attempt = ExamAttempt.objects.create(
        learner=learner,
        preset=ExamAttempt.Preset.CUSTOM,
        title="Custom exam",
        options={},
        state=ExamAttempt.State.FINISHED,
        started_at=now - timedelta(minutes=30),
        finished_at=now,
        scored_total=len(results),
        scored_correct=sum(right for _, right in results),
    )
    for position, (question, right) in enumerate(results, start=1):
        AttemptQuestion.objects.create(
            attempt=attempt,
            position=position,
            question=question,
            revision=question.revision,
            snapshot={"choices": []},
            answer=[1] if right else [2],
            answered=True,
            correct=right,
        )
    return attempt


def row(bank, question):
    return stats.annotated_questions(bank).get(pk=question.pk)


def test_study_answers_are_folded_into_answers_facility_picks_and_time():
    question = QuestionFactory()
    study_answers(question, [[1], [1], [2], [3]], ms=3000)
    tallies.fold_pending_answers()
    annotated = row(question.bank, question)
    assert (annotated.attempts, annotated.correct, annotated.facility) == (4, 2, 50.0)
    assert annotated.avg_ms == 3000
    picks = dict(ChoiceTally.objects.filter(question=question).values_list("key", "picks"))
    assert picks == {1: 2, 2: 1, 3: 1}


def test_folding_twice_counts_nothing_twice_and_later_answers_are_added():
    question = QuestionFactory()
    study_answers(question, [[1], [2]])
    tallies.fold_pending_answers()
    tallies.fold_pending_answers()
    assert QuestionTally.objects.get(question=question, source=Source.STUDY).attempts == 2
    study_answers(question, [[1]])
    tallies.fold_pending_answers()
    tally = QuestionTally.objects.get(question=question, source=Source.STUDY)
    assert (tally.attempts, tally.correct) == (3, 2)


def test_discrimination_is_the_item_rest_correlation_of_exam_attempts():
    bank = BankFactory()
    q1, q2, q3 = (QuestionFactory(bank=bank) for _ in range(3))
    # Four candidates; totals 3, 2, 1, 1. By hand: q1 x=[1,1,0,0], rest=[2,1,1,1] -> r = 0.5/sqrt(0.75);
    # q3 x=[1,0,0,1], rest=[2,2,1,0] -> r = -0.5/sqrt(2.75); q2 is right for 3 of 4.
    for results in ([1, 1, 1], [1, 1, 0], [0, 1, 0], [0, 0, 1]):
        finished_exam(UserFactory(), [(q, bool(right)) for q, right in zip((q1, q2, q3), results, strict=True)])
    tallies.fold_pending_answers()
    assert row(bank, q1).discrimination == pytest.approx(0.5 / math.sqrt(0.75))
    assert row(bank, q3).discrimination == pytest.approx(-0.5 / math.sqrt(2.75))
    assert row(bank, q2).facility == 75.0
    summary = stats.bank_summary(bank)
    assert (summary.exam_attempts, summary.mean_score) == (4, round(100 * 7 / 12, 1))
    assert summary.alpha is None  # fewer than ENOUGH_ATTEMPTS attempts: not reported


def test_cronbachs_alpha_matches_kr20_on_a_fixed_test():
    bank = BankFactory()
    questions = [QuestionFactory(bank=bank) for _ in range(3)]
    patterns = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]] * 8  # 32 attempts
    for pattern in patterns:
        finished_exam(UserFactory(), [(q, bool(right)) for q, right in zip(questions, pattern, strict=True)])
    tallies.fold_pending_answers()
    # KR-20 by hand: item p = 0.75, 0.5, 0.25 -> sum p(1-p) = 0.1875 + 0.25 + 0.1875 = 0.625;
    # totals 3, 2, 1, 0 -> population variance 1.25; alpha = 3/2 * (1 - 0.625 / 1.25) = 0.75.
    assert stats.bank_summary(bank).alpha == pytest.approx(0.75)


def test_problems_are_named_with_their_reason():
    bank = BankFactory()
    hard, easy = QuestionFactory(bank=bank), QuestionFactory(bank=bank)
    study_answers(hard, [[2]] * 27 + [[1]] * 3)  # 10 % right, options 3 and 4 never picked
    study_answers(easy, [[1]] * 30)  # 100 % right
    tallies.fold_pending_answers()
    rows = {r.question.pk: r for r in stats.question_stats(list(stats.annotated_questions(bank)))}
    assert "Very hard: only 10 % of 30 answers are right." in rows[hard.pk].problems
    assert "Nobody picks option 3 in 30 answers." in rows[hard.pk].problems
    assert "Very easy: 100 % of 30 answers are right." in rows[easy.pk].problems
    assert stats.problematic_question_ids(bank) == {hard.pk, easy.pk}


def test_a_deleted_learners_answers_stay_counted_anonymously(client):
    question = QuestionFactory()
    memory = QuestionMemoryFactory(question=question)
    ReviewLogFactory(memory=memory, answer=[1], correct=True)
    learner = memory.learner
    client.force_login(learner)
    response = client.post(reverse("settings_delete"), {"password": "correct-horse-battery-42", "confirm": "on"})
    assert response.status_code in (302, 303), response.content.decode()[:400]
    assert not User.objects.filter(pk=learner.pk).exists()
    tally = QuestionTally.objects.get(question=question, source=Source.STUDY)
    assert (tally.attempts, tally.correct) == (1, 1)


def test_purging_guests_keeps_their_answers_in_the_statistics():
    question = QuestionFactory()
    guest = UserFactory(is_guest=True, last_login=timezone.now() - timedelta(days=40))
    ReviewLogFactory(memory=QuestionMemoryFactory(question=question, learner=guest), answer=[2], correct=False)
    call_command("purge_guests", "--days", "30", stdout=io.StringIO())
    assert not User.objects.filter(pk=guest.pk).exists()
    tally = QuestionTally.objects.get(question=question, source=Source.STUDY)
    assert (tally.attempts, tally.correct) == (1, 0)
    assert ChoiceTally.objects.get(question=question, key=2).picks == 1


@pytest.fixture
def owned_bank():
    stewardship = StewardshipFactory()
    question = QuestionFactory(bank=stewardship.bank, stem_md="=cmd|' /C calc'!A0", stem_html="<p>=cmd</p>")
    study_answers(question, [[1], [2]])
    FlagFactory(question=question)
    tallies.fold_pending_answers()
    return stewardship


def test_the_owner_sees_the_statistics_page(client, owned_bank):
    client.force_login(owned_bank.owner)
    response = client.get(reverse("itemstats:bank", args=[owned_bank.bank.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "50.0" in body or "50 %" in body  # facility of the one question


@pytest.mark.parametrize("view", ["itemstats:bank", "itemstats:export"])
def test_who_may_see_a_banks_statistics(client, owned_bank, view):
    url = reverse(view, args=[owned_bank.bank.slug])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(is_guest=True))
    assert client.get(url).status_code == 403
    client.force_login(InstructorFactory())
    assert client.get(url).status_code == 404  # another instructor's bank does not exist for them
    client.force_login(owned_bank.owner)
    assert client.get(url).status_code == 200


def test_any_instructor_sees_the_statistics_of_a_content_bank(client):
    question = QuestionFactory()  # a bank without stewardship: loaded from content/banks/
    client.force_login(InstructorFactory())
    assert client.get(reverse("itemstats:bank", args=[question.bank.slug])).status_code == 200


def test_the_csv_export_has_every_question_and_defuses_formulas(client, owned_bank):
    client.force_login(owned_bank.owner)
    response = client.get(reverse("itemstats:export", args=[owned_bank.bank.slug]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert (rows[0]["answers"], rows[0]["facility_percent"], rows[0]["open_flags"]) == ("2", "50.0", "1")
    assert rows[0]["choice_picks"].startswith("1*=1; 2=1")


@pytest.mark.parametrize("query", ["?sort=password", "?page=abc", "?page=0", "?page=99999999", "?sort=-" + "x" * 500])
def test_bad_sort_or_page_parameters_get_a_clear_400(client, owned_bank, query):
    client.force_login(owned_bank.owner)
    response = client.get(reverse("itemstats:bank", args=[owned_bank.bank.slug]) + query)
    assert response.status_code == 400
    assert "<h1" in response.content.decode()


def row_ids(body: str) -> list[int]:
    """The questions of a statistics page, in the order the table lists them."""
    return [int(pk) for pk in re.findall(r'<tr id="question-(\d+)"', body)]


def test_sorting_and_paging_through_a_large_bank(client):
    stewardship = StewardshipFactory()
    questions = [QuestionFactory(bank=stewardship.bank) for _ in range(60)]
    hard, middling, easy = questions[7], questions[30], questions[3]
    study_answers(hard, [[2], [2]])  # 0 % right
    study_answers(middling, [[1], [2]])  # 50 %
    study_answers(easy, [[1], [1]])  # 100 %
    tallies.fold_pending_answers()
    unanswered = [q.pk for q in questions if q not in (hard, middling, easy)]  # no facility: last, by position
    client.force_login(stewardship.owner)
    url = reverse("itemstats:bank", args=[stewardship.bank.slug])
    ascending = row_ids(client.get(url + "?sort=facility").content.decode())
    assert ascending == [hard.pk, middling.pk, easy.pk, *unanswered[:47]]
    descending = row_ids(client.get(url + "?sort=-facility").content.decode())
    assert descending == [easy.pk, middling.pk, hard.pk, *unanswered[:47]]
    by_position = row_ids(client.get(url).content.decode())
    assert by_position == [q.pk for q in questions[:50]]
    second = row_ids(client.get(url + "?page=2").content.decode())
    assert second == [q.pk for q in questions[50:]]
    assert client.get(url + "?page=7").status_code == 200  # past the end: the last page


def test_the_statistics_page_takes_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    stewardship = StewardshipFactory()
    for question in [QuestionFactory(bank=stewardship.bank) for _ in range(60)]:
        study_answers(question, [[1], [2]])
        FlagFactory(question=question)
    tallies.fold_pending_answers()
    client.force_login(stewardship.owner)
    url = reverse("itemstats:bank", args=[stewardship.bank.slug])
    with django_assert_max_num_queries(10):
        assert client.get(url + "?sort=-attempts").status_code == 200


# ---------------------------------------------------------------- folding: a command, never a page


@pytest.mark.parametrize("view", ["itemstats:bank", "itemstats:export"])
def test_opening_the_statistics_folds_nothing_and_locks_nothing(client, view):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stewardship = StewardshipFactory()
    study_answers(QuestionFactory(bank=stewardship.bank), [[1], [2]])
    client.force_login(stewardship.owner)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(view, args=[stewardship.bank.slug])).status_code == 200
    statements = [q["sql"].lstrip().upper() for q in queries.captured_queries]
    assert not [sql for sql in statements if sql.startswith(("INSERT", "UPDATE", "DELETE", "LOCK"))]
    assert not [sql for sql in statements if "FOR UPDATE" in sql or "FOR SHARE" in sql]
    assert not QuestionTally.objects.exists() and not FoldState.objects.exists()


def test_the_page_says_when_the_answers_were_last_folded(client, owned_bank):
    client.force_login(owned_bank.owner)
    url = reverse("itemstats:bank", args=[owned_bank.bank.slug])
    FoldState.objects.all().delete()
    assert "No answers have been counted yet" in client.get(url).content.decode()
    call_command("fold_item_stats", stdout=io.StringIO())
    five_minutes_ago = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    FoldState.objects.update(folded_at=five_minutes_ago)
    body = client.get(url).content.decode()
    assert f'datetime="{timezone.localtime(five_minutes_ago).isoformat()}"' in body
    assert "(5\xa0minutes ago)" in body


def test_fold_item_stats_counts_each_answer_once_and_later_answers_next_time():
    question = QuestionFactory()
    study_answers(question, [[1], [2]])
    out = io.StringIO()
    call_command("fold_item_stats", stdout=out)
    call_command("fold_item_stats", stdout=out)
    assert out.getvalue().splitlines() == [
        "Folded 2 study answers and 0 exam attempts.",
        "Folded 0 study answers and 0 exam attempts.",
    ]
    assert FoldState.objects.get().review_log_id == ReviewLog.objects.latest("pk").pk
    study_answers(question, [[1]])
    call_command("fold_item_stats", stdout=out)
    tally = QuestionTally.objects.get(question=question, source=Source.STUDY)
    assert (tally.attempts, tally.correct) == (3, 2)
    assert ChoiceTally.objects.get(question=question, key=1).picks == 2


def test_answers_above_the_high_water_mark_wait_for_the_next_fold(monkeypatch):
    """The mark a fold reads when it starts bounds what it counts: an answer past it (one that was still being
    written, on PostgreSQL) is neither counted now nor skipped later."""
    question = QuestionFactory()
    study_answers(question, [[1], [2], [3]])
    first, second, third = ReviewLog.objects.order_by("pk").values_list("pk", flat=True)
    monkeypatch.setattr(tallies, "_settled_log_id", lambda settle_seconds: second)
    assert tallies.fold_pending_answers().study_answers == 2
    assert QuestionTally.objects.get(question=question).attempts == 2
    assert FoldState.objects.get().review_log_id == second
    monkeypatch.undo()
    assert tallies.fold_pending_answers().study_answers == 1
    assert QuestionTally.objects.get(question=question).attempts == 3
    assert dict(ChoiceTally.objects.filter(question=question).values_list("key", "picks")) == {1: 1, 2: 1, 3: 1}


def test_a_fold_postponed_by_answers_still_being_written_counts_them_later(monkeypatch):
    question = QuestionFactory()
    study_answers(question, [[1]])
    monkeypatch.setattr(tallies, "_settled_log_id", lambda settle_seconds: None)
    err = io.StringIO()
    call_command("fold_item_stats", stdout=io.StringIO(), stderr=err)
    assert "left for the next run" in err.getvalue()
    assert not QuestionTally.objects.exists() and FoldState.objects.get().folded_at is None
    monkeypatch.undo()
    tallies.fold_pending_answers()
    assert QuestionTally.objects.get(question=question).attempts == 1


def test_deleting_a_learner_counts_their_pending_answers_once_and_leaves_the_others_for_the_fold(client):
    question = QuestionFactory()
    leaving = QuestionMemoryFactory(question=question)
    ReviewLogFactory(memory=leaving, answer=[1], correct=True)
    tallies.fold_pending_answers()  # their first answer is counted already
    ReviewLogFactory(memory=leaving, answer=[2], correct=False)
    study_answers(question, [[3]])  # someone else's, not folded yet
    mark = FoldState.objects.get().review_log_id
    client.force_login(leaving.learner)
    client.post(reverse("settings_delete"), {"password": "correct-horse-battery-42", "confirm": "on"})
    assert not User.objects.filter(pk=leaving.learner_id).exists()
    assert FoldState.objects.get().review_log_id == mark
    assert QuestionTally.objects.get(question=question).attempts == 2
    tallies.fold_pending_answers()
    assert QuestionTally.objects.get(question=question).attempts == 3
    assert dict(ChoiceTally.objects.filter(question=question).values_list("key", "picks")) == {1: 1, 2: 1, 3: 1}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writers take turns: nothing is in flight")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_fold_waits_for_an_answer_being_written_without_holding_up_new_ones():
    question = QuestionFactory()
    memory = QuestionMemoryFactory(question=question)
    inserted, release = threading.Event(), threading.Event()

    def slow_answer():  # draws the smaller id, then takes its time to commit
        try:
            with transaction.atomic():
                ReviewLogFactory(memory=memory, answer=[1], correct=True)
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_answer)
    writer.start()
    assert inserted.wait(10)
    study_answers(question, [[2]])  # a larger id, committed first: visible before the smaller one
    assert tallies.fold_pending_answers(settle_seconds=0.3).study_postponed
    assert not QuestionTally.objects.exists()

    folded = []
    fold = threading.Thread(target=lambda: (folded.append(tallies.fold_pending_answers()), connection.close()))
    fold.start()
    fold.join(0.5)
    assert fold.is_alive()  # waiting for the slow answer...
    study_answers(question, [[3]])  # ...while new answers go through at once
    release.set()
    writer.join(10)
    fold.join(10)
    assert folded[0].study_answers == 2 and not folded[0].study_postponed  # the slow one and the [2]
    tallies.fold_pending_answers()
    assert QuestionTally.objects.get(question=question).attempts == 3
