"""Where each learner stands on each assignment: read from their own work only, never written.

- review: the questions of the scope the learner rated in study (ReviewLog), each counted once however often it
  came back; those rated between the opening (or the assignment's creation) and the due time count toward the
  score, later ones make it "done late".
- master: every question of the scope has an FSRS retrievability at or above the learner's desired retention
  now (the score is the share that has).
- drill: the learner's right answers in the scenario trainer on scenarios of the scope, counted like reviews.
- exam: the attempts started from the assignment; the score is the best finished attempt's share right.

Everything for a class comes from a fixed number of queries, whatever the number of learners and assignments.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, FilteredRelation, FloatField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce

from quizzes.classes.models import Assignment, AssignmentAttempt
from quizzes.exams.models import GRACE, ExamAttempt
from quizzes.models import LearnerSettings, Question, QuestionMemory, ReviewLog
from quizzes.study.scheduling import ForgettingCurve
from quizzes.trainer.models import RoundItem, Scenario
from studyapp.progress.history import EpochSeconds

User = get_user_model()


class Status:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    LATE = "late"  # done, after the due time
    OVERDUE = "overdue"  # past due and not done

    LABELS = {
        NOT_STARTED: "Not started",
        IN_PROGRESS: "In progress",
        DONE: "Done",
        LATE: "Done late",
        OVERDUE: "Overdue",
    }


@dataclass
class Standing:
    status: str
    score: float | None  # percent, 0-100
    detail: str
    attempts_used: int = 0

    @property
    def label(self) -> str:
        return Status.LABELS[self.status]

    @property
    def score_text(self) -> str:
        return "" if self.score is None else f"{self.score:.0f} %"


def scope_filter(assignment: Assignment, service_path: str) -> Q:
    """The assignment's topics (or category) as a filter on the services at `service_path`."""
    if assignment.category:
        return Q(**{f"{service_path}__category__key": assignment.category})
    if assignment.topics:
        return Q(**{f"{service_path}__key__in": list(assignment.topics)})
    return Q()


def scope_questions(assignment: Assignment):
    """The questions a study or exam assignment is about, as a queryset (used as a subquery)."""
    questions = Question.objects.active()
    if assignment.bank_id:
        questions = questions.filter(bank_id=assignment.bank_id)
    if assignment.category or assignment.topics:
        through = Question.services.through.objects.filter(scope_filter(assignment, "service"))
        questions = questions.filter(pk__in=through.values("question"))
    return questions


@dataclass
class Catalogue:
    """The questions learners see with their bank, domain and topics (and the topics' categories): one query."""

    rows: list[tuple[int, int, str, str | None, str | None, str | None]]  # ..., topic key, category, topic name

    stems: dict[int, tuple[str, str]] = field(default_factory=dict)  # read with_stems: (stem, bank slug)

    @classmethod
    def read(cls, with_stems: bool = False) -> "Catalogue":
        fields = ["pk", "bank_id", "domain", "services__key", "services__category__key", "services__name"]
        if not with_stems:
            return cls(list(Question.objects.active().values_list(*fields).order_by()))
        catalogue = cls([])
        for row in Question.objects.active().values_list(*fields, "stem_md", "bank__slug").order_by():
            catalogue.rows.append(row[:6])
            catalogue.stems[row[0]] = row[6:]
        return catalogue

    @classmethod
    def read_with_memories(cls, learner_id: int) -> tuple["Catalogue", list[tuple]]:
        """The catalogue and one learner's reviewed memories of its questions, from one query (a left join on
        the memory's unique index), as read_memories() would give them."""
        rows = (
            Question.objects.active()
            .annotate(mine=FilteredRelation("memories", condition=Q(memories__learner_id=learner_id)))
            .annotate(last_review=EpochSeconds("mine__last_review"))
            .values_list(
                "pk", "bank_id", "domain", "services__key", "services__category__key", "services__name",
                "mine__stability", "last_review", "mine__failures", "mine__reps",
            )
            .order_by()
        )  # fmt: skip
        catalogue, memories, seen = cls([]), [], set()
        for pk, bank_id, domain, key, category, name, stability, last_review, failures, reps in rows:
            catalogue.rows.append((pk, bank_id, domain, key, category, name))
            if last_review is not None and pk not in seen:
                seen.add(pk)
                memories.append((learner_id, pk, stability, last_review, failures, reps))
        return catalogue, memories

    def scope_ids(self, assignments: list[Assignment]) -> dict[int, set[int]]:
        """Each assignment's question ids."""
        scopes: dict[int, set[int]] = {a.pk: set() for a in assignments}
        # Each assignment's rule read once, not per catalogue row (3,000 rows x 20 assignments: 10 ms).
        rules = [(scopes[a.pk], a.bank_id, a.category, set(a.topics or ())) for a in assignments]
        for pk, bank_id, _, key, category, _ in self.rows:
            for scope, bank, family, topics in rules:
                if bank is not None and bank != bank_id:
                    continue
                if family and category != family or topics and key not in topics:
                    continue
                scope.add(pk)
        return scopes

    def domains(self) -> dict[int, str]:
        return {pk: domain for pk, _, domain, *_ in self.rows}

    def topics(self) -> dict[int, list[tuple[str, str]]]:
        """Each question's topics as (key, name)."""
        topics: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for pk, _, _, key, _, name in self.rows:
            if key is not None:
                topics[pk].append((key, name))
        return topics


