from datetime import datetime

from django.conf import settings
from django.db import models

from quizzes.study.scheduling import MemoryState, Rating


class ServiceQuerySet(models.QuerySet):
    def core(self):
        return self.filter(core=True)


class Category(models.Model):
    """A family of catalogue topics (compute, storage, security, cost management, cloud concepts, ...)."""

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A topic of the catalogue (content/services.yaml): an AWS service the CLF-C02 exam covers (or Docker), or a
    concept that is not a service (the shared responsibility model, the Well-Architected pillars, the support
    plans, ...). Notes, questions and scenarios name topics by key."""

    key = models.SlugField(max_length=40, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, related_name="topics")
    is_concept = models.BooleanField(default=False)
    # Offered as an answer in the scenario trainer's palette (content/services.yaml `palette: true`).
    in_palette = models.BooleanField(default=False)
    name = models.CharField(max_length=80)
    short = models.CharField(max_length=40)
    core = models.BooleanField(default=False)
    use_when = models.TextField()
    limits = models.TextField()
    pricing = models.TextField()
    managed = models.TextField()
    note_slug = models.SlugField(max_length=80)
    order = models.PositiveSmallIntegerField(default=0)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- question banks


class Domain(models.TextChoices):
    """The four CLF-C02 exam domains."""

    CLOUD_CONCEPTS = "cloud-concepts", "Cloud Concepts"
    SECURITY = "security-compliance", "Security and Compliance"
    TECHNOLOGY = "cloud-technology", "Cloud Technology and Services"
    BILLING = "billing-pricing", "Billing, Pricing and Support"


class Bank(models.Model):
    """A question bank: loaded from content/banks/ (source "content") or imported by an instructor."""

    class Source(models.TextChoices):
        CONTENT = "content", "content/banks"
        IMPORT = "import", "Instructor import"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    description_md = models.TextField(blank=True)
    description_html = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CONTENT)

    def __str__(self) -> str:
        return self.title


class BankStatus(models.TextChoices):
    """Whether learners see an instructor's bank (its stewardship, quizzes.authoring); content banks have none
    and are always seen."""

    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


def _hidden_banks():
    """Instructor banks learners do not see: drafts and archived ones (through the stewardship's reverse relation,
    so this app need not import the authoring app, which builds on it)."""
    return Bank.objects.filter(stewardship__status__in=[BankStatus.DRAFT, BankStatus.ARCHIVED]).values("id")


class QuestionQuerySet(models.QuerySet):
    def active(self):
        """The questions learners may see: not retired, and not in an instructor's draft or archived bank."""
        return self.filter(is_active=True).exclude(bank_id__in=_hidden_banks())

    def hidden(self):
        """The complement of `active()`: retired questions and those of draft or archived banks (each part an
        index search, where `exclude(active)` would read every question)."""
        return self.filter(models.Q(is_active=False) | models.Q(bank_id__in=_hidden_banks()))

    def in_scope(self, service_keys: list[str] | None):
        """Questions covering any of these services (all of them when None)."""
        if service_keys is None:
            return self
        return self.filter(
            pk__in=Question.services.through.objects.filter(service__key__in=service_keys).values("question")
        )


