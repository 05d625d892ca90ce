"""The class dashboard: learners x assignments, readiness per exam domain, weak spots, activity.

Only what the class's learners did, and a fixed number of queries whatever the class's size (pinned in
tests/test_classes_dashboard.py)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db.models import Count, OuterRef, Q, Subquery

from quizzes.classes import standing
from quizzes.classes.models import Assignment, Classroom, Membership
from quizzes.exams.models import ExamAttempt
from quizzes.models import Domain, Question, ReviewLog
from quizzes.trainer.models import RoundItem
from studyapp.progress import charts, readiness, stats

ACTIVITY_DAYS = 30
WEAK_TOPICS = 5
MOST_MISSED = 10
MIN_ANSWERS = 5  # a topic needs this many answers from the class to rank among the weakest


@dataclass
class LearnerRow:
    membership: Membership
    cells: list[standing.Standing]
    readiness: readiness.Readiness
    last_activity: datetime | None

    @property
    def learner(self):
        return self.membership.learner


@dataclass
class Board:
    assignments: list[Assignment]
    rows: list[LearnerRow]
    domains: list[str]
    weak_topics: list[dict]
    most_missed: list[dict]
    activity: charts.ColumnChart
    activity_table: list[tuple]
    activity_total: int


def memberships(classroom: Classroom):
    """The class's learners, each with the time of their latest review, trainer answer and exam start."""
    latest_review = ReviewLog.objects.filter(learner=OuterRef("learner")).order_by("-reviewed_at").values("reviewed_at")
    latest_answer = (
        RoundItem.objects.filter(learner=OuterRef("learner"), answered_at__isnull=False)
        .order_by("-answered_at")
        .values("answered_at")
    )
    latest_exam = ExamAttempt.objects.filter(learner=OuterRef("learner")).order_by("-started_at").values("started_at")
    return (
        Membership.objects.filter(classroom=classroom)
        .select_related("learner")
        .annotate(
            last_review=Subquery(latest_review[:1]),
            last_answer=Subquery(latest_answer[:1]),
            last_exam=Subquery(latest_exam[:1]),
        )
        .order_by("learner__username")
    )


def build(classroom: Classroom, now: datetime) -> Board:
    members = list(memberships(classroom))
    ids = [m.learner_id for m in members]
    assignments = list(classroom.assignments.select_related("bank").order_by("due_at", "pk"))
    catalogue = standing.Catalogue.read() if ids else standing.Catalogue([])
    memories = standing.read_memories(ids) if ids else []
    recall = standing.retrievabilities(ids, memories, now) if ids else ({}, {})
    progress = standing.compute(ids, assignments, now, memories=memories, catalogue=catalogue, recall=recall)
    readiness_of = _readiness(ids, memories, recall[0], catalogue)
    rows = []
    for m in members:
        latest = [t for t in (m.last_review, m.last_answer, m.last_exam) if t is not None]
        rows.append(
            LearnerRow(
                membership=m,
                cells=[progress.of(m.learner_id, a.pk) for a in assignments],
                readiness=readiness_of[m.learner_id],
                last_activity=max(latest) if latest else None,
            )
        )
    chart, table, total = _activity(ids, now)
    return Board(
        assignments=assignments,
        rows=rows,
        domains=[d.label for d in Domain],
        weak_topics=_weak_topics(memories, recall[0], catalogue),
        most_missed=_most_missed(memories),
        activity=chart,
        activity_table=table,
        activity_total=total,
    )


@dataclass
class _Coverage:
    questions: int = 0
    seen: int = 0
    recall_sum: float = 0.0


def _readiness(ids, memories, recall, catalogue: standing.Catalogue) -> dict[int, readiness.Readiness]:
    """Each learner's readiness per exam domain, by the progress page's rule (studyapp/progress/readiness.py)."""
    domain_of = catalogue.domains()
    questions = defaultdict(int)
    for domain in domain_of.values():
        questions[domain] += 1
    coverage = {pk: {d: _Coverage(questions=n) for d, n in questions.items()} for pk in ids}
    for learner_id, question_id, *_ in memories:
        domain = domain_of.get(question_id)
        if domain is not None:
            cell = coverage[learner_id][domain]
            cell.seen += 1
            cell.recall_sum += recall[(learner_id, question_id)]
    recent = defaultdict(list)
    finished = (
        ExamAttempt.objects.filter(learner_id__in=ids, state=ExamAttempt.State.FINISHED)
        .order_by("learner_id", "-started_at")
        .values_list("learner_id", "pk")
    )
    for learner_id, pk in finished if ids else []:
        if len(recent[learner_id]) < stats.RECENT_EXAMS:
            recent[learner_id].append(pk)
    chosen = [pk for pks in recent.values() for pk in pks]
    tallied = {a.pk: a for a in stats._tallied(ExamAttempt.objects.filter(pk__in=chosen))} if chosen else {}
    return {
        pk: readiness.estimate(coverage[pk], stats.domain_answers([tallied[a] for a in recent.get(pk, [])]))
        for pk in ids
    }


