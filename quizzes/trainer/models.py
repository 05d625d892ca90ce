"""The "which service fits?" trainer: scenarios and the decision guide (loaded from content/), and each
learner's rounds, answers and scenario memories.

A round is a server-side list of scenarios at positions; each position carries a one-time token that
is shown with the question and spent by the answer, so a double submit records nothing twice.
Answers are never rewritten: the confusion matrix and the drills are computed from them.
"""

import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from quizzes.models import LearnerSettings, Service
from quizzes.study.scheduling import MemoryState, Rating, review
from studyapp.notes.models import ContentRelease

FAST_MS = 8_000  # a right answer this fast in a lightning round is rated Easy


def answer_key(keys) -> str:
    """The canonical name of an answer (a set of service keys): 'api-gateway+lambda'."""
    return "+".join(sorted(keys))


class ScenarioQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def served(self):
        """What learners train on: active scenarios from content/ and published ones written by instructors."""
        return self.filter(is_active=True, status=Scenario.Status.PUBLISHED)

    def from_content(self):
        """Scenarios loaded from content/scenarios/*.yaml: the only ones `load_content` changes."""
        return self.filter(owner__isnull=True)

    def authored(self):
        """Scenarios instructors wrote on /author/scenarios/."""
        return self.filter(owner__isnull=False)

    def for_services(self, keys):
        """Scenarios whose answer includes any of these services."""
        return self.filter(pk__in=Scenario.services.through.objects.filter(service__key__in=keys).values("scenario"))


class Scenario(models.Model):
    """A realistic situation whose answer is one service (or two used together).

    Loaded from content/scenarios/*.yaml (no owner, always published) or written by an instructor on
    /author/scenarios/ (the owner edits it; learners train on it once it is published).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    external_id = models.SlugField(max_length=100, unique=True)  # the id in content/scenarios/*.yaml or /author/
    text_md = models.TextField()
    text_html = models.TextField()
    highlighted_html = models.TextField()  # the text with its clue phrases in <mark>, shown after answering
    answer = models.JSONField()  # sorted service keys
    answer_key = models.CharField(max_length=100)
    services = models.ManyToManyField(Service, related_name="scenarios")  # the answer, for filtering
    difficulty = models.PositiveSmallIntegerField()
    clues = models.JSONField(default=list)
    why_md = models.TextField()
    why_html = models.TextField()
    why_not_md = models.JSONField(default=dict)  # {service key: Markdown}
    # The why-nots' service keys as answer_key writes them ('ecs+fargate'): a round's draw weighs every scenario by
    # them, and reads this column instead of decoding every scenario's why_not_md (4.5 ms for 600 on PostgreSQL).
    why_not_key = models.TextField(blank=True, default="")
    why_not_html = models.JSONField(default=dict)  # {service key: sanitized HTML}
    source = models.CharField(max_length=200)  # file name, for messages
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)  # False once its file entry is gone but learners answered it
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authored_scenarios",
    )  # the instructor who wrote it on /author/; empty for content/scenarios
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)  # set by each save on /author/

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.external_id


class Guide(models.Model):
    """A decision guide ("which security service?"), one per file content/guides/<slug>.yaml."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.slug


class GuideNode(models.Model):
    """One question of a decision guide."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="nodes")
    key = models.SlugField(max_length=80)
    question = models.TextField()
    help_html = models.TextField(blank=True)
    # [{"label", "reason_html", "next": node key or None, "result": [service keys] or None}]
    options = models.JSONField()
    is_start = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["guide", "key"], name="guidenode_unique_guide_key")]

    def __str__(self) -> str:
        return f"{self.guide_id}/{self.key}"


class ScenarioMemory(MemoryState):
    """One learner's FSRS memory of one scenario: missed scenarios come back when they are due.

    Created (unreviewed, `last_review` empty) when a round first serves the scenario, so answering
    is a single update; only reviewed memories count as due.
    """

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scenario_memories")
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="memories")
    lapses = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "scenario"], name="scenariomemory_unique_learner_scenario")
        ]
        indexes = [models.Index(fields=["learner", "due"], name="scenariomemory_due")]

    def __str__(self) -> str:
        return f"scenario memory {self.learner_id}/{self.scenario_id}"

    def record_review(self, rating: Rating, now: datetime, learner, duration_ms: int) -> None:
        """Apply one rating with the learner's scheduler and save the new state (one UPDATE)."""
        review(self, rating, now, LearnerSettings.for_learner(learner).scheduler(), duration_ms=duration_ms)
        self.lapses += rating == Rating.Again
        self.save(update_fields=["state", "step", "stability", "difficulty", "due", "last_review", "lapses"])


