"""Study sessions: what the learner is shown. The scope they chose, which question comes next, and its showing.

The queue follows Anki: due learning steps first, then reviews due today (within the daily review limit),
then new questions in bank order (within the daily new limit). A learner's day is their own
(`LearnerSettings.study_day`); FSRS itself only sees UTC instants.

A showing carries the signed answer token that `quizzes.study.answers` reads back when the learner answers.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.core import signing
from django.db.models import Subquery
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from quizzes.models import Bank, Choice, LearnerSettings, Question, QuestionMemory, Service
from quizzes.study import due_queue

LEARN_AHEAD = timedelta(minutes=20)  # Anki: learning steps due this soon are shown now rather than waited for
MODES = {"": "Due today", "ahead": "Study ahead", "new": "Extra new questions"}
SHOWN_TOPICS = 6  # topics named in the page's heading; more are counted
MAX_TOPICS = 100  # topics in one session's scope: above the catalogue's 71, so any class assignment fits


class StudyError(Exception):
    """Tampered or impossible input: the view answers 400 with this message."""


# ---------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """What the learner chose to study: everything, one bank, one or several topics, one category of topics or one
    note's topics (a bank may be narrowed to topics or a category, as a class's study assignment is); and the mode."""

    services: tuple[str, ...] = ()
    note: str = ""
    category: str = ""
    bank: str = ""  # the bank's slug
    mode: str = ""
    label: str = "All questions"
    service_keys: tuple[str, ...] | None = None  # None: every topic
    bank_id: int | None = None  # None: every bank learners see

    def params(self, **extra) -> list[tuple[str, str]]:
        """The scope as query parameters, in a stable order (a topic per `service` parameter)."""
        single = {"bank": self.bank, "category": self.category, "note": self.note, "mode": self.mode, **extra}
        pairs = [("bank", single.pop("bank")), *(("service", key) for key in self.services), *single.items()]
        return [(key, value) for key, value in pairs if value]

    def query(self, **extra) -> str:
        params = self.params(**extra)
        return "?" + urlencode(params) if params else ""

    @property
    def narrowed(self) -> bool:
        """True unless the learner studies everything due."""
        return bool(self.services or self.note or self.category or self.bank or self.mode)

    @cached_property
    def hidden_fields(self) -> SafeString:
        """The scope as hidden form fields, so that a POST comes back to the same session."""
        return format_html_join("", '<input type="hidden" name="{}" value="{}">', self.params())

    @property
    def ahead_query(self) -> str:
        return self.query(mode="ahead")

    @property
    def new_query(self) -> str:
        return self.query(mode="new")


def resolve_scope(
    services: list[str] | tuple[str, ...] = (), note: str = "", mode: str = "", category: str = "", bank: str = ""
) -> Scope:
    """Validate the learner's choice; StudyError if unknown. One query for any choice (a bank narrowed to topics or
    a category reads the bank along with the topics).

    A bank learners do not see (a draft, an archived bank) is reported as unknown, like a bank that does not exist."""
    from quizzes.models import _hidden_banks  # the one rule of which banks learners see
    from studyapp.notes.models import Note

    if mode not in MODES:
        raise StudyError(f"Unknown study mode '{mode}'.")
    if len(services) > MAX_TOPICS:
        raise StudyError(f"Choose at most {MAX_TOPICS} topics at once (this link names {len(services)}).")
    services = tuple(dict.fromkeys(key for key in services if key))
    if sum(bool(value) for value in (services, note, category)) > 1:
        raise StudyError("Choose topics, one category or one note, not several kinds at once.")
    if note and bank:
        raise StudyError("A note's questions cannot be narrowed to one bank: choose the note or the bank.")
    if note:
        found = Note.objects.filter(slug=note).values_list("title", "services").first()
        if found is None:
            raise StudyError(f"There is no note '{note}'.")
        title, keys = found
        return Scope(note=note, mode=mode, label=f"{title} (note)", service_keys=tuple(keys))

    if not (category or services or bank):
        # Everything due, as the study loop asks after every answer: no query, and no queryset built for nothing
        # (building the bank's subqueries cost 0.25 ms of CPU per request).
        return Scope(mode=mode)
    banks = Bank.objects.filter(slug=bank).exclude(pk__in=_hidden_banks())
    # Each topic row carries the bank's id and title (None when it is unknown or hidden): one query for both.
    with_bank = {"bank_pk": Subquery(banks.values("pk")[:1]), "bank_title": Subquery(banks.values("title")[:1])}
    with_bank = with_bank if bank else {}
    if category:
        rows = Service.objects.filter(category__key=category).annotate(**with_bank)
        topics = list(rows.values_list("key", "category__name", *with_bank))
        if not topics:
            raise StudyError(f"There is no category '{category}' in the catalogue.")
        label, bank_row = f"{topics[0][1]} (category)", topics[0][2:]
        chosen = {"category": category, "service_keys": tuple(row[0] for row in topics)}
    elif services:
        rows = Service.objects.filter(key__in=services).annotate(**with_bank)
        topics = list(rows.values_list("key", "name", *with_bank))
        names = {row[0]: row[1] for row in topics}
        unknown = [key for key in services if key not in names]
        if unknown:
            listed = ", ".join(f"'{key[:40]}'" for key in unknown[:5]) + (" …" if len(unknown) > 5 else "")
            raise StudyError(f"There is no service {listed} in the catalogue." if len(unknown) == 1 else
                             f"There are no services {listed} in the catalogue.")  # fmt: skip
        label = ", ".join(names[key] for key in services[:SHOWN_TOPICS])
        if len(services) > SHOWN_TOPICS:
            label += f" and {len(services) - SHOWN_TOPICS} more topics"
        bank_row, chosen = topics[0][2:], {"services": services, "service_keys": services}
    else:
        label, bank_row, chosen = "", banks.values_list("pk", "title").first(), {}
    if not bank:
        return Scope(mode=mode, label=label, **chosen)
    bank_id, bank_title = bank_row or (None, None)
    if bank_id is None:
        raise StudyError(f"There is no bank '{bank[:80]}' to study: it does not exist or is not published.")
    label = f"{bank_title} — {label}" if label else f"{bank_title} (bank)"
    return Scope(bank=bank, bank_id=bank_id, mode=mode, label=label, **chosen)


# ---------------------------------------------------------------- the queue


@dataclass
class Progress:
    done: int
    remaining: int

    @property
    def total(self) -> int:
        return self.done + self.remaining


@dataclass
class Showing:
    """One question as this learner sees it now: options in this showing's order and the answer token."""

    question: Question
    choices: list[Choice]
    memory: QuestionMemory | None
    token: str
    selected: set[int] = field(default_factory=set)
    problem: str = ""


