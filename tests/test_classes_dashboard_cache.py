"""The class dashboard is right at once after every write that changes it, though it caches each learner's part.

quizzes/classes/dashboard.py caches what it derives from each learner under a key made of values that move with
their work, their settings, the class's assignments and the content. Each test opens the dashboard first (so the
cache holds every part), writes through the real URLs (or as the real command does), and opens it again: the
new value shows, and only the learners whose work changed are computed again (`board.computed`).
"""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from fsrs.scheduler import DEFAULT_PARAMETERS

from quizzes.classes.models import Membership
from quizzes.exams.models import GRACE, ExamAttempt
from quizzes.models import LearnerSettings, Question, ReviewLog, Service
from studyapp.accounts.models import User
from studyapp.notes.models import ContentRelease
from tests.factories import (
    PASSWORD,
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
from tests.studying import answer, open_study, rate
from tests.test_exams import clock, exam_bank  # noqa: F401 (fixtures)
from tests.test_progress_freshness import SETTINGS, answer_a_scenario

MAX_DASHBOARD_QUERIES = 10  # issue 18: cold (every part computed), warm, and after one learner worked
START = datetime(2026, 3, 9, 15, 1, tzinfo=UTC)


@pytest.fixture
def classroom(instructor, learner):
    classroom = ClassroomFactory(owner=instructor, name="Cloud 101")
    MembershipFactory(classroom=classroom, learner=learner)
    LearnerSettings.objects.create(learner=learner, time_zone="UTC")
    return classroom


@pytest.fixture
def teacher(client, instructor):
    client.force_login(instructor)
    return client


@pytest.fixture
def student(learner) -> Client:
    student = Client()
    student.force_login(learner)
    return student


@pytest.fixture
def s3(db):
    return ServiceFactory(key="s3", name="Amazon S3")


def dashboard(teacher, classroom):
    """The dashboard: its response (with the board in its context)."""
    response = teacher.get(f"/classes/{classroom.pk}/")
    assert response.status_code == 200
    return response


def grid(response) -> str:
    return response.content.decode().split('id="grid-caption"', 1)[1].split("</table>", 1)[0]


def cell(response, username: str) -> str:
    """A learner's row of the grid."""
    return grid(response).split(f'<th scope="row">{username}', 1)[1].split("</tr>", 1)[0]


def computed(response) -> int | None:
    """How many learners' parts drawing the board computed; None when the board came whole from the cache."""
    try:
        return response.context["board"].computed
    except KeyError:
        return None


def last_activity(response, username: str) -> str:
    return cell(response, username).rsplit("<td>", 1)[1].removesuffix("</td>")


def ratings(response) -> int:
    return int(re.search(r"(\d+) ratings in 30 days", response.content.decode()).group(1))


def answer_one_wrong(student) -> None:
    shown = open_study(student)
    assert answer(student, shown, shown.wrong()).status_code == 200


def test_a_study_rating_and_its_undo_show_at_once_and_recompute_only_that_learner(
    teacher, student, learner, classroom, s3
):
    for n in range(3):
        QuestionFactory(services=[s3], position=n)
    AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"], target=2)
    other = UserFactory(username="zed")
    MembershipFactory(classroom=classroom, learner=other)
    before = dashboard(teacher, classroom)
    assert "0 of 2 questions reviewed" in cell(before, learner.username) and ratings(before) == 0
    assert computed(dashboard(teacher, classroom)) is None  # the whole board from the cache

    answer_one_wrong(student)  # a wrong answer is rated Again at once
    after = dashboard(teacher, classroom)
    assert "1 of 2 questions reviewed" in cell(after, learner.username) and ratings(after) == 1
    assert "0 of 2 questions reviewed" in cell(after, "zed")
    assert computed(after) == 1

    last = ReviewLog.objects.get(learner=learner)
    assert student.post("/study/undo/", {"log": last.pk}).status_code == 303
    undone = dashboard(teacher, classroom)
    assert "0 of 2 questions reviewed" in cell(undone, learner.username) and ratings(undone) == 0
    # The learner was active: their last activity stays the undone rating's.
    assert last_activity(before, learner.username) == "never" != last_activity(after, learner.username)
    assert last_activity(undone, learner.username) == last_activity(after, learner.username)


def test_a_right_answer_shows_once_it_is_rated(teacher, student, learner, classroom, s3):
    for n in range(3):
        QuestionFactory(services=[s3], position=n)
    AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"], target=2)
    assert "0 of 2 questions reviewed" in cell(dashboard(teacher, classroom), learner.username)
    shown = open_study(student)
    feedback = answer(student, shown, shown.right())
    assert feedback.status_code == 200
    assert "0 of 2 questions reviewed" in cell(dashboard(teacher, classroom), learner.username)  # not rated yet
    assert rate(student, feedback, 3).status_code == 303
    rated = dashboard(teacher, classroom)
    assert "1 of 2 questions reviewed" in cell(rated, learner.username) and ratings(rated) == 1


def test_a_trainer_answer_shows_at_once(teacher, student, learner, classroom, loaded_content):
    from quizzes.models import Category

    for category in Category.objects.all():
        AssignmentFactory(classroom=classroom, title=f"Drill {category.key}", kind="drill", category=category.key,
                          target=50)  # fmt: skip
    assert "1 of 50 right answers" not in grid(dashboard(teacher, classroom))
    answer_a_scenario(student)  # right, in one of the categories
    assert "1 of 50 right answers" in grid(dashboard(teacher, classroom))


@pytest.fixture
def midterm(classroom, clock, exam_bank):  # noqa: F811
    clock.now = START
    return AssignmentFactory(
        classroom=classroom, title="Midterm", kind="exam", exam_preset="quick", target=None, max_attempts=1,
        opens_at=START - timedelta(hours=1), due_at=START + timedelta(days=1),
    )  # fmt: skip


def start_exam(student, assignment) -> ExamAttempt:
    student.post(f"/classes/{assignment.classroom_id}/assignments/{assignment.pk}/start")
    return ExamAttempt.objects.get()


def test_an_exam_start_an_answer_saved_and_the_submission_show_at_once(
    teacher,
    student,
    learner,
    classroom,
    midterm,
    clock,  # noqa: F811
):
    assert "0 of 1 attempt used" in cell(dashboard(teacher, classroom), learner.username)
    attempt = start_exam(student, midterm)
    started = dashboard(teacher, classroom)
    assert "In progress" in cell(started, learner.username) and "1 of 1 attempt used" in cell(started, learner.username)

    first = attempt.questions.order_by("position").first()
    keys = sorted(c["key"] for c in first.snapshot["choices"] if c["correct"])
    saved = student.post(f"/exam/{attempt.pk}/q/1/", {"seq": attempt.seq, "choice": keys, "flag_sent": "1"})
    assert saved.status_code in (200, 302, 303)
    after_save = dashboard(teacher, classroom)  # nothing the board shows moves before the submission
    assert computed(after_save) is None and "In progress" in cell(after_save, learner.username)

    attempt.refresh_from_db()
    assert student.post(f"/exam/{attempt.pk}/submit", {"seq": attempt.seq, "confirm": "yes"}).status_code == 302
    attempt.refresh_from_db()
    done = cell(dashboard(teacher, classroom), learner.username)
    assert ">Done<" in done and f"{attempt.percent:.0f} %" in done


def test_an_exam_whose_deadline_passes_shows_done_at_once(teacher, student, learner, classroom, midterm, clock):  # noqa: F811
    attempt = start_exam(student, midterm)
    clock.now = attempt.deadline + GRACE - timedelta(seconds=5)
    assert "In progress" in cell(dashboard(teacher, classroom), learner.username)
    clock.now = attempt.deadline + GRACE + timedelta(seconds=5)
    board = dashboard(teacher, classroom)
    assert ">Done<" in cell(board, learner.username) and computed(board) == 1

    call_command("close_overdue_attempts", stdout=StringIO())  # the sweeper scores it: the score shows
    attempt.refresh_from_db()
    board = dashboard(teacher, classroom)
    assert f">Done</span> {attempt.percent:.0f} %" in cell(board, learner.username) and computed(board) == 1


def test_an_abandoned_exam_shows_at_once(teacher, student, learner, classroom, midterm, clock):  # noqa: F811
    attempt = start_exam(student, midterm)
    assert "In progress" in cell(dashboard(teacher, classroom), learner.username)
    assert student.post(f"/exam/{attempt.pk}/abandon").status_code in (302, 303)
    assert ExamAttempt.objects.get().state == ExamAttempt.State.ABANDONED
    board = dashboard(teacher, classroom)
    assert computed(board) == 1 and "1 of 1 attempt used" in cell(board, learner.username)
    clock.now = attempt.deadline + GRACE + timedelta(seconds=5)  # a running attempt would be done now; not this one
    board = dashboard(teacher, classroom)
    assert "In progress" in cell(board, learner.username) and ">Done<" not in cell(board, learner.username)


def test_recall_that_falls_with_another_day_since_the_last_review_shows_at_once(
    teacher,
    learner,
    classroom,
    s3,
    clock,  # noqa: F811
):
    clock.now = START
    AssignmentFactory(classroom=classroom, title="Master S3", kind="master", topics=["s3"], target=None,
                      due_at=START + timedelta(days=7))  # fmt: skip
    reviewed = START - timedelta(hours=20)
    QuestionMemoryFactory(learner=learner, question=QuestionFactory(services=[s3]), stability=0.5,
                          last_review=reviewed)  # fmt: skip
    assert ">Done<" in cell(dashboard(teacher, classroom), learner.username)  # 0 whole days: recall 100 %
    clock.now = reviewed + timedelta(days=1) - timedelta(seconds=1)
    assert computed(dashboard(teacher, classroom)) is None
    clock.now = reviewed + timedelta(days=1)  # a whole day: recall falls below 90 % (stability half a day)
    board = dashboard(teacher, classroom)
    assert "0 of 1 questions at 90% recall" in cell(board, learner.username) and computed(board) == 1


def test_a_new_desired_retention_shows_at_once(teacher, student, learner, classroom, s3):
    question = QuestionFactory(services=[s3])
    AssignmentFactory(classroom=classroom, title="Master S3", kind="master", topics=["s3"], target=None)
    QuestionMemoryFactory(learner=learner, question=question, stability=100.0, last_review=datetime.now(UTC))
    assert "at 90% recall or more" in cell(dashboard(teacher, classroom), learner.username)
    assert student.post("/settings/", SETTINGS | {"desired_retention": "0.85"}).status_code == 302
    assert "at 85% recall or more" in cell(dashboard(teacher, classroom), learner.username)


def test_an_assignment_edit_shows_at_once(teacher, learner, classroom, s3):
    assignment = AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"], target=2)
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=learner, question=QuestionFactory(services=[s3])))
    assert "1 of 2 questions reviewed" in cell(dashboard(teacher, classroom), learner.username)
    due = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    fields = {"title": "Review S3", "kind": "review", "topics": ["s3"], "target": "1", "due_at": due,
              "max_attempts": "1"}  # fmt: skip
    assert teacher.post(f"/classes/{classroom.pk}/assignments/{assignment.pk}/edit/", fields).status_code == 302
    row = cell(dashboard(teacher, classroom), learner.username)
    assert ">Done<" in row and "1 of 1 questions reviewed" in row


