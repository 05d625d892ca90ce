"""Starting an exam assignment: the window and the number of attempts are the server's to enforce."""

from dataclasses import dataclass
from datetime import datetime, timedelta

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


def reschedule(assignment: Assignment, now: datetime) -> int:
    """After a teacher edits the assignment, its running attempts end by start()'s rule with the new due time: their
    own time limit (the one they started with: a new limit is for later attempts) cut at the due time. Attempts
    whose time is up stay as they ended. Returns how many attempts changed; call it in the edit's transaction."""
    changed = []
    running = (
        ExamAttempt.objects.select_for_update().in_progress().filter(pk__in=assignment.attempt_links.values("attempt"))
    )
    for attempt in running:
        if attempt.time_is_up(now):
            continue
        minutes = attempt.options.get("minutes")
        limit = attempt.started_at + timedelta(minutes=minutes) if minutes else assignment.due_at
        if attempt.deadline != min(limit, assignment.due_at):
            attempt.deadline = min(limit, assignment.due_at)
            changed.append(attempt)
    ExamAttempt.objects.bulk_update(changed, ["deadline"])
    return len(changed)


@dataclass
class Withheld:
    """The right answers of an assignment's attempt are not shown yet: until `until` (the due time), or until the
    learner has no attempt left to take (`attempts_left` more; 0: the one running is their last)."""

    until: datetime
    attempts_left: int
    classroom_id: int


def answers_withheld(attempt: ExamAttempt, now: datetime) -> Withheld | None:
    """Whether the right answers and explanations of this attempt are to be hidden now: an attempt started from an
    exam assignment while the learner may still take it (attempts left or one running, before the due time), else
    the next attempt would be the same exam with the answers in hand. None for a practice exam of one's own, and
    once the exam is closed or the learner's attempts are all finished. One or two queries."""
    link = AssignmentAttempt.objects.select_related("assignment").filter(attempt=attempt).first()
    if link is None or now > link.assignment.due_at:
        return None
    assignment = link.assignment
    mine = list(ExamAttempt.objects.of(attempt.learner_id).filter(assignment_link__assignment=assignment))
    left = max(0, assignment.max_attempts - len(mine))
    running = any(a.is_open and not a.time_is_up(now) for a in mine)
    if not left and not running:
        return None
    return Withheld(until=assignment.due_at, attempts_left=left, classroom_id=assignment.classroom_id)
