"""A learner's numbers, aggregated in the database: one query per kind of history, whatever its size.

Day boundaries belong to the learner (time zone and the hour their study day starts, Anki's 4 am), and
daylight-saving changes make some days 23 or 25 hours long, so the database cannot bucket by a fixed
offset. Every time zone's offset is a whole number of quarter-hours and a study day starts on a local
whole hour, so each study day is a whole number of quarter-hours: the database groups reviews by
quarter-hour since the epoch (a few hundred groups for a year of study), and Python assigns each
quarter-hour to its study day with the boundaries `study_day()` defines. Exact on SQLite and PostgreSQL.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, FilteredRelation, IntegerField, Q
from django.db.models.expressions import Func

from quizzes.exams.models import AttemptQuestion, ExamAttempt
from quizzes.models import ChangeCount, Question, QuestionMemory, ReviewLog, Service
from quizzes.scheduling import Card, State, StudyDay
from studyapp import pagecache
from studyapp.rows import convert

QUARTER_HOUR = 900  # seconds
HEATMAP_DAYS = 365
FORECAST_DAYS = 30
RECENT_EXAMS = 3  # finished attempts the readiness estimate reads
TREND_EXAMS = 10


class QuarterHour(Func):
    """The quarter-hour an instant falls in, as whole quarter-hours since 1970-01-01 UTC."""

    arity = 1
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        # The format string travels as a parameter: a literal %s in the SQL would be taken for a placeholder.
        return f"(CAST(strftime(%s, {sql}) AS INTEGER) / {QUARTER_HOUR})", ("%s", *params)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {sql}) / {QUARTER_HOUR}) AS BIGINT)", params


def day_starts(first: date, count: int, tz_name: str, start_hour: int) -> list[datetime]:
    """The UTC instants at which `count` consecutive study days from `first` start, plus the end of the last."""
    tz = ZoneInfo(tz_name)
    return [
        datetime.combine(first + timedelta(days=n), time(start_hour), tzinfo=tz).astimezone(UTC)
        for n in range(count + 1)
    ]


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
        """True retention per calendar week (Monday first) of the learner's study days."""
        weeks: dict[date, Week] = {}
        for day in self.days:
            start = day.date - timedelta(days=day.date.weekday())
            week = weeks.setdefault(start, Week(start, 0, 0))
            week.review_answers += day.review_answers
            week.review_right += day.review_right
        return list(weeks.values())


