"""Study sessions: which question comes next, and what a learner can do to it.

The queue follows Anki: due learning steps first, then reviews due today (within the daily review limit),
then new questions in bank order (within the daily new limit). A learner's day is their own
(`LearnerSettings.study_day`); FSRS itself only sees UTC instants.

Integrity: every answer and rating carries a signed one-time token bound to the memory's `version`.
Actions lock the learner's memory row (select_for_update on PostgreSQL; SQLite's IMMEDIATE transactions
serialize writers), so a double click, a retry or a second tab records once and gets the same result.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, IntegerField, Min, OuterRef, Q, Subquery, Value, When

from quizzes import scheduling
from quizzes.models import Choice, Flag, LearnerSettings, Question, QuestionMemory, ReviewLog, Service
from quizzes.scheduling import Rating, State

LEARN_AHEAD = timedelta(minutes=20)  # Anki: learning steps due this soon are shown now rather than waited for
LEECH_FAILURES = 8
TOKEN_MAX_AGE = 2 * 24 * 3600  # seconds: a showing left open longer must be reloaded
MAX_RESPONSE_MS = 10 * 60 * 1000
MODES = {"": "Due today", "ahead": "Study ahead", "new": "Extra new questions"}


class StudyError(Exception):
    """Tampered or impossible input: the view answers 400 with this message."""


class AnswerProblem(Exception):
    """A learner's slip (nothing selected, wrong count): shown next to the question, nothing is lost."""

    def __init__(self, message: str, question: Question | None = None, choices=None, selected=None):
        super().__init__(message)
        self.question, self.choices, self.selected = question, choices or [], selected or set()


class Stale(Exception):
    """The token's showing is gone (undone, or the question changed): the learner is sent back to the queue."""


# ---------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """What the learner chose to study: everything, one service, or one note's services; and the mode."""

    service: str = ""
    note: str = ""
    mode: str = ""
    label: str = "All questions"
    service_keys: tuple[str, ...] | None = None  # None: every question

    def params(self, **extra) -> dict[str, str]:
        values = {"service": self.service, "note": self.note, "mode": self.mode, **extra}
        return {key: value for key, value in values.items() if value}

    def query(self, **extra) -> str:
        params = self.params(**extra)
        return "?" + urlencode(params) if params else ""

    @property
    def ahead_query(self) -> str:
        return self.query(mode="ahead")

    @property
    def new_query(self) -> str:
        return self.query(mode="new")


def resolve_scope(service: str = "", note: str = "", mode: str = "") -> Scope:
    """Validate the learner's choice (one query when a service or a note is named); StudyError if unknown."""
    if mode not in MODES:
        raise StudyError(f"Unknown study mode '{mode}'.")
    if service and note:
        raise StudyError("Choose a service or a note, not both.")
    if service:
        name = Service.objects.filter(key=service).values_list("name", flat=True).first()
        if name is None:
            raise StudyError(f"There is no service '{service}' in the catalogue.")
        return Scope(service=service, mode=mode, label=name, service_keys=(service,))
    if note:
        from studyapp.notes.models import Note

        found = Note.objects.filter(slug=note).values_list("title", "services").first()
        if found is None:
            raise StudyError(f"There is no note '{note}'.")
        title, services = found
        return Scope(note=note, mode=mode, label=f"{title} (note)", service_keys=tuple(services))
    return Scope(mode=mode)


def _scoped_memories(learner, scope: Scope):
    memories = QuestionMemory.objects.filter(learner=learner, question__is_active=True)
    if scope.service_keys is not None:
        memories = memories.filter(question__in=Question.objects.in_scope(list(scope.service_keys)).values("pk"))
    return memories


# ---------------------------------------------------------------- the queue


@dataclass
class Progress:
    done: int
    remaining: int

    @property
    def total(self) -> int:
        return self.done + self.remaining


@dataclass
class Showing:
    """One question as this learner sees it now: options in this showing's order and the answer token."""

    question: Question
    choices: list[Choice]
    memory: QuestionMemory | None
    token: str
    selected: set[int] = field(default_factory=set)
    problem: str = ""


@dataclass
class Queue:
    progress: Progress
    showing: Showing | None
    next_due: datetime | None  # for "done for today"
    learning_later: int  # learning steps due later today


