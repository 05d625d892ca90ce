"""Reading the tallies: per-question rows (sortable in the database), per-bank summary, problems.

Every figure is computed by the database from the pre-aggregated tallies (tallies.py), so a page costs
the same few queries whether the bank has ten answers or a million.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, FloatField, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, NullIf, Sqrt

from quizzes.itemstats.models import ChoiceTally, FormTally, Source
from quizzes.models import Bank, Choice, Flag, Question

# Below this many answers a facility, an unpicked distractor or a discrimination says more about chance
# than about the question, so none is reported as a problem.
ENOUGH_ANSWERS = 30
# Cronbach's alpha needs this many exam attempts of the same length on the bank.
ENOUGH_ATTEMPTS = 30
TOO_HARD = 20.0  # facility (% correct) below this is a problem
TOO_EASY = 95.0  # and above this

# Sortable columns: GET value -> the annotation it orders by.
SORTS = {
    "position": "position",
    "question": "external_id",
    "attempts": "attempts",
    "facility": "facility",
    "discrimination": "discrimination",
    "time": "avg_ms",
    "flags": "open_flags",
}


def _float(expression):
    return Cast(expression, FloatField())


def _sum(column: str, source: str | None = None, **extra):
    condition = Q(**{f"tallies__{key}": value for key, value in extra.items()})
    if source:
        condition &= Q(tallies__source=source)
    return Coalesce(Sum(f"tallies__{column}", filter=condition or None), 0)


def annotated_questions(bank: Bank) -> QuerySet[Question]:
    """The bank's questions with their statistics as annotations (one GROUP BY over the tallies)."""
    open_flags = (
        Flag.objects.filter(question=OuterRef("pk"), resolved_at__isnull=True)
        .order_by()
        .values("question")
        .annotate(count=Count("pk"))
        .values("count")
    )
    questions = Question.objects.filter(bank=bank).annotate(
        attempts=_sum("attempts"),
        correct=_sum("correct"),
        current_attempts=_sum("attempts", revision=F("revision")),
        study_attempts=_sum("attempts", Source.STUDY),
        study_ms=_sum("total_ms", Source.STUDY),
        exam_attempts=_sum("attempts", Source.EXAM),
        exam_correct=_sum("correct", Source.EXAM),
        rest=_sum("rest_sum", Source.EXAM),
        rest_sq=_sum("rest_sq_sum", Source.EXAM),
        item_rest=_sum("item_rest_sum", Source.EXAM),
        open_flags=Coalesce(Subquery(open_flags, output_field=IntegerField()), 0),
    )
    # Item-rest correlation (Pearson) from the sums; NULL when either side has no variance.
    n, x, r = _float(F("exam_attempts")), _float(F("exam_correct")), _float(F("rest"))
    spread = NullIf((n * x - x * x) * (n * _float(F("rest_sq")) - r * r), Value(0.0))
    return questions.annotate(
        facility=100.0 * _float(F("correct")) / NullIf(_float(F("attempts")), Value(0.0)),
        avg_ms=_float(F("study_ms")) / NullIf(_float(F("study_attempts")), Value(0.0)),
        discrimination=(n * _float(F("item_rest")) - x * r) / Sqrt(spread),
    )


def ordered(questions: QuerySet[Question], sort: str) -> QuerySet[Question]:
    """Order by a SORTS key, "-" first for descending; unknown values raise KeyError."""
    descending = sort.startswith("-")
    column = F(SORTS[sort.removeprefix("-")])
    first = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    return questions.order_by(first, "position", "pk")


@dataclass
class ChoiceStat:
    key: int
    text: str
    correct: bool
    picks: int
    percent: float | None


@dataclass
class QuestionStat:
    question: Question
    choices: list[ChoiceStat] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def avg_seconds(self) -> float | None:
        return None if self.question.avg_ms is None else self.question.avg_ms / 1000


def question_stats(questions: list[Question]) -> list[QuestionStat]:
    """Rows for annotated questions: their current choices with picks, and each problem's reason (1 query)."""
    picks = ChoiceTally.objects.filter(
        question_id=OuterRef("question_id"), revision=OuterRef("question__revision"), key=OuterRef("key")
    ).values("picks")[:1]
    by_question: dict[int, list[Choice]] = {}
    for choice in (
        Choice.objects.filter(question__in=[q.pk for q in questions])
        .annotate(picks=Coalesce(Subquery(picks), 0))
        .only("question_id", "key", "text", "correct")
        .order_by("question_id", "key")
    ):
        by_question.setdefault(choice.question_id, []).append(choice)
    rows = []
    for question in questions:
        answered = question.current_attempts
        choices = [
            ChoiceStat(c.key, c.text, c.correct, c.picks, round(100 * c.picks / answered, 1) if answered else None)
            for c in by_question.get(question.pk, [])
        ]
        rows.append(QuestionStat(question, choices, problems(question, choices)))
    return rows


