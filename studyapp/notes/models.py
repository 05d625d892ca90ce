from django.contrib.postgres.search import SearchVectorField
from django.db import models

# The CLF-C02 exam guide's task statements, by number; a note names one (its first digit is the domain).
TASK_STATEMENTS = {
    "1.1": "Define the benefits of the AWS Cloud",
    "1.2": "Identify design principles of the AWS Cloud",
    "1.3": "Understand the benefits of and strategies for migration to the AWS Cloud",
    "1.4": "Understand concepts of cloud economics",
    "2.1": "Understand the AWS shared responsibility model",
    "2.2": "Understand AWS Cloud security, governance, and compliance concepts",
    "2.3": "Identify AWS access management capabilities",
    "2.4": "Identify components and resources for security",
    "3.1": "Define methods of deploying and operating in the AWS Cloud",
    "3.2": "Define the AWS global infrastructure",
    "3.3": "Identify AWS compute services",
    "3.4": "Identify AWS database services",
    "3.5": "Identify AWS network services",
    "3.6": "Identify AWS storage services",
    "3.7": "Identify AWS artificial intelligence and machine learning (AI/ML) services and analytics services",
    "3.8": "Identify services from other in-scope AWS service categories",
    "4.1": "Compare AWS pricing models",
    "4.2": "Understand resources for billing, budget, and cost management",
    "4.3": "Identify AWS technical resources and AWS Support options",
}
DOMAIN_NUMBERS = {"1": "cloud-concepts", "2": "security-compliance", "3": "cloud-technology", "4": "billing-pricing"}


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
    # PostgreSQL's weighted full-text vector of title, summary and search_text, stored by the loader
    # (search.reindex()) so that a search does not parse every note again; unused (NULL) on SQLite, whose FTS5
    # table (notes_fts) plays that part.
    search_vector = SearchVectorField(null=True, editable=False)
    source_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/notes/{self.slug}/"

    @property
    def task_number(self) -> str:
        """The task statement's number ("3.3"), the first word of task_statement."""
        return self.task_statement.split(" ", 1)[0]


class NoteSection(models.Model):
    """A part of a note: the text under one of its headings (the levels of its table of contents), or before the
    first (`anchor` empty). A search result shows the section of its note that matches best, and links to it;
    search.reindex() builds the sections from the notes whenever the loader changes a note."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    anchor = models.TextField(blank=True)  # the heading's id in the note's page (as long as the heading asks)
    heading = models.TextField(blank=True)
    text = models.TextField()  # plain text, without the heading
    # PostgreSQL's weighted full-text vector of the heading and the text, stored by search.reindex(); unused (NULL)
    # on SQLite, whose FTS5 table (notes_section_fts) plays that part.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["note", "position"]
        constraints = [models.UniqueConstraint(fields=["note", "position"], name="note_section_unique_position")]

    def __str__(self) -> str:
        return f"{self.note.slug}#{self.anchor}" if self.anchor else self.note.slug


class ContentRelease(models.Model):
    """One row per load_content run that changed something: its id versions every page built from content."""

    loaded_at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"Content release {self.pk} ({self.loaded_at:%Y-%m-%d %H:%M})"

    @classmethod
    def current(cls) -> int:
        """The id of the latest release (0 before the first load): a version for caches of content."""
        return cls.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
