"""The class dashboard and the gradebook: what the teachers see, in a bounded number of queries."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from quizzes.exams.models import ExamAttempt
from tests.factories import (
    AssignmentFactory,
    ClassroomFactory,
    InstructorFactory,
    MembershipFactory,
    QuestionFactory,
    QuestionMemoryFactory,
    ReviewLogFactory,
    ServiceFactory,
    UserFactory,
)

MAX_DASHBOARD_QUERIES = 10  # fixed: 2 for the session and user, 8 for the page, whatever the class size (issue 18)
MAX_GRADEBOOK_QUERIES = 11


@pytest.fixture
def classroom(instructor):
    return ClassroomFactory(owner=instructor, name="Cloud 101")


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_dashboard_shows_each_learners_status_score_and_last_activity(client, instructor, learner, classroom):
    s3 = ServiceFactory(key="s3", name="Amazon S3")
    AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"], target=2)
    question = QuestionFactory(services=[s3], stem_md="Which store?")
    memory = QuestionMemoryFactory(learner=learner, question=question, failures=1)  # as a wrong rating leaves it
    ReviewLogFactory(memory=memory, correct=False)
    assert classroom.join(learner)  # work from before joining shows, with its time as the last activity
    client.force_login(instructor)
    page = client.get(f"/classes/{classroom.pk}/").content.decode()
    grid = page.split('id="grid-caption"', 1)[1].split("</table>", 1)[0]
    assert "ada" in grid and "Review S3" in grid and "In progress" in grid and "1 of 2 questions reviewed" in grid
    assert "50 %" in grid and "never" not in grid
    assert "Readiness per exam domain" in page and "Cloud Technology and Services" in page
    assert "Which store?" in page and f"/author/test-bank/stats/?class={classroom.pk}" in page
    assert "1 ratings in 30 days" in page or "1 rating" in page


def test_the_dashboard_counts_only_the_classes_learners(client, instructor, learner, other_learner, classroom):
    MembershipFactory(classroom=classroom, learner=learner)
    memory = QuestionMemoryFactory(learner=other_learner, question=QuestionFactory(stem_md="Not ours?"), failures=1)
    ReviewLogFactory(memory=memory, correct=False)
    client.force_login(instructor)
    page = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert "grace" not in page and "Not ours?" not in page and "0 ratings in 30 days" in page


def test_the_dashboard_of_30_learners_and_10_assignments_takes_a_bounded_number_of_queries(
    client, instructor, classroom, django_assert_max_num_queries
):
    s3 = ServiceFactory(key="s3")
    questions = [QuestionFactory(services=[s3]) for _ in range(5)]
    kinds = ["review", "master", "exam", "drill", "review"] * 2
    for n, kind in enumerate(kinds):
        extra = {"exam_preset": "quick", "target": None} if kind == "exam" else {}
        if kind == "drill":
            extra = {"topics": ["s3", "ec2"]}
        elif kind == "master":
            extra = {"topics": ["s3"], "target": None}
        AssignmentFactory(classroom=classroom, title=f"A{n}", kind=kind, **extra)
    for n in range(30):
        learner = UserFactory(username=f"learner-{n:02}")
        MembershipFactory(classroom=classroom, learner=learner)
        for question in questions[: n % 5 + 1]:
            ReviewLogFactory(memory=QuestionMemoryFactory(learner=learner, question=question), correct=n % 2 == 0)
        ExamAttempt.objects.create(
            learner=learner, preset="quick", title="Quick", options={}, state="finished", started_at=timezone.now()
        )
    client.force_login(instructor)
    client.get(f"/classes/{classroom.pk}/")  # the session and user
    with django_assert_max_num_queries(MAX_DASHBOARD_QUERIES):
        response = client.get(f"/classes/{classroom.pk}/")
    assert response.status_code == 200 and response.content.decode().count("learner-") >= 60
    with django_assert_max_num_queries(MAX_GRADEBOOK_QUERIES):
        response = client.get(f"/classes/{classroom.pk}/gradebook.csv")
    rows = _rows(response)
    assert len(rows) == 31 and len(rows[0]) == 4 + 10


def test_the_moodle_gradebook_has_one_row_per_learner_with_scores_in_percent(client, instructor, classroom):
    s3 = ServiceFactory(key="s3")
    ada = UserFactory(username="ada", first_name="Ada", last_name="Lovelace", email="ada@example.com")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Byron", email="bob@example.com")
    for learner in (ada, bob):
        MembershipFactory(classroom=classroom, learner=learner)
    AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"], target=4)
    AssignmentFactory(classroom=classroom, title="Later", target=1, due_at=timezone.now() + timedelta(days=30))
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=ada, question=QuestionFactory(services=[s3])))
    client.force_login(instructor)
    response = client.get(f"/classes/{classroom.pk}/gradebook.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert _rows(response) == [
        ["First name", "Last name", "Username", "Email address", "Review S3", "Later"],
        ["Bob", "Byron", "bob", "bob@example.com", "0.0", "0.0"],
        ["Ada", "Lovelace", "ada", "ada@example.com", "25.0", "100.0"],
    ]


def test_the_canvas_gradebook_starts_with_canvas_columns(client, instructor, learner, classroom):
    learner.first_name, learner.last_name = "Ada", "Lovelace"
    learner.save()
    MembershipFactory(classroom=classroom, learner=learner)
    AssignmentFactory(classroom=classroom, title="Review", target=2)
    client.force_login(instructor)
    rows = _rows(client.get(f"/classes/{classroom.pk}/gradebook.csv?format=canvas"))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Review"]
    assert rows[1] == ["Lovelace, Ada", "", "", "ada", "Cloud 101", "0.0"]


def test_the_gradebook_defuses_formulas_in_names_and_titles(client, instructor, classroom):
    evil = UserFactory(username="eve", first_name='=HYPERLINK("http://x")', last_name="+1", email="@eve")
    MembershipFactory(classroom=classroom, learner=evil)
    AssignmentFactory(classroom=classroom, title="-2+3", target=1)
    client.force_login(instructor)
    rows = _rows(client.get(f"/classes/{classroom.pk}/gradebook.csv"))
    assert rows[0][-1] == "'-2+3"
    assert rows[1][:4] == ['\'=HYPERLINK("http://x")', "'+1", "eve", "'@eve"]


def test_the_gradebook_writes_ordinary_names_with_dashes_pluses_and_at_signs_unchanged(client, instructor, classroom):
    # Moodle maps rows to its users by username or email: a value that only contains these characters must not
    # gain the apostrophe that defuses formulas, or the row would match no one.
    ada = UserFactory(username="ada.l-2", first_name="Jean-Luc", last_name="O'Brien", email="ada+cloud@example.com")
    MembershipFactory(classroom=classroom, learner=ada)
    AssignmentFactory(classroom=classroom, title="Week 1 - S3", target=1)
    client.force_login(instructor)
    rows = _rows(client.get(f"/classes/{classroom.pk}/gradebook.csv"))
    assert rows[0][-1] == "Week 1 - S3"
    assert rows[1][:4] == ["Jean-Luc", "O'Brien", "ada.l-2", "ada+cloud@example.com"]
    canvas = _rows(client.get(f"/classes/{classroom.pk}/gradebook.csv?format=canvas"))
    assert canvas[1][:4] == ["O'Brien, Jean-Luc", "", "", "ada.l-2"]


def test_an_unknown_gradebook_format_is_a_bad_request(client, instructor, classroom):
    client.force_login(instructor)
    assert client.get(f"/classes/{classroom.pk}/gradebook.csv?format=xls").status_code == 400


def _stats_row(page: str, question) -> str:
    return page.split(f'id="question-{question.pk}"', 1)[1].split("</tr>", 1)[0]


def test_item_statistics_filtered_to_a_class_count_only_its_learners(client, instructor, learner, classroom):
    MembershipFactory(classroom=classroom, learner=learner)
    outsider = UserFactory(username="outsider")
    question = QuestionFactory(stem_md="Which one?")
    AssignmentFactory(classroom=classroom, bank=question.bank)  # the class assigns the whole bank
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=learner, question=question), answer=[2], correct=False)
    for _ in range(3):
        ReviewLogFactory(memory=QuestionMemoryFactory(learner=outsider, question=QuestionFactory()), correct=True)
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=outsider, question=question), answer=[1], correct=True)
    client.force_login(instructor)
    page = client.get(f"/author/{question.bank.slug}/stats/?class={classroom.pk}").content.decode()
    row = _stats_row(page, question)
    assert "Cloud 101" in page and "0.0 %" in row  # the class's one answer was wrong; the outsider's is not here
    assert "Option B" in row and ": 1 (100 %)" in row
    assert f"sort=-position&amp;class={classroom.pk}" in page or f"&amp;class={classroom.pk}" in page


def test_item_statistics_filtered_to_a_class_show_only_what_its_assignments_cover(
    client, instructor, learner, classroom
):
    s3, ec2 = ServiceFactory(key="s3"), ServiceFactory(key="ec2")
    MembershipFactory(classroom=classroom, learner=learner)
    AssignmentFactory(classroom=classroom, topics=["s3"])
    AssignmentFactory(classroom=classroom, kind="drill", topics=["ec2", "s3"])  # scenarios, not questions
    assigned = QuestionFactory(services=[s3], stem_md="Which store?")
    private = QuestionFactory(services=[ec2], stem_md="Which server?")
    for question, wrong in ((assigned, 1), (private, 2)):
        memory = QuestionMemoryFactory(learner=learner, question=question, failures=wrong)
        for _ in range(wrong):
            ReviewLogFactory(memory=memory, correct=False)
    ExamAttempt.objects.create(
        learner=learner, preset="quick", title="Mine", options={}, state="finished", started_at=timezone.now()
    ).questions.create(position=1, question=private, revision=private.revision, snapshot={}, answer=[1])
    client.force_login(instructor)
    page = client.get(f"/author/test-bank/stats/?class={classroom.pk}").content.decode()
    assert f'id="question-{assigned.pk}"' in page and "Which store?" in page
    assert f'id="question-{private.pk}"' not in page and "Which server?" not in page
    summary = page.split('id="summary-heading"', 1)[1].split("</dl>", 1)[0]
    assert "<dd>1</dd>" in summary  # one question
    assert "(1 in study sessions, 0 in practice exams)" in summary  # the learner's answers on it are not counted
    dashboard = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert "Which store?" in dashboard and "Which server?" not in dashboard  # the most-missed list likewise


def test_item_statistics_of_a_class_with_a_full_exam_cover_every_question_retired_ones_too(
    client, instructor, learner, classroom
):
    MembershipFactory(classroom=classroom, learner=learner)
    AssignmentFactory(classroom=classroom, topics=["s3"])
    AssignmentFactory(classroom=classroom, kind="exam", exam_preset="full", target=None)
    retired = QuestionFactory(stem_md="Which one was it?", is_active=False)
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=learner, question=retired), correct=False)
    client.force_login(instructor)
    page = client.get(f"/author/test-bank/stats/?class={classroom.pk}").content.decode()
    assert "Which one was it?" in page and "(1 in study sessions, 0 in practice exams)" in page


def test_item_statistics_of_a_class_that_assigns_no_questions_show_none(client, instructor, learner, classroom):
    MembershipFactory(classroom=classroom, learner=learner)
    question = QuestionFactory(stem_md="Which one?")
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=learner, question=question), correct=False)
    client.force_login(instructor)
    page = client.get(f"/author/test-bank/stats/?class={classroom.pk}").content.decode()
    assert "Which one?" not in page and "No assignment of Cloud 101 covers this bank" in page


def test_item_statistics_of_another_teachers_class_are_not_found(client, classroom):
    question = QuestionFactory()
    client.force_login(InstructorFactory())
    assert client.get(f"/author/{question.bank.slug}/stats/?class={classroom.pk}").status_code == 404
    assert client.get(f"/author/{question.bank.slug}/stats/?class=abc").status_code == 400
    assert client.get(f"/author/{question.bank.slug}/stats/?class=²").status_code == 400  # a digit int() refuses


def test_the_class_recall_is_the_schedulers_retrievability_to_the_last_bit():
    import random
    from datetime import UTC, datetime

    from quizzes.classes import standing
    from quizzes.models import LearnerSettings
    from quizzes.study.scheduling import Card

    rng = random.Random(18)
    now = datetime(2026, 12, 4, 21, 7, 30, 123456, tzinfo=UTC)
    for retention in (0.8, 0.9, 0.97):
        scheduler = LearnerSettings(desired_retention=retention).scheduler()
        memories = [
            (1, n, rng.uniform(0.1, 400), int(now.timestamp()) + rng.randint(-400 * 86400, 2 * 86400), 0, 1)
            for n in range(2000)
        ]
        memories += [(1, 9000, 3.0, int(now.timestamp()) - 86400, 0, 1), (1, 9001, 3.0, int(now.timestamp()), 0, 1)]
        recall, _ = standing.retrievabilities([1], memories, now, {1: LearnerSettings(desired_retention=retention)})
        for _, question, stability, last_review, *_ in memories:
            card = Card(card_id=question, stability=stability, last_review=datetime.fromtimestamp(last_review, UTC))
            assert recall[(1, question)] == scheduler.get_card_retrievability(card, now)
