from django.conf import settings
from django.db import models

from quizzes.models import Bank, BankStatus


class StewardshipQuerySet(models.QuerySet):
    def editable_by(self, user):
        """Banks this instructor may edit: the ones they own or co-author."""
        co_authored = BankStewardship.co_authors.through.objects.filter(user=user).values("bankstewardship")
        return self.filter(models.Q(owner=user) | models.Q(pk__in=co_authored))


class BankStewardship(models.Model):
    """Who looks after an instructor's bank, and whether learners can see it.

    Banks from content/banks/ have none: they are edited as files, not on /author/."""

    Status = BankStatus

    bank = models.OneToOneField(Bank, on_delete=models.CASCADE, related_name="stewardship")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_banks")
    co_authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="coauthored_banks", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StewardshipQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.bank.slug} ({self.status})"

    def is_owner(self, user) -> bool:
        return self.owner_id == user.pk

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED


class PendingImport(models.Model):
    """An uploaded file between its dry-run preview and the instructor's confirmation (then deleted)."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="pending_imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    format = models.CharField(max_length=10)
    default_topic = models.CharField(max_length=40, blank=True)  # for questions whose file names no topic
    file_name = models.CharField(max_length=255)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.file_name} -> {self.bank_id}"


class FlagResolution(models.Model):
    """How an author closed a learner's flag: what they did and which revision the question had afterwards.

    `revision_after` greater than the flag's revision means the question was edited since the learner saw it."""

    flag = models.OneToOneField("quizzes.Flag", on_delete=models.CASCADE, related_name="resolution")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(max_length=2000)
    revision_after = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"resolution of flag {self.flag_id}"

    @property
    def changed_question(self) -> bool:
        return self.revision_after > self.flag.revision
