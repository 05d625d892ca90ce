"""Trainer rounds: choosing scenarios, recording answers once, and what a finished round shows.

Selection favours what the learner gets wrong: scenarios they missed come back when FSRS says they are
due, and the rest are drawn with weights that grow with the learner's error rate on the answer's
services and with the pairs they confuse. Drills on a pair mix both sides in a random split so the
learner cannot guess the answer from the order.
"""

import json
import random
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from quizzes.models import LearnerSettings, Service
from quizzes.scheduling import Rating, review
from quizzes.trainer.confusions import History, cells
from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory, answer_key
from studyapp.rows import build, convert, select_list, update_row, width

ROUND_SIZE = 10
MAX_DUE_IN_PRACTICE = 4  # due reviews mixed into a practice round; a drill of missed scenarios takes them all
FAST_MS = 8_000  # a right answer this fast in a lightning round is rated Easy
RECENT = 30  # scenarios answered this recently are drawn less often
BEST_TIMES = 5


class BadInput(Exception):
    """A request names something that does not exist (tampered or stale): the view answers 400."""


class NothingToTrain(Exception):
    """The choice is valid but has no scenarios (e.g. nothing is due): the learner gets a message."""


@dataclass
class Focus:
    """What a round is about: every service, one service, a pair, or the services of a note."""

    services: list[str] = field(default_factory=list)
    note: str = ""
    names: list[str] = field(default_factory=list)
    note_title: str = ""

    @property
    def is_pair(self) -> bool:
        return len(self.services) == 2 and not self.note

    @property
    def label(self) -> str:
        if self.note:
            return f"the note “{self.note_title}”"
        return " and ".join(self.names) if self.names else "every service"


def resolve_focus(service_keys: list[str], note_slug: str, catalogue: dict[str, Service]) -> Focus:
    """The focus named by request parameters; BadInput for an unknown service or note."""
    from studyapp.notes.models import Note

    keys = list(dict.fromkeys(key for key in service_keys if key))
    for key in keys:
        if key not in catalogue:
            raise BadInput(f"Unknown service “{key}”. Choose a service from the list.")
    if len(keys) > 2:
        raise BadInput("A round focuses on one service or a pair of services, not more.")
    if note_slug:
        if keys:
            raise BadInput("Choose either a note or services, not both.")
        note = Note.objects.filter(slug=note_slug).values_list("title", "services").first()
        if note is None:
            raise BadInput(f"Unknown note “{note_slug}”.")
        keys = [key for key in note[1] if key in catalogue]
        return Focus(keys, note_slug, [catalogue[k].name for k in keys], note_title=note[0])
    return Focus(keys, "", [catalogue[k].name for k in keys])


def learner_scheduler(learner):
    """The learner's FSRS scheduler (their desired retention from the study settings, 0.9 by default)."""
    return LearnerSettings.for_learner(learner).scheduler()


# ---------------------------------------------------------------- starting a round


