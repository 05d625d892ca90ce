"""Assignments: created by the class's teachers, seen by its learners with their status, counted from the
learner's own work; exam windows and attempt limits enforced by the server."""

from datetime import timedelta

import pytest
from django.utils import timezone

from quizzes.classes.models import Assignment, AssignmentAttempt
from quizzes.exams.models import ExamAttempt
from quizzes.models import QuestionMemory
from tests.factories import (
    AssignmentFactory,
    ClassroomFactory,
    MembershipFactory,
    QuestionFactory,
    QuestionMemoryFactory,
    ReviewLogFactory,
    ServiceFactory,
    TrainerAnswerFactory,
)
from tests.test_exams import clock, exam_bank  # noqa: F401 (fixtures)

# Session and user (with settings, role and class membership), the class, its assignments, the learner's review,
# drill and exam counts (one query), the catalogue with the learner's memories (mastery).
LEARNER_CLASS_PAGE_QUERIES = 6
# Every learner page's limit (issue 15): the progress page's own queries, then the same three for assignments.
PROGRESS_QUERIES = 8
# An exam's results (tests/test_exams.py), and for a class's exam its assignment and the learner's attempts at it.
RESULTS_QUERIES = 10


@pytest.fixture
def classroom(instructor, learner):
    classroom = ClassroomFactory(owner=instructor, name="Cloud 101")
    MembershipFactory(classroom=classroom, learner=learner)
    return classroom


def _due(days=7):
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_a_teacher_creates_a_review_assignment_that_learners_see_on_progress_and_the_class_page(
    client, instructor, learner, classroom
):
    ServiceFactory(key="s3", name="Amazon S3")
    client.force_login(instructor)
    response = client.post(
        f"/classes/{classroom.pk}/assignments/new/",
        {"title": "Storage week", "kind": "review", "topics": ["s3"], "target": "20", "due_at": _due(),
         "max_attempts": "1"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = Assignment.objects.get()
    assert assignment.topics == ["s3"] and assignment.target == 20
    client.force_login(learner)
    for url in ("/progress/", f"/classes/{classroom.pk}/"):
        page = client.get(url).content.decode()
        assert "Storage week" in page and "Not started" in page and "0 of 20 questions reviewed" in page
        assert 'href="/study/?service=s3"' in page


def test_a_drill_needs_a_category_or_a_pair_and_nothing_is_saved_otherwise(client, instructor, classroom):
    ServiceFactory(key="ecs")
    client.force_login(instructor)
    response = client.post(
        f"/classes/{classroom.pk}/assignments/new/",
        {"title": "Drill", "kind": "drill", "topics": ["ecs"], "target": "5", "due_at": _due(), "max_attempts": "1"},
    )
    assert response.status_code == 422
    assert "exactly two topics" in response.content.decode()
    assert not Assignment.objects.exists()


def test_the_due_time_must_follow_the_opening(client, instructor, classroom):
    client.force_login(instructor)
    response = client.post(
        f"/classes/{classroom.pk}/assignments/new/",
        {"title": "X", "kind": "review", "target": "5", "opens_at": _due(8), "due_at": _due(7), "max_attempts": "1"},
    )
    assert response.status_code == 422 and "must come after the opening" in response.content.decode()


def test_a_teacher_edits_and_deletes_an_assignment_without_touching_learners_memory(
    client, instructor, learner, classroom
):
    memory = QuestionMemoryFactory(learner=learner)
    before = (memory.due, memory.stability, memory.version)
    assignment = AssignmentFactory(classroom=classroom, title="Old")
    client.force_login(instructor)
    fields = {"title": "New", "kind": "master", "topics": [], "due_at": _due(), "max_attempts": "1"}
    fields["bank"] = memory.question.bank_id
    assert client.post(f"/classes/{classroom.pk}/assignments/{assignment.pk}/edit/", fields).status_code == 302
    assignment.refresh_from_db()
    assert assignment.title == "New" and assignment.kind == "master" and assignment.target is None
    assert client.post(f"/classes/{classroom.pk}/assignments/{assignment.pk}/delete").status_code == 302
    assert not Assignment.objects.exists()
    memory.refresh_from_db()
    assert (memory.due, memory.stability, memory.version) == before


def test_another_classes_teacher_cannot_edit_its_assignments(client, classroom):
    assignment = AssignmentFactory(classroom=classroom)
    intruder_class = ClassroomFactory()
    client.force_login(intruder_class.owner)
    assert client.get(f"/classes/{classroom.pk}/assignments/{assignment.pk}/edit/").status_code == 404
    assert client.get(f"/classes/{intruder_class.pk}/assignments/{assignment.pk}/edit/").status_code == 404
    assert client.post(f"/classes/{classroom.pk}/assignments/{assignment.pk}/delete").status_code == 404
    assert Assignment.objects.filter(pk=assignment.pk).exists()


# ---------------------------------------------------------------- status of a review assignment


def _status(client, classroom, title):
    """The status and detail cells of an assignment on the learner's class page."""
    page = client.get(f"/classes/{classroom.pk}/").content.decode()
    row = page.split(title, 1)[1].split("</tr>", 1)[0]
    return row


def test_review_counts_only_ratings_in_scope_after_opening_and_by_this_learner(
    client, learner, other_learner, classroom
):
    s3, ec2 = ServiceFactory(key="s3"), ServiceFactory(key="ec2")
    now = timezone.now()
    AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"], target=3,
                      opens_at=now - timedelta(days=1), due_at=now + timedelta(days=1))  # fmt: skip
    in_scope = QuestionMemoryFactory(learner=learner, question=QuestionFactory(services=[s3]))
    ReviewLogFactory(memory=in_scope, reviewed_at=now - timedelta(hours=1))
    ReviewLogFactory(memory=in_scope, reviewed_at=now - timedelta(days=2))  # before the opening
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=learner, question=QuestionFactory(services=[ec2])))
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=other_learner, question=in_scope.question))
    client.force_login(learner)
    row = _status(client, classroom, "Review S3")
    assert "In progress" in row and "1 of 3 questions reviewed" in row and "33 %" in row


