"""Benchmark data for the trainer (registered in bench/seeders.py): a learner with 5,000 answers.

Idempotent: the history is created once, and an unanswered round (for the round page) only when none is left.
"""

import random
from datetime import timedelta

from django.utils import timezone

from quizzes.scheduling import Rating
from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory

HISTORY_ANSWERS = 5_000
ROUND_SIZE = 10
OPEN_ROUNDS = 1


def seed(learner) -> dict:
    scenarios = list(Scenario.objects.active().values_list("pk", "answer_key", "why_not_md"))
    if not scenarios:
        raise RuntimeError("load_content must run before the trainer bench seed (no scenarios loaded)")
    now = timezone.now()
    memories = _memories(learner, [pk for pk, _, _ in scenarios], now)
    answered = RoundItem.objects.filter(learner=learner, answered_at__isnull=False).count()
    if answered < HISTORY_ANSWERS:
        _history(learner, scenarios, memories, HISTORY_ANSWERS - answered, now)
    open_rounds = list(
        Round.objects.filter(learner=learner, finished_at__isnull=True, items__answered_at__isnull=True)
        .distinct()
        .values_list("pk", flat=True)
    )
    if len(open_rounds) < OPEN_ROUNDS:
        open_rounds += _open_rounds(learner, scenarios, memories, OPEN_ROUNDS - len(open_rounds), now)
    return {"trainer_round": min(open_rounds)}


def _memories(learner, scenario_ids: list[int], now) -> dict[int, int]:
    ScenarioMemory.objects.bulk_create(
        [ScenarioMemory(learner=learner, scenario_id=pk, due=now) for pk in scenario_ids], ignore_conflicts=True
    )
    return dict(ScenarioMemory.objects.filter(learner=learner).values_list("scenario_id", "pk"))


def _history(learner, scenarios, memories: dict[int, int], count: int, now) -> None:
    """Finished rounds whose answers are 70 % right, the wrong ones picked among each scenario's distractors."""
    rng = random.Random(5)
    rounds = Round.objects.bulk_create(
        Round(
            learner=learner,
            size=ROUND_SIZE,
            started_at=now - timedelta(days=200, minutes=-i),
            finished_at=now - timedelta(days=200, minutes=-i - 5),
            duration_ms=300_000,
        )
        for i in range(-(-count // ROUND_SIZE))
    )
    items = []
    for index in range(count):
        pk, expected, why_not = rng.choice(scenarios)
        chosen = expected if rng.random() < 0.7 else rng.choice(sorted(why_not))
        round_ = rounds[index // ROUND_SIZE]
        items.append(
            RoundItem(
                round=round_,
                learner=learner,
                position=index % ROUND_SIZE + 1,
                scenario_id=pk,
                memory_id=memories[pk],
                answered_at=round_.finished_at,
                chosen=chosen.split("+"),
                chosen_key=chosen,
                expected_key=expected,
                correct=chosen == expected,
                response_ms=20_000,
                rating=(Rating.Good if chosen == expected else Rating.Again).value,
            )
        )
    RoundItem.objects.bulk_create(items, batch_size=1000)
    for index, item in enumerate(items):
        rounds[index // ROUND_SIZE].score += item.correct
    Round.objects.bulk_update(rounds, ["score"], batch_size=500)


def _open_rounds(learner, scenarios, memories: dict[int, int], count: int, now) -> list[int]:
    rng = random.Random()
    rounds = Round.objects.bulk_create(Round(learner=learner, size=ROUND_SIZE, started_at=now) for _ in range(count))
    RoundItem.objects.bulk_create(
        (
            RoundItem(round=round_, learner=learner, position=position, scenario_id=pk, memory_id=memories[pk])
            for round_ in rounds
            for position, (pk, _, _) in enumerate(rng.sample(scenarios, ROUND_SIZE), start=1)
        ),
        batch_size=1000,
    )
    return [round_.pk for round_ in rounds]