def problems(question: Question, choices: list[ChoiceStat]) -> list[str]:
    """Why an annotated question needs an instructor's look (empty when nothing stands out)."""
    found = []
    if question.attempts >= ENOUGH_ANSWERS and question.facility < TOO_HARD:
        found.append(f"Very hard: only {question.facility:.0f} % of {question.attempts} answers are right.")
    if question.attempts >= ENOUGH_ANSWERS and question.facility > TOO_EASY:
        found.append(f"Very easy: {question.facility:.0f} % of {question.attempts} answers are right.")
    if question.exam_attempts >= ENOUGH_ANSWERS and question.discrimination is not None and question.discrimination < 0:
        found.append(
            f"Negative discrimination ({question.discrimination:.2f}): stronger candidates get it wrong more often."
        )
    if question.current_attempts >= ENOUGH_ANSWERS:
        for choice in choices:
            if not choice.correct and choice.picks == 0:
                found.append(f"Nobody picks option {choice.key} in {question.current_attempts} answers.")
    return found


def problematic_question_ids(bank: Bank) -> set[int]:
    """Ids of the bank's questions with at least one problem (the same rules as problems()), in two queries."""
    questions = annotated_questions(bank)
    enough = Q(attempts__gte=ENOUGH_ANSWERS) & (Q(facility__lt=TOO_HARD) | Q(facility__gt=TOO_EASY))
    negative = Q(exam_attempts__gte=ENOUGH_ANSWERS, discrimination__lt=0)
    found = set(questions.filter(enough | negative).values_list("pk", flat=True))
    picked = ChoiceTally.objects.filter(
        question_id=OuterRef("question_id"), revision=OuterRef("question__revision"), key=OuterRef("key"), picks__gt=0
    )
    unpicked = Choice.objects.filter(question__bank=bank, correct=False).exclude(Exists(picked)).values("question_id")
    found |= set(questions.filter(pk__in=unpicked, current_attempts__gte=ENOUGH_ANSWERS).values_list("pk", flat=True))
    return found


@dataclass
class BankSummary:
    questions: int
    study_answers: int
    exam_answers: int
    correct: int
    exam_attempts: int  # finished exam attempts that held at least one scored question of the bank
    mean_score: float | None  # % right on the bank's scored questions over those attempts
    alpha: float | None
    alpha_items: int | None  # the test length alpha was computed for
    alpha_attempts: int  # how many attempts of that length

    @property
    def answers(self) -> int:
        return self.study_answers + self.exam_answers

    @property
    def facility(self) -> float | None:
        return round(100 * self.correct / self.answers, 1) if self.answers else None


def bank_summary(bank: Bank) -> BankSummary:
    """Bank-wide figures (2 queries)."""
    exam = Q(tallies__source=Source.EXAM)
    attempts, correct = F("tallies__attempts"), F("tallies__correct")
    totals = Question.objects.filter(bank=bank).aggregate(
        questions=Count("pk", distinct=True),
        study=Coalesce(Sum(attempts, filter=Q(tallies__source=Source.STUDY)), 0),
        exam=Coalesce(Sum(attempts, filter=exam), 0),
        correct=Coalesce(Sum(correct), 0),
        # Σ over exam item administrations of p(1 - p): each (question, revision) row's variance times its count.
        item_variance=Coalesce(
            Sum(_float(correct) * _float(attempts - correct) / NullIf(_float(attempts), Value(0.0)), filter=exam),
            Value(0.0),
        ),
    )
    forms = list(FormTally.objects.filter(bank=bank).order_by("-attempts", "-items"))
    exam_attempts = sum(form.attempts for form in forms)
    administered = sum(form.attempts * form.items for form in forms)
    mean = round(100 * sum(form.score_sum for form in forms) / administered, 1) if administered else None
    alpha, alpha_form = None, next((form for form in forms if form.items >= 2), None)
    if alpha_form and alpha_form.attempts >= ENOUGH_ATTEMPTS and totals["exam"]:
        alpha = cronbach_alpha(alpha_form, totals["item_variance"] / totals["exam"])
    return BankSummary(
        questions=totals["questions"],
        study_answers=totals["study"],
        exam_answers=totals["exam"],
        correct=totals["correct"],
        exam_attempts=exam_attempts,
        mean_score=mean,
        alpha=alpha,
        alpha_items=alpha_form.items if alpha_form else None,
        alpha_attempts=alpha_form.attempts if alpha_form else 0,
    )


def cronbach_alpha(form: FormTally, mean_item_variance: float) -> float | None:
    """Cronbach's alpha (KR-20 for right/wrong items) of the attempts that held `form.items` questions.

    α = k/(k−1) · (1 − Σ var(item) / var(total)). Exams draw their questions at random, so the sum of
    item variances is estimated as k times the mean variance of an administered item; with a fixed set
    of questions this is exactly KR-20. Population variances throughout. None when scores do not vary.
    """
    k, n = form.items, form.attempts
    total_variance = form.score_sq_sum / n - (form.score_sum / n) ** 2
    if k < 2 or total_variance <= 1e-12:
        return None
    return k / (k - 1) * (1 - k * mean_item_variance / total_variance)
