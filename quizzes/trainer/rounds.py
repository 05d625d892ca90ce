"""Trainer rounds: choosing scenarios, recording answers once, and what a finished round shows.

Selection favours what the learner gets wrong: scenarios they missed come back when FSRS says they are
due, and the rest are drawn with weights that grow with the learner's error rate on the answer's
services and with the pairs they confuse. Drills on a pair mix both sides in a random split so the
learner cannot guess the answer from the order.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q

from quizzes.models import Service
from quizzes.trainer.confusions import History, cells
from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory
from studyapp.notes.models import ContentRelease

ROUND_SIZE = 10
MAX_DUE_IN_PRACTICE = 4  # due reviews mixed into a practice round; a drill of missed scenarios takes them all
RECENT = 30  # scenarios answered this recently are drawn less often
BEST_TIMES = 5


class BadInput(Exception):
    """A request names something that does not exist (tampered or stale): the view answers 400."""


class NothingToTrain(Exception):
    """The choice is valid but has no scenarios (e.g. nothing is due): the learner gets a message."""


PALETTE_SIZE = 9  # the services a question offers: its answer, its why-nots, then neighbours of the same family


@dataclass
class Focus:
    """What a round is about: every service, one service, a pair, the services of a note, or of a category."""

    services: list[str] = field(default_factory=list)
    note: str = ""
    names: list[str] = field(default_factory=list)
    note_title: str = ""
    category: str = ""
    category_name: str = ""

    @property
    def is_pair(self) -> bool:
        return len(self.services) == 2 and not self.note and not self.category

    @property
    def label(self) -> str:
        if self.note:
            return f"the note “{self.note_title}”"
        if self.category:
            return f"the {self.category_name} category"
        return " and ".join(self.names) if self.names else "every service"

    def query(self) -> str:
        if self.note:
            return f"?note={self.note}"
        if self.category:
            return f"?category={self.category}"
        return "?" + "&".join(f"service={key}" for key in self.services) if self.services else ""


def resolve_focus(service_keys: list[str], note_slug: str, catalogue: dict[str, "Offer"], category: str = "") -> Focus:
    """The focus named by request parameters; BadInput for an unknown service, note or category."""
    from studyapp.notes.models import Note

    keys = list(dict.fromkeys(key for key in service_keys if key))
    if category:
        if keys or note_slug:
            raise BadInput("Choose either a category, a note or services, not several.")
        members = [service for service in catalogue.values() if service.category.key == category]
        if not members:
            raise BadInput(f"Unknown category “{category}”. Choose a category from the list.")
        return Focus(
            [s.key for s in members], "", [s.name for s in members], category=category,
            category_name=members[0].category.name,
        )  # fmt: skip
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


# ---------------------------------------------------------------- starting a round


def start_round(learner, kind: str, focus: Focus, now: datetime, rng: random.Random | None = None) -> Round:
    """Create a round of up to ten scenarios with their memories and one-time tokens."""
    rng = rng or random.Random()
    pool = Scenario.objects.served()  # drafts are for their author only
    if focus.services or focus.note:
        pool = pool.for_services(focus.services)
    # (id, answer, why-nots) as plain strings split here: decoding every scenario's JSON took most of the read.
    candidates = [
        (pk, answer.split("+"), why_not.split("+") if why_not else [])
        for pk, answer, why_not in pool.values_list("pk", "answer_key", "why_not_key")
    ]
    if not candidates:
        raise NothingToTrain(f"There are no scenarios for {focus.label} yet.")
    # The learner's memories of them as plain rows (scenario, memory id, last review, due), read by the learner alone
    # (an index range, at most one row per scenario) and kept for the candidates here: as model instances of the
    # candidates named in the query (a learner who trained for months has hundreds) they took half the time.
    in_pool = {pk for pk, _, _ in candidates}
    rows = ScenarioMemory.objects.filter(learner=learner).values_list("scenario_id", "pk", "last_review", "due")
    memories = {}
    seen = []
    for scenario_id, memory_id, last_review, due_at in rows:
        if scenario_id not in in_pool:
            continue
        memories[scenario_id] = memory_id
        if last_review is not None:
            seen.append((due_at, last_review, scenario_id))
    seen.sort()
    due = [scenario_id for due_at, _, scenario_id in seen if due_at <= now]
    recent = {scenario_id for _, _, scenario_id in sorted(seen, key=lambda row: row[1], reverse=True)[:RECENT]}
    history = History.for_learner(learner)
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

    try:
        return _create_round(learner, kind, focus, chosen, memories, now)
    except IntegrityError:  # the learner started another round at the same moment and created memories first
        memories = dict(
            ScenarioMemory.objects.filter(learner=learner, scenario__in=chosen).values_list("scenario", "pk")
        )
        return _create_round(learner, kind, focus, chosen, memories, now)


def _create_round(learner, kind: str, focus: Focus, chosen: list[int], memories: dict, now: datetime) -> Round:
    with transaction.atomic():
        round_ = Round.objects.create(
            learner=learner,
            kind=kind,
            focus=[] if focus.category else focus.services,
            note_slug=focus.note,
            category=focus.category,
            size=len(chosen),
            started_at=now,
        )
        _add_missing_memories(memories, learner, chosen, now)
        RoundItem.objects.bulk_create(
            RoundItem(round=round_, learner=learner, position=position, scenario_id=pk, memory_id=memories[pk])
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


def _add_missing_memories(memories: dict[int, int], learner, scenario_ids: list[int], now) -> None:
    """Create the learner's unreviewed memory of each chosen scenario they have none of yet (one INSERT, which
    returns the new ids, added to `memories`: scenario id -> memory id). Two rounds started at once may both try:
    the unique constraint stops the second, whose transaction rolls back (IntegrityError, retried by the caller)."""
    missing = [ScenarioMemory(learner=learner, scenario_id=pk, due=now) for pk in scenario_ids if pk not in memories]
    for memory in ScenarioMemory.objects.bulk_create(missing):
        memories[memory.scenario_id] = memory.pk


# ---------------------------------------------------------------- the services a question offers


@dataclass(frozen=True)
class Family:
    """A category of the catalogue, as the trainer shows it."""

    pk: int | None
    key: str
    name: str


@dataclass(frozen=True)
class Offer:
    """A service the trainer can offer as an answer: plain values, so that the whole palette of some 170 services
    costs no model instances (building Service and Category instances for them was most of the confusions page)."""

    key: str
    name: str
    short: str
    core: bool
    use_when: str
    note_slug: str
    category: Family

    @property
    def category_id(self) -> int | None:
        return self.category.pk


def answer(item: RoundItem, chosen: list[str], now: datetime) -> RoundItem:
    """Record the learner's answer once (`RoundItem.record_answer`) and, once it is committed, add it to their
    cached confusions, so that the pages which read them next need not count them again."""
    item.record_answer(chosen, now)
    number = item.answer_number
    if number is not None:
        learner_id, expected, chosen_key = item.learner_id, item.expected_key, item.chosen_key
        transaction.on_commit(lambda: History.record_answer(learner_id, number, expected, chosen_key))
    return item


def palette(release: int | None = None) -> list[Offer]:
    """Every service the trainer can offer as an answer, with its category, in catalogue order. The catalogue
    changes only when load_content writes a new content release, so it is cached under that release's id
    (`release` when the caller read it with its own query, RoundItem.objects.for_answer)."""
    key = f"trainer:palette:{ContentRelease.current() if release is None else release}"
    return cache.get_or_set(key, _read_palette, timeout=None)


def _read_palette() -> list[Offer]:
    rows = (
        Service.objects.filter(in_palette=True)
        .order_by("category__order", "order")
        .values_list(
            "key", "name", "short", "core", "use_when", "note_slug", "category", "category__key", "category__name"
        )
    )
    families: dict[int | None, Family] = {}
    offers = []
    for key, name, short, core, use_when, note_slug, category_id, category_key, category_name in rows:
        family = families.get(category_id)
        if family is None:
            family = families[category_id] = Family(category_id, category_key or "", category_name or "Other")
        offers.append(Offer(key, name, short, core, use_when, note_slug, family))
    return offers


def candidates(scenario: Scenario, catalogue: list[Offer]) -> list[Offer]:
    """The plausible answers to offer for one scenario, never a wall of every service: its answer and the
    services its why-nots name, then neighbours from the same categories up to PALETTE_SIZE (chosen with the
    scenario's id as seed, so a page reload shows the same ones), in catalogue order so the position of a
    tile gives nothing away."""
    by_key = {service.key: service for service in catalogue}
    named = [key for key in [*scenario.answer, *scenario.why_not_html] if key in by_key]
    families = {by_key[key].category_id for key in named}
    neighbours = [s.key for s in catalogue if s.category_id in families and s.key not in named]
    random.Random(scenario.pk).shuffle(neighbours)
    offered = set(named) | set(neighbours[: max(0, PALETTE_SIZE - len(named))])
    return [service for service in catalogue if service.key in offered]


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
