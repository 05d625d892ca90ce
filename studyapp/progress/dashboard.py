"""The progress dashboard: today's numbers, memory and readiness computed on each request; the rest of the
history and the content cached (Django's cache) under keys that change with them.

One statement reads today's reviews and a fingerprint of each cached part (how many rows, the latest time:
from indexes alone): the heatmap's days before today, keyed by the learner, the study day and its boundaries
(time zone, day start) and the version of the learner's earlier days, which the two writes that change them
move (an undo of a rating made before today, a guest merge: LearnerSettings.history_version); the exam
attempts; the content (what the questions learners see are about, and the topics: a content
load records a release, an author's edit a revision, a question added, retired or hidden moves their count and
ids). The trainer's answers are identified by their number, read with the user (User.trainer_answer_count, moved
by the transactions that add them). Every change of an attempt's state moves a fingerprint, so any write that
changes a part is seen on the next request, from any process. A second query reads the learner's
memories (today's numbers, forecast, mastery, readiness). A missing or outdated part costs one query more: at
most three, on a first visit with nothing cached (the content comes with the memories, and the topics).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.core.cache import cache
from django.utils import timezone

from quizzes.exams.charts import trend
from quizzes.exams.models import ExamAttempt
from quizzes.models import LearnerSettings
from quizzes.study.scheduling import StudyDay
from quizzes.trainer.confusions import History
from studyapp.progress import charts, readiness
from studyapp.progress.exams import RECENT_EXAMS, TREND_EXAMS, domain_answers, recent_attempts
from studyapp.progress.history import (
    DAY,
    Activity,
    PastDays,
    ReviewHistory,
    Week,
    history_of,
    recent_activity,
    year_of_reviews,
)
from studyapp.progress.memory import (
    FORECAST_DAYS,
    Content,
    Coverage,
    MemoryStats,
    Today,
    Topic,
    TopicCategory,
    count_memories,
    memory_rows,
)

CACHE_VERSION = 7  # moves when what is cached changes shape or its classes move (7: PastDays with its sums)


@dataclass
class Charts:
    history: ReviewHistory
    forecast: charts.ColumnChart
    forecast_total: int
    retention: charts.ColumnChart
    weeks: list[Week]
    mastery: charts.BarChart
    mastery_rows: list[readiness.CategoryStanding]
    trainer_rows: list[readiness.ServiceStanding]
    readiness: readiness.Readiness
    weakest: list[readiness.ServiceStanding]

    # The heatmap: the days before today are drawn only when the template's cached part of it is drawn again (its
    # key has the busiest of them: it shades every square); today's square and this week's row are drawn each time.
    # The retention chart's weeks before this one likewise.

    @cached_property
    def heatmap(self) -> charts.Heatmap:
        return charts.heatmap(self.history.days)

    @property
    def busiest(self) -> int:
        return self.history.busiest

    @property
    def busiest_before_today(self) -> int:
        return self.history.past.busiest

    @property
    def heatmap_size(self) -> tuple[int, int]:
        return charts.heatmap_size(self.history.past.first, self.history.today.date)

    @property
    def today_square(self) -> list[charts.HeatCell]:
        history = self.history
        return charts.today_square(history.past.first, history.today, history.past.busiest)

    @property
    def this_week(self) -> list[tuple]:
        return charts.this_week(self.history.today, self.history.this_week_before_today())

    @cached_property
    def trainer(self) -> charts.BarChart | None:
        """Drawn only when the template's cached trainer section is drawn again."""
        return charts.bars([(s.service.short, [s.trainer]) for s in self.trainer_rows]) if self.trainer_rows else None

    # The data tables under the charts: (row header, cells).

    @property
    def forecast_table(self) -> list[tuple]:
        return [(column.label, [column.value]) for column in self.forecast.columns]

    @property
    def retention_table_before_this_week(self) -> list[tuple]:
        return self._retention_rows(self.weeks[:-1])

    @property
    def retention_this_week(self) -> list[tuple]:
        return self._retention_rows(self.weeks[-1:])

    @staticmethod
    def _retention_rows(weeks: list[Week]) -> list[tuple]:
        return [
            (charts.day_text(week.start), [week.review_answers, week.review_right, charts.percent(week.retention)])
            for week in weeks
        ]

    @property
    def mastery_table(self) -> list[tuple]:
        return [
            (c.category.name, [c.questions, f"{c.seen} ({charts.percent(c.seen_share)})", charts.percent(c.recall)])
            for c in self.mastery_rows
        ]

    @property
    def trainer_table(self) -> list[tuple]:
        return [
            (s.service.name, [s.trainer_asked, s.trainer_right, charts.percent(s.trainer)]) for s in self.trainer_rows
        ]


@dataclass
class Dashboard:
    prefs: LearnerSettings
    today: Today
    charts: Charts
    open_attempt: ExamAttempt | None
    finished: list[ExamAttempt]  # newest first
    exam_trend: dict | None
    # The keys of the sections the template caches (`{% cache %}`): what each section shows moves them.
    earlier_days_key: str
    trainer_key: str
    exams_key: str


