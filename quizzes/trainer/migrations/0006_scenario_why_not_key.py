"""Add `Scenario.why_not_key` (the why-nots' service keys, as answer_key writes them) and fill it for the scenarios
already stored, content's and instructors' alike; the loader and the authoring forms write it from now on."""

from django.db import migrations, models


def fill(apps, schema_editor):
    Scenario = apps.get_model("trainer", "Scenario")
    for pk, why_not in Scenario.objects.values_list("pk", "why_not_md"):
        Scenario.objects.filter(pk=pk).update(why_not_key="+".join(sorted(why_not or {})))


class Migration(migrations.Migration):
    dependencies = [
        ("trainer", "0005_round_category"),
    ]

    operations = [
        migrations.AddField(
            model_name="scenario",
            name="why_not_key",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