@dataclass
class Queue:
    progress: Progress
    showing: Showing | None
    next_due: datetime | None  # for "done for today"
    learning_later: int  # learning steps due later today


def next_in_queue(learner, prefs: LearnerSettings, scope: Scope, now: datetime, *, show_next: bool = True) -> Queue:
    """The next question for this learner in this scope, with today's progress. Reads only (GET-safe).

    Like Anki: a right answer waiting for its rating, then learning steps due now, then reviews due today
    (within the daily limit), then new questions in bank order (within the daily limit); learning steps due
    within LEARN_AHEAD are brought forward only when nothing else is left. Three queries (quizzes.study.due_queue),
    two for a new question;
    one with show_next=False, when only the progress is wanted (the queue's `showing` is then None).
    learner None: a visitor with no learner yet, who sees the new questions in bank order."""
    if learner is None:
        return _first_visit(prefs, scope, now)
    day = prefs.study_day(now)
    ahead = scope.mode == "ahead"
    stats = due_queue.queue_stats(
        learner.pk,
        scope.service_keys,
        scope.bank_id,
        now,
        day.start,
        day.end,
        now + LEARN_AHEAD,
        ahead=ahead,
        reviews_cap=prefs.reviews_per_day,
        new_limit=1 if scope.mode in ("new", "ahead") else prefs.new_per_day,
    )
    reviews_left = max(0, prefs.reviews_per_day - stats.reviews_done)
    new_left = max(0, prefs.new_per_day - stats.new_done)
    new_count = stats.new_count if scope.mode else min(stats.new_count, new_left)

    learning_now = stats.learning_id is not None and stats.learning_due <= now
    review_id = stats.review_id if ahead or reviews_left else None
    if stats.pending_id is not None:
        card_id, brought_forward = stats.pending_id, False
    elif learning_now or (stats.learning_id is not None and review_id is None):
        card_id, brought_forward = stats.learning_id, not learning_now
    else:
        card_id, brought_forward = review_id, False

    remaining = stats.learning_today + min(stats.reviews_due, reviews_left) + (0 if scope.mode else new_count)
    if card_id is not None and card_id != stats.pending_id and stats.learning_today == 0:
        remaining = max(remaining, 1)  # a card studied ahead, or a learning step due within the learn-ahead window

    if brought_forward and new_count and not scope.mode:
        card_id = None  # like Anki, learn ahead only when there is nothing else to study
    showing = None
    if show_next and card_id is not None:
        question, choices, memory = due_queue.showing_rows(card_id, learner.pk)
        showing = show(learner, question, memory, now, choices=choices)
    elif show_next and new_count and stats.new_id is not None:
        question, choices, _ = due_queue.showing_rows(stats.new_id, None)
        # Not studied yet: shown as new (a memory may exist after an undo or a bury: its version, read with the
        # stats, keeps old tokens spent).
        showing = show(learner, question, None, now, choices=choices, version=stats.new_version)
    return Queue(
        progress=Progress(done=stats.done, remaining=remaining),
        showing=showing,
        next_due=stats.next_due,
        learning_later=stats.learning_today - stats.learning_now,
    )