def next_in_queue(learner, prefs: LearnerSettings, scope: Scope, now: datetime) -> Queue:
    """The next question for this learner in this scope, with today's progress. Reads only (GET-safe)."""
    day = prefs.study_day(now)
    memories = _scoped_memories(learner, scope)
    available = Q(suspended=False) & (Q(buried_until__isnull=True) | Q(buried_until__lte=now))
    started = Q(last_review__isnull=False)
    learning = Q(state__in=[State.Learning.value, State.Relearning.value]) & started
    reviewing = Q(state=State.Review.value) & started
    stats = memories.aggregate(
        learning_now=Count("pk", filter=available & learning & Q(due__lte=now + LEARN_AHEAD)),
        learning_today=Count("pk", filter=available & learning & Q(due__lt=day.end)),
        reviews_due=Count("pk", filter=available & reviewing & Q(due__lt=day.end)),
        new_done=Count("pk", filter=Q(introduced_at__gte=day.start)),
        reviews_done=Count("pk", filter=Q(last_review__gte=day.start, introduced_at__lt=day.start)),
        done=Count("pk", filter=Q(last_review__gte=day.start)),
        next_due=Min("due", filter=available & started),
    )
    reviews_left = max(0, prefs.reviews_per_day - stats["reviews_done"])
    new_left = max(0, prefs.new_per_day - stats["new_done"])

    due = Q(pending__isnull=False) | (learning & Q(due__lte=now + LEARN_AHEAD))
    if scope.mode == "ahead":
        due |= started
    elif reviews_left:
        due |= reviewing & Q(due__lt=day.end)
    card = (
        memories.filter(available & due)
        .annotate(
            priority=Case(
                When(pending__isnull=False, then=Value(0)),
                When(learning & Q(due__lte=now), then=Value(1)),
                When(reviewing, then=Value(2)),
                default=Value(3),  # learning steps due within LEARN_AHEAD, or cards studied ahead
                output_field=IntegerField(),
            )
        )
        .select_related("question")
        .order_by("priority", "due", "pk")
        .first()
    )

    new_limit = 1 if scope.mode in ("new", "ahead") else new_left
    # (question id, version of a not-yet-studied memory row, e.g. after an undo or a bury) in bank order
    new_ids = (
        list(_new_questions(learner, scope, now).values_list("pk", "memory_version")[:new_limit]) if new_limit else []
    )
    remaining = stats["learning_today"] + min(stats["reviews_due"], reviews_left) + (0 if scope.mode else len(new_ids))
    if card and card.pending is None and card.last_review is not None and stats["learning_today"] == 0:
        remaining = max(remaining, 1)  # a card studied ahead, or a learning step due within the learn-ahead window
    progress = Progress(done=stats["done"], remaining=remaining)

    if card is not None and card.priority == 3 and new_ids and not scope.mode:
        card = None  # like Anki, learn ahead only when there is nothing else to study
    showing = None
    if card is not None:
        showing = show(learner, card.question, card, now)
    elif new_ids:
        question_id, version = new_ids[0]
        choices = list(Choice.objects.filter(question_id=question_id).select_related("question"))
        showing = show(learner, choices[0].question, None, now, choices=choices, version=version or 0)
    return Queue(
        progress=progress,
        showing=showing,
        next_due=stats["next_due"],
        learning_later=stats["learning_today"] - stats["learning_now"],
    )


def _new_questions(learner, scope: Scope, now: datetime):
    """Questions never reviewed by this learner (and not suspended or buried), in bank order."""
    started_or_hidden = QuestionMemory.objects.filter(learner=learner).filter(
        Q(last_review__isnull=False) | Q(suspended=True) | Q(buried_until__gt=now)
    )
    questions = Question.objects.active().exclude(pk__in=started_or_hidden.values("question"))
    mine = QuestionMemory.objects.filter(learner=learner, question=OuterRef("pk"))
    questions = questions.annotate(memory_version=Subquery(mine.values("version")[:1]))
    if scope.service_keys is not None:
        questions = questions.in_scope(list(scope.service_keys))
    return questions.order_by("position", "pk")


# ---------------------------------------------------------------- showing a question


