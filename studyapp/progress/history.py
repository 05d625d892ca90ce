"""The learner's review history and today's activity, aggregated in the database: one query per kind of history,
whatever its size. The year of study days (the heatmap, the streak, true retention by week), and today's reviews
with the fingerprint of each part of the history the dashboard caches (ACTIVITY_SQL). The SQL that numbers study
days and reads times as whole seconds (day_number, EpochSeconds) serves the memory side and the class pages too.

Day boundaries belong to the learner (time zone and the hour their study day starts, Anki's 4 am), and
daylight-saving changes make some days 23 or 25 hours long, so the database cannot bucket by a fixed
offset. Python computes the UTC instant each study day starts (`day_starts`); between two clock changes
the days are exactly 24 hours long, so the database numbers a review's day with a little arithmetic on
its epoch seconds, one branch per run of equal days (a handful a year). Exact on SQLite and PostgreSQL,
for any offset (Kathmandu's +5:45 included).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Case, Count, ExpressionWrapper, IntegerField, Max, Q, Value, When
from django.db.models.expressions import Func

from quizzes.exams.models import ExamAttempt
from quizzes.models import ReviewLog
from quizzes.study.catalogue import QUESTIONS_SQL, RELEASE_SQL
from quizzes.study.due_queue import aware, visible_questions
from quizzes.study.scheduling import State, StudyDay

DAY = 86_400  # seconds
HEATMAP_DAYS = 365


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


class Week(NamedTuple):
    start: date
    review_answers: int
    review_right: int

    @property
    def retention(self) -> float | None:
        return self.review_right / self.review_answers if self.review_answers else None


IN_REVIEW = Q(before__state=State.Review.value)


@dataclass(frozen=True)
class PastDays:
    """The study days before today in the heatmap's year, counted once and cached (the dashboard's earlier days),
    with what the dashboard shows of them on every visit, so that a visit adds today's numbers to these instead of
    going over the year's days again: their reviews, the busiest of them, the streak up to the last of them, and
    true retention by calendar week (the last week as far as these days go).

    `fingerprint` identifies the reviews they were counted from beyond the cache's key (which has the learner's
    `history_version`, moved by an undo of a rating made before today and by a guest merge, the only writes that
    change earlier days): the reviews of the last of them, and the latest review. A rating made just before today
    starts but committed after the days were counted moves both."""

    first: date  # the first of them: today, a year ago
    reviews: tuple[int, ...]  # per day, oldest first
    review_answers: tuple[int, ...]
    review_right: tuple[int, ...]
    fingerprint: tuple[int, datetime | None]  # (reviews of the day before today, the latest review before today)
    total: int
    busiest: int
    streak: int  # consecutive days with a review, up to the day before today
    weeks: tuple[Week, ...]  # Monday first; a week starts with the first day and on each Monday

    @classmethod
    def of(cls, first: date, counts: list[tuple[int, int, int]], fingerprint: tuple) -> "PastDays":
        """The days from `first` on, from their (reviews, review answers, right)."""
        reviews, answers, right = (tuple(column) for column in zip(*counts, strict=True)) if counts else ((), (), ())
        streak = next((n for n, count in enumerate(reversed(reviews)) if not count), len(reviews))
        weeks: list[Week] = []
        for n in range(len(reviews)):
            day = first + timedelta(days=n)
            if not weeks or day.weekday() == 0:
                weeks.append(Week(day - timedelta(days=day.weekday()), 0, 0))
            start, week_answers, week_right = weeks[-1]
            weeks[-1] = Week(start, week_answers + answers[n], week_right + right[n])
        return cls(first, reviews, answers, right, fingerprint, sum(reviews), max(reviews, default=0), streak,
                   tuple(weeks))  # fmt: skip

    @classmethod
    def none(cls, today: StudyDay, fingerprint: tuple) -> "PastDays":
        """The heatmap's days before today, without a review."""
        return cls.of(today.date - timedelta(days=HEATMAP_DAYS - 1), [(0, 0, 0)] * (HEATMAP_DAYS - 1), fingerprint)


@dataclass
class ReviewHistory:
    """The last HEATMAP_DAYS study days: the days before today (PastDays) and today."""

    past: PastDays
    today: Day

    @cached_property
    def days(self) -> list[Day]:
        """Every day, oldest first; the last one is today. Built only where every day is drawn (the heatmap and its
        table, drawn anew when the earlier days change)."""
        past, ordinal = self.past, self.past.first.toordinal()
        days = [
            Day(date.fromordinal(ordinal + n), *counts)
            for n, counts in enumerate(zip(past.reviews, past.review_answers, past.review_right, strict=True))
        ]
        return [*days, self.today]

    @property
    def total(self) -> int:
        return self.past.total + self.today.reviews

    @property
    def busiest(self) -> int:
        return max(self.past.busiest, self.today.reviews)

    @property
    def streak(self) -> int:
        """Consecutive study days with a review, up to today (or up to yesterday while today is still open)."""
        return self.past.streak + 1 if self.today.reviews else self.past.streak

    def weeks(self) -> list[Week]:
        """True retention per calendar week (Monday first) of the learner's study days (consecutive days: a
        week starts with the first day and on each Monday)."""
        weeks, today = list(self.past.weeks), self.today
        monday = today.date - timedelta(days=today.date.weekday())
        if weeks and weeks[-1].start == monday:  # this week began before today
            week = weeks.pop()
            weeks.append(
                Week(monday, week.review_answers + today.review_answers, week.review_right + today.review_right)
            )
        else:
            weeks.append(Week(monday, today.review_answers, today.review_right))
        return weeks

    def this_week_before_today(self) -> tuple[int, ...]:
        """The reviews of this week's days before today, Monday first."""
        earlier = self.today.date.weekday()
        return self.past.reviews[len(self.past.reviews) - earlier :] if earlier else ()


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
    counts = [(0, 0, 0)] * HEATMAP_DAYS
    latest = None
    for group in groups:
        counts[group["day"]] = (group["reviews"], group["review_answers"], group["review_right"])
        if group["day"] < HEATMAP_DAYS - 1:
            latest = group["latest"] if latest is None else max(latest, group["latest"])
    past = PastDays.of(first, counts[:-1], (counts[-2][0], latest))
    return ReviewHistory(past, Day(today.date, *counts[-1])), past


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
    trainer: tuple[int]  # trainer answers, written once each: how many (User.trainer_answer_count, read with the user)
    # Attempts open, in all (a merge adds some), the latest start, the open ones' latest deadline (a teacher who
    # moves an assigned exam's due time cuts a running attempt's).
    exams: tuple[int, int, datetime | None, datetime | None]
    content: tuple  # the content's fingerprint (quizzes.study.catalogue.content_marks)