def _first_visit(prefs: LearnerSettings, scope: Scope, now: datetime) -> Queue:
    """The queue of a visitor who has studied nothing: new questions in bank order (nothing is created)."""
    count, first = due_queue.first_visit_stats(
        scope.service_keys, scope.bank_id, 1 if scope.mode in ("new", "ahead") else prefs.new_per_day
    )
    showing = None
    if first is not None:
        question, choices, _ = due_queue.showing_rows(first, None)
        showing = show(None, question, None, now, choices=choices)
    remaining = 0 if scope.mode else count
    return Queue(progress=Progress(done=0, remaining=remaining), showing=showing, next_due=None, learning_later=0)


# ---------------------------------------------------------------- showing a question


def shown_order(learner_id: int | None, question: Question, version: int, keys: list[int]) -> list[int]:
    """The option order of one showing: shuffled per showing, and recomputed by the server, never posted.

    learner_id is the one the token names (None for a visitor who has no learner yet)."""
    if question.type == Question.Type.TRUEFALSE:
        return list(keys)  # "True" then "False" reads naturally
    who = "nobody" if learner_id is None else learner_id
    seed = f"{django_settings.SECRET_KEY}:{who}:{question.pk}:{question.revision}:{version}"
    order = list(keys)
    random.Random(hashlib.sha256(seed.encode()).digest()).shuffle(order)
    return order


def show(
    learner, question: Question, memory: QuestionMemory | None, now: datetime, *, choices=None, version: int = 0
) -> Showing:
    """Build the showing of `question`; the token binds learner (None: nobody yet), question, revision and the
    memory's version."""
    if choices is None:
        choices = list(Choice.objects.filter(question=question))
    version = memory.version if memory else version
    learner_id = learner.pk if learner is not None else None
    by_key = {c.key: c for c in choices}
    ordered = [by_key[key] for key in shown_order(learner_id, question, version, list(by_key))]
    token = signing.dumps(
        {"l": learner_id, "q": question.pk, "r": question.revision, "v": version, "t": int(now.timestamp() * 1000)},
        salt="study.answer",
    )
    return Showing(question=question, choices=ordered, memory=memory, token=token)
