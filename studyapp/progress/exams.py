"""A learner's practice exams as the progress dashboard reads them: the latest attempts (the score trend, a running
exam), and their scored answers tallied per exam domain (the exams' part of readiness, on the progress dashboard
and the class dashboard).
"""

from django.db.models import Count, Q

from quizzes.exams.models import ExamAttempt
from quizzes.models import Domain

RECENT_EXAMS = 3  # finished attempts the readiness estimate reads
TREND_EXAMS = 10


def with_tallies(attempts):
    """Attempts with their scored answers counted per exam domain (`<domain>_asked`, `<domain>_right`)."""
    scored = Q(questions__is_pilot=False)
    tallies = {}
    for domain in Domain:
        in_domain = scored & Q(questions__question__domain=domain.value)
        tallies[f"{_name(domain)}_asked"] = Count("questions", filter=in_domain)
        tallies[f"{_name(domain)}_right"] = Count("questions", filter=in_domain & Q(questions__correct=True))
    return attempts.annotate(**tallies)


def _name(domain: Domain) -> str:
    return domain.value.replace("-", "_")


def recent_attempts(learner) -> list[ExamAttempt]:
    """The learner's latest attempts, in progress or finished (abandoned ones say nothing), newest first, each
    with its answers tallied per domain: one query."""
    attempts = (
        ExamAttempt.objects.of(learner)
        .exclude(state=ExamAttempt.State.ABANDONED)
        .only("pk", "title", "state", "started_at", "finished_at", "deadline", "scaled_score", "passed", "scored_total")
        .order_by("-started_at")
    )
    return list(with_tallies(attempts)[: TREND_EXAMS + 1])


def domain_answers(attempts: list[ExamAttempt]) -> dict[str, tuple[int, int]]:
    """Scored answers per exam domain over these tallied attempts: domain -> (right, asked)."""
    answers = {}
    for domain in Domain:
        asked = sum(getattr(a, f"{_name(domain)}_asked") for a in attempts)
        if asked:
            answers[domain.value] = (sum(getattr(a, f"{_name(domain)}_right") for a in attempts), asked)
    return answers


def exam_domains(attempt_ids: list[int]) -> dict[str, tuple[int, int]]:
    """Scored answers per exam domain over these attempts: domain -> (right, asked)."""
    if not attempt_ids:
        return {}
    return domain_answers(list(with_tallies(ExamAttempt.objects.filter(pk__in=attempt_ids))))