def start_round(learner, kind: str, focus: Focus, now: datetime, rng: random.Random | None = None) -> Round:
    """Create a round of up to ten scenarios with their memories and one-time tokens."""
    rng = rng or random.Random()
    pool = Scenario.objects.served()  # drafts are for their author only
    if focus.services or focus.note:
        pool = pool.for_services(focus.services)
    candidates = list(pool.values_list("pk", "answer", "why_not_md"))
    if not candidates:
        raise NothingToTrain(f"There are no scenarios for {focus.label} yet.")
    due = list(
        ScenarioMemory.objects.filter(
            learner=learner, last_review__isnull=False, due__lte=now, scenario__in=[pk for pk, _, _ in candidates]
        )
        .order_by("due")
        .values_list("scenario_id", flat=True)
    )
    history = History.for_learner(learner)
    recent = set(
        RoundItem.objects.filter(learner=learner, answered_at__isnull=False)
        .order_by("-answered_at")
        .values_list("scenario_id", flat=True)[:RECENT]
    )
    weights = {pk: _weight(answer, why_not, history, pk in recent) for pk, answer, why_not in candidates}

    if kind == Round.Kind.DRILL and not focus.is_pair:
        if not due:
            raise NothingToTrain("Nothing is due for review: every scenario you missed is scheduled for later.")
        chosen = due[:ROUND_SIZE]
    elif kind == Round.Kind.DRILL:
        chosen = _pair_drill(candidates, focus.services, due, weights, rng)
    elif kind == Round.Kind.LIGHTNING:
        chosen = _weighted_sample(list(weights), weights, ROUND_SIZE, rng)
    else:
        first = due[:MAX_DUE_IN_PRACTICE]
        rest = [pk for pk in weights if pk not in first]
        chosen = first + _weighted_sample(rest, weights, ROUND_SIZE - len(first), rng)
        rng.shuffle(chosen)

    with transaction.atomic():
        round_ = Round.objects.create(
            learner=learner, kind=kind, focus=focus.services, note_slug=focus.note, size=len(chosen), started_at=now
        )
        memories = _memories(learner, chosen, now)
        RoundItem.objects.bulk_create(
            RoundItem(round=round_, learner=learner, position=position, scenario_id=pk, memory=memories[pk])
            for position, pk in enumerate(chosen, start=1)
        )
    return round_


def _weight(answer: list[str], why_not: dict, history: "History", recent: bool) -> float:
    weakness = max(history.weakness(key) for key in answer)
    confused = any(history.confused(a, b) for a in answer for b in why_not)
    weight = 1 + 3 * weakness + (2 if confused else 0)
    return weight * (0.2 if recent else 1)


def _weighted_sample(items: list[int], weights: dict[int, float], k: int, rng: random.Random) -> list[int]:
    """k distinct items, each drawn with probability proportional to its weight (Efraimidis-Spirakis)."""
    keyed = sorted(items, key=lambda pk: rng.random() ** (1 / weights[pk]), reverse=True)
    return keyed[: max(0, k)]


def _pair_drill(candidates, pair: list[str], due: list[int], weights: dict, rng: random.Random) -> list[int]:
    """Scenarios whose answer is one of the pair, in a random split of at least three per side when possible.

    Scenarios that name the other service as a wrong choice are the contrastive ones and weigh more.
    """
    a, b = pair
    side = {a: [], b: []}
    for pk, answer, why_not in candidates:
        for key, other in ((a, b), (b, a)):
            if key in answer:
                side[key].append(pk)
                if other in why_not:
                    weights[pk] *= 3
    size = min(ROUND_SIZE, len(set(side[a]) | set(side[b])))
    want_a = rng.randint(3, size - 3) if size >= 6 else size // 2
    chosen: list[int] = []
    for key, wanted in ((a, want_a), (b, size - want_a)):
        pool = [pk for pk in side[key] if pk not in chosen]
        first = [pk for pk in due if pk in pool][:wanted]
        rest = [pk for pk in pool if pk not in first]
        chosen += first + _weighted_sample(rest, weights, wanted - len(first), rng)
    if len(chosen) < size:  # one side ran short: fill from whatever is left
        leftover = [pk for pk in side[a] + side[b] if pk not in chosen]
        chosen += _weighted_sample(list(dict.fromkeys(leftover)), weights, size - len(chosen), rng)
    rng.shuffle(chosen)
    return chosen


def _memories(learner, scenario_ids: list[int], now: datetime) -> dict[int, ScenarioMemory]:
    """The learner's memory of each scenario, created unreviewed where missing."""
    existing = {m.scenario_id: m for m in ScenarioMemory.objects.filter(learner=learner, scenario__in=scenario_ids)}
    missing = [ScenarioMemory(learner=learner, scenario_id=pk, due=now) for pk in scenario_ids if pk not in existing]
    if missing:
        ScenarioMemory.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {m.scenario_id: m for m in ScenarioMemory.objects.filter(learner=learner, scenario__in=scenario_ids)}
    return existing


