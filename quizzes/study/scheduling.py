"""Spaced repetition with the fsrs package (FSRS-6): the memory-state fields and the review step.

Anything learners review on a schedule (bank questions in study sessions, scenarios in trainer drills)
stores its per-learner memory in a model that inherits MemoryState, and reviews it with `review()`.
We never compute intervals ourselves: fsrs does. FSRS works in UTC; the learner's study day (time zone
and the hour it starts) is ours to compute, in `study_day()`.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db import models
from fsrs import Card, Rating, ReviewLog, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS

__all__ = ["Card", "MemoryState", "Rating", "State", "StudyDay", "format_interval", "review", "scheduler"]


class MemoryState(models.Model):
    """Abstract: one learner's FSRS memory of one item."""

    class States(models.IntegerChoices):
        LEARNING = State.Learning.value, "Learning"
        REVIEW = State.Review.value, "Review"
        RELEARNING = State.Relearning.value, "Relearning"

    state = models.PositiveSmallIntegerField(choices=States.choices, default=States.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, default=0)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def as_card(self) -> Card:
        return Card(
            card_id=self.pk or 0,
            state=State(self.state),
            step=self.step,
            stability=self.stability,
            difficulty=self.difficulty,
            due=self.due,
            last_review=self.last_review,
        )

    def apply_card(self, card: Card) -> None:
        self.state = card.state.value
        self.step = card.step
        self.stability = card.stability
        self.difficulty = card.difficulty
        self.due = card.due
        self.last_review = card.last_review

    def snapshot(self) -> dict:
        """The fields as JSON-safe values, to restore them exactly (undo)."""
        return {
            "state": self.state,
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": self.due.isoformat() if self.due else None,
            "last_review": self.last_review.isoformat() if self.last_review else None,
        }

    def restore(self, snapshot: dict) -> None:
        self.state = snapshot["state"]
        self.step = snapshot["step"]
        self.stability = snapshot["stability"]
        self.difficulty = snapshot["difficulty"]
        self.due = datetime.fromisoformat(snapshot["due"]) if snapshot["due"] else None
        self.last_review = datetime.fromisoformat(snapshot["last_review"]) if snapshot["last_review"] else None


@lru_cache(maxsize=64)
def scheduler(
    desired_retention: float = 0.9,
    learning_steps_minutes: tuple[int, ...] = (1, 10),
    relearning_steps_minutes: tuple[int, ...] = (10,),
    fuzz: bool = True,
    parameters: tuple[float, ...] | None = None,
) -> Scheduler:
    """An FSRS-6 scheduler with the learner's settings and parameters (fsrs's defaults when None, or the
    learner's fitted ones: quizzes/study/fitting.py), cached per distinct settings."""
    return Scheduler(
        parameters=parameters if parameters is not None else DEFAULT_PARAMETERS,
        desired_retention=desired_retention,
        learning_steps=tuple(timedelta(minutes=m) for m in learning_steps_minutes),
        relearning_steps=tuple(timedelta(minutes=m) for m in relearning_steps_minutes),
        enable_fuzzing=fuzz,
    )


def review(
    memory: MemoryState, rating: Rating, now: datetime, sched: Scheduler, duration_ms: int | None = None
) -> ReviewLog:
    """Apply one rating to the memory state (in place, not saved) and return fsrs's review log."""
    card, log = sched.review_card(memory.as_card(), rating, review_datetime=now, review_duration=duration_ms)
    memory.apply_card(card)
    return log


def next_intervals(memory: MemoryState, now: datetime, sched: Scheduler) -> dict[Rating, timedelta]:
    """What each rating would schedule, for the buttons ("Good · 4d"). Fuzz-free so labels are stable."""
    plain = scheduler(
        sched.desired_retention,
        tuple(int(s.total_seconds() // 60) for s in sched.learning_steps),
        tuple(int(s.total_seconds() // 60) for s in sched.relearning_steps),
        fuzz=False,
        parameters=sched.parameters,
    )
    out = {}
    for rating in Rating:
        card, _ = plain.review_card(memory.as_card(), rating, review_datetime=now)
        out[rating] = card.due - now
    return out


def format_interval(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")


@dataclass(frozen=True)
class StudyDay:
    """The learner's current study day, as UTC instants: [start, end)."""

    start: datetime
    end: datetime
    date: object  # the local calendar date the study day is named after


def study_day(now: datetime, tz_name: str, start_hour: int) -> StudyDay:
    """The study day containing `now` for a learner in `tz_name` whose day starts at `start_hour` (Anki: 4)."""
    tz = ZoneInfo(tz_name)
    local = now.astimezone(tz)
    day = local.date() if local.hour >= start_hour else local.date() - timedelta(days=1)
    start_local = datetime.combine(day, time(start_hour), tzinfo=tz)
    end_local = datetime.combine(day + timedelta(days=1), time(start_hour), tzinfo=tz)
    return StudyDay(start=start_local.astimezone(UTC), end=end_local.astimezone(UTC), date=day)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
DAY_US = 86_400_000_000


@dataclass(frozen=True)
class ForgettingCurve:
    """`Scheduler.get_card_retrievability()` for memories read as plain rows (the last review in whole seconds
    since the epoch): the same arithmetic in the same order, without a Card and a datetime per memory (a
    dashboard reads some 2,000 of them)."""

    factor: float
    decay: float
    now_us: int  # now, in microseconds since the epoch

    @classmethod
    def of(cls, sched: Scheduler, now: datetime) -> "ForgettingCurve":
        decay = -sched.parameters[20]  # as fsrs.Scheduler computes its _DECAY and _FACTOR
        return cls(0.9 ** (1 / decay) - 1, decay, (now - EPOCH) // MICROSECOND)

    def recall(self, stability: float | None, last_review: int) -> float:
        """The chance to recall now a memory last reviewed at `last_review` (whole seconds): whole days elapsed,
        then (1 + factor * days / stability) ** decay; 0 without a stability, as fsrs says."""
        if stability is None:
            return 0
        days = max(0, (self.now_us - last_review * 1_000_000) // DAY_US)
        return (1 + self.factor * days / stability) ** self.decay
