from django.db import models


class ServiceQuerySet(models.QuerySet):
    def core(self):
        return self.filter(core=True)


class Service(models.Model):
    """An AWS service (or Docker) of the chapter: the vocabulary notes, questions and scenarios share."""

    key = models.SlugField(max_length=40, unique=True)
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
