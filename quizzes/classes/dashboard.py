"""The class dashboard: learners x assignments, readiness per exam domain, weak spots, activity.

Only what the class's learners did, and a fixed number of queries whatever the class's size (pinned in
tests/test_classes_dashboard.py).

Two levels of Django's cache. The drawn board (quizzes/classes/views.py, board_html) is kept under a key read
with the class in its one query (marked(), glance()): how many members and the latest membership, the sum of
their learners' work versions, the content's fingerprint, and the assignments (every field, passed due and
opening times). `User.work_version` moves, in the transaction that writes, with every write that changes what
the board shows of a learner (User.record_work: a rating and its undo, a trainer answer, an exam started or
finished, a guest's work merged in, new study settings), so a repeat visit reads no learner's row.

When that key moved, the board is drawn again from each learner's part (quizzes/classes/learner_parts.py: their
cells, their readiness, and their shares of the class's weakest topics, most-missed questions and activity chart),
cached per (class, learner) with the digest of what it was computed from: their work version and last activity
time, name and study settings (the one query of people reads them), and the class's assignments and content. Only
the learners whose digest moved are computed, by queries restricted to them, so a refresh after k learners worked
recomputes those k. What moves with time alone (their memories' recall, a running exam's time running out, the
chart's days) moves at known instants: a part, and the board, are used only until the first of them.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from quizzes.classes.learner_parts import (
    ACTIVITY_DAYS,
    CACHE_VERSION,
    DAY_SECONDS,
    SETTINGS,
    LearnerPart,
    Person,
    activity_window,
    compute_parts,
    digest,
    people,
)
from quizzes.classes.models import Assignment, Classroom, Membership
from quizzes.models import Domain
from quizzes.study.catalogue import aggregate, content_fingerprint, content_marks
from studyapp.progress import charts

WEAK_TOPICS = 5
MOST_MISSED = 10
MIN_ANSWERS = 5  # a topic needs this many answers from the class to rank among the weakest


@dataclass
class Board:
    assignments: list[Assignment]
    learners: int
    grid: SafeString  # the rows of the learners x assignments table
    readiness: SafeString  # the rows of the readiness table
    co_teachers: list[dict]  # pk and username
    domains: list[str]
    weak_topics: list[dict]
    most_missed: list[dict]
    activity: charts.ColumnChart
    activity_table: list[tuple]
    activity_total: int
    until: int  # seconds since the epoch: the board is outdated from then on (the first of its parts' `until`)
    computed: int = 0  # learners whose part was not in the cache


class Summary(NamedTuple):
    """What the board sums up over its learners' parts, cached under the keys of all of them."""

    grid: str
    readiness: str
    weak_topics: list[dict]
    most_missed: list[dict]
    days: list[int]
    until: int  # the first of the parts' `until`


def fingerprint(learner: Person) -> tuple:
    """What moves with every write to the learner's work (their work marks), settings or name (read by
    people())."""
    return (
        learner.username, learner.first_name, learner.last_name, learner.work_version, learner.worked_at,
        *(getattr(learner, f"study_settings__{f}") for f in SETTINGS),
    )  # fmt: skip


def class_fingerprint(assignments: list[Assignment], learner: Person, now: datetime) -> tuple:
    """What moves with the class's assignments, the content, the passing of due and opening times, and the
    viewer's time zone (the last activity is shown in it)."""
    return (
        assignments_fingerprint(assignments, now), content_fingerprint(learner),
    )  # fmt: skip


def assignments_fingerprint(assignments: list[Assignment], now: datetime) -> tuple:
    """The class's assignments (every field), which of their due and opening times have passed, and the viewer's
    time zone."""
    fields = [f.attname for f in Assignment._meta.concrete_fields]
    return (
        [[getattr(a, name) for name in fields] for a in assignments],
        [a.pk for a in assignments if a.due_at < now],
        [a.pk for a in assignments if a.opens_at and a.opens_at <= now],
        timezone.get_current_timezone_name(),
    )


def _key(classroom: Classroom, learner: Person) -> str:
    """Where a learner's part is cached: one entry per class and learner, holding the part with the digest of
    what it was computed from (a part computed again replaces the outdated one instead of piling up beside it)."""
    return f"classes:learner:{CACHE_VERSION}:{classroom.pk}:{learner.pk}"


def assignments_of(classroom: Classroom) -> list[Assignment]:
    return list(classroom.assignments.order_by("due_at", "pk"))


class Glance(NamedTuple):
    """The board's cache key and the number of learners, from glance()."""

    key: str
    learners: int


def marked(classrooms):
    """The classes with what their board's key is made of (glance()), in the query that reads them: their
    memberships, how many and the latest (ids are never used again, so the two name the set of members), the
    sum of their learners' work versions (User.work_version: each only grows, so any learner's write moves the
    sum), and the content's fingerprint."""
    members = Membership.objects.filter(classroom=OuterRef("pk"))
    co_teachers = Classroom.co_teachers.through.objects.filter(classroom=OuterRef("pk"))
    return classrooms.annotate(
        co_teacher_count=aggregate(co_teachers, "COUNT"),  # the teachers' list is read only when there are some
        board_members=aggregate(members, "COUNT"),
        board_latest=aggregate(members, "MAX"),
        board_work=aggregate(members, "SUM", "learner__work_version"),
        **content_marks(),
    )