def test_review_becomes_done_then_late_and_overdue_by_the_clock(client, learner, classroom, clock):  # noqa: F811
    s3 = ServiceFactory(key="s3")
    now = clock.now
    AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"], target=2,
                      due_at=now + timedelta(days=1), created_at=now - timedelta(days=1))  # fmt: skip
    first, second = (QuestionMemoryFactory(learner=learner, question=QuestionFactory(services=[s3])) for _ in "12")
    client.force_login(learner)
    assert "Not started" in _status(client, classroom, "Review S3")
    clock.advance(days=2)
    assert "Overdue" in _status(client, classroom, "Review S3")
    ReviewLogFactory(memory=first, reviewed_at=now - timedelta(hours=2))
    ReviewLogFactory(memory=second, reviewed_at=clock.now)  # after the due time
    row = _status(client, classroom, "Review S3")
    assert "Done late" in row and "50 %" in row
    ReviewLogFactory(memory=second, reviewed_at=now - timedelta(hours=1))
    row = _status(client, classroom, "Review S3")
    assert ">Done<" in row and "100 %" in row


def test_a_question_rated_again_and_again_counts_as_one_question_reviewed(client, learner, classroom):
    s3 = ServiceFactory(key="s3")
    now = timezone.now()
    AssignmentFactory(classroom=classroom, title="Review S3", topics=["s3"], target=3,
                      opens_at=now - timedelta(days=1), due_at=now + timedelta(days=1))  # fmt: skip
    memory = QuestionMemoryFactory(learner=learner, question=QuestionFactory(services=[s3]))
    for minutes in (50, 40, 30, 20):  # Again, again...: the same question back within minutes
        ReviewLogFactory(memory=memory, reviewed_at=now - timedelta(minutes=minutes))
    client.force_login(learner)
    row = _status(client, classroom, "Review S3")
    assert "1 of 3 questions reviewed" in row and "33 %" in row


