"""Practice exams: starting, answering, flagging, submitting, scoring; the server owns the clock.

Every write locks the attempt row (select_for_update on PostgreSQL; IMMEDIATE transactions serialize
writers on SQLite) and carries the `seq` its page was rendered at: a replay of the last write returns the
same state, any other stale write is refused. Correct answers stay on the server until the attempt ends.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Prefetch

from quizzes import scheduling
from quizzes.exams import blueprint
from quizzes.exams.models import GRACE, AttemptQuestion, ExamAttempt
from quizzes.models import Choice, LearnerSettings, Question, QuestionMemory, Service
from quizzes.scheduling import Rating
from studyapp.rows import build, select_list, update_row, width

PRESETS = {
    ExamAttempt.Preset.FULL: {"count": 65, "minutes": 90},
    ExamAttempt.Preset.QUICK: {"count": 20, "minutes": 30},
}
MAX_QUESTIONS = 100
MAX_MINUTES = 240
# Our estimate of the raw score the 700 pass mark stands for: AWS does not publish its scaling.
CUT_SCORE = 0.72


class ExamError(Exception):
    """Tampered or impossible input: the view answers 400 with this message."""


class TooFewQuestions(Exception):
    """The bank cannot fill the exam as asked; `available` is the largest exam it supports."""

    def __init__(self, available: int, wanted: int):
        super().__init__(f"Only {available} questions match these settings ({wanted} were asked for).")
        self.available, self.wanted = available, wanted


class StaleWrite(Exception):
    """The page was out of date (another tab, the back button): nothing was written."""


class TooMany(Exception):
    """More options selected than the question takes: nothing saved, the learner is told."""


class TimeUp(Exception):
    """The answer arrived after the deadline (plus grace): refused, and the attempt is now finished."""


@dataclass
class ExamOptions:
    preset: str
    count: int
    minutes: int | None  # None: untimed
    services: list[str] = field(default_factory=list)
    source: str = "all"
    pilot: bool = False

    def as_dict(self) -> dict:
        return {
            "preset": self.preset,
            "count": self.count,
            "minutes": self.minutes,
            "services": self.services,
            "source": self.source,
            "pilot": self.pilot,
        }

    @property
    def title(self) -> str:
        if self.preset == ExamAttempt.Preset.CUSTOM:
            timing = f"{self.minutes} min" if self.minutes else "untimed"
            return f"Custom exam · {self.count} questions, {timing}"
        return ExamAttempt.Preset(self.preset).label


def _primary_services(question_ids: list[int]) -> dict[int, str]:
    """Each question's first service as listed in its bank (the through row inserted first)."""
    through = Question.services.through
    first: dict[int, str] = {}
    for question_id, key in (
        through.objects.filter(question_id__in=question_ids).order_by("pk").values_list("question_id", "service__key")
    ):
        first.setdefault(question_id, key)
    return first


def start(learner, options: ExamOptions, now: datetime, rng: random.Random | None = None) -> ExamAttempt:
    """Draw the questions by the blueprint and open an attempt whose deadline is fixed now."""
    rng = rng or random.SystemRandom()
    if not 1 <= options.count <= MAX_QUESTIONS:
        raise ExamError(f"An exam has between 1 and {MAX_QUESTIONS} questions.")
    if options.minutes is not None and not 1 <= options.minutes <= MAX_MINUTES:
        raise ExamError(f"The time limit is between 1 and {MAX_MINUTES} minutes, or untimed.")
    if options.source not in blueprint.SOURCES:
        raise ExamError("Unknown question source.")
    known = set(Service.objects.filter(key__in=options.services).values_list("key", flat=True))
    if set(options.services) - known:
        raise ExamError(f"Unknown service: {', '.join(sorted(set(options.services) - known))}.")
    candidates = list(blueprint.pool(learner, options.services, options.source).only("pk", "domain"))
    if len(candidates) < options.count:
        raise TooFewQuestions(len(candidates), options.count)
    primary = _primary_services([q.pk for q in candidates])
    for question in candidates:
        question.primary_service = primary.get(question.pk, "")
    drawn = blueprint.draw(candidates, options.count, rng)
    questions = {
        q.pk: q
        for q in Question.objects.filter(pk__in=[q.pk for q in drawn]).prefetch_related(
            Prefetch("choices", queryset=Choice.objects.order_by("key")),
            Prefetch("services", queryset=Service.objects.order_by("order")),
        )
    }
    pilots = set(rng.sample(range(len(drawn)), blueprint.pilot_count(len(drawn)))) if options.pilot else set()
    with transaction.atomic():
        attempt = ExamAttempt.objects.create(
            learner=learner,
            preset=options.preset,
            title=options.title,
            options=options.as_dict(),
            started_at=now,
            deadline=now + timedelta(minutes=options.minutes) if options.minutes else None,
        )
        AttemptQuestion.objects.bulk_create(
            AttemptQuestion(
                attempt=attempt,
                position=index + 1,
                question_id=question.pk,
                revision=questions[question.pk].revision,
                snapshot=_snapshot(questions[question.pk], rng),
                select=questions[question.pk].select_count,
                is_pilot=index in pilots,
            )
            for index, question in enumerate(drawn)
        )
    return attempt


