"""A learner's memories counted against the content they are tallied against: today's numbers (due now, due later
today, new available), the due forecast, and coverage and recall per exam domain, topic and category (mastery,
readiness). The learner's memories are one query, whatever the size of their history; the content (the questions
learners see, what each is about, and the topics) is read with them (Content.read_with_memories) or comes from the
dashboard's cache.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

from django.db import connection
from django.db.models import FilteredRelation, Q

from quizzes.models import Question, QuestionMemory, Service
from quizzes.study.scheduling import ForgettingCurve, State, StudyDay
from studyapp.progress.history import EpochSeconds, WholeNumber, day_starts

FORECAST_DAYS = 30
REVIEWED = (State.Learning.value, State.Review.value, State.Relearning.value)


@dataclass
class Coverage:
    """One group of questions (a service or an exam domain): how many, how many seen, their summed recall."""

    questions: int = 0
    seen: int = 0
    recall_sum: float = 0.0

    @property
    def recall(self) -> float | None:
        """Average FSRS retrievability of the questions seen: the chance to recall one of them now."""
        return self.recall_sum / self.seen if self.seen else None

    @property
    def seen_share(self) -> float:
        return self.seen / self.questions if self.questions else 0.0


@dataclass
class Today:
    due_now: int
    due_later_today: int
    new_available: int
    questions: int  # questions learners see


@dataclass(frozen=True)
class Bounds:
    """Now, today's study day and the starts of the forecast's days after it, as seconds since the epoch."""

    now: float
    today_start: float
    today_end: float
    forecast_starts: list[float]  # the start of tomorrow, of each next day, then the end of the last


@dataclass
class MemoryStats:
    forecast: list[int]  # reviews due per study day, today (overdue included) first
    services: dict[int, Coverage] = field(default_factory=dict)  # service id -> coverage
    categories: dict[int, Coverage] = field(default_factory=dict)  # category id -> coverage (a question once)
    domains: dict[str, Coverage] = field(default_factory=dict)
    questions: int = 0  # questions learners see
    started: int = 0  # of them, reviewed at least once
    set_aside: int = 0  # never reviewed, but suspended or buried: not offered as new today
    introduced_today: int = 0
    due_now: int = 0  # reviews and learning steps due, not suspended or buried
    due_today: int = 0  # the same, due before the study day ends

    def count_reviewed(self, bounds: "Bounds", state, last_review, due, suspended, set_aside, introduced_at) -> None:
        """A memory reviewed at least once: today's counts (as the study queue counts them) and the forecast."""
        self.started += 1
        if introduced_at is not None and introduced_at >= bounds.today_start and last_review >= bounds.today_start:
            self.introduced_today += 1
        if not set_aside and state in REVIEWED and due < bounds.today_end:
            self.due_today += 1
            self.due_now += due <= bounds.now
        if not suspended:
            day = 0 if due < bounds.today_end else bisect_right(bounds.forecast_starts, due)
            if day < FORECAST_DAYS:
                self.forecast[day] += 1

    def today(self, new_per_day: int) -> Today:
        unseen = self.questions - self.started - self.set_aside
        return Today(
            due_now=self.due_now,
            due_later_today=self.due_today - self.due_now,
            new_available=max(0, min(unseen, new_per_day - self.introduced_today)),
            questions=self.questions,
        )


def memory_stats(learner, sched, today: StudyDay, tz_name: str, start_hour: int, now: datetime) -> MemoryStats:
    """Today's numbers, the forecast and coverage of a learner, from one query (Content.read_with_memories)."""
    content, rows = Content.read_with_memories(learner)
    return count_memories(rows, content, sched, today, tz_name, start_hour, now)


MEMORY_FIELDS = (
    "state",
    "stability",
    "is_suspended",
    "last_seconds",
    "due_seconds",
    "buried_seconds",
    "introduced_seconds",
)