def test_mastery_needs_recall_at_the_learners_desired_retention_on_every_question(client, learner, classroom):
    s3 = ServiceFactory(key="s3")
    questions = [QuestionFactory(services=[s3]) for _ in range(2)]
    AssignmentFactory(classroom=classroom, title="Master S3", kind="master", topics=["s3"], target=None)
    now = timezone.now()
    QuestionMemoryFactory(learner=learner, question=questions[0], stability=100.0, last_review=now)
    client.force_login(learner)
    row = _status(client, classroom, "Master S3")
    assert "In progress" in row and "1 of 2 questions" in row and "50 %" in row
    # Stability 1 day, reviewed 30 days ago: recall is far below 90 %.
    weak = QuestionMemoryFactory(learner=learner, question=questions[1], stability=1.0,
                                 last_review=now - timedelta(days=30))  # fmt: skip
    assert "1 of 2 questions" in _status(client, classroom, "Master S3")
    QuestionMemory.objects.filter(pk=weak.pk).update(stability=100.0, last_review=now)
    row = _status(client, classroom, "Master S3")
    assert ">Done<" in row and "100 %" in row


def test_a_drill_counts_right_trainer_answers_on_the_pair(client, learner, classroom):
    from quizzes.trainer.models import Round, Scenario, ScenarioMemory

    ecs, fargate, s3 = ServiceFactory(key="ecs"), ServiceFactory(key="fargate"), ServiceFactory(key="s3")
    AssignmentFactory(classroom=classroom, title="ECS or Fargate", kind="drill", topics=["ecs", "fargate"], target=2)
    now = timezone.now()
    round_ = Round.objects.create(learner=learner, kind="drill", size=3, started_at=now)
    for n, (service, chosen) in enumerate([(ecs, "ecs"), (fargate, "ecs"), (s3, "s3")]):
        scenario = Scenario.objects.create(
            external_id=f"sc-{n}", text_md="t", text_html="t", highlighted_html="t", answer=[service.key],
            answer_key=service.key, difficulty=1, why_md="w", why_html="w", source="test",
        )  # fmt: skip
        scenario.services.set([service])
        memory = ScenarioMemory.objects.create(learner=learner, scenario=scenario, due=now)
        TrainerAnswerFactory(round=round_, scenario=scenario, memory=memory, chosen_key=chosen, answered_at=now)
    client.force_login(learner)
    row = _status(client, classroom, "ECS or Fargate")
    assert "In progress" in row and "1 of 2 right answers" in row
    page = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert 'action="/trainer/rounds/"' in page and 'name="kind" value="drill"' in page


# ---------------------------------------------------------------- exam assignments


@pytest.fixture
def exam_assignment(classroom, clock, exam_bank):  # noqa: F811
    return AssignmentFactory(
        classroom=classroom, title="Midterm", kind="exam", exam_preset="quick", target=None, max_attempts=1,
        opens_at=clock.now + timedelta(hours=1), due_at=clock.now + timedelta(hours=3),
    )  # fmt: skip


def _start(client, assignment):
    return client.post(f"/classes/{assignment.classroom_id}/assignments/{assignment.pk}/start", follow=True)


def test_an_exam_cannot_start_before_it_opens_or_after_it_closes(client, learner, exam_assignment, clock):  # noqa: F811
    client.force_login(learner)
    assert "This exam opens on" in _start(client, exam_assignment).content.decode()
    clock.advance(hours=4)
    assert "This exam closed on" in _start(client, exam_assignment).content.decode()
    assert not ExamAttempt.objects.exists()