def _snapshot(question: Question, rng: random.Random) -> dict:
    choices = list(question.choices.all())
    if question.type != Question.Type.TRUEFALSE:
        rng.shuffle(choices)
    return {
        "type": question.type,
        "select": question.select_count,
        "stem_html": question.stem_html,
        "explanation_html": question.explanation_html,
        "note_url": question.note_url,
        "domain": question.domain,
        "services": [[s.key, s.name, s.note_slug] for s in question.services.all()],
        "choices": [
            {"key": c.key, "text_html": c.text_html, "correct": c.correct, "why_html": c.why_html} for c in choices
        ],
    }


# ---------------------------------------------------------------- the clock


def close_if_overdue(attempt: ExamAttempt, now: datetime) -> bool:
    """Submit an attempt whose time ran out (lazily, whenever it is touched). True if it was closed now."""
    if not attempt.is_open or not attempt.is_overdue(now):
        return False
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.is_open and locked.is_overdue(now):
            _finish(locked, locked.deadline, auto=True)
            attempt.refresh_from_db()
            return True
    attempt.refresh_from_db()
    return False


def close_overdue(now: datetime) -> int:
    """Submit every attempt whose deadline (plus grace) has passed. Returns how many were closed."""
    closed = 0
    overdue = ExamAttempt.objects.in_progress().filter(deadline__lt=now - GRACE)
    for attempt in overdue.iterator():
        closed += close_if_overdue(attempt, now)
    return closed


# ---------------------------------------------------------------- answering


