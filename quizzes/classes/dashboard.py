"""The class dashboard: learners x assignments, readiness per exam domain, weak spots, activity.

Only what the class's learners did, and a fixed number of queries whatever the class's size (pinned in
tests/test_classes_dashboard.py)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber

from quizzes.classes import standing
from quizzes.classes.models import Assignment, Classroom, Membership
from quizzes.exams.models import ExamAttempt
from quizzes.models import Domain, LearnerSettings, ReviewLog
from quizzes.trainer.models import RoundItem
from studyapp.accounts.models import User
from studyapp.progress import charts, readiness, stats

ACTIVITY_DAYS = 30
WEAK_TOPICS = 5
MOST_MISSED = 10
MIN_ANSWERS = 5  # a topic needs this many answers from the class to rank among the weakest


@dataclass
class LearnerRow:
    learner: User  # with their settings and the times of their latest work (people())
    cells: list[standing.Standing]
    readiness: readiness.Readiness
    last_activity: datetime | None


@dataclass
class Board:
    assignments: list[Assignment]
    rows: list[LearnerRow]
    co_teachers: list[User]
    domains: list[str]
    weak_topics: list[dict]
    most_missed: list[dict]
    activity: charts.ColumnChart
    activity_table: list[tuple]
    activity_total: int


def people(classroom: Classroom, drills: list[Assignment]):
    """The class's learners and co-teachers (`member`, `co_teacher`) by username, with their study settings (the
    user manager joins them), each learner's latest review, trainer answer and exam start, and their right
    answers on the drill assignments (standing.drill_subqueries): one query."""
    latest_review = ReviewLog.objects.filter(learner=OuterRef("pk")).order_by("-reviewed_at").values("reviewed_at")
    latest_answer = (
        RoundItem.objects.filter(learner=OuterRef("pk"), answered_at__isnull=False)
        .order_by("-answered_at")
        .values("answered_at")
    )
    latest_exam = ExamAttempt.objects.filter(learner=OuterRef("pk")).order_by("-started_at").values("started_at")
    member = Membership.objects.filter(classroom=classroom, learner=OuterRef("pk"))
    co_teacher = Classroom.co_teachers.through.objects.filter(classroom=classroom, user=OuterRef("pk"))
    return (
        User.objects.filter(  # the class's people first (IN over its two small tables, not a scan of every user)
            Q(pk__in=Membership.objects.filter(classroom=classroom).values("learner"))
            | Q(pk__in=Classroom.co_teachers.through.objects.filter(classroom=classroom).values("user"))
        )
        .annotate(member=Exists(member), co_teacher=Exists(co_teacher))
        .annotate(
            last_review=Subquery(latest_review[:1]),
            last_answer=Subquery(latest_answer[:1]),
            last_exam=Subquery(latest_exam[:1]),
            **standing.drill_subqueries(drills),
        )
        .order_by("username")
    )


def build(classroom: Classroom, now: datetime) -> Board:
    """Everything the dashboard shows in seven queries whatever the class's size: the assignments, the people
    (with settings, latest work and drill counts), the catalogue (with stems), the memories, the ratings
    (assignment counts and the activity chart), the exam assignments' attempts and the recent exams' tallies."""
    assignments = list(classroom.assignments.select_related("bank").order_by("due_at", "pk"))
    drills = [a for a in assignments if a.kind == Assignment.Kind.DRILL]
    everyone = list(people(classroom, drills))
    learners = [u for u in everyone if u.member]
    ids = [u.pk for u in learners]
    catalogue = standing.Catalogue.read(with_stems=True) if ids else standing.Catalogue([])
    memories = standing.read_memories(ids, catalogue) if ids else []
    saved = {u.pk: LearnerSettings.for_learner(u) for u in learners}
    recall = standing.retrievabilities(ids, memories, now, saved) if ids else ({}, {})
    reviews = [a for a in assignments if a.kind == Assignment.Kind.REVIEW]
    counts, chart, table, total = _ratings(ids, reviews, now)
    counts.update(standing.drill_counts_of(learners, drills))
    progress = standing.compute(
        ids, assignments, now, memories=memories, catalogue=catalogue, recall=recall, settings=saved, counts=counts
    )
    readiness_of = _readiness(ids, recall[0], catalogue)
    rows = []
    for learner in learners:
        latest = [t for t in (learner.last_review, learner.last_answer, learner.last_exam) if t is not None]
        rows.append(
            LearnerRow(
                learner=learner,
                cells=[progress.of(learner.pk, a.pk) for a in assignments],
                readiness=readiness_of[learner.pk],
                last_activity=max(latest) if latest else None,
            )
        )
    return Board(
        assignments=assignments,
        rows=rows,
        co_teachers=[u for u in everyone if u.co_teacher],
        domains=[d.label for d in Domain],
        weak_topics=_weak_topics(recall[0], catalogue),
        most_missed=_most_missed(memories, catalogue, assignments),
        activity=chart,
        activity_table=table,
        activity_total=total,
    )


@dataclass
class _Coverage:
    questions: int = 0
    seen: int = 0
    recall_sum: float = 0.0


def _readiness(ids, recall, catalogue: standing.Catalogue) -> dict[int, readiness.Readiness]:
    """Each learner's readiness per exam domain, by the progress page's rule (studyapp/progress/readiness.py)."""
    domain_of = catalogue.domains()
    questions = defaultdict(int)
    for domain in domain_of.values():
        questions[domain] += 1
    coverage = {pk: {d: _Coverage(questions=n) for d, n in questions.items()} for pk in ids}
    for (learner_id, question_id), chance in recall.items():  # one per memory, in the memories' order
        domain = domain_of.get(question_id)
        if domain is not None:
            cell = coverage[learner_id][domain]
            cell.seen += 1
            cell.recall_sum += chance
    # Each learner's RECENT_EXAMS latest finished attempts (a window over their attempts), tallied per domain.
    latest = Window(RowNumber(), partition_by=[F("learner_id")], order_by=[F("started_at").desc(), F("pk").desc()])
    recent_ids = (
        ExamAttempt.objects.filter(learner_id__in=ids, state=ExamAttempt.State.FINISHED)
        .annotate(latest=latest)
        .filter(latest__lte=stats.RECENT_EXAMS)
        .values("pk")
    )
    recent = defaultdict(list)
    for attempt in stats._tallied(ExamAttempt.objects.filter(pk__in=recent_ids)) if ids else []:
        recent[attempt.learner_id].append(attempt)
    return {pk: readiness.estimate(coverage[pk], stats.domain_answers(recent.get(pk, []))) for pk in ids}


def _weak_topics(recall, catalogue: standing.Catalogue) -> list[dict]:
    """Topics with the lowest average recall (FSRS retrievability) over the questions the class's learners have
    studied, from the memories already read; a topic needs MIN_ANSWERS studied questions to rank."""
    topics = catalogue.topics()
    sums: dict[str, list] = {}
    for (_, question_id), chance in recall.items():  # one per memory, in the memories' order
        for key, name in topics.get(question_id, ()):
            entry = sums.get(key) or sums.setdefault(key, [name, 0, 0.0])
            entry[1] += 1
            entry[2] += chance
    ranked = sorted(
        ({"key": key, "name": name, "seen": n, "recall": total / n} for key, (name, n, total) in sums.items()
         if n >= MIN_ANSWERS),
        key=lambda row: (row["recall"], row["key"]),
    )[:WEAK_TOPICS]  # fmt: skip
    for row in ranked:
        row["share"] = charts.percent(row["recall"])
    return ranked


def _most_missed(memories, catalogue: standing.Catalogue, assignments: list[Assignment]) -> list[dict]:
    """The questions the class's learners answered wrong most often in study (their memories' wrong-answer
    counts), with the stem and bank (read with the catalogue) for the link to the item statistics. Only questions
    the class's study and exam assignments cover: a teacher sees nothing else of a learner's work (the item
    statistics filtered to the class show the same questions, itemstats.class_filter.assigned_questions())."""
    missed: dict[int, list[int]] = {}
    for _, question_id, _, _, failures, reps in memories:
        entry = missed.setdefault(question_id, [0, 0])
        entry[0] += failures
        entry[1] += reps
    assigned = [a for a in assignments if a.kind != Assignment.Kind.DRILL]
    candidates = standing.Catalogue([row for row in catalogue.rows if row[0] in missed])
    covered = set().union(*candidates.scope_ids(assigned).values())
    missed = {q: entry for q, entry in missed.items() if q in covered}
    top = sorted(((m, q) for q, (m, _) in missed.items() if m), key=lambda item: (-item[0], item[1]))[:MOST_MISSED]
    details = catalogue.stems
    return [
        {"question_id": q, "stem": details[q][0], "bank": details[q][1], "missed": m, "answers": missed[q][1]}
        for m, q in top
        if q in details
    ]


def _ratings(ids, reviews: list[Assignment], now: datetime):
    """The learners' ratings on the review assignments (standing.review_counts) and the class's study ratings per
    day over the last ACTIVITY_DAYS days (UTC days), from one query over their ratings grouped by learner."""
    first = now.astimezone(UTC).date() - timedelta(days=ACTIVITY_DAYS - 1)
    since = datetime.combine(first, time(), tzinfo=UTC)
    days = [first + timedelta(days=i) for i in range(ACTIVITY_DAYS)]
    values, counts = [0] * ACTIVITY_DAYS, {}
    if ids:
        # One count per day over the learners' index range: casting each row's time to a date (TruncDate) ran a
        # Python function per review on SQLite (0.4 s for 40,000 reviews).
        starts = [since + timedelta(days=i) for i in range(ACTIVITY_DAYS + 1)]
        per_day = {
            f"d{i}": Count("pk", filter=Q(reviewed_at__gte=starts[i], reviewed_at__lt=starts[i + 1]))
            for i in range(ACTIVITY_DAYS)
        }
        rows = []
        counts = standing.review_counts(
            ReviewLog.objects.filter(learner_id__in=ids), reviews, extra=per_day, since=since, rows=rows
        )
        values = [sum(row[f"d{i}"] for row in rows) for i in range(ACTIVITY_DAYS)]
    peak = charts.nice_peak(max(values))
    chart = charts.columns(
        [charts.day_text(day) for day in days],
        values,
        peak=peak,
        peak_text=str(peak),
        value_text=lambda v: f"{v} rating{'s' if v != 1 else ''}",
        every=7,
    )
    table = [(charts.day_text(day), [value]) for day, value in zip(days, values, strict=True)]
    return counts, chart, table, sum(values)
