"""Pre-aggregated answer tallies for the instructors' item statistics.

Answers are folded in (tallies.py) and the tallies never point at a learner, so they survive the
deletion of the learners whose answers they count: the "anonymous aggregates" of issues 8 and 9.
"""

from django.db import models

from quizzes.exams.models import ExamAttempt
from quizzes.models import Bank, Question


class FoldState(models.Model):
    """The single row a fold locks (folds take turns on it, learners never touch it): how far answers are folded."""

    review_log_id = models.BigIntegerField(default=0)  # the high-water mark: every ReviewLog with id <= this is counted
    exam_batch = models.PositiveIntegerField(default=0)  # the last batch of exam attempts folded
    folded_at = models.DateTimeField(null=True, blank=True)  # when the last full fold started: earlier answers count

    def __str__(self) -> str:
        return f"folded through review {self.review_log_id}, exam batch {self.exam_batch}"


class TalliedAttempt(models.Model):
    """A finished exam attempt already counted (attempts finish in any order, so no id watermark)."""

    attempt = models.OneToOneField(ExamAttempt, on_delete=models.CASCADE, primary_key=True, related_name="+")
    batch = models.PositiveIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"attempt {self.attempt_id} (batch {self.batch})"


class Source(models.TextChoices):
    STUDY = "study", "Study sessions"
    EXAM = "exam", "Practice exams"


class QuestionTally(models.Model):
    """Answers to one revision of one question from one source.

    The rest_* sums feed the item-rest correlation (exam answers only): `rest` is the attempt's scored
    total minus this item's own score, so the correlation is Moodle's "discrimination index".
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="tallies")
    source = models.CharField(max_length=5, choices=Source.choices)
    revision = models.PositiveIntegerField()
    attempts = models.BigIntegerField(default=0)
    correct = models.BigIntegerField(default=0)
    total_ms = models.BigIntegerField(default=0)  # study answers only: exams record no time per question
    rest_sum = models.BigIntegerField(default=0)
    rest_sq_sum = models.BigIntegerField(default=0)
    item_rest_sum = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "source", "revision"], name="tally_unique_question_source")
        ]

    def __str__(self) -> str:
        return f"{self.question_id} r{self.revision} {self.source}: {self.correct}/{self.attempts}"


class ChoiceTally(models.Model):
    """How many answers to one revision of a question selected the choice `key` (study and exams)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choice_tallies")
    revision = models.PositiveIntegerField()
    key = models.PositiveSmallIntegerField()
    picks = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "revision", "key"], name="choice_tally_unique_key")]

    def __str__(self) -> str:
        return f"{self.question_id} r{self.revision} #{self.key}: {self.picks}"


class FormTally(models.Model):
    """Finished exam attempts that held `items` scored questions of the bank: their count, and the sum and
    sum of squares of their score on those items (for the mean score and Cronbach's alpha)."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="form_tallies")
    items = models.PositiveIntegerField()
    attempts = models.BigIntegerField(default=0)
    score_sum = models.BigIntegerField(default=0)
    score_sq_sum = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bank", "items"], name="form_tally_unique_length")]

    def __str__(self) -> str:
        return f"{self.bank_id} {self.items} items: {self.attempts} attempts"
