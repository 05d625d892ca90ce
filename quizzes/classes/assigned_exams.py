"""Starting an exam assignment: the window and the number of attempts are the server's to enforce."""

from datetime import datetime

from django.db import transaction
from django.utils import formats, timezone

from quizzes.classes.models import Assignment, AssignmentAttempt, Membership
from quizzes.exams import attempts
from quizzes.exams.models import ExamAttempt
from quizzes.models import Service


class Refused(Exception):
    """The attempt may not start now: the message says why."""


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def options_for(assignment: Assignment) -> attempts.ExamOptions:
    """The exam the assignment asks for, as the exams app draws it."""
    preset = assignment.exam_preset
    if preset in attempts.PRESETS:
        base = attempts.PRESETS[preset]
        return attempts.ExamOptions(preset, base["count"], base["minutes"])
    keys = list(assignment.topics)
    if assignment.category:
        keys = list(Service.objects.filter(category__key=assignment.category).values_list("key", flat=True))
    banks = [assignment.bank.slug] if assignment.bank_id else []
    return attempts.ExamOptions(
        ExamAttempt.Preset.CUSTOM, assignment.exam_count, assignment.exam_minutes, keys, "all", False, banks
    )


def start(assignment: Assignment, learner, now: datetime) -> ExamAttempt:
    """The learner's attempt: the one still running, else a new one if the window is open and attempts are
    left. The attempt's deadline is its time limit, cut at the due time (an untimed exam ends then)."""
    if assignment.opens_at and now < assignment.opens_at:
        raise Refused(f"This exam opens on {_when(assignment.opens_at)}.")
    if now > assignment.due_at:
        raise Refused(f"This exam closed on {_when(assignment.due_at)}.")
    with transaction.atomic():
        # Two tabs starting at once take turns on the membership row: the attempts limit holds.
        Membership.objects.select_for_update().get(classroom_id=assignment.classroom_id, learner=learner)
        mine = ExamAttempt.objects.of(learner).filter(assignment_link__assignment=assignment)
        running = next((a for a in mine.in_progress() if not a.time_is_up(now)), None)
        if running is not None:
            return running
        used = mine.count()
        if used >= assignment.max_attempts:
            raise Refused(
                f"You have used your {assignment.max_attempts} attempt"
                f"{'s' if assignment.max_attempts != 1 else ''} at this exam."
            )
        try:
            attempt = attempts.start(learner, options_for(assignment), now)
        except attempts.TooFewQuestions as short:
            raise Refused(f"The exam cannot be drawn: {short}") from None
        if attempt.deadline is None or attempt.deadline > assignment.due_at:
            attempt.deadline = assignment.due_at
            attempt.save(update_fields=["deadline"])
        AssignmentAttempt.objects.create(assignment=assignment, attempt=attempt)
    return attempt
