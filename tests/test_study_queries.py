"""Query counts of the hot study views: at most 8 each, and the same for a small and a large bank."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quizzes.models import Choice, Question, QuestionMemory, ReviewLog
from quizzes.study.scheduling import State
from tests.factories import BankFactory, ServiceFactory
from tests.studying import answer, open_study, rate

pytestmark = pytest.mark.django_db
MAX_QUERIES = 8


def make_bank(size: int, learner, other_learner, start: int = 0):
    """`size` questions; the learner and another learner have studied half of them, with history."""
    service = ServiceFactory(key="lambda", name="AWS Lambda")
    bank = BankFactory()
    questions = Question.objects.bulk_create(
        Question(
            bank=bank, external_id=f"q-{start + n}", type="single", stem_md="?", stem_html="<p>?</p>",
            explanation_md=".", explanation_html=".", domain="cloud-technology", difficulty=1, note_slug="lambda",
            position=start + n, source_hash="x",
        )
        for n in range(size)
    )  # fmt: skip
    Choice.objects.bulk_create(
        Choice(question=q, key=k, text=f"{k}", text_html=f"{k}", correct=k == 1, why_md=".", why_html=".")
        for q in questions
        for k in range(1, 5)
    )
    Question.services.through.objects.bulk_create(
        Question.services.through(question=q, service=service) for q in questions
    )
    now = timezone.now()
    for person in (learner, other_learner):
        memories = QuestionMemory.objects.bulk_create(
            QuestionMemory(
                learner=person,
                question=q,
                state=State.Review,
                stability=3,
                difficulty=5,
                reps=2,
                version=2,
                due=now + timedelta(days=n % 7 - 3),
                last_review=now - timedelta(days=4),
                introduced_at=now - timedelta(days=9),
            )  # fmt: skip
            for n, q in enumerate(questions[: size // 2])
        )
        ReviewLog.objects.bulk_create(
            ReviewLog(
                learner=person,
                memory=m,
                seq=s,
                revision=1,
                rating=3,
                shown=[1, 2, 3, 4],
                answer=[1],
                correct=True,
                response_ms=900,
                reviewed_at=now - timedelta(days=9 - 5 * s),
                before={},
                scheduled_due=now,
            )  # fmt: skip
            for m in memories
            for s in range(2)
        )


@pytest.fixture(params=[100, 600], ids=["100 questions", "600 questions"])
def bank(request, learner, other_learner):
    make_bank(request.param, learner, other_learner)


@pytest.fixture
def client_for(client, learner):
    client.force_login(learner)
    return client


@pytest.mark.parametrize("params", [{}, {"service": "lambda"}, {"mode": "new"}, {"mode": "ahead"}], ids=str)
def test_the_next_question_page_runs_at_most_8_queries(client_for, bank, django_assert_max_num_queries, params):
    open_study(client_for, **params)  # warm the per-process caches a running server has
    with django_assert_max_num_queries(MAX_QUERIES):
        shown = open_study(client_for, **params)
    assert shown.token


def test_the_note_scoped_page_runs_at_most_8_queries(client_for, bank, django_assert_max_num_queries):
    from studyapp.notes.models import Note

    Note.objects.create(
        slug="lambda", title="AWS Lambda", order=1, theme="Serverless", services=["lambda"],
        domain="cloud-technology", task_statement="3.3", summary="s", body_md="", body_html="", search_text="",
        source_hash="x",
    )  # fmt: skip
    with django_assert_max_num_queries(MAX_QUERIES):
        assert open_study(client_for, note="lambda").token


@pytest.mark.parametrize("mode", ["", "new"], ids=["a due review", "a new question"])
def test_answering_and_rating_run_at_most_8_queries_each(client_for, bank, django_assert_max_num_queries, mode):
    for pick in ("wrong", "right"):
        shown = open_study(client_for, mode=mode) if mode else open_study(client_for)
        choices = getattr(shown, pick)()
        with django_assert_max_num_queries(MAX_QUERIES):
            feedback = answer(client_for, shown, choices, htmx=True, **({"mode": mode} if mode else {}))
        assert feedback.status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert rate(client_for, feedback, 3).status_code == 303


def test_the_query_count_does_not_grow_with_the_bank(client, learner, other_learner):
    client.force_login(learner)
    client.get("/study/")  # as on a running server, this process has seen the session: its user comes with it
    counts = []
    for start, size in ((0, 100), (100, 1000)):
        make_bank(size, learner, other_learner, start=start)
        with CaptureQueriesContext(connection) as queries:
            assert open_study(client).token
        counts.append(len(queries))
    assert counts[0] == counts[1] <= MAX_QUERIES


def test_an_anonymous_visitors_page_runs_at_most_8_queries_at_any_bank_size(client, learner, other_learner):
    counts = []
    for start, size in ((0, 100), (100, 1000)):
        make_bank(size, learner, other_learner, start=start)
        with CaptureQueriesContext(connection) as queries:
            assert open_study(client).token
        counts.append(len(queries))
    assert counts[0] == counts[1] <= MAX_QUERIES


def test_answering_and_rating_cost_the_same_queries_at_100_and_1100_questions(client, learner, other_learner):
    client.force_login(learner)
    counts = []
    for start, size in ((0, 100), (100, 1000)):
        make_bank(size, learner, other_learner, start=start)
        shown = open_study(client, mode="new")
        right = shown.right()
        with CaptureQueriesContext(connection) as answering:
            feedback = answer(client, shown, right, htmx=True, mode="new")
        with CaptureQueriesContext(connection) as rating:
            assert rate(client, feedback, 3, mode="new").status_code == 303
        counts.append((len(answering), len(rating)))
    assert counts[0] == counts[1]
    assert max(counts[0]) <= MAX_QUERIES


def test_a_new_questions_page_reads_no_memory(client_for, learner, django_assert_num_queries):
    """The session, the user, the queue's statement and the question with its choices: the version its token
    binds comes with the queue, so a new question costs no query for a memory the learner does not have."""
    make_bank(10, learner, learner.__class__.objects.create(username="someone-else"))
    QuestionMemory.objects.filter(learner=learner).delete()
    open_study(client_for)
    with django_assert_num_queries(4):
        assert open_study(client_for).token