class Round(models.Model):
    """A round of scenarios for one learner; its items say which scenario is at which position."""

    class Kind(models.TextChoices):
        PRACTICE = "practice", "Practice round"
        DRILL = "drill", "Drill"
        LIGHTNING = "lightning", "Lightning round"

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trainer_rounds")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PRACTICE)
    focus = models.JSONField(default=list)  # service keys the round is about (empty: every service)
    note_slug = models.SlugField(max_length=80, blank=True)  # when started from a note
    category = models.SlugField(max_length=80, blank=True)  # when started for one category (a family of services)
    size = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()  # set by the server when the round is created
    finished_at = models.DateTimeField(null=True, blank=True)  # set by the server with the last answer
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["learner", "kind", "finished_at"], name="round_learner_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    def next_item(self) -> "RoundItem | None":
        """The question the round waits on, with its scenario (None once every one is answered)."""
        return self.items.filter(answered_at__isnull=True).select_related("scenario").first()

    def finish(self, now: datetime) -> None:
        """Close the round at its last answer: the server's time from start to last answer, and the score."""
        self.finished_at = now
        self.duration_ms = int((now - self.started_at).total_seconds() * 1000)
        right = RoundItem.objects.filter(round=OuterRef("pk"), correct=True).values("round").annotate(n=Count("pk"))
        Round.objects.filter(pk=self.pk).update(  # no right answer: no group, so the count is 0, not NULL
            finished_at=self.finished_at, duration_ms=self.duration_ms, score=Coalesce(Subquery(right.values("n")), 0)
        )

    @property
    def duration_text(self) -> str:
        """The round's time as the server measured it: "1 min 05 s"."""
        if self.duration_ms is None:
            return ""
        seconds = round(self.duration_ms / 1000)
        minutes, seconds = divmod(seconds, 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def new_token() -> str:
    return secrets.token_urlsafe(18)


class RoundItemQuerySet(models.QuerySet):
    def for_answer(self, learner, round_id: int, token: str) -> "RoundItemQuerySet":
        """The item a one-time token was issued for in this learner's round, with what recording the answer
        and showing its feedback read: its round, scenario and memory, `previous_answer_at` (the round's
        latest answer so far, from which the response time counts) and `content_release` (the latest content
        release, which keys the cached palette of services: rounds.palette). One query."""
        previous = (
            RoundItem.objects.filter(round=OuterRef("round"), answered_at__isnull=False)
            .order_by("-answered_at")
            .values("answered_at")[:1]
        )
        release = ContentRelease.objects.order_by("-pk").values("pk")[:1]
        return (
            self.filter(token=token, round_id=round_id, round__learner=learner)
            .select_related("round", "scenario", "memory")
            .annotate(previous_answer_at=Subquery(previous), content_release=Coalesce(Subquery(release), 0))
        )


class RoundItem(models.Model):
    """A scenario at one position of a round, and the learner's answer to it (written once)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="items")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trainer_answers")
    position = models.PositiveSmallIntegerField()  # 1-based
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="round_items")
    memory = models.ForeignKey(ScenarioMemory, on_delete=models.CASCADE, related_name="round_items")
    token = models.CharField(max_length=32, unique=True, default=new_token)
    answered_at = models.DateTimeField(null=True, blank=True)
    chosen = models.JSONField(null=True, blank=True)  # sorted service keys the learner picked
    chosen_key = models.CharField(max_length=200, blank=True)
    expected_key = models.CharField(max_length=100, blank=True)  # the right answer when it was answered
    answer_number: int | None = None  # not stored: set by record_answer when it records the answer
    correct = models.BooleanField(null=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)  # measured by the server
    rating = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = RoundItemQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "position"], name="roundit_unique_position")]
        indexes = [
            models.Index(fields=["learner", "answered_at"], name="roundit_learner_answered"),
            # The confusion matrix groups a learner's answers by (right, chosen): read from this index alone.
            models.Index(
                fields=["learner", "expected_key", "chosen_key"],
                condition=models.Q(answered_at__isnull=False),
                name="roundit_learner_answers",
            ),
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return f"round {self.round_id} #{self.position}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    def record_answer(self, chosen: list[str], now: datetime) -> "RoundItem":
        """Record the learner's answer once: the token is spent, the memory reviewed, the last answer finishes
        the round. Returns the item as first answered; when this call recorded it, `answer_number` is how many
        answers the learner has with this one.

        Read the item with `RoundItem.objects.for_answer()` (its round, scenario, memory and the time of the
        round's previous answer come with it). Two requests may carry the same token (double click,
        replay, two tabs) and both read it unanswered: the UPDATE matches only while `answered_at` is empty,
        and the database keeps the row locked until the first request commits, so the second one updates
        nothing and gets the first answer back. The scenario's memory is read again, locked, inside the
        transaction: the same scenario can sit in two open rounds, and an answer in each must not overwrite
        the other's review.
        """
        if self.is_answered:
            return self
        round_ = self.round
        chosen = sorted(set(chosen))
        correct = chosen == self.scenario.answer
        response_ms = max(0, int((now - (self.previous_answer_at or round_.started_at)).total_seconds() * 1000))
        rating = Rating.Good if correct else Rating.Again
        if correct and round_.kind == Round.Kind.LIGHTNING and response_ms < FAST_MS:
            rating = Rating.Easy
        values = {
            "answered_at": now,
            "chosen": chosen,
            "chosen_key": answer_key(chosen),
            "expected_key": self.scenario.answer_key,
            "correct": correct,
            "response_ms": response_ms,
            "rating": rating.value,
        }
        with transaction.atomic():
            if not RoundItem.objects.filter(pk=self.pk, answered_at__isnull=True).update(**values):
                self.refresh_from_db(fields=list(values))  # answered meanwhile by another request
                return self
            # One more answer for the learner (and their work, which a class dashboard shows), then the memory,
            # locked, with the learner's number of answers now (this one included), which their cached confusions
            # need (rounds.answer): read together, in one statement.
            self.learner.record_trainer_answer(now)
            answers = get_user_model()._base_manager.filter(pk=OuterRef("learner_id")).values("trainer_answer_count")
            self.memory = (
                ScenarioMemory.objects.select_for_update().annotate(answers=Subquery(answers)).get(pk=self.memory_id)
            )
            self.answer_number = self.memory.answers
            self.memory.record_review(rating, now, self.learner, response_ms)
            if self.position == round_.size:
                round_.finish(now)
        for name, value in values.items():
            setattr(self, name, value)
        return self
