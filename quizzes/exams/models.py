from datetime import timedelta

from django.conf import settings
from django.db import models

from quizzes.models import Question

# Answers that arrive this long after the deadline still count: the time a click takes to reach us.
GRACE = timedelta(seconds=20)


class AttemptQuerySet(models.QuerySet):
    def of(self, learner):
        return self.filter(learner=learner)

    def in_progress(self):
        return self.filter(state=ExamAttempt.State.IN_PROGRESS)

    def finished(self):
        return self.filter(state=ExamAttempt.State.FINISHED)


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
