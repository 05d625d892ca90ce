"""What a learner does to a shown question: answer it, rate it, undo a rating, bury, suspend or flag it.

Integrity: every answer and rating carries a signed one-time token bound to the memory's `version`.
A visitor with no learner yet (nobody: a guest is created on their first answer) gets answer tokens bound
to "nobody" at version 0; such a token records only while the answering learner's memory of that question
is still at version 0, so it can never act on a question they have studied since.
Actions lock the learner's memory row (select_for_update on PostgreSQL; SQLite's IMMEDIATE transactions
serialize writers), so a double click, a retry or a second tab records once and gets the same result.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from quizzes.models import Choice, Flag, LearnerSettings, Question, QuestionMemory, ReviewLog
from quizzes.study import due_queue, scheduling
from quizzes.study.scheduling import Rating
from quizzes.study.session import Showing, StudyError, shown_order

TOKEN_MAX_AGE = 2 * 24 * 3600  # seconds: a showing left open longer must be reloaded
MAX_RESPONSE_MS = 10 * 60 * 1000


class AnswerProblem(Exception):
    """A learner's slip (nothing selected, wrong count): shown next to the question, nothing is lost."""

    def __init__(self, message: str, question: Question | None = None, choices=None, selected=None):
        super().__init__(message)
        self.question, self.choices, self.selected = question, choices or [], selected or set()


class Stale(Exception):
    """The token's showing is gone (undone, or the question changed): the learner is sent back to the queue."""


# ---------------------------------------------------------------- reading a showing's token