def test_a_learner_who_joins_or_leaves_shows_at_once(teacher, student, learner, classroom, s3):
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=learner, question=QuestionFactory(services=[s3])))
    newcomer = UserFactory(username="newcomer")
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=newcomer, question=QuestionFactory(services=[s3])))
    assert "newcomer" not in grid(dashboard(teacher, classroom)) and ratings(dashboard(teacher, classroom)) == 1
    joining = Client()
    joining.force_login(newcomer)
    assert joining.post("/classes/join/", {"code": classroom.join_code}).status_code == 302
    joined = dashboard(teacher, classroom)
    assert "newcomer" in grid(joined) and ratings(joined) == 2 and computed(joined) == 1
    assert student.post(f"/classes/{classroom.pk}/leave").status_code == 302
    left = dashboard(teacher, classroom)
    assert learner.username not in grid(left) and ratings(left) == 1 and computed(left) == 0
    assert not Membership.objects.filter(learner=learner).exists()


def test_a_learner_who_leaves_studies_elsewhere_and_joins_again_shows_that_work(
    teacher, student, learner, classroom, s3
):
    for n in range(3):
        QuestionFactory(services=[s3], position=n)
    AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"], target=2)
    assert last_activity(dashboard(teacher, classroom), learner.username) == "never"
    assert student.post(f"/classes/{classroom.pk}/leave").status_code == 302
    assert "No learner has joined yet." in dashboard(teacher, classroom).content.decode()
    answer_one_wrong(student)  # in no class: their work marks are not kept meanwhile
    assert student.post("/classes/join/", {"code": classroom.join_code}).status_code == 302
    back = dashboard(teacher, classroom)
    assert "1 of 2 questions reviewed" in cell(back, learner.username) and ratings(back) == 1
    assert last_activity(back, learner.username) != "never"