def memory_of(learner, now: datetime) -> tuple[LearnerSettings, StudyDay, Activity, Content, MemoryStats]:
    """What the dashboard and its "every topic" page start from: the learner's settings and study day, today's
    activity with the fingerprints (one statement), the content and the learner's memories counted against it."""
    prefs = LearnerSettings.for_learner(learner)
    day = prefs.study_day(now)
    activity = recent_activity(learner, day, prefs.time_zone, prefs.day_start_hour)
    content, memories = content_and_memories(learner, activity)
    memory = count_memories(memories, content, prefs.scheduler(), day, prefs.time_zone, prefs.day_start_hour, now)
    return prefs, day, activity, content, memory


def build(learner, now: datetime) -> Dashboard:
    """The whole dashboard of a learner."""
    prefs, day, activity, content, memory = memory_of(learner, now)
    # A part with nothing in it (a new learner's exams or trainer answers) is known empty from its fingerprint.
    attempts = cached(learner, "exams", activity.exams, lambda: recent_attempts(learner)) if activity.exams[1] else []
    finished = [a for a in attempts if a.state == ExamAttempt.State.FINISHED][:TREND_EXAMS]
    open_attempt = next((a for a in attempts if a.is_open and not a.time_is_up(now)), None)
    exam_answers = domain_answers(finished[:RECENT_EXAMS])
    trainer = History.for_learner(learner) if activity.trainer[0] else History()
    history = review_history(learner, prefs, day, now, activity)
    board_charts = compute_charts(history, prefs, content.topics, memory, trainer, exam_answers)
    return Dashboard(
        prefs=prefs,
        today=memory.today(prefs.new_per_day),
        charts=board_charts,
        open_attempt=open_attempt,
        finished=finished,
        exam_trend=trend(reversed(finished)),
        **section_keys(learner, activity, past_days_key(learner, prefs, day)),
    )


def section_keys(learner, activity: Activity, past_days: str) -> dict[str, str]:
    """The keys of the dashboard's parts that no study answer changes, drawn once and cached by the template: the
    heatmap's days and the retention chart's weeks before today's (as the cached earlier days are identified: their
    key and fingerprint), the trainer's section (the learner's answers, only ever added, and the topics' names: the
    content's fingerprint) and the exams' (the attempts' fingerprint, and the time zone their dates are shown in).
    The learner's account is in each (a new account may reuse a deleted one's id on SQLite)."""
    account = f"{CACHE_VERSION}:{learner.pk}:{learner.date_joined.timestamp():.6f}"
    return {
        "earlier_days_key": ":".join(map(_text, (past_days, *activity.past_days))),
        "trainer_key": ":".join(map(_text, (account, *activity.trainer, *activity.content))),
        "exams_key": ":".join(map(_text, (account, *activity.exams, timezone.get_current_timezone_name()))),
    }


def content_and_memories(learner, activity: Activity) -> tuple[Content, list[tuple]]:
    """The content (what the questions learners see are about, and the topics) from the cache while its fingerprint
    has not moved, and the learner's memories: one query either way (the content comes with the memories when it
    is read)."""
    key = f"progress:content:{CACHE_VERSION}:" + ":".join(map(str, activity.content))
    content = cache.get(key)
    if content is not None:
        return content, memory_rows(learner)
    content, memories = Content.read_with_memories(learner)
    cache.set(key, content, timeout=DAY)
    return content, memories


def cached(learner, part: str, fingerprint: tuple, compute):
    """A part of the learner's history, from the cache while its fingerprint has not moved."""
    key = f"progress:{part}:{CACHE_VERSION}:{learner.pk}:" + ":".join(map(_text, fingerprint))
    return cache.get_or_set(key, compute, timeout=DAY)


def _text(value) -> str:
    return f"{value.timestamp():.6f}" if isinstance(value, datetime) else str(value)


def review_history(learner, prefs, day: StudyDay, now: datetime, activity: Activity) -> ReviewHistory:
    """The year of study days: the days before today from the cache while their reviews have not changed
    (today's counted live, by `activity`); else the whole year, counted by one query. The key has the learner
    (their account: a new one may reuse a deleted one's id on SQLite), the study day and its boundaries, and
    the version of their earlier days (moved by the only writes that change them, PastDays)."""
    key = past_days_key(learner, prefs, day)
    if activity.past_days[1] is None:  # no review before today: nothing to count or cache
        return history_of(PastDays.none(day, activity.past_days), activity, day)
    past = cache.get(key)
    if past is not None and past.fingerprint == activity.past_days:
        return history_of(past, activity, day)
    history, past = year_of_reviews(learner, day, prefs.time_zone, prefs.day_start_hour)
    cache.set(key, past, timeout=max(60, int((day.end - now).total_seconds()) + 60))
    return history


