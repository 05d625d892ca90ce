"""The progress dashboard: today's numbers, and the charts cached per learner and study day.

Every request reads the session and the user; the user comes with the change counts of the learner's
history and of the question catalogue (quizzes.models.ChangeCount, kept by database triggers). Today's
numbers are computed by one statement and kept per process under those counts until a card falls due
by itself (studyapp.progress.stats.today_counts), so the common request runs no further query. The
rendered page is stored (studyapp/pagecache.py, fresh CSRF token and nonce per response) under those
numbers; the charts, which read the whole history, are cached under the counts and the study day. A new
review, a new day, a settings change or a card falling due builds what changed again, and no GET
writes anything to the database.
"""

import hashlib
from dataclasses import astuple, dataclass
from datetime import datetime

from django.core.cache import cache
from django.template.loader import render_to_string

from quizzes.exams.charts import trend
from quizzes.exams.models import ExamAttempt
from quizzes.models import ChangeCount, LearnerSettings
from quizzes.scheduling import StudyDay
from quizzes.study import settings_for
from quizzes.trainer.confusions import History
from studyapp.progress import charts, readiness, stats

CACHE_VERSION = 1
SHOWN_SETTINGS = ["time_zone", "day_start_hour", "desired_retention", "new_per_day"]


@dataclass
class Charts:
    """Everything computed from the whole history: cached."""

    history: stats.ReviewHistory
    heatmap: charts.Heatmap
    forecast: charts.ColumnChart
    forecast_total: int
    retention: charts.ColumnChart
    weeks: list[stats.Week]
    mastery: charts.BarChart
    mastery_rows: list[readiness.ServiceStanding]
    trainer: charts.BarChart | None
    trainer_rows: list[readiness.ServiceStanding]
    readiness: readiness.Readiness
    weakest: list[readiness.ServiceStanding]


@dataclass
class Summary:
    """What the page shows from the whole history: cached, with the charts already rendered."""

    studied_today: int
    streak: int
    readiness: readiness.Readiness
    weakest: list[readiness.ServiceStanding]
    charts_html: str


@dataclass
class Dashboard:
    prefs: LearnerSettings
    today: stats.Today
    summary: Summary
    open_attempt: ExamAttempt | None
    finished: list[ExamAttempt]  # newest first
    exam_trend: dict | None


def today(learner, now: datetime, request=None) -> tuple[LearnerSettings, StudyDay, stats.Today]:
    """The learner's settings, study day and today's numbers (on the learner's GET, usually no query)."""
    prefs = settings_for(learner)
    day = prefs.study_day(now)
    return prefs, day, stats.today_counts(learner, prefs, day, now, ChangeCount.of(learner, request))


def page_key(learner, prefs: LearnerSettings, day: StudyDay, numbers: stats.Today) -> tuple:
    """Everything the dashboard page shows, for the stored page (besides the viewer, which the store adds)."""
    settings = [getattr(prefs, name) for name in SHOWN_SETTINGS]
    return ("progress", CACHE_VERSION, learner.pk, learner.theme, day.date, *settings, astuple(numbers))


def _summary_key(learner, prefs: LearnerSettings, day: StudyDay, numbers: stats.Today) -> str:
    settings = [getattr(prefs, name) for name in SHOWN_SETTINGS]
    parts = (CACHE_VERSION, learner.pk, day.date, *settings, numbers.questions, numbers.fingerprint)
    return "progress:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def build(learner, prefs: LearnerSettings, day: StudyDay, numbers: stats.Today, now: datetime) -> Dashboard:
    """The whole dashboard; the history part from the cache when the fingerprint has not moved."""
    attempts = stats.recent_attempts(learner)
    finished = [a for a in attempts if a.state == ExamAttempt.State.FINISHED][: stats.TREND_EXAMS]
    open_attempt = next((a for a in attempts if a.state == ExamAttempt.State.IN_PROGRESS), None)
    key = _summary_key(learner, prefs, day, numbers)
    summary = cache.get(key)
    if summary is None:
        computed = compute_charts(learner, prefs, day, now, [a.pk for a in finished[: stats.RECENT_EXAMS]])
        html = render_to_string("progress/dashboard.html#history-charts", {"charts": computed, "prefs": prefs})
        summary = Summary(
            studied_today=computed.history.today.reviews,
            streak=computed.history.streak,
            readiness=computed.readiness,
            weakest=computed.weakest,
            charts_html=html,
        )
        cache.set(key, summary, timeout=max(60, int((day.end - now).total_seconds())))
    return Dashboard(
        prefs=prefs,
        today=numbers,
        summary=summary,
        open_attempt=open_attempt,
        finished=finished,
        exam_trend=trend(reversed(finished)),
    )


def compute_charts(learner, prefs, day, now: datetime, recent_exam_ids: list[int]) -> Charts:
    """Every chart of the dashboard: five queries, whatever the size of the history."""
    history = stats.review_history(learner, day, prefs.time_zone, prefs.day_start_hour)
    memory = stats.memory_stats(learner, prefs.scheduler(), day, prefs.time_zone, prefs.day_start_hour, now)
    catalogue = stats.catalogue()
    trainer_history = History.for_learner(learner)
    exam_answers = stats.exam_domains(recent_exam_ids)

    by_key = {service.key: service for service in catalogue}
    partners = {}
    for pair in trainer_history.pairs():  # most confused first: keep the first partner of each service
        partners.setdefault(pair.first, pair.second)
        partners.setdefault(pair.second, pair.first)
    standings = []
    for service in catalogue:
        coverage = memory.services.get(service.pk, stats.Coverage())
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
                partner=by_key.get(partners.get(service.key, "")),
            )
        )
    mastery_rows = [s for s in standings if s.questions]
    trainer_rows = [s for s in standings if s.trainer_asked]

    weeks = history.weeks()
    forecast_peak = charts.nice_peak(max(memory.forecast, default=0))
    return Charts(
        history=history,
        heatmap=charts.heatmap(history.days),
        forecast=charts.columns(
            ["today" if n == 0 else f"+{n}d" for n in range(stats.FORECAST_DAYS)],
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
        mastery=charts.bars([(s.service.short, [s.recall, s.seen_share]) for s in mastery_rows]),
        mastery_rows=mastery_rows,
        trainer=charts.bars([(s.service.short, [s.trainer]) for s in trainer_rows]) if trainer_rows else None,
        trainer_rows=trainer_rows,
        readiness=readiness.estimate(memory.domains, exam_answers),
        weakest=readiness.weakest(standings),
    )
