"""A synthetic review history whose memory follows known FSRS-6 parameters (the fit's bench and tests).

The learner is scheduled as the app does by default (fsrs's default parameters, no fuzz) but remembers as
TRUE_PARAMETERS say: at each review the question is recalled with the probability the true parameters give,
then rated Hard/Good/Easy, else Again. A fit that works recovers parameters predicting these reviews better
than the defaults. Written as the app writes them: one QuestionMemory per question, its append-only ReviewLog
rows with the `before` snapshots undo restores.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from fsrs import Card, Rating, Scheduler

# A learner whose memories strengthen more slowly after each successful review than FSRS-6's defaults assume
# (w8-w10), so the default intervals grow too fast for them.
TRUE_PARAMETERS = (
    0.1, 0.6, 1.5, 5.0, 6.6, 0.7, 2.6, 0.01, 1.0, 0.1, 0.5, 1.8, 0.09, 0.35, 1.9, 0.5, 2.2, 0.6, 0.1, 0.1, 0.3,
)  # fmt: skip
SPAN_DAYS = 400


@dataclass
class Rated:
    question: int  # index into the questions given
    at: datetime
    rating: int
    before: Card
    after: Card


def history(reviews: int, now: datetime, seed: int = 7, parameters=TRUE_PARAMETERS) -> list[list[Rated]]:
    """About `reviews` ratings over the SPAN_DAYS before `now`, eight per question on average; per question,
    oldest first."""
    rng = random.Random(seed)
    truth = Scheduler(parameters=parameters, learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    shown_by = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    start = now - timedelta(days=SPAN_DAYS)
    out, total = [], 0
    for question in range(max(1, reviews // 8) * 2):
        at = start + timedelta(days=rng.randrange(SPAN_DAYS // 2), minutes=rng.randrange(600))
        shown, true, rated = Card(card_id=question + 1), Card(card_id=question + 1), []
        while at <= now and total < reviews:
            if not rated:
                rating = rng.choices([1, 2, 3, 4], [0.25, 0.1, 0.55, 0.1])[0]
            elif rng.random() < truth.get_card_retrievability(true, at):
                rating = rng.choices([2, 3, 4], [0.15, 0.75, 0.1])[0]
            else:
                rating = 1
            after, _ = shown_by.review_card(shown, Rating(rating), at)
            true, _ = truth.review_card(true, Rating(rating), at)
            rated.append(Rated(question, at, rating, shown, after))
            shown, total = after, total + 1
            at = shown.due + timedelta(minutes=rng.randrange(600))
        if rated:
            out.append(rated)
        if total >= reviews:
            break
    return out


def seed_learner(learner, question_ids: list[int], reviews: int, now: datetime, seed: int = 7) -> int:
    """Write the synthetic history of `learner` over the given questions (one per question history; fewer
    histories than questions needed). Returns the number of reviews written."""
    from quizzes.models import QuestionMemory, ReviewLog

    histories = history(reviews, now, seed)
    if len(histories) > len(question_ids):
        raise ValueError(f"{len(histories)} questions needed, {len(question_ids)} given")
    memories = QuestionMemory.objects.bulk_create(
        _memory(learner, question_ids[n], rated) for n, rated in enumerate(histories)
    )
    logs = []
    for memory, rated in zip(memories, histories, strict=True):
        for seq, r in enumerate(rated):
            logs.append(
                ReviewLog(
                    learner=learner, memory=memory, seq=seq, revision=1, rating=r.rating, shown=[1, 2, 3, 4],
                    answer=[1] if r.rating > 1 else [2], correct=r.rating > 1, response_ms=5000, reviewed_at=r.at,
                    before=_snapshot(r.before, seq, sum(1 for x in rated[:seq] if x.rating == 1), rated[0].at),
                    scheduled_due=r.after.due,
                )
            )  # fmt: skip
    ReviewLog.objects.bulk_create(logs, batch_size=2000)
    return len(logs)


def _memory(learner, question_id: int, rated: list[Rated]):
    from quizzes.models import QuestionMemory

    last = rated[-1].after
    return QuestionMemory(
        learner=learner, question_id=question_id, state=last.state.value, step=last.step, stability=last.stability,
        difficulty=last.difficulty, due=last.due, last_review=last.last_review, introduced_at=rated[0].at,
        reps=len(rated), failures=sum(1 for r in rated if r.rating == 1), version=len(rated),
    )  # fmt: skip


def _snapshot(card: Card, reps: int, failures: int, introduced: datetime) -> dict:
    return {
        "state": card.state.value,
        "step": card.step,
        "stability": card.stability,
        "difficulty": card.difficulty,
        "due": card.due.isoformat(),
        "last_review": card.last_review.isoformat() if card.last_review else None,
        "reps": reps,
        "failures": failures,
        "leech": False,
        "introduced_at": introduced.isoformat() if reps else None,
    }
