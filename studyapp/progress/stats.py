"""A learner's numbers, aggregated in the database: one query per kind of history, whatever its size.

Day boundaries belong to the learner (time zone and the hour their study day starts, Anki's 4 am), and
daylight-saving changes make some days 23 or 25 hours long, so the database cannot bucket by a fixed
offset. Python computes the UTC instant each study day starts (`day_starts`); between two clock changes
the days are exactly 24 hours long, so the database numbers a review's day with a little arithmetic on
its epoch seconds, one branch per run of equal days (a handful a year). Exact on SQLite and PostgreSQL,
for any offset (Kathmandu's +5:45 included).
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    FilteredRelation,
    IntegerField,
    Max,
    Q,
    Value,
    When,
)
from django.db.models.expressions import Func

from quizzes.exams.models import ExamAttempt
from quizzes.models import Domain, Question, QuestionMemory, ReviewLog, Service
from quizzes.study.due_queue import aware, visible_questions
from quizzes.study.scheduling import ForgettingCurve, State, StudyDay
from quizzes.trainer.models import RoundItem
from studyapp.notes.models import ContentRelease

DAY = 86_400  # seconds
HEATMAP_DAYS = 365
FORECAST_DAYS = 30
RECENT_EXAMS = 3  # finished attempts the readiness estimate reads
TREND_EXAMS = 10
REVIEWED = (State.Learning.value, State.Review.value, State.Relearning.value)


class WholeNumber(Func):
    """An integer the database computes, read as it returns it: Django's per-row int() of an expression's value
    (some 10,000 calls for the dashboard's 2,000 memories) is left out."""

    output_field = IntegerField()
    template = "CAST(%(expressions)s AS INTEGER)"

    @property
    def convert_value(self):
        return self._convert_value_noop


class EpochSeconds(WholeNumber):
    """Whole seconds since 1970-01-01 UTC of a datetime."""

    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        # The format string travels as a parameter: a literal %s in the SQL would be taken for a placeholder.
        return f"CAST(strftime(%s, {sql}) AS INTEGER)", ("%s", *params)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {sql})) AS BIGINT)", params


def day_starts(first: date, count: int, tz_name: str, start_hour: int) -> list[datetime]:
    """The UTC instants at which `count` consecutive study days from `first` start, plus the end of the last."""
    tz = ZoneInfo(tz_name)
    return [
        datetime.combine(first + timedelta(days=n), time(start_hour), tzinfo=tz).astimezone(UTC)
        for n in range(count + 1)
    ]


def day_number(column: str, starts: list[datetime], first: int = 0) -> Case:
    """The number of the study day an instant of `column` falls in: `first` for the day from starts[0] to
    starts[1], and so on; NULL outside the days."""
    epochs = [int(start.timestamp()) for start in starts]
    branches, run = [], 0
    for n in range(len(epochs) - 1):
        regular = epochs[n + 1] - epochs[n] == DAY
        if regular and n + 2 < len(epochs) and epochs[n + 2] - epochs[n + 1] == DAY:
            continue  # the run of 24-hour days goes on
        if regular:  # days run..n, 24 hours each: whole days since the run's first one started
            number = ExpressionWrapper(
                (EpochSeconds(column) - Value(epochs[run])) / Value(DAY) + Value(first + run),
                output_field=IntegerField(),
            )
        else:  # a 23- or 25-hour day (a clock change)
            number = Value(first + n)
        branches.append(When(**{f"{column}__lt": starts[n + 1]}, then=number))
        run = n + 1
    before = When(**{f"{column}__lt": starts[0]}, then=Value(None))
    return Case(before, *branches, output_field=IntegerField())


# ---------------------------------------------------------------- review history (heatmap, streak, retention)


@dataclass
class Day:
    """One study day of the learner: every review, and the answers to questions that were in review state."""

    date: date
    reviews: int = 0
    review_answers: int = 0  # answers to questions in review state (not learning): true retention's sample
    review_right: int = 0


