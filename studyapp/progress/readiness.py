"""Exam readiness: an estimate per CLF-C02 domain and overall, from memory state and recent exams.

The rule, shown to the learner as written here:

1. Memory: for a domain's questions, the chance to answer one drawn at random right now. A question
   seen before counts with its FSRS retrievability (the predicted chance to recall it today); a question
   never seen counts as a guess among four options (25 %).
2. Exams: the share of scored questions of that domain answered right in the last three finished
   practice exams.
3. A domain's readiness is 60 % exams + 40 % memory when the recent exams asked at least 5 of its
   questions, memory alone otherwise. A domain with no question seen and fewer than 5 exam answers
   has no estimate.
4. Overall: the domains' readiness weighted by the exam's domain weights (24/30/34/12 %), over the
   domains that have an estimate; mapped to the 100-1000 scale like a practice exam (72 % ~ 700).

The weakest services rank the same memory estimate per service, averaged with the scenario trainer's
accuracy on that service when the learner has answered at least 5 of its scenarios.
"""

from dataclasses import dataclass

from quizzes.exams.blueprint import DOMAIN_WEIGHTS
from quizzes.exams.scoring import scaled_score
from quizzes.models import Domain

GUESS = 0.25
EXAM_SHARE = 0.6
MIN_EXAM_ANSWERS = 5
MIN_TRAINER_ANSWERS = 5
WEAKEST = 3


def memory_estimate(questions: int, seen: int, recall_sum: float) -> float | None:
    """Expected share right on a random question of the group: recall for seen ones, a guess for the rest."""
    if not questions:
        return None
    return (recall_sum + (questions - seen) * GUESS) / questions


@dataclass
class DomainReadiness:
    key: str
    name: str
    weight: int  # percent of the real exam
    memory: float | None
    exam: float | None
    exam_answers: int
    questions: int
    seen: int

    @property
    def estimate(self) -> float | None:
        if self.exam is not None and self.exam_answers >= MIN_EXAM_ANSWERS:
            memory = self.memory if self.memory is not None else self.exam
            return EXAM_SHARE * self.exam + (1 - EXAM_SHARE) * memory
        return self.memory if self.seen else None


@dataclass
class Readiness:
    domains: list[DomainReadiness]

    @property
    def overall(self) -> float | None:
        known = [(d.weight, d.estimate) for d in self.domains if d.estimate is not None]
        total = sum(weight for weight, _ in known)
        if not total:
            return None
        return sum(weight * estimate for weight, estimate in known) / total

    @property
    def scaled(self) -> int | None:
        overall = self.overall
        return None if overall is None else scaled_score(round(overall * 1000), 1000)

    @property
    def likely_pass(self) -> bool:
        return self.scaled is not None and self.scaled >= 700

    @property
    def missing(self) -> list[str]:
        """Domains without an estimate: the overall figure does not cover them."""
        return [d.name for d in self.domains if d.estimate is None]


def estimate(domain_coverage: dict, exam_answers: dict[str, tuple[int, int]]) -> Readiness:
    """domain_coverage: domain key -> object with questions, seen, recall_sum; exam_answers: key -> (right, asked)."""
    domains = []
    for domain in Domain:
        coverage = domain_coverage.get(domain.value)
        questions, seen, recall_sum = (
            (coverage.questions, coverage.seen, coverage.recall_sum) if coverage else (0, 0, 0.0)
        )
        right, asked = exam_answers.get(domain.value, (0, 0))
        domains.append(
            DomainReadiness(
                key=domain.value,
                name=domain.label,
                weight=DOMAIN_WEIGHTS[domain],
                memory=memory_estimate(questions, seen, recall_sum),
                exam=right / asked if asked else None,
                exam_answers=asked,
                questions=questions,
                seen=seen,
            )
        )
    return Readiness(domains)


@dataclass
class ServiceStanding:
    service: object  # quizzes.models.Service
    questions: int
    seen: int
    memory: float | None
    trainer_right: int
    trainer_asked: int
    recall: float | None = None  # average retrievability of the questions seen
    partner: object | None = None  # the service the learner confuses it with most (for a drill)

    @property
    def seen_share(self) -> float:
        return self.seen / self.questions if self.questions else 0.0

    @property
    def trainer(self) -> float | None:
        return self.trainer_right / self.trainer_asked if self.trainer_asked else None

    @property
    def score(self) -> float:
        """Lower is weaker: the memory estimate, averaged with trainer accuracy when there is enough of it."""
        memory = self.memory if self.memory is not None else GUESS
        if self.trainer_asked >= MIN_TRAINER_ANSWERS:
            return (memory + self.trainer) / 2
        return memory


@dataclass
class CategoryStanding:
    category: object  # quizzes.models.Category
    questions: int
    seen: int
    recall: float | None
    topics: list[ServiceStanding]  # the category's topics that have questions

    @property
    def seen_share(self) -> float:
        return self.seen / self.questions if self.questions else 0.0


def weakest(standings: list[ServiceStanding], limit: int = WEAKEST) -> list[ServiceStanding]:
    """The services to work on next: lowest score first; only services with questions to study."""
    candidates = [s for s in standings if s.questions]
    return sorted(candidates, key=lambda s: (s.score, s.service.order))[:limit]