def test_an_exam_allows_only_the_attempts_given_and_resumes_the_running_one(client, learner, exam_assignment, clock):  # noqa: F811
    client.force_login(learner)
    clock.advance(hours=1, minutes=1)
    response = client.post(f"/classes/{exam_assignment.classroom_id}/assignments/{exam_assignment.pk}/start")
    attempt = ExamAttempt.objects.get()
    assert response.status_code == 303 and response.url == f"/exam/{attempt.pk}/"
    assert attempt.deadline == clock.now + timedelta(minutes=30)
    assert AssignmentAttempt.objects.get().attempt == attempt
    _start(client, exam_assignment)  # a second click resumes it
    assert ExamAttempt.objects.count() == 1
    attempt.submit(clock.now)
    page = _start(client, exam_assignment).content.decode()
    assert "You have used your 1 attempt at this exam." in page
    assert ExamAttempt.objects.count() == 1


def test_an_exam_started_near_the_due_time_ends_at_the_due_time(client, learner, exam_assignment, clock):  # noqa: F811
    client.force_login(learner)
    clock.advance(hours=2, minutes=50)
    _start(client, exam_assignment)
    assert ExamAttempt.objects.get().deadline == exam_assignment.due_at


def test_a_finished_exam_shows_done_with_its_score(client, learner, exam_assignment, clock):  # noqa: F811
    client.force_login(learner)
    clock.advance(hours=1, minutes=1)
    _start(client, exam_assignment)
    attempt = ExamAttempt.objects.get()
    first = attempt.questions.first()
    first.answer = sorted(c["key"] for c in first.snapshot["choices"] if c["correct"])
    first.save()
    attempt.submit(clock.now)
    attempt.refresh_from_db()
    row = _status(client, exam_assignment.classroom, "Midterm")
    assert ">Done<" in row and f"{attempt.percent:.0f} %" in row and "1 of 1 attempt used" in row


def test_only_a_learner_of_the_class_starts_its_exam(client, other_learner, exam_assignment, clock):  # noqa: F811
    clock.advance(hours=2)
    client.force_login(other_learner)
    url = f"/classes/{exam_assignment.classroom_id}/assignments/{exam_assignment.pk}/start"
    assert client.post(url).status_code == 404
    client.force_login(exam_assignment.classroom.owner)
    assert client.post(url).status_code == 403
    assert not ExamAttempt.objects.exists()


def test_a_custom_exam_draws_only_from_the_chosen_bank(client, learner, classroom, clock, exam_bank):  # noqa: F811
    from quizzes.models import Bank

    other = Bank.objects.create(slug="other-bank", title="Other")
    QuestionFactory(bank=other)
    assignment = AssignmentFactory(
        classroom=classroom, title="Bank exam", kind="exam", exam_preset="custom", exam_count=5,
        exam_minutes=10, bank=other, target=None, due_at=clock.now + timedelta(days=1),
    )  # fmt: skip
    client.force_login(learner)
    page = _start(client, assignment).content.decode()
    assert "The exam cannot be drawn: Only 1 questions match" in page
    QuestionFactory.create_batch(4, bank=other)
    _start(client, assignment)
    attempt = ExamAttempt.objects.get()
    assert set(attempt.questions.values_list("question__bank", flat=True)) == {other.pk}


def test_the_learners_pages_read_assignments_of_every_kind_in_a_few_queries(
    client, learner, classroom, django_assert_max_num_queries
):
    s3 = ServiceFactory(key="s3")
    for question in [QuestionFactory(services=[s3]) for _ in range(5)]:
        ReviewLogFactory(memory=QuestionMemoryFactory(learner=learner, question=question))
    for n, kind in enumerate(["review", "master", "drill", "exam"] * 3):
        extra = {"exam_preset": "quick", "target": None} if kind == "exam" else {}
        if kind in ("drill", "master"):
            extra = {"topics": ["s3", "ec2"], "target": 2 if kind == "drill" else None}
        AssignmentFactory(classroom=classroom, title=f"Work {n}", kind=kind, **extra)
    client.force_login(learner)
    client.get(f"/classes/{classroom.pk}/")
    with django_assert_max_num_queries(LEARNER_CLASS_PAGE_QUERIES):
        page = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert page.count('<th scope="row">Work ') == 12
    with django_assert_max_num_queries(PROGRESS_QUERIES):
        page = client.get("/progress/").content.decode()
    assert page.count('<th scope="row">Work ') == 12


