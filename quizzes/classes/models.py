"""Classes: an instructor's group of learners, joined by link or code, and the work assigned to it.

Nothing here writes to a learner's study state: an assignment only reads what the learner did (reviews,
trainer answers, exam attempts started from it)."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import F, Max
from django.utils import timezone

from quizzes.models import Bank

# No 0/O, 1/I/L: a code read aloud or copied from a projector is typed right the first time.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_join_token() -> str:
    return secrets.token_urlsafe(24)


def normalize_code(text: str) -> str:
    """What a learner typed, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch not in " -")


class ClassroomQuerySet(models.QuerySet):
    def taught_by(self, user):
        """Classes this instructor manages: the ones they own or co-teach."""
        co_taught = Classroom.co_teachers.through.objects.filter(user=user).values("classroom")
        return self.filter(models.Q(owner=user) | models.Q(pk__in=co_taught))

    def joined_by(self, learner):
        return self.filter(memberships__learner=learner)


class Classroom(models.Model):
    """A class: its owner and co-teachers manage it; learners join it with the link or the code.

    A closed link or code is stored as empty: rotating opens it again under a new value."""

    name = models.CharField(max_length=120)
    description = models.TextField(max_length=2000, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_classes")
    co_teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="cotaught_classes", blank=True)
    join_token = models.CharField(max_length=40, unique=True, null=True, blank=True, default=new_join_token)
    join_code = models.CharField(max_length=CODE_LENGTH, unique=True, null=True, blank=True, default=new_join_code)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClassroomQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def is_owner(self, user) -> bool:
        return self.owner_id == user.pk

    def has_ended(self, now) -> bool:
        return self.ends_on is not None and timezone.localdate(now) > self.ends_on

    def rotate(self, what: str) -> None:
        """A new join code or link; the old one stops working at once."""
        if what == "code":
            self.join_code = new_join_code()
        elif what == "link":
            self.join_token = new_join_token()
        else:
            raise ValueError(what)
        self.save(update_fields=["join_code" if what == "code" else "join_token"])

    def close(self, what: str) -> None:
        """Stop joining with the code or the link until it is rotated (a new one)."""
        field = {"code": "join_code", "link": "join_token"}[what]
        setattr(self, field, None)
        self.save(update_fields=[field])

    def join(self, learner) -> bool:
        """Add the learner; False if they were a member already (nothing written)."""
        with transaction.atomic():
            _, created = Membership.objects.get_or_create(classroom=self, learner=learner)
            if created:
                catch_up_work(learner.pk)
        return created

    def leave(self, learner) -> None:
        Membership.objects.filter(classroom=self, learner=learner).delete()


def latest_work(learner_id: int):
    """When the learner last rated a question, answered the trainer, or started or finished an exam (None if
    never)."""
    from quizzes.exams.models import ExamAttempt
    from quizzes.models import ReviewLog
    from quizzes.trainer.models import RoundItem

    times = [
        ReviewLog.objects.filter(learner_id=learner_id).aggregate(t=Max("reviewed_at"))["t"],
        RoundItem.objects.filter(learner_id=learner_id).aggregate(t=Max("answered_at"))["t"],
        *ExamAttempt.objects.filter(learner_id=learner_id).aggregate(Max("started_at"), Max("finished_at")).values(),
    ]
    return max((t for t in times if t is not None), default=None)


def catch_up_work(learner_id: int) -> None:
    """A learner joined a class: their work marks (User.work_version, worked_at) are kept only while they are in
    a class, so set `worked_at` from their work, and move the version (a part of theirs cached before they left
    a class must not be read again)."""
    get_user_model()._base_manager.filter(pk=learner_id).update(
        work_version=F("work_version") + 1, worked_at=latest_work(learner_id)
    )


def merge_guest(guest, account) -> None:
    """A guest's work moved into the account (studyapp.accounts.guests.GUEST_MERGERS): their class dashboards
    show it (a guest joins no class: it signs up first)."""
    if Membership.objects.filter(learner=account).exists():
        catch_up_work(account.pk)


class Membership(models.Model):
    """A learner in a class. Deleting the account removes it (CASCADE); the class keeps no copy of their work."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="memberships")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_memberships")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["classroom", "learner"], name="membership_once")]

    def __str__(self) -> str:
        return f"{self.learner_id} in {self.classroom_id}"


class Assignment(models.Model):
    """Work given to a class, with an optional opening time and a due time.

    The scope (study and exam): a bank and/or topics (service keys) or a category; none means every question.
    A drill's scope is a category (a family) or a pair of topics."""

    class Kind(models.TextChoices):
        REVIEW = "review", "Study: review N questions"
        MASTER = "master", "Study: master these topics"
        DRILL = "drill", "Trainer drill: N right answers"
        EXAM = "exam", "Exam"

    class ExamPreset(models.TextChoices):
        FULL = "full", "Full simulation (65 questions, 90 min)"
        QUICK = "quick", "Quick exam (20 questions, 30 min)"
        CUSTOM = "custom", "Custom exam"

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assignments")
    title = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    category = models.SlugField(max_length=40, blank=True)
    topics = models.JSONField(default=list, blank=True)  # service keys
    target = models.PositiveIntegerField(null=True, blank=True)  # N reviews or N right answers
    exam_preset = models.CharField(max_length=10, choices=ExamPreset.choices, blank=True)
    exam_count = models.PositiveSmallIntegerField(null=True, blank=True)
    exam_minutes = models.PositiveSmallIntegerField(null=True, blank=True)  # None: untimed (custom only)
    max_attempts = models.PositiveSmallIntegerField(default=1)
    opens_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def starts_counting(self):
        """Work before this time does not count: the opening time, else the assignment's creation."""
        return self.opens_at or self.created_at

    def is_open(self, now) -> bool:
        return (self.opens_at is None or now >= self.opens_at) and now <= self.due_at


class AssignmentAttempt(models.Model):
    """An exam attempt started from an assignment (the attempt itself lives in quizzes.exams)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="attempt_links")
    attempt = models.OneToOneField("exams.ExamAttempt", on_delete=models.CASCADE, related_name="assignment_link")

    def __str__(self) -> str:
        return f"attempt {self.attempt_id} for {self.assignment_id}"