def glance(classroom: Classroom, assignments: list[Assignment], now: datetime) -> Glance:
    """The board's cache key without reading its learners, from the class as marked() read it, its assignments
    (every field, their passed due and opening times) and the time zone. A name edited in Django's admin moves
    none of these: it shows when the board is next drawn (after a write in the class, or at its `until`)."""
    marks = (
        classroom.board_members, classroom.board_latest, classroom.board_work,
        content_fingerprint(classroom),
        assignments_fingerprint(assignments, now),
    )  # fmt: skip
    return Glance(f"classes:board:{CACHE_VERSION}:{classroom.pk}:" + digest(marks), classroom.board_members)


def build(classroom: Classroom, assignments: list[Assignment], now: datetime) -> Board:
    """Everything the board shows, and the class's co-teachers: the people (with their cache keys' parts) in one
    query, each learner's part from the cache and the parts that missed in five more queries (compute_parts())."""
    everyone = [Person(row) for row in people(classroom)]
    learners = [u for u in everyone if u.member]
    summary, computed = _summary(classroom, learners, assignments, now)
    chart, table, total = _activity(summary.days, now)
    return Board(
        assignments=assignments,
        learners=len(learners),
        grid=mark_safe(summary.grid),  # noqa: S308 (every text in it escaped by quizzes/classes/grid.py)
        readiness=mark_safe(summary.readiness),  # noqa: S308 (likewise)
        co_teachers=[{"pk": u.pk, "username": u.username} for u in everyone if u.co_teacher],
        domains=[d.label for d in Domain],
        weak_topics=summary.weak_topics,
        most_missed=summary.most_missed,
        activity=chart,
        activity_table=table,
        activity_total=total,
        until=summary.until,
        computed=computed,
    )


def _summary(classroom: Classroom, learners: list[Person], assignments: list[Assignment], now: datetime):
    """The board's sums and how many learners' parts were computed: each learner's part from the cache under
    its key, those that missed computed (and cached)."""
    if not learners:
        midnight = (int(now.timestamp()) // DAY_SECONDS + 1) * DAY_SECONDS  # the activity chart's days move
        return Summary("", "", [], [], [0] * ACTIVITY_DAYS, midnight), 0
    seconds = now.timestamp()
    shared = digest(class_fingerprint(assignments, learners[0], now))
    keys = {u.pk: _key(classroom, u) for u in learners}
    digests = {u.pk: digest((shared, fingerprint(u))) for u in learners}
    found = cache.get_many(list(keys.values()))
    parts = {}
    for pk, key in keys.items():
        stored, part = found.get(key, (None, None))
        if stored == digests[pk] and seconds < part.until:
            parts[pk] = part
    missed = [u for u in learners if u.pk not in parts]
    if missed:
        computed = compute_parts(missed, assignments, now)
        fresh = {keys[pk]: (digests[pk], part) for pk, part in computed.items()}
        cache.set_many(fresh, timeout=_timeout(computed.values(), now))
        parts.update(computed)
    ordered = [parts[u.pk] for u in learners]
    rows = "\n".join(part.row for part in ordered)
    ready = "\n".join(part.readiness for part in ordered)
    days = [sum(column) for column in zip(*(part.days for part in ordered), strict=True)]
    until = min(part.until for part in ordered)
    return Summary(rows, ready, _weak_topics(ordered), _most_missed(ordered), days, until), len(missed)


def _timeout(parts, now: datetime) -> int:
    """Seconds to keep parts: until the last of them is outdated (a day at most)."""
    return max(1, min(DAY_SECONDS, max(part.until for part in parts) - int(now.timestamp())))


def _weak_topics(parts: list[LearnerPart]) -> list[dict]:
    """Topics with the lowest average recall (FSRS retrievability) over the questions the class's learners have
    studied; a topic needs MIN_ANSWERS studied questions to rank."""
    sums: dict[str, list] = {}
    for part in parts:
        for key, name, n, total in zip(*part.topics, strict=True):
            entry = sums.get(key)
            if entry is None:
                sums[key] = [name, n, total]
            else:
                entry[1] += n
                entry[2] += total
    ranked = sorted(
        ({"key": key, "name": name, "seen": n, "recall": total / n} for key, (name, n, total) in sums.items()
         if n >= MIN_ANSWERS),
        key=lambda row: (row["recall"], row["key"]),
    )[:WEAK_TOPICS]  # fmt: skip
    for row in ranked:
        row["share"] = charts.percent(row["recall"])
    return ranked


def _most_missed(parts: list[LearnerPart]) -> list[dict]:
    """The questions the class's learners answered wrong most often in study (their memories' wrong-answer
    counts), with the stem and bank for the link to the item statistics."""
    missed: dict[int, list[int]] = {}
    details: dict[int, tuple[str, str]] = {}
    for part in parts:
        flat = part.missed
        for i in range(0, len(flat), 3):
            question_id = flat[i]
            entry = missed.get(question_id)
            if entry is None:
                missed[question_id] = [flat[i + 1], flat[i + 2]]
            else:
                entry[0] += flat[i + 1]
                entry[1] += flat[i + 2]
        details.update(part.stems)
    top = sorted(((m, q) for q, (m, _) in missed.items() if m), key=lambda item: (-item[0], item[1]))[:MOST_MISSED]
    return [
        {"question_id": q, "stem": details[q][0], "bank": details[q][1], "missed": m, "answers": missed[q][1]}
        for m, q in top
        if q in details
    ]


def _activity(values: list[int], now: datetime):
    """The class's study ratings per day: the chart, its data table and the total."""
    _, days = activity_window(now)
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
    return chart, table, sum(values)
