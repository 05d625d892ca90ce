"""Benchmark data for the trainer: a learner with 5,000 answers.

Idempotent: the history is created once, and an unanswered round (for the round page) only when none is left.
"""

import random
import tempfile
from datetime import timedelta

from django.utils import timezone

from bench.seeding import CSRF_SECRET, login_session
from quizzes.study.scheduling import Rating
from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory
from studyapp.accounts.models import User

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
    User.recount_trainer_answers([learner.pk])  # written in bulk: the count the app keeps, set once
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


POST_LEARNERS = 16  # one per wrk connection; one more only the SQL count uses
POST_ROUNDS = 80  # rounds of 10 unanswered scenarios per learner: 800 fresh answer tokens each


def seed_posts(learner) -> dict:
    """Fresh answer tokens for the answer POST bench: per learner, open rounds whose items are unanswered.

    Written to a file (one line per learner: the session, then "round,token,service" triples, half right
    and half wrong answers) that bench/study_post.lua reads. Idempotent: each run starts new rounds."""
    scenarios = list(Scenario.objects.active().values_list("pk", "answer_key", "why_not_md"))
    now = timezone.now()
    lines, counting = [], None
    for index in range(POST_LEARNERS + 1):
        user, _ = User.objects.get_or_create(username=f"bench-trainer-{index}")
        memories = _memories(user, [pk for pk, _, _ in scenarios], now)
        round_ids = _open_rounds(user, scenarios, memories, POST_ROUNDS, now)
        answers = {pk: (key, sorted(why_not)) for pk, key, why_not in scenarios}
        triples = []
        items = RoundItem.objects.filter(round_id__in=round_ids).order_by("round_id", "position")
        for position, (round_id, token, scenario_id) in enumerate(items.values_list("round_id", "token", "scenario")):
            right, wrong = answers[scenario_id]
            chosen = right if position % 2 or not wrong else wrong[0]  # "a+b": both services of a pair
            triples.append(f"{round_id},{token},{chosen}")
        session = login_session(user)
        if index == POST_LEARNERS:
            counting = (session, triples[:4])
            continue
        lines.append(session + " " + " ".join(triples))
    with tempfile.NamedTemporaryFile("w", prefix="trainer-bench-answers-", suffix=".txt", delete=False) as out:
        out.write("\n".join(lines) + "\n")
    return {
        "trainer_answers_file": out.name,
        "trainer_count_session": counting[0],
        "trainer_count_answers": " ".join(counting[1]),
        "csrf_secret": CSRF_SECRET,
    }


_counting_uses = 0


def count_answer_queries(client, seed: dict):
    """One answer POST as the page sends it (htmx) with a fresh token: what the SQL count measures."""
    from bench.seeding.study import _Succeeded

    global _counting_uses
    client.cookies["sessionid"] = seed["trainer_count_session"]
    client.cookies["csrftoken"] = CSRF_SECRET
    triples = seed["trainer_count_answers"].split()
    round_id, token, service = triples[_counting_uses % len(triples)].split(",")
    _counting_uses += 1
    return lambda: _Succeeded(
        client.post(
            f"/trainer/rounds/{round_id}/answer/",
            {"token": token, "service": service.split("+")},
            secure=True,
            headers={"HX-Request": "true", "X-CSRFToken": CSRF_SECRET},
        ),
        200,
    )