@dataclass
class Week:
    start: date
    review_answers: int
    review_right: int

    @property
    def retention(self) -> float | None:
        return self.review_right / self.review_answers if self.review_answers else None


@dataclass
class ReviewHistory:
    days: list[Day]  # the last HEATMAP_DAYS study days, oldest first; the last one is today

    @property
    def today(self) -> Day:
        return self.days[-1]

    @property
    def total(self) -> int:
        return sum(day.reviews for day in self.days)

    @property
    def streak(self) -> int:
        """Consecutive study days with a review, up to today (or up to yesterday while today is still open)."""
        days = self.days if self.today.reviews else self.days[:-1]
        count = 0
        for day in reversed(days):
            if not day.reviews:
                break
            count += 1
        return count

    def weeks(self) -> list[Week]:
        """True retention per calendar week (Monday first) of the learner's study days (consecutive days: a
        week starts with the first day and on each Monday)."""
        weeks: list[Week] = []
        for day in self.days:
            if not weeks or day.date.weekday() == 0:
                weeks.append(Week(day.date - timedelta(days=day.date.weekday()), 0, 0))
            weeks[-1].review_answers += day.review_answers
            weeks[-1].review_right += day.review_right
        return weeks


IN_REVIEW = Q(before__state=State.Review.value)


@dataclass(frozen=True)
class PastDays:
    """The study days before today in the heatmap's year, and what identifies the reviews they were counted
    from beyond the cache's key (which has the learner's `history_version`, moved by an undo of a rating made
    before today and by a guest merge, the only writes that change earlier days): the reviews of the last of
    them, and the latest review. A rating made just before today starts but committed after the days were
    counted moves both."""

    counts: tuple[tuple[int, int, int], ...]  # (reviews, review answers, right) per day, oldest first
    fingerprint: tuple[int, datetime | None]  # (reviews of the day before today, the latest review before today)


def heatmap_starts(today: StudyDay, tz_name: str, start_hour: int, count: int = HEATMAP_DAYS) -> list[datetime]:
    """The starts of the heatmap's study days (the first `count` of them), then the end of the last."""
    return day_starts(today.date - timedelta(days=HEATMAP_DAYS - 1), count, tz_name, start_hour)


def review_history(learner, today: StudyDay, tz_name: str, start_hour: int) -> ReviewHistory:
    """The learner's reviews per study day over the last year: one GROUP BY query."""
    return year_of_reviews(learner, today, tz_name, start_hour)[0]


def year_of_reviews(learner, today: StudyDay, tz_name: str, start_hour: int) -> tuple[ReviewHistory, PastDays]:
    """The year of study days up to today, and the days before today as the dashboard caches them."""
    starts = heatmap_starts(today, tz_name, start_hour)
    groups = (
        ReviewLog.objects.filter(learner=learner, reviewed_at__gte=starts[0], reviewed_at__lt=starts[-1])
        .annotate(day=day_number("reviewed_at", starts))
        .values("day")
        .annotate(
            reviews=Count("pk"),
            review_answers=Count("pk", filter=IN_REVIEW),
            review_right=Count("pk", filter=IN_REVIEW & Q(correct=True)),
            latest=Max("reviewed_at"),
        )
        .order_by()
    )
    first = today.date - timedelta(days=HEATMAP_DAYS - 1)
    days = [Day(first + timedelta(days=n)) for n in range(HEATMAP_DAYS)]
    latest = None
    for group in groups:
        days[group["day"]] = Day(
            days[group["day"]].date, group["reviews"], group["review_answers"], group["review_right"]
        )
        if group["day"] < HEATMAP_DAYS - 1:
            latest = group["latest"] if latest is None else max(latest, group["latest"])
    counts = tuple((day.reviews, day.review_answers, day.review_right) for day in days[:-1])
    return ReviewHistory(days), PastDays(counts, (days[-2].reviews, latest))