def _weak_topics(memories, recall, catalogue: standing.Catalogue) -> list[dict]:
    """Topics with the lowest average recall (FSRS retrievability) over the questions the class's learners have
    studied, from the memories already read; a topic needs MIN_ANSWERS studied questions to rank."""
    topics = catalogue.topics()
    sums: dict[str, list] = {}
    for learner_id, question_id, *_ in memories:
        for key, name in topics.get(question_id, []):
            entry = sums.setdefault(key, [name, 0, 0.0])
            entry[1] += 1
            entry[2] += recall[(learner_id, question_id)]
    ranked = sorted(
        ({"key": key, "name": name, "seen": n, "recall": total / n} for key, (name, n, total) in sums.items()
         if n >= MIN_ANSWERS),
        key=lambda row: (row["recall"], row["key"]),
    )[:WEAK_TOPICS]  # fmt: skip
    for row in ranked:
        row["share"] = charts.percent(row["recall"])
    return ranked


def _most_missed(memories) -> list[dict]:
    """The questions the class's learners answered wrong most often in study (their memories' wrong-answer
    counts), with the stem and bank for the link to the item statistics (one query for the few shown)."""
    missed: dict[int, list[int]] = {}
    for _, question_id, _, _, failures, reps in memories:
        entry = missed.setdefault(question_id, [0, 0])
        entry[0] += failures
        entry[1] += reps
    top = sorted(((m, q) for q, (m, _) in missed.items() if m), key=lambda item: (-item[0], item[1]))[:MOST_MISSED]
    if not top:
        return []
    details = dict(
        (pk, (stem, bank))
        for pk, stem, bank in Question.objects.filter(pk__in=[q for _, q in top]).values_list(
            "pk", "stem_md", "bank__slug"
        )
    )
    return [
        {"question_id": q, "stem": details[q][0], "bank": details[q][1], "missed": m, "answers": missed[q][1]}
        for m, q in top
        if q in details
    ]


def _activity(ids, now: datetime) -> tuple[charts.ColumnChart, list[tuple], int]:
    """Study ratings of the class per day over the last ACTIVITY_DAYS days (UTC days)."""
    first = now.astimezone(UTC).date() - timedelta(days=ACTIVITY_DAYS - 1)
    since = datetime.combine(first, time(), tzinfo=UTC)
    days = [first + timedelta(days=i) for i in range(ACTIVITY_DAYS)]
    counts = {}
    if ids:
        # One count per day over the learners' index range: casting each row's time to a date (TruncDate) ran a
        # Python function per review on SQLite (0.4 s for 40,000 reviews).
        starts = [since + timedelta(days=i) for i in range(ACTIVITY_DAYS + 1)]
        per_day = {
            f"d{i}": Count("pk", filter=Q(reviewed_at__gte=starts[i], reviewed_at__lt=starts[i + 1]))
            for i in range(ACTIVITY_DAYS)
        }
        totals = ReviewLog.objects.filter(learner_id__in=ids, reviewed_at__gte=since).aggregate(**per_day)
        counts = {day: totals[f"d{i}"] for i, day in enumerate(days)}
    values = [counts.get(day, 0) for day in days]
    peak = charts.nice_peak(max(values) if values else 0)
    chart = charts.columns(
        [charts.day_text(day) for day in days],
        values,
        peak=peak,
        peak_text=str(peak),
        value_text=lambda v: f"{v} rating{'s' if v != 1 else ''}",
        every=7,
    )
    table = [(charts.day_text(day), [value]) for day, value in zip(days, values, strict=True)]
    return chart, table, sum(values)
