"""The exam's "missed questions" read each memory's `failures` (its wrong answers) instead of the review log, so
the partial index of wrong answers goes. Guest merges before this release kept the newer side's counters instead
of adding both: each memory's `failures` is recounted from its log once, where the two differ."""

from django.db import migrations
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce


def recount_failures(apps, schema_editor):
    QuestionMemory = apps.get_model("quizzes", "QuestionMemory")
    ReviewLog = apps.get_model("quizzes", "ReviewLog")
    wrong = (
        ReviewLog.objects.filter(memory=OuterRef("pk"), correct=False)
        .order_by()
        .values("memory")
        .annotate(n=Count("pk"))
        .values("n")
    )
    counted = Coalesce(Subquery(wrong, output_field=IntegerField()), Value(0))
    QuestionMemory.objects.annotate(counted=counted).filter(~Q(failures=counted)).update(failures=counted)


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0011_reviewlog_wrong_index"),
    ]

    operations = [
        migrations.RunPython(recount_failures, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="reviewlog",
            name="reviewlog_wrong",
        ),
    ]
