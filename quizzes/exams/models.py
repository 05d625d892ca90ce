from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction

from quizzes.exams.scoring import is_right, scaled_score
from quizzes.models import LearnerSettings, Question, QuestionMemory
from quizzes.study import scheduling
from quizzes.study.scheduling import Rating

# Answers that arrive this long after the deadline still count: the time a click takes to reach us.
GRACE = timedelta(seconds=20)
# What score() fills in and submit() saves.
RESULT_FIELDS = ["scored_total", "scored_correct", "scaled_score", "passed", "state", "finished_at", "auto_submitted"]


class ExamError(Exception):
    """Tampered or impossible input: the view answers 400 with this message."""


class StaleWrite(Exception):
    """The page was out of date (another tab, the back button): nothing was written."""


class AttemptQuerySet(models.QuerySet):
    def of(self, learner):
        return self.filter(learner=learner)

    def in_progress(self):
        return self.filter(state=ExamAttempt.State.IN_PROGRESS)

    def finished(self):
        return self.filter(state=ExamAttempt.State.FINISHED)

    def overdue(self, now: datetime):
        """Attempts still open whose time ran out (deadline plus grace): close_overdue_attempts submits them."""
        return self.in_progress().filter(deadline__lt=now - GRACE)


class ExamAttempt(models.Model):
    """One sitting of a practice exam. The server owns its clock: `deadline` is fixed when it starts."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"
        ABANDONED = "abandoned", "Abandoned"

    class Preset(models.TextChoices):
        FULL = "full", "Full simulation"
        QUICK = "quick", "Compute quick exam"
        CUSTOM = "custom", "Custom exam"
        MISSED = "missed", "Exam from my missed questions"

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_attempts")
    preset = models.CharField(max_length=10, choices=Preset.choices)
    title = models.CharField(max_length=120)
    options = models.JSONField()  # what the learner chose: count, minutes, services, source, pilot (for retakes)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)  # None: untimed
    finished_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False)
    # Every write bumps `seq`; each form carries the seq it was rendered at (stale tabs are detected).
    seq = models.PositiveIntegerField(default=0)
    last_write = models.JSONField(null=True, blank=True)  # the last accepted write, to answer a replay identically
    position = models.PositiveSmallIntegerField(default=1)  # the question the learner was on (resume)
    # Results, filled when the attempt is finished.
    scored_total = models.PositiveSmallIntegerField(default=0)
    scored_correct = models.PositiveSmallIntegerField(default=0)
    scaled_score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["learner", "state", "started_at"], name="attempt_learner_state")]
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.IN_PROGRESS

    @property
    def percent(self) -> float | None:
        return round(100 * self.scored_correct / self.scored_total, 1) if self.scored_total else None

    def seconds_left(self, now) -> int | None:
        if self.deadline is None:
            return None
        return max(0, int((self.deadline - now).total_seconds()))

    def is_overdue(self, now) -> bool:
        return self.deadline is not None and now > self.deadline + GRACE

    def is_finished(self, now) -> bool:
        """Finished, or as good as finished: its time is up (see time_is_up)."""
        return self.state == self.State.FINISHED or self.time_is_up(now)

    def time_is_up(self, now) -> bool:
        """Still open in the database, but its time ran out: pages show it finished (scored as it stood at its
        deadline, without writing) until close_overdue_attempts or the next POST that touches it submits it."""
        return self.is_open and self.is_overdue(now)

    def score(self, items: list["AttemptQuestion"], finished_at: datetime, auto: bool) -> list[int]:
        """Mark each question right or wrong and fill in the results, in memory only; returns the ids of the
        questions missed. submit() saves what this computes; a GET of an attempt whose time is up only shows it."""
        missed = []
        for item in items:
            item.correct = is_right(item.snapshot, item.answer)
            if not item.correct:
                missed.append(item.question_id)
        scored = [item for item in items if not item.is_pilot]
        self.scored_total = len(scored)
        self.scored_correct = sum(item.correct for item in scored)
        self.scaled_score = scaled_score(self.scored_correct, self.scored_total)
        self.passed = self.scaled_score >= 700
        self.state = self.State.FINISHED
        self.finished_at = finished_at
        self.auto_submitted = auto
        return missed

    def submit(self, now: datetime, seq: int | None = None) -> bool:
        """Finish and score the attempt; missed questions become due in spaced repetition. False if it was
        finished already (a double submit: the same results).

        The learner's confirmation passes the `seq` of the review page it was given on (StaleWrite if the exam
        changed since); the sweeper and a late answer pass none. An attempt whose time is up is scored as it
        stood at its deadline, whoever submits it. Locks the attempt row for the rest of the transaction.
        """
        with transaction.atomic():
            self.refresh_from_db(from_queryset=ExamAttempt.objects.select_for_update())
            if self.state == self.State.FINISHED:
                return False
            if not self.is_open:
                raise ExamError("This exam was abandoned: it cannot be submitted.")
            if self.is_overdue(now):
                finished_at, auto = self.deadline, True
            elif seq is not None and seq != self.seq:
                raise StaleWrite
            else:
                finished_at, auto = now, False
            items = list(self.questions.all())
            missed = self.score(items, finished_at, auto)
            AttemptQuestion.objects.bulk_update(items, ["correct"])
            self.save(update_fields=RESULT_FIELDS)
            _schedule_missed(self.learner, missed, finished_at)
            self.learner.record_work(None if auto else now)  # a class dashboard shows it
        return True

    def abandon(self, now: datetime) -> None:
        """Stop without scoring; an attempt whose time is up was as good as submitted, so it is submitted instead."""
        with transaction.atomic():
            self.refresh_from_db(from_queryset=ExamAttempt.objects.select_for_update())
            if self.time_is_up(now):
                self.submit(now)
            elif self.is_open:
                self.state = self.State.ABANDONED
                self.finished_at = now
                self.save(update_fields=["state", "finished_at"])
                self.learner.record_work(now)  # a class dashboard shows it


class AttemptQuestion(models.Model):
    """One question of an attempt as it was drawn: a snapshot, so editing the bank never changes the attempt."""

    attempt = models.ForeignKey(ExamAttempt, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="exam_uses")
    revision = models.PositiveIntegerField()
    # {"type", "select", "stem_html", "explanation_html", "note_url", "services": [[key, name]], "domain",
    #  "choices": [{"key", "text_html", "correct", "why_html"}] in the order shown}
    snapshot = models.JSONField()
    is_pilot = models.BooleanField(default=False)  # unscored, like the real exam's 15 of 65
    select = models.PositiveSmallIntegerField(default=1)  # how many options the question takes
    answer = models.JSONField(default=list)  # choice keys selected
    answered = models.BooleanField(default=False)  # exactly `select` options chosen (kept with `answer`)
    flagged = models.BooleanField(default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    correct = models.BooleanField(null=True, blank=True)  # set when the attempt is finished

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attempt_question_position"),
            models.UniqueConstraint(fields=["attempt", "question"], name="attempt_question_once"),
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return f"Q{self.position} of attempt {self.attempt_id}"


def _schedule_missed(learner, question_ids: list[int], now: datetime) -> None:
    """Missed exam questions become due: studied ones are due now; new ones start learning (rated Again)."""
    if not question_ids:
        return
    sched = LearnerSettings.for_learner(learner).scheduler()
    # The study answer path locks a memory before it writes it; so does this, and a memory a study answer creates
    # at the same moment is not inserted twice (ignore_conflicts), but read back locked like the others.
    mine = QuestionMemory.objects.select_for_update().filter(learner=learner, question_id__in=question_ids)
    known = set(mine.values_list("question_id", flat=True))
    QuestionMemory.objects.bulk_create(
        [QuestionMemory(learner=learner, question_id=pk, due=now) for pk in question_ids if pk not in known],
        ignore_conflicts=True,
    )
    memories = {memory.question_id: memory for memory in mine.order_by("pk")}
    for question_id in question_ids:
        memory = memories[question_id]
        if memory.last_review is None:
            scheduling.review(memory, Rating.Again, now, sched)
        elif memory.due > now:
            memory.due = now
        else:
            continue
        memory.version += 1  # an open study showing of this question is now stale
        memory.save()