def shown_order(learner_id: int, question: Question, version: int, keys: list[int]) -> list[int]:
    """The option order of one showing: shuffled per showing, and recomputed by the server, never posted."""
    if question.type == Question.Type.TRUEFALSE:
        return list(keys)  # "True" then "False" reads naturally
    seed = f"{django_settings.SECRET_KEY}:{learner_id}:{question.pk}:{question.revision}:{version}"
    order = list(keys)
    random.Random(hashlib.sha256(seed.encode()).digest()).shuffle(order)
    return order


def show(
    learner, question: Question, memory: QuestionMemory | None, now: datetime, *, choices=None, version: int = 0
) -> Showing:
    """Build the showing of `question`; the token binds learner, question, revision and the memory's version."""
    if choices is None:
        choices = list(Choice.objects.filter(question=question))
    version = memory.version if memory else version
    by_key = {c.key: c for c in choices}
    ordered = [by_key[key] for key in shown_order(learner.pk, question, version, list(by_key))]
    token = signing.dumps(
        {"l": learner.pk, "q": question.pk, "r": question.revision, "v": version, "t": int(now.timestamp() * 1000)},
        salt="study.answer",
    )
    return Showing(question=question, choices=ordered, memory=memory, token=token)


def read_token(token: str, learner, salt: str) -> dict:
    try:
        data = signing.loads(token or "", salt=salt, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise Stale("This question was open for too long; here it is again.") from None
    except signing.BadSignature:
        raise StudyError("The form was changed or is broken: reload the page and try again.") from None
    if not isinstance(data, dict) or data.get("l") != learner.pk:
        raise StudyError("This form belongs to another session: reload the page and try again.")
    return data


# ---------------------------------------------------------------- answering and rating


@dataclass
class Feedback:
    """The result of an answer (the same for a first submit and its replays)."""

    question: Question
    choices: list[Choice]  # in the order shown
    selected: set[int]  # choice keys
    correct: bool
    memory: QuestionMemory
    rate_token: str = ""  # set when a right answer awaits its rating
    intervals: dict[int, str] = field(default_factory=dict)  # rating value -> "4d"
    log: ReviewLog | None = None  # set when a wrong answer was recorded as Again
    replay: bool = False

    @property
    def leech(self) -> bool:
        return self.memory.leech

    @property
    def rating_options(self) -> list[tuple[int, str, str]]:
        """(value, label, next interval) for the Hard, Good and Easy buttons."""
        return [(r.value, r.name, self.intervals.get(r.value, "")) for r in (Rating.Hard, Rating.Good, Rating.Easy)]

    @property
    def again_in(self) -> str:
        return scheduling.format_interval(self.log.scheduled_due - self.log.reviewed_at) if self.log else ""


def _locked_memory(learner, question_id, *, with_settings: bool = False) -> QuestionMemory | None:
    """The learner's memory of a question, locked for this transaction (None if they never met it).

    with_settings fetches the learner's settings in the same query (they drive the scheduler)."""
    memories = QuestionMemory.objects.select_for_update(of=("self",)).filter(learner=learner, question_id=question_id)
    if with_settings:
        memories = memories.select_related("learner__study_settings")
    return memories.first()


def _settings_of(memory: QuestionMemory) -> LearnerSettings:
    """The settings fetched with the memory, or Anki's defaults when the learner has none."""
    try:
        return memory.learner.study_settings
    except LearnerSettings.DoesNotExist:
        return LearnerSettings(learner_id=memory.learner_id)


def _retrying(action):
    """Run `action` in a transaction; retry once if a concurrent first action created the same memory row."""
    try:
        with transaction.atomic():
            return action()
    except IntegrityError:
        with transaction.atomic():
            return action()


def answer(learner, token: dict, choice_ids: list[int], now: datetime) -> Feedback:
    """Record an answer to the showing `token` describes. Wrong -> rated Again at once; right -> awaits a rating."""
    choices = list(Choice.objects.filter(question_id=token.get("q")).select_related("question"))
    if not choices or not choices[0].question.is_active:
        raise StudyError("That question is not part of your study session.")
    question = choices[0].question
    if question.revision != token.get("r"):
        raise Stale("This question was just updated by its author; here is the new version.")
    by_id = {c.pk: c for c in choices}
    if any(pk not in by_id for pk in choice_ids) or len(set(choice_ids)) != len(choice_ids):
        raise StudyError("That answer names options that are not part of this question.")
    if question.type != Question.Type.MULTIPLE and len(choice_ids) > 1:
        raise StudyError("This question takes a single answer.")
    version = token["v"]
    order = shown_order(learner.pk, question, version, [c.key for c in choices])
    by_key = {c.key: c for c in choices}
    shown = [by_key[key] for key in order]
    selected = {by_id[pk].key for pk in choice_ids}
    response_ms = min(MAX_RESPONSE_MS, max(0, int(now.timestamp() * 1000) - int(token.get("t", 0))))

    if not selected:
        raise AnswerProblem("Choose an answer first.", question, shown, selected)
    if question.type == Question.Type.MULTIPLE and len(selected) != question.correct_count:
        words = {2: "two", 3: "three", 4: "four"}
        count = words.get(question.correct_count, str(question.correct_count))
        raise AnswerProblem(f"Select exactly {count} options.", question, shown, selected)

    def record(fresh: bool) -> Feedback:
        # A version-0 token is almost always a first answer: insert the memory without looking it up first
        # (a unique-constraint error sends us back here with fresh=False, for the locked lookup).
        memory = None if fresh else _locked_memory(learner, question.pk, with_settings=True)
        if memory is None:
            if version != 0:
                raise Stale("That answer was undone; here is the question again.")
            memory = QuestionMemory(learner=learner, question=question, due=now)
            prefs = LearnerSettings.for_learner(learner)
        else:
            prefs = _settings_of(memory)
            if memory.version != version or (memory.pending or {}).get("seq") == version:
                return _replayed_answer(learner, prefs, question, shown, memory, version, now)
        correct = selected == {c.key for c in choices if c.correct}
        if correct:
            memory.pending = {
                "seq": version,
                "revision": question.revision,
                "shown": order,
                "answer": sorted(selected),
                "ms": response_ms,
            }
            memory.save()
            return _feedback_awaiting_rating(learner, prefs, question, shown, memory, now)
        log = _apply_rating(
            memory, prefs, Rating.Again, now, question.revision, order, sorted(selected), False, response_ms
        )
        return Feedback(question=question, choices=shown, selected=selected, correct=False, memory=memory, log=log)

    try:
        with transaction.atomic():
            return record(fresh=version == 0)
    except IntegrityError:
        with transaction.atomic():
            return record(fresh=False)


def _feedback_awaiting_rating(learner, prefs, question, shown, memory, now, replay=False) -> Feedback:
    rate_token = signing.dumps({"l": learner.pk, "q": question.pk, "v": memory.version}, salt="study.rate")
    intervals = scheduling.next_intervals(memory, now, prefs.scheduler())
    return Feedback(
        question=question,
        choices=shown,
        selected=set(memory.pending["answer"]),
        correct=True,
        memory=memory,
        rate_token=rate_token,
        intervals={rating.value: scheduling.format_interval(delta) for rating, delta in intervals.items()},
        replay=replay,
    )


def _replayed_answer(learner, prefs, question, shown, memory, version, now) -> Feedback:
    """A second submit of an answer already recorded: the same feedback, nothing written."""
    if memory is not None and (memory.pending or {}).get("seq") == version:
        return _feedback_awaiting_rating(learner, prefs, question, shown, memory, now, replay=True)
    log = ReviewLog.objects.filter(memory=memory, seq=version).first() if memory else None
    if log is None:
        raise Stale("That answer was undone; here is the question again.")
    return Feedback(
        question=question,
        choices=shown,
        selected=set(log.answer),
        correct=log.correct,
        memory=memory,
        log=log if not log.correct else None,
        replay=True,
    )


def _apply_rating(memory, prefs, rating: Rating, now, revision, shown, selected, correct, response_ms) -> ReviewLog:
    """One FSRS review of a locked memory, saved with its log (and the snapshot undo restores)."""
    before = memory.study_snapshot()
    seq = memory.version
    scheduling.review(memory, rating, now, prefs.scheduler(), response_ms)
    memory.introduced_at = memory.introduced_at or now
    memory.reps += 1
    if rating == Rating.Again:
        memory.failures += 1
        memory.leech = memory.leech or memory.failures >= LEECH_FAILURES
    memory.pending = None
    memory.version += 1
    memory.save()
    return ReviewLog.objects.create(
        learner_id=memory.learner_id,
        memory=memory,
        seq=seq,
        revision=revision,
        rating=rating.value,
        shown=shown,
        answer=selected,
        correct=correct,
        response_ms=response_ms,
        reviewed_at=now,
        before=before,
        scheduled_due=memory.due,
    )


def rate(learner, token: dict, rating_value: str, now: datetime) -> ReviewLog | None:
    """Rate a right answer Hard, Good or Easy. Returns the new log (None when this rating was already recorded)."""
    try:
        rating = Rating(int(rating_value))
    except (TypeError, ValueError):
        raise StudyError("A rating is Hard (2), Good (3) or Easy (4).") from None
    if rating == Rating.Again:
        raise StudyError("A right answer is rated Hard (2), Good (3) or Easy (4).")

    def record() -> ReviewLog | None:
        memory = _locked_memory(learner, token.get("q"), with_settings=True)
        if memory is None:
            raise StudyError("That question has no answer to rate.")
        pending = memory.pending or {}
        if pending.get("seq") == token.get("v") and memory.version == token.get("v"):
            return _apply_rating(
                memory,
                _settings_of(memory),
                rating,
                now,
                pending["revision"],
                pending["shown"],
                pending["answer"],
                True,
                pending["ms"],
            )
        if ReviewLog.objects.filter(memory=memory, seq=token.get("v")).exists():
            return None  # a double click or a second tab: recorded once
        raise Stale("That answer was undone, so there is nothing to rate.")

    with transaction.atomic():
        return record()


def undo(learner, log: ReviewLog) -> ReviewLog | None:
    """Undo the learner's last rating: restore the memory exactly as it was and remove the log entry.

    Returns the learner's new last log (so the next undo can target it)."""
    with transaction.atomic():
        last = ReviewLog.objects.select_for_update().filter(learner=learner).order_by("-pk").first()
        if last is None or last.pk != log.pk:
            raise StudyError("Only your most recent rating can be undone.")
        memory = QuestionMemory.objects.select_for_update().get(pk=last.memory_id)
        memory.restore_study(last.before)
        memory.pending = None
        memory.version += 1  # tokens minted before the undo are spent
        memory.save()
        last.delete()
        return ReviewLog.objects.filter(learner=learner).order_by("-pk").first()


def resume(learner, prefs: LearnerSettings, showing: Showing, now: datetime) -> Feedback | None:
    """A right answer still waiting for its rating (after a reload or a flag): its feedback, to rate it."""
    memory = showing.memory
    if memory is None or not memory.pending:
        return None
    by_key = {c.key: c for c in showing.choices}
    shown = [by_key[key] for key in memory.pending["shown"] if key in by_key]
    return _feedback_awaiting_rating(learner, prefs, showing.question, shown, memory, now, replay=True)


def bury(learner, prefs: LearnerSettings, question: Question, now: datetime) -> datetime:
    """Hide the question until the learner's next study day starts; returns that time."""
    until = prefs.study_day(now).end
    _update_flags(learner, question, now, buried_until=until)
    return until


def suspend(learner, question: Question, now: datetime) -> None:
    """Take the question out of the learner's queue until they unsuspend it."""
    _update_flags(learner, question, now, suspended=True)


def unsuspend(learner, question: Question, now: datetime) -> None:
    _update_flags(learner, question, now, suspended=False)


def _update_flags(learner, question: Question, now: datetime, **values) -> None:
    def record() -> None:
        memory = _locked_memory(learner, question.pk)
        if memory is None:
            memory = QuestionMemory(learner=learner, question=question, due=now)
        for name, value in values.items():
            setattr(memory, name, value)
        memory.save()

    _retrying(record)


def flag(learner, question: Question, comment: str) -> Flag:
    """Report a question to the instructors; a second report updates the learner's open flag."""
    comment = comment.strip()
    if not comment:
        raise AnswerProblem("Say what is wrong with the question, so an instructor can fix it.")
    if len(comment) > 2000:
        raise AnswerProblem("Keep the comment under 2,000 characters.")
    with transaction.atomic():
        existing = Flag.objects.select_for_update().filter(learner=learner, question=question, resolved_at=None).first()
        if existing:
            existing.comment, existing.revision = comment, question.revision
            existing.save(update_fields=["comment", "revision"])
            return existing
        return Flag.objects.create(learner=learner, question=question, revision=question.revision, comment=comment)
