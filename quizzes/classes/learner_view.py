"""A learner's assignments, for /progress/ and the class page: what is due, their status, how to start."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.urls import reverse

from quizzes.classes import standing
from quizzes.classes.models import Assignment
from quizzes.models import LearnerSettings


@dataclass
class Start:
    """How to start the work: a link (GET) or a form (POST with these fields)."""

    url: str
    method: str  # "get" or "post"
    fields: list[tuple[str, str]]
    label: str


@dataclass
class Row:
    assignment: Assignment
    standing: standing.Standing
    start: Start | None

    @property
    def overdue(self) -> bool:
        return self.standing.status == standing.Status.OVERDUE


def start_of(assignment: Assignment, now: datetime) -> Start | None:
    """The study session, drill or exam the assignment asks for (None when it is not open)."""
    if assignment.opens_at and now < assignment.opens_at:
        return None
    kind = assignment.kind
    if kind in (Assignment.Kind.REVIEW, Assignment.Kind.MASTER):
        # Exactly the assigned scope (quizzes.study.session.Scope): the bank and its topics or category.
        params = [("bank", assignment.bank.slug)] if assignment.bank_id else []
        if assignment.category:
            params.append(("category", assignment.category))
        else:
            params += [("service", key) for key in assignment.topics]
        query = "?" + urlencode(params) if params else ""
        return Start(reverse("study:session") + query, "get", [], "Study")
    if kind == Assignment.Kind.DRILL:
        if assignment.category:
            fields = [("kind", "practice"), ("category", assignment.category)]
        else:
            fields = [("kind", "drill")] + [("service", key) for key in assignment.topics]
        return Start(reverse("trainer:start"), "post", fields, "Start the drill")
    if now > assignment.due_at:
        return None
    url = reverse("classes:assignment_start", args=[assignment.classroom_id, assignment.pk])
    return Start(url, "post", [], "Take the exam")


def assignments_of(learner, now: datetime, classroom=None) -> list[Row]:
    """The learner's assignments in the classes they joined (or in one class), soonest due first."""
    if learner is None or getattr(learner, "is_guest", False) or not getattr(learner, "in_a_class", True):
        return []  # a user loaded by StudyUserManager knows whether they joined a class: no query
    assignments = Assignment.objects.filter(classroom__memberships__learner=learner).select_related("classroom", "bank")
    if classroom is not None:
        assignments = assignments.filter(classroom=classroom)
    assignments = list(assignments.order_by("due_at", "pk"))
    if not assignments:
        return []
    settings = {learner.pk: LearnerSettings.for_learner(learner)}  # loaded with the user: no query
    # The review, drill and exam counts from one query: with the assignments and the mastery's catalogue and
    # memories, three queries whatever the number of assignments (the progress page stays within its 8).
    counts, exams = standing.learner_counts([learner.pk], assignments, now)
    progress = standing.compute([learner.pk], assignments, now, settings=settings, counts=counts, exams=exams)
    return [Row(a, progress.of(learner.pk, a.pk), start_of(a, now)) for a in assignments]