class Question(models.Model):
    """An exam-style question. Content edits bump `revision` and snapshot it, so history keeps what was seen."""

    class Type(models.TextChoices):
        SINGLE = "single", "Single answer"
        MULTIPLE = "multiple", "Multiple response"
        TRUEFALSE = "truefalse", "True or false"

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="questions")
    external_id = models.SlugField(max_length=100)  # stable id from the file: re-loading updates
    type = models.CharField(max_length=10, choices=Type.choices)
    stem_md = models.TextField()
    stem_html = models.TextField()
    explanation_md = models.TextField()
    explanation_html = models.TextField()
    services = models.ManyToManyField(Service, related_name="questions")
    domain = models.CharField(max_length=40, choices=Domain.choices)
    difficulty = models.PositiveSmallIntegerField()
    note_slug = models.SlugField(max_length=80)
    note_anchor = models.CharField(max_length=120, blank=True)
    correct_count = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveIntegerField(default=0)  # order in the bank: new questions are introduced in it
    revision = models.PositiveIntegerField(default=1)
    source_hash = models.CharField(max_length=64)
    # A question removed from its file while learners have history is retired, never deleted.
    is_active = models.BooleanField(default=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bank", "external_id"], name="question_unique_id_in_bank")]
        indexes = [
            models.Index(fields=["is_active", "position"], name="question_active_position"),
            # Counting the questions learners may see (active, not in a hidden bank) and summing their ids and
            # revisions (the content's fingerprint, quizzes.study.catalogue.QUESTIONS_SQL) from the index alone.
            models.Index(fields=["is_active", "bank", "id", "revision"], name="question_active_bank_marks"),
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.bank.slug}/{self.external_id}" if self.bank_id else self.external_id

    @property
    def note_url(self) -> str:
        return f"/notes/{self.note_slug}/" + (f"#{self.note_anchor}" if self.note_anchor else "")

    @property
    def select_count(self) -> int:
        """How many options the learner must select."""
        return self.correct_count if self.type == self.Type.MULTIPLE else 1


class Choice(models.Model):
    """One option of a question. `key` is its position in the file (1, 2, ...) within the current revision."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    key = models.PositiveSmallIntegerField()
    text = models.TextField()
    text_html = models.TextField()
    correct = models.BooleanField()
    why_md = models.TextField()
    why_html = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "key"], name="choice_unique_key")]
        ordering = ["key"]

    def __str__(self) -> str:
        return self.text


class QuestionRevision(models.Model):
    """What a question said at one revision: review logs point here, so editing never rewrites history."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    snapshot = (
        models.JSONField()
    )  # {"type", "stem_html", "explanation_html", "choices": [{"key", "text", "correct", "why_html"}]}
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "number"], name="revision_unique_number")]

    def __str__(self) -> str:
        return f"{self.question_id} r{self.number}"


# ---------------------------------------------------------------- study: settings, memory, history


class LearnerSettings(models.Model):
    """A learner's study settings, Anki's defaults until they change them (created on first write)."""

    learner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_settings")
    desired_retention = models.FloatField(default=0.90)
    new_per_day = models.PositiveSmallIntegerField(default=20)
    reviews_per_day = models.PositiveSmallIntegerField(default=200)
    learning_steps = models.CharField(max_length=100, default="1m 10m")
    relearning_steps = models.CharField(max_length=100, default="10m")
    time_zone = models.CharField(max_length=64, default="UTC")
    day_start_hour = models.PositiveSmallIntegerField(default=4)
    # FSRS-6's 21 parameters fitted to this learner (quizzes/study/fitting.py), or None for fsrs's defaults.
    fsrs_parameters = models.JSONField(null=True, blank=True)
    # When a fit of those parameters started and has not ended: a second fit waits for it (fitting.fit_learner).
    fit_started_at = models.DateTimeField(null=True, blank=True)
    # Moves when reviews of the learner's earlier study days change: an undo of a rating made before today, a
    # guest's reviews merged in. Part of the key of the dashboard's cached days (studyapp/progress/dashboard.py).
    history_version = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return f"Study settings of {self.learner_id}"

    @classmethod
    def for_learner(cls, learner) -> "LearnerSettings":
        """The learner's settings, or Anki's defaults unsaved for a learner who has none or a visitor with no
        learner (a GET never writes). `learner.study_settings` caches the row (or its absence) on the user
        object, as the ORM does for any one-to-one, so a request reads it once."""
        if learner is None:
            return cls()
        try:
            return learner.study_settings
        except cls.DoesNotExist:
            return cls(learner=learner)  # also cached on the learner by the one-to-one descriptor

    @classmethod
    def history_changed(cls, learner) -> None:
        """Reviews of the learner's earlier days changed: move `history_version` (one UPDATE in the writing
        transaction; the row is created for a learner who never saved settings)."""
        cls.objects.get_or_create(learner=learner)
        cls.objects.filter(learner=learner).update(history_version=models.F("history_version") + 1)

    def scheduler(self):
        from quizzes.study import scheduling

        return scheduling.scheduler(
            self.desired_retention,
            parse_steps(self.learning_steps),
            parse_steps(self.relearning_steps),
            parameters=tuple(self.fsrs_parameters) if self.fsrs_parameters else None,
        )

    def study_day(self, now):
        from quizzes.study import scheduling

        return scheduling.study_day(now, self.time_zone, self.day_start_hour)