def test_a_guests_work_merged_into_a_learners_account_shows_at_once(teacher, learner, classroom, s3):
    for n in range(3):
        QuestionFactory(services=[s3], position=n)
    AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"], target=2)
    assert "0 of 2 questions reviewed" in cell(dashboard(teacher, classroom), learner.username)
    guest = Client()
    answer_one_wrong(guest)  # studies as a guest, then logs into their account and keeps that work
    guest.post("/accounts/login/", {"username": learner.username, "password": PASSWORD})
    assert guest.post("/accounts/merge/", {"choice": "merge"}).status_code == 302
    merged = dashboard(teacher, classroom)
    assert "1 of 2 questions reviewed" in cell(merged, learner.username) and ratings(merged) == 1
    assert last_activity(merged, learner.username) != "never"


def test_going_back_to_the_default_memory_model_redraws_the_learners_part(teacher, student, learner, classroom, s3):
    QuestionFactory(services=[s3])
    answer_one_wrong(student)
    LearnerSettings.objects.filter(learner=learner).update(fsrs_parameters=list(DEFAULT_PARAMETERS))
    dashboard(teacher, classroom)
    assert computed(dashboard(teacher, classroom)) is None
    assert student.post("/settings/memory-model/defaults/").status_code in (302, 303)
    assert LearnerSettings.objects.get(learner=learner).fsrs_parameters is None
    assert computed(dashboard(teacher, classroom)) == 1  # their recall is replayed under other parameters


