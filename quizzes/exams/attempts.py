"""Practice exams: starting one and answering its questions; the server owns the clock.

Every write locks the attempt row (select_for_update on PostgreSQL; IMMEDIATE transactions serialize
writers on SQLite) and carries the `seq` its page was rendered at: a replay of the last write returns the
same state, any other stale write is refused. Correct answers stay on the server until the attempt ends.
Submitting and scoring are the attempt's own methods (ExamAttempt.submit()).
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import transaction
from django.db.models import OuterRef, Subquery

from quizzes.exams import blueprint
from quizzes.exams.models import AttemptQuestion, ExamAttempt, ExamError, StaleWrite
from quizzes.models import Choice, Question, Service

PRESETS = {
    ExamAttempt.Preset.FULL: {"count": 65, "minutes": 90},
    ExamAttempt.Preset.QUICK: {"count": 20, "minutes": 30},
}
MAX_QUESTIONS = 100
MAX_MINUTES = 240


class TooFewQuestions(Exception):
    """The bank cannot fill the exam as asked; `available` is the largest exam it supports."""

    def __init__(self, available: int, wanted: int):
        super().__init__(f"Only {available} questions match these settings ({wanted} were asked for).")
        self.available, self.wanted = available, wanted


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
    banks: list[str] = field(default_factory=list)  # bank slugs (all when empty): a class's exam assignment

    def as_dict(self) -> dict:
        return {
            "preset": self.preset,
            "count": self.count,
            "minutes": self.minutes,
            "services": self.services,
            "source": self.source,
            "pilot": self.pilot,
            **({"banks": self.banks} if self.banks else {}),
        }

    @property
    def title(self) -> str:
        if self.preset == ExamAttempt.Preset.CUSTOM:
            timing = f"{self.minutes} min" if self.minutes else "untimed"
            return f"Custom exam · {self.count} questions, {timing}"
        return ExamAttempt.Preset(self.preset).label


def _services_of(question_ids: list[int]) -> dict[int, list[tuple[str, str, str, int]]]:
    """Each question's services as (key, name, note slug, catalogue order), in the order its bank lists them
    (the through rows' insertion order): one query for the whole pool."""
    through = Question.services.through
    services: dict[int, list[tuple[str, str, str, int]]] = {}
    rows = (
        through.objects.filter(question_id__in=question_ids)
        .order_by("pk")
        .values_list("question_id", "service__key", "service__name", "service__note_slug", "service__order")
    )
    for question_id, *service in rows:
        services.setdefault(question_id, []).append(tuple(service))
    return services


def start(learner, options: ExamOptions, now: datetime, rng: random.Random | None = None) -> ExamAttempt:
    """Draw the questions by the blueprint and open an attempt whose deadline is fixed now."""
    rng = rng or random.Random()  # seeded from os.urandom; the draw needs no cryptographic strength
    if not 1 <= options.count <= MAX_QUESTIONS:
        raise ExamError(f"An exam has between 1 and {MAX_QUESTIONS} questions.")
    if options.minutes is not None and not 1 <= options.minutes <= MAX_MINUTES:
        raise ExamError(f"The time limit is between 1 and {MAX_MINUTES} minutes, or untimed.")
    if options.source not in blueprint.SOURCES:
        raise ExamError("Unknown question source.")
    known = set(Service.objects.filter(key__in=options.services).values_list("key", flat=True))
    if set(options.services) - known:
        raise ExamError(f"Unknown service: {', '.join(sorted(set(options.services) - known))}.")
    # The pool as plain rows, each with its first service (the one the draw rotates on) by id: one query, no model
    # instances; the services of the drawn questions only are read afterwards. The id, not the key: joining the
    # services in the subquery made PostgreSQL's plan 24 ms for 1,100 questions instead of 4.
    first_service = (
        Question.services.through.objects.filter(question=OuterRef("pk")).order_by("pk").values("service_id")[:1]
    )
    candidates = [
        blueprint.Candidate(pk, domain, primary)
        for pk, domain, primary in blueprint.pool(learner, options.services, options.source, options.banks)
        .annotate(primary=Subquery(first_service))
        .values_list("pk", "domain", "primary")
    ]
    if len(candidates) < options.count:
        raise TooFewQuestions(len(candidates), options.count)
    drawn = blueprint.draw(candidates, options.count, rng)
    drawn_ids = [q.pk for q in drawn]
    services = _services_of(drawn_ids)
    # The drawn questions as instances (their Markdown sources left out), their choices as plain rows: as instances
    # with their questions joined, a 20-question exam built ~200 model instances for what it copies into snapshots.
    questions = Question.objects.only(*QUESTION_FIELDS).in_bulk(drawn_ids)
    choices: dict[int, list[SnapshotChoice]] = {}
    rows = Choice.objects.filter(question_id__in=drawn_ids).order_by("question_id", "key").values_list(*CHOICE_FIELDS)
    for question_id, *choice in rows:
        choices.setdefault(question_id, []).append(SnapshotChoice(*choice))
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
        learner.record_work(now)  # a class dashboard shows it
        AttemptQuestion.objects.bulk_create(
            AttemptQuestion(
                attempt=attempt,
                position=index + 1,
                question_id=question.pk,
                revision=questions[question.pk].revision,
                snapshot=_snapshot(questions[question.pk], choices[question.pk], services.get(question.pk, []), rng),
                select=questions[question.pk].select_count,
                is_pilot=index in pilots,
            )
            for index, question in enumerate(drawn)
        )
    return attempt


# What start() and _snapshot() read of the drawn questions and their choices.
QUESTION_FIELDS = [
    "revision", "type", "correct_count", "stem_html", "explanation_html", "note_slug", "note_anchor", "domain",
]  # fmt: skip
CHOICE_FIELDS = ["question_id", "key", "text_html", "correct", "why_html"]


class SnapshotChoice(NamedTuple):
    key: int
    text_html: str
    correct: bool
    why_html: str


def _snapshot(question: Question, choices: list[SnapshotChoice], services: list[tuple], rng: random.Random) -> dict:
    """What the attempt shows and scores, fixed when it starts: later edits of the question do not change it."""
    choices = list(choices)
    if question.type != Question.Type.TRUEFALSE:
        rng.shuffle(choices)
    return {
        "type": question.type,
        "select": question.select_count,
        "stem_html": question.stem_html,
        "explanation_html": question.explanation_html,
        "note_url": question.note_url,
        "domain": question.domain,
        "services": [[key, name, note] for key, name, note, _ in sorted(services, key=lambda service: service[3])],
        "choices": [
            {"key": c.key, "text_html": c.text_html, "correct": c.correct, "why_html": c.why_html} for c in choices
        ],
    }


# ---------------------------------------------------------------- answering


def _lock(attempt_id: int, learner, position: int) -> tuple[ExamAttempt, AttemptQuestion | None]:
    """The learner's attempt, locked, and its question at `position` (None if it has none).

    One query on the usual path: the question with its attempt, locking both rows (the attempt's lock is the one
    every write to the attempt takes first; locking the question too makes PostgreSQL return it as the write
    that held the lock left it, which a replayed double click must show). DoesNotExist when the attempt is not
    the learner's."""
    item = (
        AttemptQuestion.objects.select_related("attempt")
        .select_for_update(of=("self", "attempt"))
        .filter(attempt_id=attempt_id, attempt__learner=learner, position=position)
        .first()
    )
    if item is not None:
        return item.attempt, item
    return ExamAttempt.objects.of(learner).select_for_update().get(pk=attempt_id), None


def record_answer(
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
    An answer after the deadline (plus grace) is refused: the attempt is submitted as it stood, then TimeUp.
    """
    payload = {"position": position, "keys": sorted(keys) if keys is not None else None, "flagged": flagged}
    with transaction.atomic():
        attempt, item = _lock(attempt_id, learner, position)
        if attempt.time_is_up(now):
            attempt.submit(now)
        elif not attempt.is_open:
            raise ExamError("This exam is finished: it can no longer be changed.")
        elif item is None:
            raise ExamError("That question is not part of this exam.")
        elif seq != attempt.seq:
            if attempt.last_write == {"seq": seq, **payload}:
                return attempt, item
            raise StaleWrite
        else:
            _apply(item, keys, flagged, now)
            attempt.seq += 1
            attempt.last_write = {"seq": seq, **payload}
            attempt.position = resume_at or position
            attempt.save(update_fields=["seq", "last_write", "position"])
            return attempt, item
    raise TimeUp  # once the submission is committed


def _apply(item: AttemptQuestion, keys: list[int] | None, flagged: bool | None, now: datetime) -> None:
    valid = {choice["key"] for choice in item.snapshot["choices"]}
    changed = []
    if keys is not None:
        if len(set(keys)) != len(keys) or not set(keys) <= valid:
            raise ExamError("That answer names options that are not part of this question.")
        if len(keys) > item.select:
            raise TooMany(
                f"Select only {item.select}: this question takes {item.select} answer"
                f"{'s' if item.select > 1 else ''}. Your last choice was not saved."
            )
        if sorted(keys) != sorted(item.answer):
            item.answer, item.answered, item.answered_at = sorted(keys), len(keys) == item.select, now
            changed += ["answer", "answered", "answered_at"]
    if flagged is not None and flagged != item.flagged:
        item.flagged = flagged
        changed.append("flagged")
    item.save(update_fields=changed)  # nothing when nothing changed