# ---------------------------------------------------------------- answering


@dataclass(frozen=True)
class OpenQuestion:
    """What a round page shows while a scenario awaits its answer (one query: see open_question)."""

    round_id: int
    kind: str
    size: int
    focus: str  # the round's focus as stored (JSON text): part of the page, so part of its key
    started_at: datetime
    item_id: int
    position: int
    token: str
    scenario_text_html: str
    answer_key: str


def open_question(learner_id: int, round_id: int) -> tuple[bool, OpenQuestion | None]:
    """(whether the round is the learner's, the question it waits on or None when it is finished).

    One hand-written query: the round page is the trainer's hottest read (see make bench)."""
    round_table, item_table = Round._meta.db_table, RoundItem._meta.db_table
    sql = (
        f"SELECT r.kind, r.size, r.focus, r.started_at, r.finished_at, i.id, i.position, i.token, s.text_html, "
        f"s.answer_key FROM {round_table} r "
        f"LEFT JOIN {item_table} i ON i.id = (SELECT u.id FROM {item_table} u WHERE u.round_id = r.id "
        f"AND u.answered_at IS NULL ORDER BY u.position LIMIT 1) "
        f"LEFT JOIN {Scenario._meta.db_table} s ON s.id = i.scenario_id "
        "WHERE r.id = %s AND r.learner_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [round_id, learner_id])
        row = cursor.fetchone()
    if row is None:
        return False, None
    kind, size, focus, started_at, finished_at, item_id, position, token, text_html, key = row
    if finished_at is not None or item_id is None:
        return True, None
    started_at = convert(Round._meta.get_field("started_at"), started_at)
    focus = focus if isinstance(focus, str) else json.dumps(focus)  # text on SQLite, parsed on PostgreSQL
    return True, OpenQuestion(round_id, kind, size, focus, started_at, item_id, position, token, text_html, key)


def item_for_answer(learner, round_id: int, token: str) -> RoundItem | None:
    """The item a one-time token was issued for in this learner's round, with its round, scenario, memory,
    the time of the round's previous answer and the learner's settings: one hand-written query (the answer
    POST is the trainer's hottest write, see make bench). None when the token is not of this round."""
    parts = [(RoundItem, "i", None), (Round, "r", None), (Scenario, "s", None)]
    parts += [(ScenarioMemory, "m", None), (LearnerSettings, "ls", None)]
    table = {alias: model._meta.db_table for model, alias, _ in parts}
    sql = (
        f"SELECT {', '.join(select_list(model, alias, only) for model, alias, only in parts)}, "
        f"(SELECT MAX(p.answered_at) FROM {table['i']} p WHERE p.round_id = i.round_id) "
        f"FROM {table['i']} i JOIN {table['r']} r ON r.id = i.round_id "
        f"JOIN {table['s']} s ON s.id = i.scenario_id JOIN {table['m']} m ON m.id = i.memory_id "
        f"LEFT JOIN {table['ls']} ls ON ls.learner_id = r.learner_id "
        "WHERE i.token = %s AND i.round_id = %s AND r.learner_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [token, round_id, learner.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    slices, start = [], 0
    for model, _, only in parts:
        slices.append(row[start : start + width(model, only)])
        start += width(model, only)
    item, round_, scenario, memory = (
        build(model, values, only) for (model, _, only), values in zip(parts[:4], slices[:4], strict=True)
    )
    round_.learner = learner
    # The learner's settings, or none (defaults): cached on the learner so the scheduler needs no query.
    settings = build(LearnerSettings, slices[4]) if slices[4][0] is not None else None
    LearnerSettings.remember_for(learner, settings)
    item.round, item.scenario, item.memory = round_, scenario, memory
    item.previous_answer_at = convert(RoundItem._meta.get_field("answered_at"), row[start])
    return item


def record_answer(item: RoundItem, chosen: list[str], now: datetime) -> RoundItem:
    """Record the learner's answer once: the token is spent, the memory reviewed, the round finished.

    A second submit of the same token (double click, replay, two tabs) records nothing and returns the
    item as first answered.
    """
    if item.is_answered:
        return item
    round_ = item.round
    chosen = sorted(set(chosen))
    correct = chosen == item.scenario.answer
    since = item.previous_answer_at or round_.started_at
    response_ms = max(0, int((now - since).total_seconds() * 1000))
    rating = Rating.Good if correct else Rating.Again
    if correct and round_.kind == Round.Kind.LIGHTNING and response_ms < FAST_MS:
        rating = Rating.Easy
    values = {
        "answered_at": now,
        "chosen": chosen,
        "chosen_key": answer_key(chosen),
        "expected_key": item.scenario.answer_key,
        "correct": correct,
        "response_ms": response_ms,
        "rating": rating.value,
    }
    with transaction.atomic():
        if not update_row(item, where="answered_at IS NULL", **values):  # the token is spent once
            return item_for_answer(round_.learner, round_.pk, item.token)  # answered meanwhile by another request
        memory = item.memory
        review(memory, rating, now, _scheduler_of(round_.learner), duration_ms=response_ms)
        memory.lapses += not correct
        update_row(
            memory,
            **{
                name: getattr(memory, name)
                for name in ("state", "step", "stability", "difficulty", "due", "last_review")
            },
            lapses=memory.lapses,
        )
        if item.position == round_.size:
            duration = int((now - round_.started_at).total_seconds() * 1000)
            score = RoundItem.objects.filter(round=OuterRef("pk"), correct=True).values("round").annotate(n=Count("pk"))
            Round.objects.filter(pk=round_.pk).update(  # no right answer: no group, so the count is 0, not NULL
                finished_at=now, duration_ms=duration, score=Coalesce(Subquery(score.values("n")), 0)
            )
            round_.finished_at, round_.duration_ms = now, duration
    return item


def _scheduler_of(learner):
    try:
        settings = learner.study_settings  # cached by item_for_answer() (or the user's own query)
    except LearnerSettings.DoesNotExist:
        settings = LearnerSettings(learner=learner)
    return settings.scheduler()


# ---------------------------------------------------------------- a finished round


@dataclass
class Summary:
    round: Round
    items: list[RoundItem]
    score: int
    pairs: list[tuple[str, str, int]]  # (right answer, chosen instead, times) confused in this round
    best_times: list[Round]
    is_best: bool


def summarize(round_: Round) -> Summary:
    items = list(round_.items.select_related("scenario"))
    counts: dict[tuple[str, str], int] = {}
    for item in items:
        for expected, chosen in cells(item.expected_key, item.chosen_key):
            if expected != chosen:
                counts[(expected, chosen)] = counts.get((expected, chosen), 0) + 1
    pairs = sorted(((e, c, n) for (e, c), n in counts.items()), key=lambda p: (-p[2], p[0], p[1]))
    best: list[Round] = []
    if round_.kind == Round.Kind.LIGHTNING:
        best = best_lightning_times(round_.learner_id)
    return Summary(
        round=round_,
        items=items,
        score=sum(1 for item in items if item.correct),
        pairs=pairs,
        best_times=best,
        is_best=bool(best) and best[0].pk == round_.pk,
    )


def best_lightning_times(learner_id: int) -> list[Round]:
    """The learner's best finished lightning rounds: most right answers first, then fastest."""
    return list(
        Round.objects.filter(learner_id=learner_id, kind=Round.Kind.LIGHTNING, finished_at__isnull=False)
        .filter(~Q(size=0))
        .order_by("-score", "duration_ms", "finished_at")[:BEST_TIMES]
    )
