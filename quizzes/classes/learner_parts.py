"""Each learner's part of the class dashboard (quizzes/classes/dashboard.py draws the board from them): the
class's people as its one query reads them (people(), Person), and what the board derives from one learner's work
(LearnerPart: their rows of the grid and of the readiness table, their shares of the class's weakest topics,
most-missed questions and activity chart), computed by compute_parts() for the learners whose cached part moved,
in five queries at most restricted to them, with the instant from which each part is outdated by time alone (the
next step of a memory's recall, a running exam's time running out, UTC midnight). The dashboard's cache version
and the activity chart's days are kept here too: the board's keys and sums use them.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from html import escape
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Value, When, Window
from django.db.models.functions import RowNumber

from quizzes.classes import grid, standing
from quizzes.classes.models import Assignment, Classroom, Membership
from quizzes.exams.models import GRACE, ExamAttempt
from quizzes.models import LearnerSettings, ReviewLog
from quizzes.study.catalogue import CONTENT_MARKS, content_fingerprint, content_marks
from studyapp.accounts.models import User
from studyapp.progress import readiness
from studyapp.progress.exams import RECENT_EXAMS, domain_answers, with_tallies
from studyapp.progress.history import day_number

ACTIVITY_DAYS = 30

CACHE_VERSION = 3  # moves when what is cached changes shape (or its markup: 2, the cell heads; 3, (digest, part))
# Time moves a learner's part without any write in three ways: a memory's recall (FSRS retrievability, from the
# whole days since its last review: ForgettingCurve.recall) steps when another day has passed since that review, a
# running exam's time runs out (it shows done), and the activity chart's days move at UTC midnight. A part
# records the first of those instants after it was computed (`until`) and is computed again from then on: exact,
# where a time bucket in the key would show a step up to a bucket late and recompute the whole class every
# bucket. With 100 memories reviewed at random times of day a learner's part lasts about a quarter of an hour;
# the class's parts lapse a few at a time.
DAY_SECONDS = 86_400


class LearnerPart(NamedTuple):
    """What the board derives from one learner's work, cached per (class, learner): flat tuples and strings,
    quick to unpickle for a class of 200 (objects per cell took 40-80 ms to read back)."""

    row: str  # their row of the grid: name, a cell per assignment (grid.standing_cells), last activity
    readiness: str  # their row of the readiness table (grid.readiness_cells)
    topics: tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...], tuple[float, ...]]  # keys, names, n, recall sum
    missed: tuple[int, ...]  # (question, wrong answers, reviews) in study, flattened
    stems: dict[int, tuple[str, str]]  # question -> (stem, bank slug), for the questions answered wrong
    days: tuple[int, ...]  # study ratings per day over the activity chart's days
    until: int  # seconds since the epoch: the part is outdated from then on (the next recall step or midnight)


def people(classroom: Classroom):
    """The class's learners and co-teachers (`member`, `co_teacher`) by username, as values (Person), with their
    study settings, their work marks (User.work_version and worked_at: moved in the same transaction by every
    write that changes what the board shows of them) and the content's fingerprint, what their parts' cache keys
    are made of (fingerprint(), class_fingerprint()): one query, nothing counted per learner."""
    member = Membership.objects.filter(classroom=classroom, learner=OuterRef("pk"))
    co_teacher = Classroom.co_teachers.through.objects.filter(classroom=classroom, user=OuterRef("pk"))
    return (
        # The plain manager: the default one's role and membership annotations serve the request's own user.
        User._base_manager.filter(  # the class's people first (IN over its two small tables, not a scan of every user)
            Q(pk__in=Membership.objects.filter(classroom=classroom).values("learner"))
            | Q(pk__in=Classroom.co_teachers.through.objects.filter(classroom=classroom).values("user"))
        )
        .annotate(member=Exists(member), co_teacher=Exists(co_teacher), **content_marks())
        .order_by("username")
        .values(
            "pk",
            "username",
            "first_name",
            "last_name",
            "work_version",
            "worked_at",
            *PERSON,
            *(f"study_settings__{f}" for f in SETTINGS),
        )  # fmt: skip
    )


PERSON = ["member", "co_teacher", *CONTENT_MARKS]
SETTINGS = [f.attname for f in LearnerSettings._meta.concrete_fields if f.attname != "learner_id"]


class Person:
    """A person of the class as people() reads them (the row's values as attributes): 200 rows of values read
    in a third of the time of 200 users with their settings as model instances."""

    def __init__(self, row: dict):
        self.__dict__.update(row)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()  # as User.get_full_name()

    def settings(self) -> LearnerSettings:
        """Their study settings (Anki's defaults, unsaved, for a learner who has none)."""
        if self.study_settings__id is None:
            return LearnerSettings(learner_id=self.pk)
        return LearnerSettings(learner_id=self.pk, **{f: getattr(self, f"study_settings__{f}") for f in SETTINGS})


def digest(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:32]


def _catalogue(person: Person) -> standing.Catalogue:
    """The catalogue with stems, cached under the content's fingerprint (as read by people(), part of every
    learner's key: a part is never fresher than the catalogue it was computed from). A query of 1,800 questions
    with their topics and stems, or 2 ms to read back."""
    key = f"classes:catalogue:{CACHE_VERSION}:" + digest(content_fingerprint(person))
    return cache.get_or_set(key, lambda: standing.Catalogue.read(with_stems=True), timeout=DAY_SECONDS)


def _until(memories: list[tuple], now: datetime) -> dict[int, int]:
    """Per learner, the first instant after `now` (seconds since the epoch) at which their part moves by time
    alone: the next UTC midnight, or sooner the next whole day since a memory's last review (its recall's next
    step, as ForgettingCurve.recall counts days: whole seconds, floored days)."""
    seconds = int(now.timestamp())
    midnight = (seconds // DAY_SECONDS + 1) * DAY_SECONDS
    until: dict[int, int] = {}
    for learner_id, _, stability, last_review, *_ in memories:
        if stability is None:
            continue  # no recall to move
        step = last_review + (max(0, (seconds - last_review) // DAY_SECONDS) + 1) * DAY_SECONDS
        if step < until.get(learner_id, midnight):
            until[learner_id] = step
    return until


def compute_parts(learners: list[Person], assignments: list[Assignment], now: datetime) -> dict[int, LearnerPart]:
    """The parts of these learners (read by people()): the catalogue (with stems), their memories, their
    ratings (review assignments and the activity chart), their exam attempts (exam assignments and readiness)
    and their right trainer answers on the drills, in five queries at most (the catalogue comes from the cache
    while the content is unchanged)."""
    ids = [u.pk for u in learners]
    catalogue = _catalogue(learners[0])
    memories = standing.read_memories(ids, catalogue)
    saved = {u.pk: u.settings() for u in learners}
    recall = standing.retrievabilities(ids, memories, now, saved)
    by_kind = defaultdict(list)
    for a in assignments:
        by_kind[a.kind].append(a)
    reviews = by_kind[Assignment.Kind.REVIEW]
    counts, days = _ratings(ids, reviews, now, catalogue.scope_ids(reviews))
    if by_kind[Assignment.Kind.DRILL]:
        counts.update(standing.drill_counts(ids, by_kind[Assignment.Kind.DRILL]))
    tallies, recent, expiring = _attempts(ids, by_kind[Assignment.Kind.EXAM], now)
    progress = standing.compute(
        ids, assignments, now, memories=memories, catalogue=catalogue, recall=recall, settings=saved, counts=counts,
        exams=tallies,
    )  # fmt: skip
    readiness_of = _readiness(ids, recall[0], catalogue, recent)
    topics = catalogue.topics()
    sums: dict[int, dict[str, list]] = {pk: {} for pk in ids}
    for (learner_id, question_id), chance in recall[0].items():  # one per memory, in the memories' order
        mine = sums[learner_id]
        for key, name in topics.get(question_id, ()):
            entry = mine.get(key) or mine.setdefault(key, [name, 0, 0.0])
            entry[1] += 1
            entry[2] += chance
    # The most-missed questions: only those the class's study and exam assignments cover, as the item statistics
    # filtered to the class (itemstats.class_filter.assigned_questions()): a teacher sees nothing else of a
    # learner's work.
    assigned = [a for a in assignments if a.kind != Assignment.Kind.DRILL]
    answered = {memory[1] for memory in memories}
    candidates = standing.Catalogue([row for row in catalogue.rows if row[0] in answered])
    covered = set().union(*candidates.scope_ids(assigned).values())
    missed: dict[int, list[int]] = {pk: [] for pk in ids}
    stems: dict[int, dict[int, tuple[str, str]]] = {pk: {} for pk in ids}
    for learner_id, question_id, _, _, failures, reps in memories:
        if question_id not in covered:
            continue
        missed[learner_id] += (question_id, failures, reps)
        if failures and question_id in catalogue.stems:
            stems[learner_id][question_id] = catalogue.stems[question_id]
    until = _until(memories, now)
    for pk, instant in expiring.items():  # a running attempt's time runs out: it shows as done from then on
        until[pk] = min(until.get(pk, instant), instant)
    midnight = (int(now.timestamp()) // DAY_SECONDS + 1) * DAY_SECONDS
    parts = {}
    for learner in learners:
        pk = learner.pk
        header = grid.learner_header(learner.username, learner.get_full_name())
        cells = grid.standing_cells([progress.of(pk, a.pk) for a in assignments])
        ready = grid.readiness_cells(readiness_of[pk])
        keys = tuple(sums[pk])
        topic_rows = [sums[pk][key] for key in keys]
        parts[pk] = LearnerPart(
            row=f"<tr>{header}{cells}<td>{grid.when(learner.worked_at)}</td></tr>",
            readiness=f'<tr><th scope="row">{escape(learner.username)}</th>{ready}</tr>',
            topics=(
                keys,
                tuple(name for name, _, _ in topic_rows),
                tuple(n for _, n, _ in topic_rows),
                tuple(total for _, _, total in topic_rows),
            ),
            missed=tuple(missed[pk]),
            stems=stems[pk],
            days=tuple(days.get(pk, [0] * ACTIVITY_DAYS)),
            until=until.get(pk, midnight),
        )
    return parts


@dataclass
class _Coverage:
    questions: int = 0
    seen: int = 0
    recall_sum: float = 0.0


def _attempts(ids, exams: list[Assignment], now: datetime) -> tuple[dict, dict, dict]:
    """The learners' attempts at the exam assignments, counted per (learner, assignment) (standing.ExamTally),
    each learner's RECENT_EXAMS latest finished attempts with their answers tallied per domain (for
    readiness), and per learner the first instant (seconds since the epoch) at which the time of one of their
    running attempts is up (standing.ExamTally.running): one query over the union of both."""
    latest = Window(RowNumber(), partition_by=[F("learner_id")], order_by=[F("started_at").desc(), F("pk").desc()])
    recent_ids = (
        ExamAttempt.objects.filter(learner_id__in=ids, state=ExamAttempt.State.FINISHED)
        .annotate(latest=latest)
        .filter(latest__lte=RECENT_EXAMS)
        .values("pk")
    )
    wanted = Q(pk__in=recent_ids)
    if exams:
        wanted |= Q(learner_id__in=ids, assignment_link__assignment__in=[a.pk for a in exams])
    attempts = with_tallies(ExamAttempt.objects.filter(wanted).annotate(assignment=F("assignment_link__assignment")))
    tallies = defaultdict(standing.ExamTally)
    finished = defaultdict(list)
    expiring: dict[int, int] = {}
    for attempt in attempts:
        if attempt.assignment is not None:
            key = (attempt.learner_id, attempt.assignment)
            tallies[key].add(attempt.state, attempt.scored_correct, attempt.scored_total, attempt.deadline, now)
            if attempt.state == ExamAttempt.State.IN_PROGRESS and attempt.deadline and attempt.deadline + GRACE >= now:
                up = int((attempt.deadline + GRACE).timestamp()) + 1  # running while deadline + GRACE >= now
                expiring[attempt.learner_id] = min(expiring.get(attempt.learner_id, up), up)
        if attempt.state == ExamAttempt.State.FINISHED:
            finished[attempt.learner_id].append(attempt)
    # Every recent attempt was read, and any other finished one (of an assignment) comes after them.
    recent = {
        pk: sorted(mine, key=lambda a: (a.started_at, a.pk), reverse=True)[:RECENT_EXAMS]
        for pk, mine in finished.items()
    }
    return tallies, recent, expiring


def _readiness(ids, recall, catalogue: standing.Catalogue, recent: dict) -> dict[int, readiness.Readiness]:
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
    return {pk: readiness.estimate(coverage[pk], domain_answers(recent.get(pk, []))) for pk in ids}


def activity_window(now: datetime) -> tuple[datetime, list]:
    first = now.astimezone(UTC).date() - timedelta(days=ACTIVITY_DAYS - 1)
    return datetime.combine(first, time(), tzinfo=UTC), [first + timedelta(days=i) for i in range(ACTIVITY_DAYS)]


MANY = 50  # learners computed at once from which _ratings() counts in SQL


def _ratings(ids, reviews: list[Assignment], now: datetime, scopes: dict[int, set[int]]):
    """The learners' ratings on the review assignments, (learner, assignment) -> (questions rated in time,
    since the opening), as standing.review_counts() counts them, and each learner's study ratings per day over
    the last ACTIVITY_DAYS days (UTC days): one query over their ratings, a row each, with the day and where it
    falls against each assignment's opening and due time compared in SQL (exact to the microsecond), counted
    here (the questions in each scope from the catalogue, each memory once). As COUNT(DISTINCT ...) aggregates
    grouped by learner, with a count per day, the query cost 12 ms for one learner (compiling 40 aggregates);
    this one 2.5 ms. For MANY learners or more the aggregates are quicker (a class of 200, 28,000 ratings: 83
    against 153 ms on PostgreSQL, 136 against 171 on SQLite): _ratings_in_sql(), the same numbers."""
    since, _ = activity_window(now)
    starts = [since + timedelta(days=i) for i in range(ACTIVITY_DAYS + 1)]
    if len(ids) >= MANY:
        return _ratings_in_sql(ids, reviews, since, starts)
    first = min([since, *(a.starts_counting for a in reviews)])
    marks = {
        f"a{a.pk}": Case(
            When(reviewed_at__lt=a.starts_counting, then=Value(0)),
            When(reviewed_at__lte=a.due_at, then=Value(2)),  # in time
            default=Value(1),  # late
            output_field=IntegerField(),
        )
        for a in reviews
    }
    rows = (
        ReviewLog.objects.filter(learner_id__in=ids, reviewed_at__gte=first)
        .annotate(day=day_number("reviewed_at", starts), **marks)
        .values_list("learner_id", "memory_id", "memory__question_id", "day", *marks)
        .order_by()
    )
    days: dict[int, list[int]] = {}
    rated: dict[tuple[int, int], tuple[set, set]] = {}
    for learner_id, memory_id, question_id, day, *timing in rows:
        if day is not None:
            mine = days.get(learner_id) or days.setdefault(learner_id, [0] * ACTIVITY_DAYS)
            mine[day] += 1
        for a, mark in zip(reviews, timing, strict=True):
            if mark and question_id in scopes[a.pk]:
                in_time, total = rated.get((learner_id, a.pk)) or rated.setdefault((learner_id, a.pk), (set(), set()))
                total.add(memory_id)
                if mark == 2:
                    in_time.add(memory_id)
    return {key: (len(in_time), len(total)) for key, (in_time, total) in rated.items()}, days


def _ratings_in_sql(ids, reviews: list[Assignment], since: datetime, starts: list[datetime]):
    """What _ratings() returns, from one query grouped by learner: standing.review_counts()'s aggregates and a
    count per day (a range of each learner's index: casting each row's time to a date, TruncDate, ran a Python
    function per review on SQLite, 0.4 s for 40,000 reviews)."""
    per_day = {
        f"d{i}": Count("pk", filter=Q(reviewed_at__gte=starts[i], reviewed_at__lt=starts[i + 1]))
        for i in range(ACTIVITY_DAYS)
    }
    rows = []
    counts = standing.review_counts(
        ReviewLog.objects.filter(learner_id__in=ids), reviews, extra=per_day, since=since, rows=rows
    )
    return counts, {row["learner_id"]: [row[f"d{i}"] for i in range(ACTIVITY_DAYS)] for row in rows}