_STEP_UNITS = {"s": 1 / 60, "m": 1, "h": 60, "d": 1440}


def parse_steps(text: str) -> tuple[int, ...]:
    """Anki-style steps ("1m 10m", "1h 1d") as whole minutes; ValueError on anything else."""
    steps = []
    for token in text.split():
        number, unit = token[:-1], token[-1:].lower()
        if unit not in _STEP_UNITS or not number.isdecimal() or int(number) == 0:
            raise ValueError(f"'{token}' is not a step like 1m, 10m, 1h or 1d")
        steps.append(max(1, round(int(number) * _STEP_UNITS[unit])))
    return tuple(steps)


class FsrsFit(models.Model):
    """The last fit of FSRS to a learner's reviews (quizzes/study/fitting.py), whether or not it was adopted:
    what it was fitted on and how well defaults and fit predicted the reviews it did not see. The parameters in
    use are `LearnerSettings.fsrs_parameters`; the row is also the lock that makes two fits started at once run
    once."""

    class Outcome(models.TextChoices):
        ADOPTED = "adopted", "The fitted parameters predict you better: they are in use"
        KEPT_DEFAULTS = "kept", "The fitted parameters did not predict you better: the defaults stay"
        FAILED = "failed", "The fit failed: the parameters in use stay"
        RESET = "reset", "You went back to the defaults"

    learner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fsrs_fit")
    fitted_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    message = models.TextField(blank=True)  # why a fit failed, in the learner's words
    parameters = models.JSONField(null=True, blank=True)  # what the fit returned (adopted or not)
    reviews = models.PositiveIntegerField(default=0)  # the learner's reviews when fitted
    trained_on = models.PositiveIntegerField(default=0)
    held_out = models.PositiveIntegerField(default=0)
    log_loss_before = models.FloatField(null=True, blank=True)  # the defaults, on the held-out reviews
    rmse_before = models.FloatField(null=True, blank=True)
    log_loss_after = models.FloatField(null=True, blank=True)  # the fit, on the held-out reviews
    rmse_after = models.FloatField(null=True, blank=True)
    rescheduled = models.PositiveIntegerField(default=0)  # questions whose due date the adoption moved

    def __str__(self) -> str:
        return f"FSRS fit of {self.learner_id} ({self.outcome})"

    def refit_due(self, review_count: int, now) -> bool:
        """Offer a new fit after enough new reviews or a month (never on its own)."""
        from quizzes.study import fitting

        if self.outcome in (self.Outcome.FAILED, self.Outcome.RESET):
            return True
        return review_count - self.reviews >= fitting.REFIT_AFTER_REVIEWS or now - self.fitted_at >= fitting.REFIT_AFTER


class QuestionMemoryQuerySet(models.QuerySet):
    def locked(self, learner, question_id) -> "QuestionMemory | None":
        """The learner's memory of a question, locked for the current transaction (SELECT ... FOR UPDATE on
        PostgreSQL; on SQLite the IMMEDIATE transaction already holds the write lock); None if they have none."""
        return self.select_for_update().filter(learner=learner, question_id=question_id).first()


LEECH_FAILURES = 8  # wrong answers after which a question is tagged a leech (Anki's default)


