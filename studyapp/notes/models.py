from django.db import models


class Note(models.Model):
    """A study note of the chapter, loaded from content/notes/<slug>.md; its HTML is rendered at load."""

    class Domain(models.TextChoices):
        CLOUD_CONCEPTS = "cloud-concepts", "Cloud Concepts (Domain 1, 24 %)"
        SECURITY = "security-compliance", "Security and Compliance (Domain 2, 30 %)"
        TECHNOLOGY = "cloud-technology", "Cloud Technology and Services (Domain 3, 34 %)"
        BILLING = "billing-pricing", "Billing, Pricing and Support (Domain 4, 12 %)"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField()
    theme = models.CharField(max_length=80)
    services = models.JSONField(default=list)  # service keys, in the note's order
    domain = models.CharField(max_length=40, choices=Domain.choices)
    task_statement = models.CharField(max_length=200)
    summary = models.CharField(max_length=300)
    widgets = models.JSONField(default=list)  # interactive parts shown after the body, e.g. "lambda-cost-calculator"
    body_md = models.TextField()  # as written, before facts are substituted
    body_html = models.TextField()  # sanitized, facts substituted: what the page shows
    toc = models.JSONField(default=list)
    search_text = models.TextField()  # plain text of the body, for search
    source_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/notes/{self.slug}/"


class ContentRelease(models.Model):
    """One row per load_content run that changed something: its id versions every page built from content."""

    loaded_at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"Content release {self.pk} ({self.loaded_at:%Y-%m-%d %H:%M})"
