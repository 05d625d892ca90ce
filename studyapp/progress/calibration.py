"""Calibration: does the memory model's predicted recall match what the learner actually recalled?

Each review of a question in review state had a predicted recall at the moment of the rating (FSRS's
retrievability from the memory as it stood just before: the review log's `before` snapshot). Reviews are
grouped in ten bins of predicted recall; per bin, the mean prediction against the share actually recalled
(any rating but Again). A well-fitted model puts each bin's share near its prediction. One query, bounded to
the learner's most recent RECENT reviews.
"""

from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Scheduler, State

from quizzes.models import ReviewLog
from studyapp.progress import charts

BINS = 10
RECENT = 5000


@dataclass
class Bin:
    low: float
    high: float
    count: int = 0
    predicted_sum: float = 0.0
    recalled: int = 0

    @property
    def label(self) -> str:
        return f"{round(100 * self.low)}–{round(100 * self.high)} %"

    @property
    def predicted(self) -> float | None:
        return self.predicted_sum / self.count if self.count else None

    @property
    def actual(self) -> float | None:
        return self.recalled / self.count if self.count else None


@dataclass
class Calibration:
    bins: list[Bin]
    chart: charts.ColumnChart
    predicted_marks: list[tuple[float, float, float]]  # (x1, x2, y) of each bin's mean prediction

    @property
    def reviews(self) -> int:
        return sum(b.count for b in self.bins)

    @property
    def table(self) -> list[tuple]:
        return [
            (b.label, [b.count, charts.percent(b.predicted), b.recalled, charts.percent(b.actual)])
            for b in self.bins
            if b.count
        ]


def bins_of(rows, sched: Scheduler) -> list[Bin]:
    """(before, reviewed_at, rating) rows into the ten bins; reviews of new or (re)learning questions skipped."""
    bins = [Bin(n / BINS, (n + 1) / BINS) for n in range(BINS)]
    for before, reviewed_at, rating in rows:
        if before.get("state") != State.Review.value or not before.get("last_review") or not before.get("stability"):
            continue
        card = Card(
            card_id=1,
            state=State.Review,
            stability=before["stability"],
            difficulty=before.get("difficulty"),
            last_review=datetime.fromisoformat(before["last_review"]),
        )
        predicted = sched.get_card_retrievability(card, reviewed_at)
        target = bins[min(BINS - 1, int(predicted * BINS))]
        target.count += 1
        target.predicted_sum += predicted
        target.recalled += rating != 1
    return bins


def calibration(learner, sched: Scheduler) -> Calibration:
    rows = (
        ReviewLog.objects.filter(learner=learner)
        .order_by("-reviewed_at")
        .values_list("before", "reviewed_at", "rating")[:RECENT]
    )
    bins = bins_of(rows, sched)
    chart = charts.columns(
        [b.label for b in bins],
        [b.actual for b in bins],
        peak=1,
        peak_text="100 %",
        value_text=lambda v: f"{round(100 * v)} % recalled",
        every=2,
    )
    height = chart.bottom - chart.top
    marks = [
        (column.x, round(column.x + chart.bar_width, 1), round(chart.bottom - height * b.predicted, 1))
        for column, b in zip(chart.columns, bins, strict=True)
        if b.count
    ]
    return Calibration(bins, chart, marks)