class QuestionMemory(MemoryState):
    """One learner's memory of one question (FSRS state) plus the study flags Anki keeps per card.

    `version` grows with every change (answer, rating, undo) and is what one-time tokens are bound to:
    a token minted for version 7 is spent once the state moves past 7.
    A memory with no `last_review` is still new (a bury, suspend or pending answer can create it).
    """

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_memories")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="memories")
    version = models.PositiveIntegerField(default=0)
    reps = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)  # wrong answers (Again), for leeches
    introduced_at = models.DateTimeField(null=True, blank=True)  # first review: counts toward "new per day"
    buried_until = models.DateTimeField(null=True, blank=True)
    suspended = models.BooleanField(default=False)
    leech = models.BooleanField(default=False)
    # A right answer waiting for its rating: {"seq", "revision", "shown", "answer", "ms", "at"}.
    pending = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "question"], name="memory_unique_learner_question")]
        # The due queue (quizzes/study/due_queue.py): each count and candidate is a range of one of these, and
        # they carry the columns its filters read, so the learner's rows are never visited.
        indexes = [
            models.Index(
                fields=["learner", "suspended", "state", "due", "id", "last_review", "buried_until", "question"],
                name="memory_queue",
            ),
            models.Index(fields=["learner", "last_review", "introduced_at", "question"], name="memory_today"),
            models.Index(
                fields=["learner", "due", "id"], condition=models.Q(pending__isnull=False), name="memory_pending"
            ),
        ]

    objects = QuestionMemoryQuerySet.as_manager()

    def __str__(self) -> str:
        return f"memory {self.learner_id}/{self.question_id}"

    def record_review(
        self, rating: Rating, now, prefs: "LearnerSettings", *, revision, shown, answer, correct, response_ms
    ) -> "ReviewLog":
        """One FSRS review of this (locked) memory, saved with its log and the snapshot undo restores."""
        from quizzes.study import scheduling

        before = self.study_snapshot()
        seq = self.version
        scheduling.review(self, rating, now, prefs.scheduler(), response_ms)
        self.introduced_at = self.introduced_at or now
        self.reps += 1
        if rating == Rating.Again:
            self.failures += 1
            self.leech = self.leech or self.failures >= LEECH_FAILURES
        self.pending = None
        self.version += 1  # tokens minted for the showing just answered are spent
        self.save()
        return ReviewLog.objects.create(
            learner_id=self.learner_id,
            memory=self,
            seq=seq,
            revision=revision,
            rating=rating.value,
            shown=shown,
            answer=answer,
            correct=correct,
            response_ms=response_ms,
            reviewed_at=now,
            before=before,
            scheduled_due=self.due,
        )

    @property
    def is_new(self) -> bool:
        return self.last_review is None

    def study_snapshot(self) -> dict:
        """The FSRS fields plus our counters: what undo restores."""
        return {
            **self.snapshot(),
            "reps": self.reps,
            "failures": self.failures,
            "leech": self.leech,
            "introduced_at": self.introduced_at.isoformat() if self.introduced_at else None,
        }

    def restore_study(self, snapshot: dict) -> None:
        self.restore(snapshot)
        self.reps, self.failures, self.leech = snapshot["reps"], snapshot["failures"], snapshot["leech"]
        introduced = snapshot["introduced_at"]
        self.introduced_at = datetime.fromisoformat(introduced) if introduced else None


class ReviewLog(models.Model):
    """One rating of one question by one learner: append-only (undo removes only the learner's last one)."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_logs")
    memory = models.ForeignKey(QuestionMemory, on_delete=models.CASCADE, related_name="logs")
    seq = models.PositiveIntegerField()  # the memory version the question was shown at
    revision = models.PositiveIntegerField()  # the question revision the learner saw
    rating = models.PositiveSmallIntegerField(choices=[(r.value, r.name) for r in Rating])
    shown = models.JSONField()  # choice keys in the order they were shown
    answer = models.JSONField()  # choice keys the learner selected
    correct = models.BooleanField()
    response_ms = models.PositiveIntegerField()
    reviewed_at = models.DateTimeField()
    before = models.JSONField()  # the memory's study_snapshot() before this review: undo restores it
    scheduled_due = models.DateTimeField()  # the due time this rating set

    class Meta:
        constraints = [models.UniqueConstraint(fields=["memory", "seq"], name="reviewlog_unique_showing")]
        indexes = [
            models.Index(fields=["learner", "reviewed_at"], name="reviewlog_learner_time"),
        ]

    def __str__(self) -> str:
        return f"review {self.pk} ({self.get_rating_display()})"


class Flag(models.Model):
    """A learner's report that a question is wrong, for the instructors. One open flag per learner and question."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_flags")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="flags")
    revision = models.PositiveIntegerField()
    comment = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "question"], condition=models.Q(resolved_at__isnull=True), name="flag_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"flag on {self.question_id}"