@dataclass(frozen=True)
class Activity:
    """Today's reviews, and what identifies each part of the learner's history the dashboard caches: the same
    fingerprint means the same rows. Earlier days: see PastDays; trainer answers are only added (a merge too);
    an exam attempt starts (their number and the latest start move), then is finished or abandoned (the open
    ones go down: with no attempt added, they can only go down), and a merge brings some (their number moves)."""

    reviews: int
    review_answers: int
    review_right: int
    past_days: tuple[int, datetime | None]  # reviews of the day before today, the latest review before today
    trainer: tuple[int]  # trainer answers, written once each: how many
    # Attempts open, in all (a merge adds some), the latest start, the open ones' latest deadline (a teacher who
    # moves an assigned exam's due time cuts a running attempt's).
    exams: tuple[int, int, datetime | None, datetime | None]
    content: tuple  # the content's fingerprint (quizzes.study.catalogue.content_marks)


def recent_activity(learner, today: StudyDay, tz_name: str, start_hour: int) -> Activity:
    """Today's reviews, with the fingerprints: one hand-written statement (ACTIVITY_SQL). Each of its parts is
    one aggregate over an index range (SQLite reads most from the index alone, MAX from its last entry). Built
    with the ORM, the same statement of 13 subqueries took 5 ms to build and compile on each request against
    0.6 ms to run: a fifth of the dashboard's time. The earlier days are identified without counting the year's
    reviews (20,000 index entries, 1-2 ms): see PastDays."""
    year_start = heatmap_starts(today, tz_name, start_hour, count=0)[0]
    yesterday_start = day_starts(today.date - timedelta(days=1), 0, tz_name, start_hour)[0]
    visible, visible_params = visible_questions(None)
    at = connection.ops.adapt_datetimefield_value
    params = [
        *(learner.pk, at(yesterday_start), at(today.start)),  # past
        *(learner.pk, at(year_start), at(today.start)),  # latest
        *(learner.pk, learner.pk, ExamAttempt.State.IN_PROGRESS, learner.pk, learner.pk),  # answers, exams
        *(learner.pk, ExamAttempt.State.IN_PROGRESS),  # the open attempts' deadline
        *(learner.pk, at(today.start), at(today.end)),  # today's reviews
        *visible_params,  # the content's marks
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            ACTIVITY_SQL.format(state_before=_state_before(), review=State.Review.value, visible=visible, **TABLES),
            params,
        )
        (reviews, review_answers, review_right, past, latest, answers, open_exams, all_exams, latest_exam, deadline,
         *content) = cursor.fetchone()  # fmt: skip
    return Activity(
        reviews=reviews,
        review_answers=review_answers,
        review_right=review_right,
        past_days=(past, aware(latest)),
        trainer=(answers,),
        exams=(open_exams, all_exams, aware(latest_exam), aware(deadline)),
        content=tuple(content),
    )


TABLES = {
    "reviews": ReviewLog._meta.db_table,
    "round_items": RoundItem._meta.db_table,
    "attempts": ExamAttempt._meta.db_table,
    "releases": ContentRelease._meta.db_table,
    "questions": Question._meta.db_table,
}

# Today's reviews (all, answers to questions in review state, and those right), and the fingerprints: reviews of
# the day before today and the latest before today (PastDays), trainer answers, exam attempts open, in all, the
# latest start and the open ones' latest deadline, and the content's marks (as quizzes.study.catalogue.content_marks
# reads them: the latest release; of the questions learners see, how many, their ids' sum and their revisions' sum,
# from one pass over them). The latest review is the last index entry of the range (MAX read the whole range on
# PostgreSQL). The questions learners see: the due queue's condition, compiled from Question.objects.active().
ACTIVITY_SQL = """
SELECT
    today.reviews, today.review_answers, today.review_right,
    (SELECT COUNT(*) FROM {reviews} WHERE learner_id = %s AND reviewed_at >= %s AND reviewed_at < %s),
    (SELECT reviewed_at FROM {reviews} WHERE learner_id = %s AND reviewed_at >= %s AND reviewed_at < %s
        ORDER BY reviewed_at DESC LIMIT 1),
    (SELECT COUNT(*) FROM {round_items} WHERE learner_id = %s AND answered_at IS NOT NULL),
    (SELECT COUNT(*) FROM {attempts} WHERE learner_id = %s AND state = %s),
    (SELECT COUNT(*) FROM {attempts} WHERE learner_id = %s),
    (SELECT MAX(started_at) FROM {attempts} WHERE learner_id = %s),
    (SELECT MAX(deadline) FROM {attempts} WHERE learner_id = %s AND state = %s),
    (SELECT MAX(id) FROM {releases}),
    content.questions, content.ids, content.revisions
FROM
    (SELECT
        COUNT(*) AS reviews,
        COUNT(*) FILTER (WHERE {state_before} = {review}) AS review_answers,
        COUNT(*) FILTER (WHERE {state_before} = {review} AND correct) AS review_right
    FROM {reviews}
    WHERE learner_id = %s AND reviewed_at >= %s AND reviewed_at < %s) today,
    (SELECT COUNT(*) AS questions, SUM(id) AS ids, SUM(revision) AS revisions FROM {questions} WHERE {visible}) content
"""