def test_writes_move_no_work_marks_for_a_learner_in_no_class_and_one_for_a_learner_in_a_class(
    learner, other_learner, classroom, s3
):
    QuestionFactory(services=[s3])
    outside = Client()
    outside.force_login(other_learner)
    with CaptureQueriesContext(connection) as queries:
        answer_one_wrong(outside)
    assert not [q for q in queries if q["sql"].startswith("UPDATE") and "accounts_user" in q["sql"]]
    assert User.objects.get(pk=other_learner.pk).work_version == 0

    inside = Client()
    inside.force_login(learner)
    shown = open_study(inside)
    wrong = shown.wrong()
    with CaptureQueriesContext(connection) as queries:
        assert answer(inside, shown, wrong).status_code == 200
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) <= 8  # the study answer with its work mark (issue 15: <= 8 SQL per request)
    assert sum(sql.startswith('UPDATE "accounts_user"') for sql in statements) == 1
    assert User.objects.get(pk=learner.pk).work_version == 1


def test_co_teachers_added_and_removed_show_at_once_with_the_board_from_the_cache(teacher, learner, classroom, s3):
    colleague = InstructorFactory(username="katherine")
    assert "No co-teachers." in dashboard(teacher, classroom).content.decode()
    assert teacher.post(f"/classes/{classroom.pk}/co-teachers/", {"username": "katherine"}).status_code == 302
    added = dashboard(teacher, classroom)
    assert computed(added) is None and "<li>katherine" in added.content.decode()
    assert teacher.post(f"/classes/{classroom.pk}/co-teachers/{colleague.pk}/remove").status_code == 302
    removed = dashboard(teacher, classroom)
    assert computed(removed) is None and "No co-teachers." in removed.content.decode()


def test_a_content_load_that_renames_a_topic_or_retires_a_question_shows_at_once(teacher, learner, classroom, s3):
    AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"])  # the most-missed list is its scope
    missed = QuestionFactory(services=[s3], stem_md="Which store keeps objects?")
    for question in [missed, *(QuestionFactory(services=[s3]) for _ in range(4))]:
        memory = QuestionMemoryFactory(learner=learner, question=question, failures=1)
        ReviewLogFactory(memory=memory, correct=False)
    page = dashboard(teacher, classroom).content.decode()
    assert "<strong>Amazon S3</strong>" in page and "Which store keeps objects?" in page

    # What load_content does when a topic is renamed: it updates the row and records a release.
    Service.objects.filter(pk=s3.pk).update(name="Amazon Simple Storage Service")
    ContentRelease.objects.create(changes={"services": ["s3"]})
    assert "<strong>Amazon Simple Storage Service</strong>" in dashboard(teacher, classroom).content.decode()

    # ... and when a question leaves the content: deactivated, with a release.
    Question.objects.filter(pk=missed.pk).update(is_active=False)
    ContentRelease.objects.create(changes={"questions": [missed.external_id]})
    assert "Which store keeps objects?" not in dashboard(teacher, classroom).content.decode()