def _memory_values(prefix: str = "") -> dict:
    """A memory's fields as the dashboard reads them: the times as whole seconds since the epoch (parsing and
    localising the datetimes took a third of the page's time) and the flag as a number, so that Django has no
    value to convert."""
    return {
        "is_suspended": WholeNumber(f"{prefix}suspended"),
        "last_seconds": EpochSeconds(f"{prefix}last_review"),
        "due_seconds": EpochSeconds(f"{prefix}due"),
        "buried_seconds": EpochSeconds(f"{prefix}buried_until"),
        "introduced_seconds": EpochSeconds(f"{prefix}introduced_at"),
    }


def memory_rows(learner) -> list[tuple]:
    """The learner's memories as count_memories() reads them: one query, their index range
    (memory_unique_learner_question), run as the ORM compiled it once (memory_rows_sql())."""
    sql, params = memory_rows_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [learner.pk if param == LEARNER else param for param in params])
        return cursor.fetchall()  # the columns need no conversion: numbers only (see _memory_values())


LEARNER = -1  # stands for the learner in the compiled query's parameters (no account has a negative id)


@cache  # SQL text compiled from the ORM query below: code, not data, so it never goes stale. Compiled on each
# request, the query took 0.36 ms to build against 0.28 ms to run and read (PostgreSQL, 100 memories).
def memory_rows_sql() -> tuple[str, tuple]:
    rows = QuestionMemory.objects.filter(learner_id=LEARNER).annotate(**_memory_values())
    sql, params = rows.values_list("question_id", *MEMORY_FIELDS).order_by().query.sql_with_params()
    if list(params).count(LEARNER) != 1:
        raise AssertionError("the learner is not the memories' query's only negative-one parameter")
    return sql, tuple(params)


def count_memories(
    rows: list[tuple], content: "Content", sched, today: StudyDay, tz_name: str, start_hour: int, now: datetime
) -> MemoryStats:
    """Today's numbers, the forecast and coverage: the learner's memories (memory_rows()) counted against the
    questions learners see (`content`: what each is about and how many each group has). Retrievability comes from
    the learner's forgetting curve, as fsrs computes it. Memories are bounded by the number of questions, not by
    the history; those of questions learners no longer see (retired, or in a draft or archived bank) are left
    out."""
    forecast = day_starts(today.date + timedelta(days=1), FORECAST_DAYS - 1, tz_name, start_hour)
    bounds = Bounds(now.timestamp(), today.start.timestamp(), today.end.timestamp(), [d.timestamp() for d in forecast])
    curve = ForgettingCurve.of(sched, now)
    stats = MemoryStats(forecast=[0] * FORECAST_DAYS, questions=len(content.questions))
    seen, recall_sum = [0] * len(content.totals), [0.0] * len(content.totals)
    questions = content.questions
    for pk, state, stability, suspended, last_review, due, buried, introduced in rows:
        slots = questions.get(pk)
        if slots is None:  # a question learners no longer see
            continue
        set_aside = suspended or (buried is not None and buried > bounds.now)
        if last_review is None:
            stats.set_aside += bool(set_aside)
            continue
        recall = curve.recall(stability, last_review)
        stats.count_reviewed(bounds, state, last_review, due, suspended, set_aside, introduced)
        for slot in slots:
            seen[slot] += 1
            recall_sum[slot] += recall
    coverage = {"domain": stats.domains, "service": stats.services, "category": stats.categories}
    for slot, (kind, key) in enumerate(content.groups):
        coverage[kind][key] = Coverage(content.totals[slot], seen[slot], recall_sum[slot])
    return stats


def today_counts(learner, prefs, today: StudyDay, now: datetime) -> Today:
    """What the learner can study today (the dashboard reads it from the same query as the charts)."""
    sched = prefs.scheduler()
    return memory_stats(learner, sched, today, prefs.time_zone, prefs.day_start_hour, now).today(prefs.new_per_day)


class TopicCategory(NamedTuple):
    """A category of the catalogue as the dashboard shows it (named tuples: the cached content's 180 topics are
    read back from the cache in a sixth of the time of as many dataclasses)."""

    key: str
    name: str
    order: int = 0