def _state_before() -> str:
    """The state a review found its memory in (ReviewLog.before["state"]) in the database's JSON dialect."""
    if connection.vendor == "postgresql":
        return """("before" ->> 'state')::integer"""
    return """json_extract("before", '$.state')"""


def history_of(past: PastDays, recent: Activity, today: StudyDay) -> ReviewHistory:
    """The year of study days from the cached days before today and today's live numbers."""
    first = today.date - timedelta(days=HEATMAP_DAYS - 1)
    days = [Day(first + timedelta(days=n), *counts) for n, counts in enumerate(past.counts)]
    days.append(Day(today.date, recent.reviews, recent.review_answers, recent.review_right))
    return ReviewHistory(days)


# ---------------------------------------------------------------- memory: today, forecast, mastery


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
    (memory_unique_learner_question)."""
    rows = QuestionMemory.objects.filter(learner=learner).annotate(**_memory_values())
    return list(rows.values_list("question_id", *MEMORY_FIELDS).order_by())


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
            questions[pk] = tuple(mine)
        return cls(topics, list(slots), totals, questions)


# ---------------------------------------------------------------- exams


def _tallied(attempts):
    """Attempts with their scored answers counted per exam domain (`<domain>_asked`, `<domain>_right`)."""
    scored = Q(questions__is_pilot=False)
    tallies = {}
    for domain in Domain:
        in_domain = scored & Q(questions__question__domain=domain.value)
        tallies[f"{_name(domain)}_asked"] = Count("questions", filter=in_domain)
        tallies[f"{_name(domain)}_right"] = Count("questions", filter=in_domain & Q(questions__correct=True))
    return attempts.annotate(**tallies)


def _name(domain: Domain) -> str:
    return domain.value.replace("-", "_")


def recent_attempts(learner) -> list[ExamAttempt]:
    """The learner's latest attempts, in progress or finished (abandoned ones say nothing), newest first, each
    with its answers tallied per domain: one query."""
    attempts = (
        ExamAttempt.objects.of(learner)
        .exclude(state=ExamAttempt.State.ABANDONED)
        .only("pk", "title", "state", "started_at", "finished_at", "deadline", "scaled_score", "passed", "scored_total")
        .order_by("-started_at")
    )
    return list(_tallied(attempts)[: TREND_EXAMS + 1])


def domain_answers(attempts: list[ExamAttempt]) -> dict[str, tuple[int, int]]:
    """Scored answers per exam domain over these tallied attempts: domain -> (right, asked)."""
    answers = {}
    for domain in Domain:
        asked = sum(getattr(a, f"{_name(domain)}_asked") for a in attempts)
        if asked:
            answers[domain.value] = (sum(getattr(a, f"{_name(domain)}_right") for a in attempts), asked)
    return answers


def exam_domains(attempt_ids: list[int]) -> dict[str, tuple[int, int]]:
    """Scored answers per exam domain over these attempts: domain -> (right, asked)."""
    if not attempt_ids:
        return {}
    return domain_answers(list(_tallied(ExamAttempt.objects.filter(pk__in=attempt_ids))))