@dataclass
class ClassProgress:
    """Standings of many learners on many assignments, and what else the dashboard reads from the same rows."""

    standings: dict[tuple[int, int], Standing] = field(default_factory=dict)  # (learner, assignment)
    memories: list[tuple] = field(default_factory=list)  # see read_memories()

    def of(self, learner_id: int, assignment_id: int) -> Standing:
        return self.standings[(learner_id, assignment_id)]


def compute(
    learner_ids: list[int],
    assignments: list[Assignment],
    now: datetime,
    memories=None,
    catalogue=None,
    recall=None,
    settings=None,
    counts=None,
    exams=None,
) -> ClassProgress:
    """Every learner's standing on every assignment: at most one query per kind of assignment, plus the
    catalogue and the memories for mastery; what the caller read already (memories, catalogue, recall, and the
    review and drill `counts` and the `exams` tallies of learner_counts()) is passed in."""
    result = ClassProgress()
    if not learner_ids or not assignments:
        return result
    by_kind: dict[str, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        by_kind[assignment.kind].append(assignment)
    if counts is None:
        counts = {}
        if by_kind[Assignment.Kind.REVIEW]:
            counts.update(
                review_counts(ReviewLog.objects.filter(learner_id__in=learner_ids), by_kind[Assignment.Kind.REVIEW])
            )
        if by_kind[Assignment.Kind.DRILL]:
            counts.update(drill_counts(learner_ids, by_kind[Assignment.Kind.DRILL]))
    for kind in (Assignment.Kind.REVIEW, Assignment.Kind.DRILL):
        noun = "questions reviewed" if kind == Assignment.Kind.REVIEW else "right answers"
        for assignment in by_kind[kind]:
            for learner_id in learner_ids:
                in_time, total = counts.get((learner_id, assignment.pk), (0, 0))
                result.standings[(learner_id, assignment.pk)] = _counted(assignment, in_time, total, now, noun)
    if by_kind[Assignment.Kind.MASTER]:
        _mastery(result, learner_ids, by_kind[Assignment.Kind.MASTER], now, memories, catalogue, recall, settings)
    if by_kind[Assignment.Kind.EXAM]:
        _exams(result, learner_ids, by_kind[Assignment.Kind.EXAM], now, exams)
    return result


def _counted(assignment: Assignment, in_time: int, total: int, now: datetime, noun: str) -> Standing:
    target = assignment.target or 1
    score = min(100.0, 100 * in_time / target)
    detail = f"{min(total, target)} of {target} {noun}"
    if in_time >= target:
        status = Status.DONE
    elif total >= target:
        status = Status.LATE
    elif now > assignment.due_at:
        status = Status.OVERDUE
    elif total:
        status = Status.IN_PROGRESS
    else:
        status = Status.NOT_STARTED
    return Standing(status, score, detail)


REVIEWED = Count("memory", distinct=True)  # questions reviewed: each memory once, however often it was rated


def review_aggregates(assignments) -> dict:
    """Per review assignment, the questions rated in time (`in_<pk>`) and since the opening (`all_<pk>`), as
    aggregates over ReviewLog rows grouped by learner (a question's memory counted once: rating Again on one
    question twenty times reviews one question)."""
    aggregates = {}
    for a in assignments:
        in_scope = Q(reviewed_at__gte=a.starts_counting, memory__question__in=scope_questions(a))
        aggregates[f"in_{a.pk}"] = Count("memory", filter=in_scope & Q(reviewed_at__lte=a.due_at), distinct=True)
        aggregates[f"all_{a.pk}"] = Count("memory", filter=in_scope, distinct=True)
    return aggregates


def review_counts(logs, assignments, extra=None, since=None, rows=None) -> dict[tuple[int, int], tuple[int, int]]:
    """(learner, assignment) -> (ratings in time, ratings since the opening), one query over `logs` (the learners'
    ReviewLog rows) grouped by learner, with the `extra` aggregates the caller wants from the same rows (appended
    to `rows` when given); `since` widens the rows read (it must not come after any assignment's opening)."""
    starts = [a.starts_counting for a in assignments]
    since = min([*starts, since] if since else starts)
    grouped = (
        logs.filter(reviewed_at__gte=since)
        .values("learner_id")
        .annotate(**review_aggregates(assignments), **(extra or {}))
        .order_by()
    )
    counts = {}
    for row in grouped:
        if rows is not None:
            rows.append(row)
        for a in assignments:
            counts[(row["learner_id"], a.pk)] = (row[f"in_{a.pk}"], row[f"all_{a.pk}"])
    return counts


def _drill_scope(a: Assignment) -> Q:
    scope = Q(answered_at__gte=a.starts_counting)
    if a.category or a.topics:
        scope &= Q(scenario__in=Scenario.objects.filter(scope_filter(a, "services")).values("pk"))
    return scope


def drill_counts(learner_ids, assignments) -> dict[tuple[int, int], tuple[int, int]]:
    """(learner, assignment) -> (right trainer answers in time, since the opening), one query."""
    aggregates = {}
    for a in assignments:
        scope = _drill_scope(a)
        aggregates[f"in_{a.pk}"] = Count("pk", filter=scope & Q(answered_at__lte=a.due_at))
        aggregates[f"all_{a.pk}"] = Count("pk", filter=scope)
    since = min(a.starts_counting for a in assignments)
    rows = (
        RoundItem.objects.filter(learner_id__in=learner_ids, answered_at__gte=since, correct=True)
        .values("learner_id")
        .annotate(**aggregates)
        .order_by()
    )
    return {(row["learner_id"], a.pk): (row[f"in_{a.pk}"], row[f"all_{a.pk}"]) for row in rows for a in assignments}


def drill_subqueries(assignments) -> dict:
    """The same counts as drill_counts(), as subqueries (`drill_in_<pk>`, `drill_all_<pk>`) to annotate the
    learners with in the query that reads them (each an index range on the learner's answers)."""
    annotations = {}
    for a in assignments:
        for name, scope in (("in", _drill_scope(a) & Q(answered_at__lte=a.due_at)), ("all", _drill_scope(a))):
            right = RoundItem.objects.filter(scope, learner=OuterRef("pk"), correct=True).order_by()
            count = right.values("learner").annotate(n=Count("pk")).values("n")
            annotations[f"drill_{name}_{a.pk}"] = Coalesce(Subquery(count), 0)
    return annotations


def read_memories(learner_ids: list[int], catalogue: Catalogue) -> list[tuple]:
    """The learners' reviewed memories of the catalogue's questions (those learners see): (learner, question,
    stability, last review in seconds since the epoch, wrong answers, reviews). Whole seconds: parsing 20,000
    datetimes took longer than the query. The catalogue's questions are kept in Python: as a subquery, SQLite
    looked each (learner, active question) pair up in the memories' unique index (200 x 1,800 lookups, 73 ms
    against 39 ms for reading the learners' memories)."""
    shown = {row[0] for row in catalogue.rows}
    memories = (
        QuestionMemory.objects.filter(learner_id__in=learner_ids, last_review__isnull=False)
        .annotate(last_seconds=EpochSeconds("last_review"))
        .values_list("learner_id", "question_id", "stability", "last_seconds", "failures", "reps")
        .order_by()
    )
    return [memory for memory in memories if memory[1] in shown]


def retrievabilities(learner_ids: list[int], memories: list[tuple], now: datetime, saved=None) -> tuple[dict, dict]:
    """(learner, question) -> FSRS retrievability now, with each learner's own scheduler (one query for the
    learners' settings, unless `saved` has them)."""
    if saved is None:
        saved = {s.learner_id: s for s in LearnerSettings.objects.filter(learner_id__in=learner_ids)}
    curves = {pk: ForgettingCurve.of(saved.get(pk, LearnerSettings()).scheduler(), now) for pk in learner_ids}
    recall = {}
    for learner_id, question_id, stability, last_review, *_ in memories:
        recall[(learner_id, question_id)] = curves[learner_id].recall(stability, last_review)
    return recall, {pk: saved.get(pk, LearnerSettings()).desired_retention for pk in learner_ids}


def _mastery(result: ClassProgress, learner_ids, assignments, now, memories, catalogue, recall, settings) -> None:
    if memories is None and catalogue is None and len(learner_ids) == 1:
        catalogue, memories = Catalogue.read_with_memories(learner_ids[0])
    elif memories is None:
        catalogue = catalogue or Catalogue.read()
        memories = read_memories(learner_ids, catalogue)
    result.memories = memories
    recall, retention = recall or retrievabilities(learner_ids, memories, now, settings)
    scopes = (catalogue or Catalogue.read()).scope_ids(assignments)
    for a in assignments:
        scope = scopes[a.pk]
        for learner_id in learner_ids:
            goal = retention[learner_id]
            seen = [recall[(learner_id, q)] for q in scope if (learner_id, q) in recall]
            mastered = sum(r >= goal for r in seen)
            score = 100 * mastered / len(scope) if scope else None
            detail = f"{mastered} of {len(scope)} questions at {goal:.0%} recall or more"
            if scope and mastered == len(scope):
                status = Status.DONE
            elif now > a.due_at:
                status = Status.OVERDUE
            elif seen:
                status = Status.IN_PROGRESS
            else:
                status = Status.NOT_STARTED
            result.standings[(learner_id, a.pk)] = Standing(status, score, detail)


@dataclass
class ExamTally:
    """A learner's attempts at one exam assignment, counted."""

    used: int = 0
    finished: int = 0
    best: float | None = None  # the best finished attempt's share right, in percent
    open: int = 0  # in progress
    running: int = 0  # in progress and not past its deadline (and the grace period)

    def add(self, state: str, right: int, total: int, deadline, now: datetime) -> None:
        self.used += 1
        if state == ExamAttempt.State.FINISHED:
            self.finished += 1
            if total:
                self.best = max(self.best or 0.0, 100 * right / total)
        elif state == ExamAttempt.State.IN_PROGRESS:
            self.open += 1
            self.running += deadline is None or deadline + GRACE >= now


def _exams(result: ClassProgress, learner_ids, assignments, now, tallies=None) -> None:
    if tallies is None:
        rows = AssignmentAttempt.objects.filter(
            assignment__in=assignments, attempt__learner_id__in=learner_ids
        ).values_list("assignment_id", "attempt__learner_id", "attempt__state", "attempt__scored_correct",
                      "attempt__scored_total", "attempt__deadline")  # fmt: skip
        tallies = defaultdict(ExamTally)
        for assignment_id, learner_id, *attempt in rows:
            tallies[(learner_id, assignment_id)].add(*attempt, now)
    for a in assignments:
        for learner_id in learner_ids:
            mine = tallies.get((learner_id, a.pk)) or ExamTally()
            # Time up but not yet submitted by the sweeper (close_overdue_attempts): done, its score comes then.
            time_up = mine.open > mine.running
            if mine.finished or time_up:
                status = Status.DONE
            elif mine.running:
                status = Status.IN_PROGRESS
            elif now > a.due_at:
                status = Status.OVERDUE
            elif mine.used:
                status = Status.IN_PROGRESS  # abandoned attempts: started, not done
            else:
                status = Status.NOT_STARTED
            detail = f"{mine.used} of {a.max_attempts} attempt{'s' if a.max_attempts != 1 else ''} used"
            result.standings[(learner_id, a.pk)] = Standing(status, mine.best, detail, attempts_used=mine.used)


# ---------------------------------------------------------------- a few learners' counts in one query


def per_learner(rows, value) -> Coalesce | Subquery:
    """`value` (an aggregate) over `rows` of the learner of the outer query (OuterRef("pk")), as a subquery."""
    grouped = rows.order_by().values("learner").annotate(value=value).values("value")
    return Subquery(grouped) if isinstance(value, Max) else Coalesce(Subquery(grouped), 0)


def learner_counts(learner_ids, assignments, now: datetime) -> tuple[dict, dict]:
    """What compute() counts for reviews, drills and exams, for a few learners (a learner's own pages) from one
    query: the learners annotated with a subquery per count (each an index range on that learner's rows).
    Returns (counts, exam tallies) to pass to compute()."""
    annotations = {}
    for a in assignments:
        if a.kind == Assignment.Kind.REVIEW:
            mine = ReviewLog.objects.filter(
                learner=OuterRef("pk"), reviewed_at__gte=a.starts_counting, memory__question__in=scope_questions(a)
            )
            annotations[f"in_{a.pk}"] = per_learner(mine.filter(reviewed_at__lte=a.due_at), REVIEWED)
            annotations[f"all_{a.pk}"] = per_learner(mine, REVIEWED)
        elif a.kind == Assignment.Kind.EXAM:
            mine = ExamAttempt.objects.filter(learner=OuterRef("pk"), assignment_link__assignment=a.pk)
            finished = mine.filter(state=ExamAttempt.State.FINISHED)
            in_progress = mine.filter(state=ExamAttempt.State.IN_PROGRESS)
            share = Cast("scored_correct", FloatField()) * 100 / Cast("scored_total", FloatField())
            annotations[f"used_{a.pk}"] = per_learner(mine, Count("pk"))
            annotations[f"finished_{a.pk}"] = per_learner(finished, Count("pk"))
            annotations[f"best_{a.pk}"] = per_learner(finished.filter(scored_total__gt=0), Max(share))
            annotations[f"open_{a.pk}"] = per_learner(in_progress, Count("pk"))
            running = in_progress.filter(Q(deadline__isnull=True) | Q(deadline__gte=now - GRACE))
            annotations[f"running_{a.pk}"] = per_learner(running, Count("pk"))
    annotations.update(drill_subqueries([a for a in assignments if a.kind == Assignment.Kind.DRILL]))
    counts, tallies = {}, {}
    if not annotations:
        return counts, tallies
    for row in User.objects.filter(pk__in=learner_ids).order_by().values("pk", **annotations):
        for a in assignments:
            key = (row["pk"], a.pk)
            if a.kind == Assignment.Kind.REVIEW:
                counts[key] = (row[f"in_{a.pk}"], row[f"all_{a.pk}"])
            elif a.kind == Assignment.Kind.DRILL:
                counts[key] = (row[f"drill_in_{a.pk}"], row[f"drill_all_{a.pk}"])
            elif a.kind == Assignment.Kind.EXAM:
                fields = ("used", "finished", "best", "open", "running")
                tallies[key] = ExamTally(**{name: row[f"{name}_{a.pk}"] for name in fields})
    return counts, tallies