class Topic(NamedTuple):
    """A topic (quizzes.models.Service) as the dashboard shows it: what its charts, tables and links read."""

    pk: int
    key: str
    name: str
    short: str
    note_slug: str
    order: int
    category_id: int | None
    category: TopicCategory | None


def catalogue() -> list[Topic]:
    """Every topic with its category (one query), in the catalogue's order: some 180 rows read as values, in a
    third of the time of as many model instances with their categories."""
    rows = Service.objects.order_by("category__order", "order").values_list(
        "pk", "key", "name", "short", "note_slug", "order", "category_id",
        "category__key", "category__name", "category__order",
    )  # fmt: skip
    categories: dict[int, TopicCategory] = {}
    topics = []
    for *topic, category_id, category_key, category_name, category_order in rows:
        category = None
        if category_id is not None:
            category = categories.get(category_id)
            if category is None:
                category = categories[category_id] = TopicCategory(category_key, category_name, category_order)
        topics.append(Topic(*topic, category_id, category))
    return topics


@dataclass(frozen=True)
class Content:
    """The questions learners see as the dashboard counts them, and the topics: what changes only with the content
    (keyed in the cache by its fingerprint, quizzes.study.catalogue.content_marks). Each group a question counts in
    (its exam domain, each of its topics, each of their categories once) has a number, its slot: a learner's
    memories are tallied in lists by slot."""

    topics: list[Topic]  # in the catalogue's order
    groups: list[tuple[str, str | int | None]]  # per slot: ("domain", key), ("service", id) or ("category", id)
    totals: list[int]  # per slot: its questions
    questions: dict[int, tuple[int, ...]]  # question id -> the slots it counts in

    @classmethod
    def read_with_memories(cls, learner) -> tuple["Content", list[tuple]]:
        """The content and a learner's memories of its questions (as memory_rows() reads them, those of questions
        learners no longer see left out): two queries, the topics and every question learners see with its topics
        and the learner's memory of it (a left join on the memory's unique index)."""
        topics = catalogue()
        rows = (
            Question.objects.active()
            .annotate(mine=FilteredRelation("memories", condition=Q(memories__learner=learner)))
            .annotate(**_memory_values("mine__"))
            .values_list("pk", "domain", "services", "mine__state", "mine__stability", *MEMORY_FIELDS[2:])
            .order_by()
        )
        about: dict[int, tuple[str, list[int]]] = {}
        memories = []
        for pk, domain, service_id, *memory in rows:
            entry = about.get(pk)
            if entry is None:
                entry = about[pk] = (domain, [])
                if memory[0] is not None:  # a memory's state is never NULL: the learner has one
                    memories.append((pk, *memory))
            if service_id is not None:
                entry[1].append(service_id)
        return cls.of(topics, about), memories

    @classmethod
    def of(cls, topics: list[Topic], about: dict[int, tuple[str, list[int]]]) -> "Content":
        """The content from the topics and each question's domain and topics."""
        category_of = {topic.pk: topic.category_id for topic in topics}
        slots: dict[tuple[str, str | int | None], int] = {}
        totals: list[int] = []
        questions = {}
        shared: dict[tuple[int, ...], tuple[int, ...]] = {}  # one tuple per set of slots: see below
        for pk, (domain, service_ids) in about.items():
            groups = [("domain", domain)]
            groups += [("service", key) for key in service_ids]
            groups += dict.fromkeys(("category", category_of[key]) for key in service_ids)  # a category once
            mine = []
            for group in groups:
                slot = slots.setdefault(group, len(slots))
                if slot == len(totals):
                    totals.append(0)
                totals[slot] += 1
                mine.append(slot)
            # Questions in the same groups share one tuple of slots, which the cache then stores and rebuilds once:
            # 675 tuples for the 1,103 questions of the bench data, read back in 0.22 ms instead of 0.35.
            questions[pk] = shared.setdefault(tuple(mine), tuple(mine))
        return cls(topics, list(slots), totals, questions)