def past_days_key(learner, prefs, day: StudyDay) -> str:
    boundaries = f"{day.start.timestamp():.0f}:{prefs.time_zone}:{prefs.day_start_hour}"
    account = f"{learner.pk}:{learner.date_joined.timestamp():.6f}:{prefs.history_version}"
    return f"progress:past-days:{CACHE_VERSION}:{account}:{boundaries}"


def category_standings(catalogue, standings, memory: MemoryStats) -> list[readiness.CategoryStanding]:
    """Mastery per category (a question counted once in each of its categories), each with its topics; topics
    without a category (an instructor's) go under "Other topics"."""
    rows: dict[int | None, readiness.CategoryStanding] = {}
    for service in catalogue:
        if service.category_id not in rows:
            category = service.category or TopicCategory(key="", name="Other topics")
            coverage = memory.categories.get(service.category_id, Coverage())
            rows[service.category_id] = readiness.CategoryStanding(
                category, coverage.questions, coverage.seen, coverage.recall, []
            )
    for standing in standings:
        if standing.questions:
            rows[standing.service.category_id].topics.append(standing)
    return [row for row in rows.values() if row.questions]


def topic_standings(catalogue: list[Topic], memory: MemoryStats, trainer_history: History) -> list:
    """Each topic of the catalogue as the learner stands on it: memory (coverage and recall) and trainer."""
    standings = []
    for service in catalogue:
        coverage = memory.services.get(service.pk, Coverage())
        right, asked = trainer_history.per_service.get(service.key, (0, 0))
        standings.append(
            readiness.ServiceStanding(
                service=service,
                questions=coverage.questions,
                seen=coverage.seen,
                memory=readiness.memory_estimate(coverage.questions, coverage.seen, coverage.recall_sum),
                trainer_right=right,
                trainer_asked=asked,
                recall=coverage.recall,
            )
        )
    return standings


def every_topic(learner, now: datetime) -> list[readiness.CategoryStanding]:
    """The "every topic" table (its own page, which the dashboard loads when its table is opened): each category
    with its topics, as the dashboard's mastery counts them. Two queries: today's activity (for the content's
    fingerprint) and the memories, a third when the content is not cached."""
    _, _, _, content, memory = memory_of(learner, now)
    return category_standings(content.topics, topic_standings(content.topics, memory, History()), memory)


def compute_charts(
    history, prefs, catalogue: list[Topic], memory: MemoryStats, trainer_history: History, exams: dict
) -> Charts:
    """Every chart of the dashboard, from the parts of the history and the catalogue of topics."""
    standings = topic_standings(catalogue, memory, trainer_history)
    mastery_rows = category_standings(catalogue, standings, memory)
    trainer_rows = [s for s in standings if s.trainer_asked]

    weeks = history.weeks()
    forecast_peak = charts.nice_peak(max(memory.forecast, default=0))
    return Charts(
        history=history,
        forecast=charts.columns(
            ["today" if n == 0 else f"+{n}d" for n in range(FORECAST_DAYS)],
            memory.forecast,
            peak=forecast_peak,
            peak_text=str(forecast_peak),
            value_text=str,
        ),
        forecast_total=sum(memory.forecast),
        retention=charts.columns(
            [week.start.strftime("%d %b") for week in weeks],
            [week.retention for week in weeks],
            peak=1,
            peak_text="100 %",
            value_text=lambda v: f"{round(100 * v)} %",
            every=8,
            reference=prefs.desired_retention,
            reference_text=f"{round(100 * prefs.desired_retention)} % desired",
        ),
        weeks=weeks,
        mastery=charts.bars([(c.category.name, [c.recall, c.seen_share]) for c in mastery_rows], left=250),
        mastery_rows=mastery_rows,
        trainer_rows=trainer_rows,
        readiness=readiness.estimate(memory.domains, exams),
        weakest=with_partners(readiness.weakest(standings), catalogue, trainer_history),
    )


def with_partners(weakest: list[readiness.ServiceStanding], catalogue, trainer_history: History) -> list:
    """The weakest topics, each with the one the learner confuses it with most (for a drill): the first pair
    that has it, in the order History.pairs() ranks them (both directions added up, then by keys), counted
    only for the pairs of these few topics."""
    keys = {standing.service.key for standing in weakest}
    totals: dict[tuple[str, str], int] = {}
    for (expected, chosen), n in trainer_history.counts.items():
        if expected != chosen and (expected in keys or chosen in keys):
            pair = (expected, chosen) if expected < chosen else (chosen, expected)
            totals[pair] = totals.get(pair, 0) + n
    partners: dict[str, str] = {}
    for (first, second), _ in sorted(totals.items(), key=lambda item: (-item[1], item[0])):
        partners.setdefault(first, second)
        partners.setdefault(second, first)
    by_key = {service.key: service for service in catalogue}
    for standing in weakest:
        standing.partner = by_key.get(partners.get(standing.service.key, ""))
    return weakest