def test_an_authors_edit_of_a_question_shows_at_once(teacher, learner, classroom, s3):
    AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"])  # the most-missed list is its scope
    question = QuestionFactory(services=[s3], stem_md="Old stem?")
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=learner, question=question, failures=1), correct=False)
    assert "Old stem?" in dashboard(teacher, classroom).content.decode()
    Question.objects.filter(pk=question.pk).update(stem_md="New stem?", revision=question.revision + 1)
    assert "New stem?" in dashboard(teacher, classroom).content.decode()


def test_the_dashboard_takes_at_most_ten_queries_cold_warm_and_after_a_learners_work(
    teacher, student, learner, classroom, s3, django_assert_max_num_queries
):
    from django.core.cache import cache

    for n in range(3):
        QuestionFactory(services=[s3], position=n)
    for n, kind in enumerate(["review", "master", "exam", "drill"] * 2):
        extra = {"exam_preset": "quick", "target": None} if kind == "exam" else {}
        if kind in ("drill", "master"):
            extra = {"topics": ["s3", "ec2"], "target": 2 if kind == "drill" else None}
        AssignmentFactory(classroom=classroom, title=f"A{n}", kind=kind, **extra)
    for n in range(10):
        other = UserFactory(username=f"learner-{n:02}")
        MembershipFactory(classroom=classroom, learner=other)
        ReviewLogFactory(memory=QuestionMemoryFactory(learner=other, question=QuestionFactory(services=[s3])))
    dashboard(teacher, classroom)
    cache.clear()
    with django_assert_max_num_queries(MAX_DASHBOARD_QUERIES):
        assert computed(dashboard(teacher, classroom)) == 11  # cold
    with django_assert_max_num_queries(MAX_DASHBOARD_QUERIES):
        assert computed(dashboard(teacher, classroom)) is None  # warm: the whole board from the cache
    answer_one_wrong(student)
    with django_assert_max_num_queries(MAX_DASHBOARD_QUERIES):
        after = dashboard(teacher, classroom)
    assert computed(after) == 1 and ratings(after) == 11


def test_ratings_counted_one_row_at_a_time_match_the_sql_aggregates(learner, other_learner, classroom, s3):
    """The few learners computed after their work are counted per rating, a whole class by SQL aggregates
    (learner_parts._ratings): the same numbers, at the edges of opening, due time, scope and the chart's days."""
    from django.utils import timezone

    from quizzes.classes import learner_parts, standing

    now = timezone.now()
    ec2 = ServiceFactory(key="ec2")
    review = AssignmentFactory(classroom=classroom, topics=["s3"], target=3, opens_at=now - timedelta(days=10),
                               due_at=now - timedelta(days=2))  # fmt: skip
    everything = AssignmentFactory(classroom=classroom, target=5, due_at=now + timedelta(days=1))
    in_scope = [QuestionFactory(services=[s3]) for _ in range(3)]
    for who in (learner, other_learner):
        memories = [
            QuestionMemoryFactory(learner=who, question=q) for q in [*in_scope, QuestionFactory(services=[ec2])]
        ]
        for memory, days_ago in zip(memories * 2, [40, 11, 10, 3, 2, 1, 0.5, 0], strict=True):
            ReviewLogFactory(memory=memory, reviewed_at=now - timedelta(days=days_ago))
        ReviewLogFactory(memory=memories[0], reviewed_at=review.due_at)  # at the due time: in time
        ReviewLogFactory(memory=memories[1], reviewed_at=review.opens_at)  # at the opening: counted
    ids = [learner.pk, other_learner.pk]
    reviews = [review, everything]
    scopes = standing.Catalogue.read().scope_ids(reviews)
    one_by_one = learner_parts._ratings(ids, reviews, now, scopes)
    since, _ = learner_parts.activity_window(now)
    starts = [since + timedelta(days=i) for i in range(learner_parts.ACTIVITY_DAYS + 1)]
    in_sql = learner_parts._ratings_in_sql(ids, reviews, since, starts)
    assert one_by_one[0] == {key: value for key, value in in_sql[0].items() if value != (0, 0)}
    assert one_by_one[1] == in_sql[1]
    assert one_by_one[0][(learner.pk, review.pk)] == (3, 3) and sum(one_by_one[1][learner.pk]) == 9