def review_history(learner, today: StudyDay, tz_name: str, start_hour: int) -> ReviewHistory:
    """The learner's reviews per study day over the last year: one GROUP BY query."""
    first = today.date - timedelta(days=HEATMAP_DAYS - 1)
    starts = day_starts(first, HEATMAP_DAYS, tz_name, start_hour)
    edges = [int(instant.timestamp()) // QUARTER_HOUR for instant in starts]
    in_review = Q(before__state=State.Review.value)
    groups = (
        ReviewLog.objects.filter(learner=learner, reviewed_at__gte=starts[0], reviewed_at__lt=starts[-1])
        .annotate(quarter=QuarterHour("reviewed_at"))
        .values("quarter")
        .annotate(
            reviews=Count("pk"),
            review_answers=Count("pk", filter=in_review),
            review_right=Count("pk", filter=in_review & Q(correct=True)),
        )
        .order_by()
    )
    days = [Day(first + timedelta(days=n)) for n in range(HEATMAP_DAYS)]
    for group in groups:
        index = bisect_right(edges, group["quarter"]) - 1
        if 0 <= index < HEATMAP_DAYS:
            day = days[index]
            day.reviews += group["reviews"]
            day.review_answers += group["review_answers"]
            day.review_right += group["review_right"]
    return ReviewHistory(days)


# ---------------------------------------------------------------- today


@dataclass
class Today:
    due_now: int
    due_later_today: int
    new_available: int
    questions: int  # active questions in the catalogue
    # Moves whenever anything the charts read changes: the change counts of the learner's history (every
    # review, undo, bury, suspend, merge, trainer answer, exam and settings change) and of the catalogue
    # (questions, bank statuses, content releases), kept by triggers (quizzes.models.ChangeCount).
    fingerprint: tuple[int, int]
    open_exam: int | None  # the learner's latest exam attempt in progress


@cache
def _today_sql() -> str:
    """Today's counts and the moments they next change by themselves, each a scalar subquery over an index
    range of the learner's memories (indexes memory_today and memory_queue, as the study queue), leaving
    out questions learners may not see (`hidden`, computed once). Positional parameters: see `_count_today`."""
    from quizzes.due_queue import visible_questions

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    visible, _ = visible_questions(None)  # a condition on the unaliased question table
    hidden_sql, _ = _hidden_questions()
    questions, memories, attempts = table(Question), table(QuestionMemory), table(ExamAttempt)
    mine = f"FROM {memories} m WHERE m.learner_id = %s AND m.question_id NOT IN (SELECT id FROM hidden)"
    available = "m.suspended = %s AND (m.buried_until IS NULL OR m.buried_until <= %s)"
    reviewed = f"m.last_review IS NOT NULL AND {available} AND m.state IN (%s, %s, %s)"
    return f"""
        WITH hidden AS MATERIALIZED ({hidden_sql})
        SELECT
            (SELECT COUNT(*) FROM {questions} WHERE {visible}),
            (SELECT COUNT(*) {mine} AND m.last_review IS NOT NULL),
            (SELECT COUNT(*) {mine} AND m.last_review IS NULL AND (m.suspended OR m.buried_until > %s)),
            (SELECT COUNT(*) {mine} AND {reviewed} AND m.due <= %s),
            (SELECT COUNT(*) {mine} AND {reviewed} AND m.due < %s),
            (SELECT COUNT(*) {mine} AND m.last_review >= %s AND m.introduced_at >= %s),
            (SELECT MIN(m.due) {mine} AND {reviewed} AND m.due > %s),
            (SELECT MIN(buried_until) FROM {memories} WHERE learner_id = %s AND buried_until > %s),
            (SELECT id FROM {attempts} WHERE learner_id = %s AND state = %s ORDER BY started_at DESC LIMIT 1)
    """


@cache
def _hidden_questions() -> tuple[str, tuple]:
    """SELECT id of the questions learners do not see (`Question.objects.hidden()`), with its parameters."""
    sql, params = Question.objects.hidden().order_by().values("id").query.sql_with_params()
    return sql, tuple(params)


_todays = pagecache.Expiring(4096)  # per process: (learner, change counts, study day, limit) -> Today


def today_counts(learner, prefs, today: StudyDay, now: datetime, counts: tuple[int, int] | None = None) -> Today:
    """What the learner can study today: computed by one statement, then kept in this process until the
    learner's history or the catalogue changes (`counts`: their change counts, as `ChangeCount.of` gives
    them) or a card falls due or out of its burial by itself, whichever comes first."""
    counts = counts or ChangeCount.of(learner)
    key = (learner.pk, *counts, today.start, today.end, prefs.new_per_day)
    return _todays.get(key, now, lambda: _count_today(learner, prefs, today, now, counts))


def _count_today(learner, prefs, today: StudyDay, now: datetime, counts: tuple[int, int]) -> tuple[Today, datetime]:
    """Today's numbers (one statement; hand-written because the ORM took ten times longer to build this
    query than the database took to run it) and the moment they next change without a write."""
    from quizzes.due_queue import visible_questions

    adapt = connection.ops.adapt_datetimefield_value
    _, visible = visible_questions(None)
    _, hidden = _hidden_questions()
    at, learner_id = adapt(now), learner.pk
    states = [State.Learning.value, State.Review.value, State.Relearning.value]
    reviewed = [False, at, *states]  # not suspended, not buried, in one of the reviewed states
    params = [
        *hidden,  # the questions learners do not see
        *visible,  # the questions learners see
        *[learner_id],
        *[learner_id, at],
        *[learner_id, *reviewed, at],
        *[learner_id, *reviewed, adapt(today.end)],
        *[learner_id, adapt(today.start), adapt(today.start)],  # introduced today: first reviewed today
        *[learner_id, *reviewed, at],  # the next card to fall due
        *[learner_id, at],  # the next burial to end
        *[learner_id, ExamAttempt.State.IN_PROGRESS.value],
    ]
    with connection.cursor() as cursor:
        cursor.execute(_today_sql(), params)
        row = cursor.fetchone()
    questions, started, hidden_new, due_now, due_today, new_today = (v or 0 for v in row[:6])
    next_due, next_unburied, open_exam = row[6:]
    unseen = questions - started - hidden_new
    numbers = Today(
        due_now=due_now,
        due_later_today=due_today - due_now,
        new_available=max(0, min(unseen, prefs.new_per_day - new_today)),
        questions=questions,
        fingerprint=counts,
        open_exam=open_exam,
    )
    due = QuestionMemory._meta.get_field("due")  # the ORM's converters: aware datetimes on either database
    moments = [today.end, *(convert(due, value) for value in (next_due, next_unburied) if value is not None)]
    return numbers, min(moments)


# ---------------------------------------------------------------- memory: forecast, mastery per service and domain


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
class MemoryStats:
    forecast: list[int]  # reviews due per study day, today (overdue included) first
    services: dict[int, Coverage] = field(default_factory=dict)  # service id -> coverage
    domains: dict[str, Coverage] = field(default_factory=dict)


def memory_stats(learner, sched, today: StudyDay, tz_name: str, start_hour: int, now: datetime) -> MemoryStats:
    """Forecast and coverage from one query: every active question with its services and the learner's memory.

    Retrievability comes from fsrs (the learner's scheduler), per memory; memories are bounded by the
    number of questions, not by the length of the history."""
    mine = FilteredRelation("memories", condition=Q(memories__learner=learner))
    rows = (
        Question.objects.active()
        .annotate(mine=mine)
        .values_list(
            "pk", "domain", "services", "mine__state", "mine__stability", "mine__last_review", "mine__due",
            "mine__suspended",
        )
        .order_by()
    )  # fmt: skip
    starts = day_starts(today.date + timedelta(days=1), FORECAST_DAYS - 1, tz_name, start_hour)
    forecast = [0] * FORECAST_DAYS
    stats = MemoryStats(forecast=forecast)
    recall_of: dict[int, float | None] = {}
    for pk, domain, service_id, state, stability, last_review, due, suspended in rows:
        if pk not in recall_of:
            recall = None
            if last_review is not None:
                card = Card(card_id=pk, state=State(state), stability=stability, last_review=last_review, due=due)
                recall = sched.get_card_retrievability(card, now)
                if not suspended:
                    if due < today.end:
                        forecast[0] += 1
                    else:
                        index = bisect_right(starts, due)
                        if index < FORECAST_DAYS:
                            forecast[index] += 1
            recall_of[pk] = recall
            _count(stats.domains.setdefault(domain, Coverage()), recall)
        if service_id is not None:
            _count(stats.services.setdefault(service_id, Coverage()), recall_of[pk])
    return stats


def _count(coverage: Coverage, recall: float | None) -> None:
    coverage.questions += 1
    if recall is not None:
        coverage.seen += 1
        coverage.recall_sum += recall


def catalogue() -> list[Service]:
    return list(Service.objects.only("key", "name", "short", "note_slug", "order", "core"))


# ---------------------------------------------------------------- exams


def recent_attempts(learner) -> list[ExamAttempt]:
    """The learner's latest attempts, in progress or finished (abandoned ones say nothing), newest first."""
    return list(
        ExamAttempt.objects.of(learner)
        .exclude(state=ExamAttempt.State.ABANDONED)
        .only("pk", "title", "state", "started_at", "finished_at", "scaled_score", "passed", "scored_total")
        .order_by("-started_at")[: TREND_EXAMS + 1]
    )


def exam_domains(attempt_ids: list[int]) -> dict[str, tuple[int, int]]:
    """Scored answers per exam domain over these attempts: domain -> (right, asked)."""
    if not attempt_ids:
        return {}
    groups = (
        AttemptQuestion.objects.filter(attempt_id__in=attempt_ids, is_pilot=False)
        .values("question__domain")
        .annotate(asked=Count("pk"), right=Count("pk", filter=Q(correct=True)))
        .order_by()
    )
    return {group["question__domain"]: (group["right"], group["asked"]) for group in groups}
