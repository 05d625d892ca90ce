"""Item statistics of one class: the same columns as stats.py, computed from the answers of the class's
learners only (their study ratings and finished practice exams), straight from the history rather than from
the anonymous tallies, which keep no learner. A class is small, so the subqueries stay cheap.

An instructor sees a learner's data only for what the class assigns: the questions of its study and exam
assignments' scopes (assigned_questions()); the bank's other questions are left out, answers and all.

Discrimination and Cronbach's alpha need many exam attempts: a class view leaves them out."""

from django.db.models import Count, F, FloatField, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, NullIf

from quizzes.exams.models import AttemptQuestion, ExamAttempt
from quizzes.itemstats import stats
from quizzes.models import Bank, Choice, Flag, Question, ReviewLog


def assigned_questions(classroom) -> Q:
    """The questions the class's study and exam assignments are about (a drill is about scenarios, not questions),
    as a filter on questions: nothing when the class assigns no questions. One query (the assignments).

    Their scopes as standing.scope_questions() reads them, retired questions included: their answers stay
    the class's statistics, as the bank's own page keeps them."""
    from quizzes.classes.models import Assignment
    from quizzes.classes.standing import scope_filter

    scope = Q(pk__in=[])
    for assignment in classroom.assignments.exclude(kind=Assignment.Kind.DRILL):
        one = Q(bank_id=assignment.bank_id) if assignment.bank_id else Q()
        if assignment.category or assignment.topics:
            through = Question.services.through.objects.filter(scope_filter(assignment, "service"))
            one &= Q(pk__in=through.values("question"))
        if not one:  # the whole catalogue (a preset exam)
            return Q()
        scope |= one
    return scope


def _per_question(rows, expression):
    """A per-question aggregate of `rows` (a queryset filtered on OuterRef("pk")) as an integer, 0 when none."""
    value = rows.order_by().values("q").annotate(v=expression).values("v")
    return Coalesce(Subquery(value, output_field=IntegerField()), 0)


def annotated_questions(bank: Bank, learners, scope: Q) -> QuerySet[Question]:
    """The bank's questions within `scope` (assigned_questions()) with stats.annotated_questions()'s
    annotations, over these learners' answers."""
    study = ReviewLog.objects.filter(learner__in=learners, memory__question=OuterRef("pk")).annotate(
        q=F("memory__question")
    )
    exam = AttemptQuestion.objects.filter(
        question=OuterRef("pk"), attempt__learner__in=learners, attempt__state=ExamAttempt.State.FINISHED,
        is_pilot=False,
    ).annotate(q=F("question"))  # fmt: skip
    flags = Flag.objects.filter(question=OuterRef("pk"), learner__in=learners, resolved_at__isnull=True).annotate(
        q=F("question")
    )
    questions = Question.objects.filter(scope, bank=bank).annotate(
        study_attempts=_per_question(study, Count("pk")),
        study_correct=_per_question(study, Count("pk", filter=Q(correct=True))),
        study_current=_per_question(study, Count("pk", filter=Q(revision=OuterRef("revision")))),
        study_ms=_per_question(study, Sum("response_ms")),
        exam_attempts=_per_question(exam, Count("pk")),
        exam_correct=_per_question(exam, Count("pk", filter=Q(correct=True))),
        exam_current=_per_question(exam, Count("pk", filter=Q(revision=OuterRef("revision")))),
        open_flags=_per_question(flags, Count("pk")),
    )
    return questions.annotate(
        attempts=F("study_attempts") + F("exam_attempts"),
        correct=F("study_correct") + F("exam_correct"),
        current_attempts=F("study_current") + F("exam_current"),
        facility=100.0 * Cast(F("correct"), FloatField()) / NullIf(Cast(F("attempts"), FloatField()), Value(0.0)),
        avg_ms=Cast(F("study_ms"), FloatField()) / NullIf(Cast(F("study_attempts"), FloatField()), Value(0.0)),
        discrimination=Value(None, output_field=FloatField()),
    )


def question_stats(questions: list[Question], learners) -> list[stats.QuestionStat]:
    """Rows as stats.question_stats() builds them, with the picks of these learners' answers to the current
    revision (2 queries for the answers, 1 for the choices)."""
    revision = {q.pk: q.revision for q in questions}
    picks: dict[tuple[int, int], int] = {}
    answers = list(
        ReviewLog.objects.filter(learner__in=learners, memory__question__in=list(revision)).values_list(
            "memory__question", "revision", "answer"
        )
    ) + list(
        AttemptQuestion.objects.filter(
            attempt__learner__in=learners, attempt__state=ExamAttempt.State.FINISHED, question__in=list(revision)
        ).values_list("question", "revision", "answer")
    )
    for question_id, answered_revision, keys in answers:
        if answered_revision == revision[question_id]:
            for key in keys or []:
                picks[(question_id, key)] = picks.get((question_id, key), 0) + 1
    by_question: dict[int, list[Choice]] = {}
    for choice in Choice.objects.filter(question__in=list(revision)).only("question_id", "key", "text", "correct"):
        by_question.setdefault(choice.question_id, []).append(choice)
    rows = []
    for question in questions:
        answered = question.current_attempts
        choices = [
            stats.ChoiceStat(
                c.key, c.text, c.correct, (n := picks.get((question.pk, c.key), 0)),
                round(100 * n / answered, 1) if answered else None,
            )
            for c in sorted(by_question.get(question.pk, []), key=lambda c: c.key)
        ]  # fmt: skip
        rows.append(stats.QuestionStat(question, choices, stats.problems(question, choices)))
    return rows


def bank_summary(bank: Bank, learners, scope: Q) -> stats.BankSummary:
    """The figures of the bank's questions within `scope` over these learners' answers (no reliability: too few
    attempts in a class)."""
    # Summed here, not by aggregate(): PostgreSQL cannot aggregate over these subquery annotations by alias.
    rows = list(annotated_questions(bank, learners, scope).values_list("study_attempts", "exam_attempts", "correct"))
    totals = {
        "questions": len(rows),
        "study": sum(row[0] for row in rows),
        "exam": sum(row[1] for row in rows),
        "correct": sum(row[2] for row in rows),
    }
    exams = ExamAttempt.objects.filter(
        learner__in=learners,
        state=ExamAttempt.State.FINISHED,
        questions__question__in=Question.objects.filter(scope, bank=bank).values("pk"),
    ).distinct()
    return stats.BankSummary(
        questions=totals["questions"] or 0,
        study_answers=totals["study"] or 0,
        exam_answers=totals["exam"] or 0,
        correct=totals["correct"] or 0,
        exam_attempts=exams.count(),
        mean_score=None,
        alpha=None,
        alpha_items=None,
        alpha_attempts=0,
    )