def read_token(token: str, learner, salt: str) -> dict:
    """The token's data if it is genuine and belongs to `learner` (None: a visitor with no learner yet).

    An answer token minted for nobody (a visitor's first showing, always at version 0) is accepted from
    any learner: `answer` records it only while their memory of the question is still at version 0."""
    try:
        data = signing.loads(token or "", salt=salt, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise Stale("This question was open for too long; here it is again.") from None
    except signing.BadSignature:
        raise StudyError("The form was changed or is broken: reload the page and try again.") from None
    if not isinstance(data, dict):
        raise StudyError("The form was changed or is broken: reload the page and try again.")
    owner = data.get("l")
    nobody_answer = owner is None and salt == "study.answer" and data.get("v") == 0
    if not nobody_answer and (learner is None or owner != learner.pk):
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


def _retrying(action):
    """Run `action` in a transaction; retry once if a concurrent first action created the same memory row."""
    try:
        with transaction.atomic():
            return action()
    except IntegrityError:
        with transaction.atomic():
            return action()


@dataclass
class Given:
    """An answer checked against the showing its token describes, not recorded yet.

    Checking stores nothing, so a visitor's slip ("choose an answer first") creates no guest."""

    question: Question
    choices: list[Choice]  # in key order
    shown: list[Choice]  # in the order shown
    selected: set[int]  # choice keys
    version: int
    for_nobody: bool  # the showing was minted before the visitor had a learner
    minted: datetime
    response_ms: int

    @property
    def order(self) -> list[int]:
        return [c.key for c in self.shown]


def check_answer(token: dict, choice_ids: list[int], now: datetime) -> Given:
    """Validate an answer to the showing `token` describes (one query): StudyError, Stale or AnswerProblem."""
    try:
        question, choices, _ = due_queue.showing_rows(int(token.get("q")), None)
    except (Question.DoesNotExist, TypeError, ValueError):
        raise StudyError("That question is not part of your study session.") from None
    if not question.is_active:
        raise StudyError("That question is not part of your study session.")
    if question.revision != token.get("r"):
        raise Stale("This question was just updated by its author; here is the new version.")
    by_id = {c.pk: c for c in choices}
    if any(pk not in by_id for pk in choice_ids) or len(set(choice_ids)) != len(choice_ids):
        raise StudyError("That answer names options that are not part of this question.")
    if question.type != Question.Type.MULTIPLE and len(choice_ids) > 1:
        raise StudyError("This question takes a single answer.")
    version = token["v"]
    by_key = {c.key: c for c in choices}
    shown = [by_key[key] for key in shown_order(token.get("l"), question, version, list(by_key))]
    selected = {by_id[pk].key for pk in choice_ids}
    minted_ms = int(token.get("t", 0))
    response_ms = min(MAX_RESPONSE_MS, max(0, int(now.timestamp() * 1000) - minted_ms))

    if not selected:
        raise AnswerProblem("Choose an answer first.", question, shown, selected)
    if question.type == Question.Type.MULTIPLE and len(selected) != question.correct_count:
        words = {2: "two", 3: "three", 4: "four"}
        count = words.get(question.correct_count, str(question.correct_count))
        raise AnswerProblem(f"Select exactly {count} options.", question, shown, selected)
    return Given(
        question=question,
        choices=choices,
        shown=shown,
        selected=selected,
        version=version,
        for_nobody=token.get("l") is None,
        minted=datetime.fromtimestamp(minted_ms / 1000, tz=now.tzinfo),
        response_ms=response_ms,
    )


def answer(learner, given: Given, now: datetime) -> Feedback:
    """Record a checked answer. Wrong -> rated Again at once; right -> awaits a rating."""
    question, shown, selected, version = given.question, given.shown, given.selected, given.version

    def record(fresh: bool) -> Feedback:
        # A version-0 token is almost always a first answer: insert the memory without looking it up first
        # (a unique-constraint error sends us back here with fresh=False, for the locked lookup).
        memory = None if fresh else QuestionMemory.objects.locked(learner, question.pk)
        prefs = LearnerSettings.for_learner(learner)
        if memory is None:
            if version != 0:
                raise Stale("That answer was undone; here is the question again.")
            memory = QuestionMemory(learner=learner, question=question, due=now)
        else:
            if memory.version != version or (memory.pending or {}).get("seq") == version:
                # A showing minted for nobody replays only an answer recorded after it was minted (its own,
                # or another tab's of the same showing), never older history of the question.
                since = given.minted if given.for_nobody else None
                return _replayed_answer(learner, prefs, question, shown, memory, version, now, since=since)
        correct = selected == {c.key for c in given.choices if c.correct}
        if correct:
            memory.pending = {
                "seq": version,
                "revision": question.revision,
                "shown": given.order,
                "answer": sorted(selected),
                "ms": given.response_ms,
            }
            memory.save()
            return _feedback_awaiting_rating(learner, prefs, question, shown, memory, now)
        log = memory.record_review(
            Rating.Again,
            now,
            prefs,
            revision=question.revision,
            shown=given.order,
            answer=sorted(selected),
            correct=False,
            response_ms=given.response_ms,
        )
        learner.record_work(now)  # a class dashboard shows it
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


def _replayed_answer(learner, prefs, question, shown, memory, version, now, since=None) -> Feedback:
    """A second submit of an answer already recorded: the same feedback, nothing written.

    `since`: only a log recorded at or after this time counts as this showing's answer."""
    if memory is not None and (memory.pending or {}).get("seq") == version:
        return _feedback_awaiting_rating(learner, prefs, question, shown, memory, now, replay=True)
    log = ReviewLog.objects.filter(memory=memory, seq=version).first() if memory else None
    if log is not None and since is not None and log.reviewed_at < since:
        raise Stale("You have studied this question since this page was opened; here is what is next.")
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


def rate(learner, token: dict, rating_value: str, now: datetime) -> ReviewLog | None:
    """Rate a right answer Hard, Good or Easy. Returns the new log (None when this rating was already recorded)."""
    try:
        rating = Rating(int(rating_value))
    except (TypeError, ValueError):
        raise StudyError("A rating is Hard (2), Good (3) or Easy (4).") from None
    if rating == Rating.Again:
        raise StudyError("A right answer is rated Hard (2), Good (3) or Easy (4).")

    def record() -> ReviewLog | None:
        memory = QuestionMemory.objects.locked(learner, token.get("q"))
        if memory is None:
            raise StudyError("That question has no answer to rate.")
        pending = memory.pending or {}
        if pending.get("seq") == token.get("v") and memory.version == token.get("v"):
            log = memory.record_review(
                rating,
                now,
                LearnerSettings.for_learner(learner),
                revision=pending["revision"],
                shown=pending["shown"],
                answer=pending["answer"],
                correct=True,
                response_ms=pending["ms"],
            )
            learner.record_work(now)  # a class dashboard shows it
            return log
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
        learner.record_work(None)  # a class dashboard shows it (the learner's last activity stays the rating's)
        prefs = LearnerSettings.for_learner(learner)
        if last.reviewed_at < prefs.study_day(timezone.now()).start:
            LearnerSettings.history_changed(learner)  # an earlier day lost a review (the dashboard caches those)
        return ReviewLog.objects.filter(learner=learner).order_by("-pk").first()


def resume(learner, prefs: LearnerSettings, showing: Showing, now: datetime) -> Feedback | None:
    """A right answer still waiting for its rating (after a reload or a flag): its feedback, to rate it."""
    memory = showing.memory
    if memory is None or not memory.pending:
        return None
    by_key = {c.key: c for c in showing.choices}
    shown = [by_key[key] for key in memory.pending["shown"] if key in by_key]
    return _feedback_awaiting_rating(learner, prefs, showing.question, shown, memory, now, replay=True)


# ---------------------------------------------------------------- question actions


def bury(learner, prefs: LearnerSettings, question: Question, now: datetime) -> datetime:
    """Hide the question until the learner's next study day starts; returns that time."""
    until = prefs.study_day(now).end
    _update_flags(learner, question, now, buried_until=until)
    return until


def suspend(learner, question: Question, now: datetime) -> None:
    """Take the question out of the learner's queue until they unsuspend it."""
    _update_flags(learner, question, now, suspended=True)


def unsuspend(learner, question: Question) -> bool:
    """Bring a suspended question back into the learner's queue with the schedule it had; False when it was not
    suspended (a second click changes nothing, and no memory is created for a question never seen)."""
    return QuestionMemory.objects.filter(learner=learner, question=question, suspended=True).update(suspended=False) > 0


def suspended(learner) -> list[QuestionMemory]:
    """The learner's suspended questions that learners can still see, in bank order, with their question."""
    return list(
        QuestionMemory.objects.filter(learner=learner, suspended=True, question__in=Question.objects.active())
        .select_related("question")
        .order_by("question__bank_id", "question__position", "question_id")
    )


def _update_flags(learner, question: Question, now: datetime, **values) -> None:
    def record() -> None:
        memory = QuestionMemory.objects.locked(learner, question.pk)
        if memory is None:
            memory = QuestionMemory(learner=learner, question=question, due=now)
        for name, value in values.items():
            setattr(memory, name, value)
        memory.save()

    _retrying(record)


def check_flag_comment(comment: str) -> str:
    """The report's comment, stripped; AnswerProblem when it is empty or too long (nothing is stored)."""
    comment = comment.strip()
    if not comment:
        raise AnswerProblem("Say what is wrong with the question, so an instructor can fix it.")
    if len(comment) > 2000:
        raise AnswerProblem("Keep the comment under 2,000 characters.")
    return comment


def flag(learner, question: Question, comment: str) -> Flag:
    """Report a question to the instructors; a second report updates the learner's open flag."""
    comment = check_flag_comment(comment)
    with transaction.atomic():
        existing = Flag.objects.select_for_update().filter(learner=learner, question=question, resolved_at=None).first()
        if existing:
            existing.comment, existing.revision = comment, question.revision
            existing.save(update_fields=["comment", "revision"])
            return existing
        return Flag.objects.create(learner=learner, question=question, revision=question.revision, comment=comment)
