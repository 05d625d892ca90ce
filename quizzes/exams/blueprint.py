"""Which questions an exam draws: the blueprint.

1. The pool: active questions of the chosen services (all when none is chosen) and source
   ("all"; "unseen": never studied nor met in a finished exam; "missed": answered wrong in study or in an
   exam; "flagged": flagged by the learner in study or marked in an exam).
2. Domains: the CLF-C02 weights (Cloud Concepts 24 %, Security and Compliance 30 %, Cloud Technology and
   Services 34 %, Billing, Pricing and Support 12 %) set how many questions each domain gets (largest
   remainder); a domain with too few questions gives its shortfall to the others in proportion to their
   weights.
3. Services: within a domain, questions are drawn round-robin across services (a question counts for its
   first service), in random order, so no service crowds out the others.
4. No question twice, and options shuffled per attempt. With "pilot questions", round(count x 15/65)
   randomly chosen questions are unscored and unmarked, like the real exam's 15 of 65.
"""

import random
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from quizzes.models import Domain, Flag, Question, QuestionMemory

DOMAIN_WEIGHTS = {
    Domain.CLOUD_CONCEPTS: 24,
    Domain.SECURITY: 30,
    Domain.TECHNOLOGY: 34,
    Domain.BILLING: 12,
}
SOURCES = {
    "all": "All questions",
    "unseen": "Questions I have not seen",
    "missed": "Questions I missed before",
    "flagged": "Questions I flagged",
}
PILOT_SHARE = (15, 65)


def pool(learner, services: list[str], source: str, banks: list[str] | None = None):
    """The questions an exam with these settings may draw from (of these banks only, when named)."""
    from quizzes.exams.models import AttemptQuestion, ExamAttempt

    questions = Question.objects.active()
    if banks:
        questions = questions.filter(bank__slug__in=banks)
    if services:
        questions = questions.in_scope(services)
    if learner is None or source == "all":
        return questions
    mine_in_exams = AttemptQuestion.objects.filter(
        attempt__learner=learner, attempt__state=ExamAttempt.State.FINISHED, question=OuterRef("pk")
    )
    if source == "unseen":
        studied = QuestionMemory.objects.filter(learner=learner, question=OuterRef("pk"), last_review__isnull=False)
        return questions.exclude(Exists(studied)).exclude(Exists(mine_in_exams))
    if source == "missed":
        # The ids the learner got wrong, from their side: their memories with a wrong answer, and the scored wrong
        # answers of their finished exams. A memory counts its wrong answers itself (`failures`: a wrong answer is
        # its only Again rating, an undo takes it back, a guest merge adds both sides'), so the review log is not
        # read: 1.0 ms less per exam home (2.8 -> 1.7 ms on SQLite, 2.9 -> 2.0 on PostgreSQL, bench data).
        # A test per question (EXISTS) read every active question: 19.6 ms for 10,000 questions on SQLite.
        in_study = QuestionMemory.objects.filter(learner=learner, failures__gt=0).values("question_id")
        in_exams = AttemptQuestion.objects.filter(
            attempt__learner=learner,
            attempt__state=ExamAttempt.State.FINISHED,
            correct=False,
            is_pilot=False,
        ).values("question_id")
        return questions.filter(pk__in=in_study.order_by().union(in_exams.order_by()))
    if source == "flagged":
        flagged = Flag.objects.filter(learner=learner, question=OuterRef("pk"))
        return questions.filter(Exists(flagged) | Exists(mine_in_exams.filter(flagged=True)))
    raise ValueError(source)


def domain_targets(count: int, available: dict[str, int]) -> dict[str, int]:
    """How many questions each domain gets: weights by largest remainder, capped by what exists."""
    targets = {domain: 0 for domain in DOMAIN_WEIGHTS}
    remaining = min(count, sum(available.values()))
    open_domains = {d for d in DOMAIN_WEIGHTS if available.get(d, 0) > 0}
    while remaining > 0 and open_domains:
        weight_sum = sum(DOMAIN_WEIGHTS[d] for d in open_domains)
        shares = {d: remaining * DOMAIN_WEIGHTS[d] / weight_sum for d in open_domains}
        whole = {d: int(shares[d]) for d in open_domains}
        leftover = remaining - sum(whole.values())
        for d in sorted(open_domains, key=lambda d: shares[d] - whole[d], reverse=True)[:leftover]:
            whole[d] += 1
        for d in list(open_domains):
            room = available[d] - targets[d]
            take = min(room, whole[d])
            targets[d] += take
            remaining -= take
            if targets[d] >= available[d]:
                open_domains.discard(d)
    return targets


@dataclass(frozen=True)
class Candidate:
    """A question of the pool as the draw needs it."""

    pk: int
    domain: str
    primary_service: int | str | None  # its first service (any identifier): the draw rotates on it within a domain


def draw(questions: list[Candidate], count: int, rng: random.Random) -> list[Candidate]:
    """Pick `count` questions by the blueprint (see the module docstring), in exam order."""
    by_domain: dict[str, dict[int | str, list[Candidate]]] = defaultdict(lambda: defaultdict(list))
    for question in questions:
        service = question.primary_service
        by_domain[question.domain][service or ""].append(question)
    available = {domain: sum(len(qs) for qs in services.values()) for domain, services in by_domain.items()}
    targets = domain_targets(count, available)
    picked: list[Question] = []
    for domain, target in targets.items():
        services = by_domain.get(domain, {})
        lanes = [rng.sample(qs, len(qs)) for qs in services.values()]
        rng.shuffle(lanes)
        taken = 0
        while taken < target:
            for lane in lanes:
                if lane and taken < target:
                    picked.append(lane.pop())
                    taken += 1
    rng.shuffle(picked)
    return picked


def pilot_count(count: int) -> int:
    return round(count * PILOT_SHARE[0] / PILOT_SHARE[1])