def _lock(attempt_id: int, learner, position: int) -> tuple[ExamAttempt, AttemptQuestion | None]:
    """The learner's attempt, locked, and its question at `position` (None if there is none): one statement.

    Hand-written SQL on the hottest write path: compiling these ORM queries cost more than running them."""
    attempts, items = ExamAttempt._meta.db_table, AttemptQuestion._meta.db_table
    lock = ""
    if connection.features.has_select_for_update:  # PostgreSQL; SQLite serializes writers instead
        lock = " FOR UPDATE OF a" if connection.features.has_select_for_update_of else " FOR UPDATE"
    sql = (
        f"SELECT {select_list(ExamAttempt, 'a')}, {select_list(AttemptQuestion, 'i')} FROM {attempts} a "
        f"LEFT JOIN {items} i ON i.attempt_id = a.id AND i.position = %s "
        f"WHERE a.id = %s AND a.learner_id = %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [position, attempt_id, learner.pk])
        row = cursor.fetchone()
    if row is None:
        raise ExamAttempt.DoesNotExist
    split = width(ExamAttempt)
    item = build(AttemptQuestion, row[split:]) if row[split] is not None else None
    return build(ExamAttempt, row[:split]), item


def save(
    attempt_id: int,
    learner,
    position: int,
    seq: int | None,
    keys: list[int] | None,
    flagged: bool | None,
    now: datetime,
    resume_at: int | None = None,
) -> tuple[ExamAttempt, AttemptQuestion]:
    """Save the selection (when `keys` is given) and the flag (when given) of one question; bump seq.

    `resume_at` is where the learner goes next (the question a resume opens). A replay of the last write
    changes nothing and returns the same state; any other write from an outdated page raises StaleWrite.
    """
    payload = {"position": position, "keys": sorted(keys) if keys is not None else None, "flagged": flagged}
    timed_out = False
    with transaction.atomic():
        attempt, item = _lock(attempt_id, learner, position)
        if attempt.is_open and attempt.is_overdue(now):
            _finish(attempt, attempt.deadline, auto=True)
            timed_out = True
        elif not attempt.is_open:
            raise ExamError("This exam is finished: it can no longer be changed.")
        else:
            if item is None:
                raise ExamError("That question is not part of this exam.")
            if seq != attempt.seq:
                if attempt.last_write == {"seq": seq, **payload}:
                    return attempt, item
                raise StaleWrite
            _apply(item, keys, flagged, now)
            update_row(attempt, seq=attempt.seq + 1, last_write={"seq": seq, **payload}, position=resume_at or position)
    if timed_out:
        raise TimeUp
    return attempt, item


def _apply(item: AttemptQuestion, keys: list[int] | None, flagged: bool | None, now: datetime) -> None:
    valid = {choice["key"] for choice in item.snapshot["choices"]}
    changes = {}
    if keys is not None:
        if len(set(keys)) != len(keys) or not set(keys) <= valid:
            raise ExamError("That answer names options that are not part of this question.")
        if len(keys) > item.select:
            raise TooMany(
                f"Select only {item.select}: this question takes {item.select} answer"
                f"{'s' if item.select > 1 else ''}. Your last choice was not saved."
            )
        if sorted(keys) != sorted(item.answer):
            changes.update(answer=sorted(keys), answered=len(keys) == item.select, answered_at=now)
    if flagged is not None and flagged != item.flagged:
        changes["flagged"] = flagged
    update_row(item, **changes)


def submit(attempt: ExamAttempt, seq: int | None, now: datetime) -> ExamAttempt:
    """Finish the attempt (the learner confirmed on the review screen) and score it."""
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.state == ExamAttempt.State.FINISHED:
            return locked  # a double submit: the same results
        if not locked.is_open:
            raise ExamError("This exam was abandoned: it cannot be submitted.")
        if locked.is_overdue(now):
            _finish(locked, locked.deadline, auto=True)
            return locked
        if seq != locked.seq:
            raise StaleWrite
        _finish(locked, now, auto=False)
    return locked


def abandon(attempt: ExamAttempt, now: datetime) -> None:
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.is_open:
            locked.state = ExamAttempt.State.ABANDONED
            locked.finished_at = now
            locked.save(update_fields=["state", "finished_at"])


# ---------------------------------------------------------------- scoring


def scaled_score(correct: int, total: int) -> int:
    """Our estimate of AWS's 100-1000 scale: linear from 100 to 700 up to the cut score, then to 1000."""
    if total == 0:
        return 100
    share = correct / total
    if share <= CUT_SCORE:
        return round(100 + 600 * share / CUT_SCORE)
    return round(700 + 300 * (share - CUT_SCORE) / (1 - CUT_SCORE))


def _finish(attempt: ExamAttempt, finished_at: datetime, auto: bool) -> None:
    """Score every question, close the attempt, and make missed questions due in spaced repetition."""
    items = list(AttemptQuestion.objects.filter(attempt=attempt))
    missed = []
    for item in items:
        right = sorted(c["key"] for c in item.snapshot["choices"] if c["correct"])
        item.correct = sorted(item.answer) == right
        if not item.correct:
            missed.append(item.question_id)
    AttemptQuestion.objects.bulk_update(items, ["correct"])
    scored = [item for item in items if not item.is_pilot]
    attempt.scored_total = len(scored)
    attempt.scored_correct = sum(item.correct for item in scored)
    attempt.scaled_score = scaled_score(attempt.scored_correct, attempt.scored_total)
    attempt.passed = attempt.scaled_score >= 700
    attempt.state = ExamAttempt.State.FINISHED
    attempt.finished_at = finished_at
    attempt.auto_submitted = auto
    attempt.save()
    schedule_missed(attempt.learner, missed, finished_at)


def schedule_missed(learner, question_ids: list[int], now: datetime) -> None:
    """Missed exam questions become due: studied ones are due now; new ones start learning (rated Again)."""
    if not question_ids:
        return
    prefs = LearnerSettings.for_learner(learner)
    sched = prefs.scheduler()
    memories = {m.question_id: m for m in QuestionMemory.objects.filter(learner=learner, question_id__in=question_ids)}
    for question_id in question_ids:
        memory = memories.get(question_id)
        if memory is None:
            memory = QuestionMemory(learner=learner, question_id=question_id, due=now)
        if memory.last_review is None:
            scheduling.review(memory, Rating.Again, now, sched)
        elif memory.due > now:
            memory.due = now
        else:
            continue
        memory.version += 1  # an open study showing of this question is now stale
        memory.save()


# ---------------------------------------------------------------- results


@dataclass
class Area:
    key: str
    name: str
    note: str = ""
    correct: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.total) if self.total else 0


def breakdown(items: list[AttemptQuestion]) -> tuple[list[Area], list[Area]]:
    """Scored results per service and per domain, weakest first."""
    from quizzes.models import Domain

    services: dict[str, Area] = {}
    domains: dict[str, Area] = {}
    for item in items:
        if item.is_pilot:
            continue
        for key, name, note in item.snapshot["services"]:
            area = services.setdefault(key, Area(key, name, note))
            area.total += 1
            area.correct += bool(item.correct)
        domain = item.snapshot["domain"]
        area = domains.setdefault(domain, Area(domain, Domain(domain).label))
        area.total += 1
        area.correct += bool(item.correct)
    weakest_first = lambda area: (area.percent, -area.total)  # noqa: E731
    return sorted(services.values(), key=weakest_first), sorted(domains.values(), key=weakest_first)