def test_an_exam_whose_time_ran_out_counts_as_done_before_the_sweeper_scores_it(
    client,
    learner,
    exam_assignment,
    clock,  # noqa: F811
):
    client.force_login(learner)
    clock.advance(hours=1, minutes=1)
    _start(client, exam_assignment)
    clock.advance(hours=3)  # past the attempt's deadline and the due time; nothing submitted it yet
    assert ExamAttempt.objects.get().state == "in_progress"
    row = _status(client, exam_assignment.classroom, "Midterm")
    assert ">Done<" in row and "Overdue" not in row


# ---------------------------------------------------------------- answers of an exam with attempts left


def _results(client, attempt) -> str:
    return client.get(f"/exam/{attempt.pk}/results/").content.decode()


def _answers_shown(page: str) -> bool:
    return "✔ Right answer" in page and "<p>Because.</p>" in page


def test_the_answers_of_an_exam_stay_hidden_while_attempts_remain_and_show_when_none_is_left(
    client,
    learner,
    exam_assignment,
    clock,  # noqa: F811
    django_assert_max_num_queries,
):
    exam_assignment.max_attempts = 2
    exam_assignment.save()
    client.force_login(learner)
    clock.advance(hours=1, minutes=1)
    _start(client, exam_assignment)
    first = ExamAttempt.objects.get()
    first.submit(clock.now)
    first.refresh_from_db()
    with django_assert_max_num_queries(RESULTS_QUERIES):
        page = _results(client, first)
    assert f"{first.scored_correct} of {first.scored_total} scored questions" in page  # the score is shown
    assert not _answers_shown(page) and "?show=wrong" not in page
    assert "stay hidden while you can still take it" in page and "used your 1 remaining attempt" in page
    assert "UTC" in page.split('id="answers-withheld"', 1)[1].split("</p>", 1)[0]
    assert f'href="/classes/{exam_assignment.classroom_id}/"' in page and "Retake with the same settings" not in page
    _start(client, exam_assignment)  # the last attempt: while it runs, the first one's answers stay hidden
    second = ExamAttempt.objects.exclude(pk=first.pk).get()
    assert not _answers_shown(_results(client, first))
    assert "as soon as you finish your last attempt" in _results(client, first)
    second.submit(clock.now)
    assert _answers_shown(_results(client, first)) and _answers_shown(_results(client, second))


def test_the_answers_of_an_exam_show_once_it_is_closed_even_with_attempts_left(
    client,
    learner,
    exam_assignment,
    clock,  # noqa: F811
):
    exam_assignment.max_attempts = 3
    exam_assignment.save()
    client.force_login(learner)
    clock.advance(hours=1, minutes=1)
    _start(client, exam_assignment)
    attempt = ExamAttempt.objects.get()
    attempt.submit(clock.now)
    assert not _answers_shown(_results(client, attempt))
    clock.advance(hours=2)  # past the due time
    page = _results(client, attempt)
    assert _answers_shown(page) and "answers-withheld" not in page


def test_a_practice_exam_of_ones_own_shows_its_answers_at_once(client, learner, exam_assignment, clock):  # noqa: F811
    client.force_login(learner)
    client.post("/exam/start", {"preset": "quick", "source": "all"})
    attempt = ExamAttempt.objects.get()
    attempt.submit(clock.now)
    page = _results(client, attempt)
    assert _answers_shown(page) and "Retake with the same settings" in page


# ---------------------------------------------------------------- editing an exam while attempts run