def recent_activity(learner, today: StudyDay, tz_name: str, start_hour: int) -> Activity:
    """Today's reviews, with the fingerprints: one hand-written statement (ACTIVITY_SQL), and the trainer's answers
    as read with the user. Each of the statement's parts is one aggregate over an index range (SQLite reads most
    from the index alone, MAX from its last entry). Built with the ORM, the same statement of 13 subqueries took
    5 ms to build and compile on each request against 0.6 ms to run: a fifth of the dashboard's time. The earlier
    days are identified without counting the year's reviews (20,000 index entries, 1-2 ms): see PastDays."""
    year_start = heatmap_starts(today, tz_name, start_hour, count=0)[0]
    yesterday_start = day_starts(today.date - timedelta(days=1), 0, tz_name, start_hour)[0]
    visible, visible_params = visible_questions(None)
    at = connection.ops.adapt_datetimefield_value
    params = [
        *(learner.pk, at(yesterday_start), at(today.start)),  # past
        *(learner.pk, at(year_start), at(today.start)),  # latest
        *(learner.pk, ExamAttempt.State.IN_PROGRESS, learner.pk, learner.pk),  # exams
        *(learner.pk, ExamAttempt.State.IN_PROGRESS),  # the open attempts' deadline
        *visible_params,  # the content's marks
        *(learner.pk, at(today.start), at(today.end)),  # today's reviews
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            ACTIVITY_SQL.format(
                state_before=_state_before(),
                review=State.Review.value,
                release_sql=RELEASE_SQL,
                questions_sql=QUESTIONS_SQL.format(visible=visible),
                **TABLES,
            ),
            params,
        )
        (reviews, review_answers, review_right, past, latest, open_exams, all_exams, latest_exam, deadline,
         *content) = cursor.fetchone()  # fmt: skip
    return Activity(
        reviews=reviews,
        review_answers=review_answers,
        review_right=review_right,
        past_days=(past, aware(latest)),
        trainer=(learner.trainer_answer_count,),
        exams=(open_exams, all_exams, aware(latest_exam), aware(deadline)),
        content=tuple(content),
    )


TABLES = {
    "reviews": ReviewLog._meta.db_table,
    "attempts": ExamAttempt._meta.db_table,
}

# Today's reviews (all, answers to questions in review state, and those right), and the fingerprints: reviews of
# the day before today and the latest before today (PastDays), exam attempts open, in all, the latest start and the
# open ones' latest deadline, and the content's marks (quizzes.study.catalogue: RELEASE_SQL and QUESTIONS_SQL over
# the due queue's condition, compiled from Question.objects.active()). The latest review is the last index entry of
# the range (MAX read the whole range on PostgreSQL).
ACTIVITY_SQL = """
SELECT
    today.reviews, today.review_answers, today.review_right,
    (SELECT COUNT(*) FROM {reviews} WHERE learner_id = %s AND reviewed_at >= %s AND reviewed_at < %s),
    (SELECT reviewed_at FROM {reviews} WHERE learner_id = %s AND reviewed_at >= %s AND reviewed_at < %s
        ORDER BY reviewed_at DESC LIMIT 1),
    (SELECT COUNT(*) FROM {attempts} WHERE learner_id = %s AND state = %s),
    (SELECT COUNT(*) FROM {attempts} WHERE learner_id = %s),
    (SELECT MAX(started_at) FROM {attempts} WHERE learner_id = %s),
    (SELECT MAX(deadline) FROM {attempts} WHERE learner_id = %s AND state = %s),
    ({release_sql}),
    ({questions_sql})
FROM
    (SELECT
        COUNT(*) AS reviews,
        COUNT(*) FILTER (WHERE {state_before} = {review}) AS review_answers,
        COUNT(*) FILTER (WHERE {state_before} = {review} AND correct) AS review_right
    FROM {reviews}
    WHERE learner_id = %s AND reviewed_at >= %s AND reviewed_at < %s) today
"""


def _state_before() -> str:
    """The state a review found its memory in (ReviewLog.before["state"]) in the database's JSON dialect."""
    if connection.vendor == "postgresql":
        return """("before" ->> 'state')::integer"""
    return """json_extract("before", '$.state')"""


def history_of(past: PastDays, recent: Activity, today: StudyDay) -> ReviewHistory:
    """The year of study days from the cached days before today and today's live numbers."""
    return ReviewHistory(past, Day(today.date, recent.reviews, recent.review_answers, recent.review_right))