def _edit_due(client, assignment, due) -> str:
    fields = {"title": assignment.title, "kind": "exam", "exam_preset": "quick", "max_attempts": "2"}
    response = client.post(
        f"/classes/{assignment.classroom_id}/assignments/{assignment.pk}/edit/",
        {**fields, "due_at": due.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def _start_once_open(client, learner, assignment, clock) -> ExamAttempt:  # noqa: F811
    """The learner starts the exam a minute after it opens (on a whole minute); their running attempt."""
    clock.now = clock.now.replace(second=0, microsecond=0)
    client.force_login(learner)
    clock.advance(hours=1, minutes=1)
    _start(client, assignment)
    return ExamAttempt.objects.get()


def test_moving_the_due_time_earlier_cuts_the_running_attempts_at_it(
    client,
    instructor,
    learner,
    exam_assignment,
    clock,  # noqa: F811
):
    running = _start_once_open(client, learner, exam_assignment, clock)
    assert running.deadline == clock.now + timedelta(minutes=30)  # its time limit, well before the due time
    client.force_login(instructor)
    page = _edit_due(client, exam_assignment, clock.now + timedelta(minutes=10))
    assert "1 running attempt now ends by the new due time" in page
    running.refresh_from_db()
    assert running.deadline == clock.now + timedelta(minutes=10)  # min(start + time limit, due)
    client.force_login(learner)
    clock.advance(minutes=11)
    item = running.questions.get(position=1)
    response = client.post(
        f"/exam/{running.pk}/q/1/", {"seq": running.seq, "choice": [item.snapshot["choices"][0]["key"]]}
    )
    assert response.status_code == 302 and response.url == f"/exam/{running.pk}/results/"  # too late: refused
    running.refresh_from_db()
    assert running.state == "finished" and running.auto_submitted


def test_moving_the_due_time_later_gives_back_no_more_than_the_time_limit(
    client,
    instructor,
    learner,
    exam_assignment,
    clock,  # noqa: F811
):
    clock.now = clock.now.replace(second=0, microsecond=0)
    client.force_login(learner)
    clock.advance(hours=2, minutes=50)
    _start(client, exam_assignment)
    running = ExamAttempt.objects.get()
    assert running.deadline == exam_assignment.due_at  # cut at the due time, 10 minutes away
    client.force_login(instructor)
    _edit_due(client, exam_assignment, clock.now + timedelta(days=1))
    running.refresh_from_db()
    assert running.deadline == running.started_at + timedelta(minutes=30)  # its own time limit, no more


def test_editing_an_exam_leaves_finished_attempts_and_other_assignments_alone(
    client,
    instructor,
    learner,
    classroom,
    exam_assignment,
    clock,  # noqa: F811
):
    clock.now = clock.now.replace(second=0, microsecond=0)
    other = AssignmentFactory(
        classroom=classroom, title="Final", kind="exam", exam_preset="quick", target=None,
        due_at=clock.now + timedelta(days=2),
    )  # fmt: skip
    client.force_login(learner)
    clock.advance(hours=1, minutes=1)
    _start(client, exam_assignment)
    finished = ExamAttempt.objects.get()
    finished.submit(clock.now)
    _start(client, other)
    elsewhere = ExamAttempt.objects.exclude(pk=finished.pk).get()
    before = {a.pk: a.deadline for a in ExamAttempt.objects.all()}
    client.force_login(instructor)
    page = _edit_due(client, exam_assignment, clock.now + timedelta(minutes=5))
    assert "running attempt" not in page
    assert {a.pk: a.deadline for a in ExamAttempt.objects.all()} == before
    assert elsewhere.pk in before


def test_a_running_exam_whose_due_time_moved_before_now_no_longer_shows_on_the_progress_dashboard(
    client,
    instructor,
    learner,
    exam_assignment,
    clock,  # noqa: F811
):
    running = _start_once_open(client, learner, exam_assignment, clock)
    assert f'href="/exam/{running.pk}/">Continue exam' in client.get("/progress/").content.decode()  # now cached
    client.force_login(instructor)
    _edit_due(client, exam_assignment, clock.now + timedelta(minutes=2))
    client.force_login(learner)
    clock.advance(minutes=3)  # past the new due time; the sweeper has not closed the attempt yet
    assert ExamAttempt.objects.get().state == "in_progress"
    assert "Continue exam" not in client.get("/progress/").content.decode()
