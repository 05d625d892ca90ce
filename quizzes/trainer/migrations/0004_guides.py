"""Several decision guides: GuideNode rows belong to a Guide (content/guides/<slug>.yaml).

The old single guide's nodes are removed; `load_content` (run by `make run`) loads every guide again.
"""

import django.db.models.deletion
from django.db import migrations, models


def forget_old_guide(apps, schema_editor):
    apps.get_model("trainer", "GuideNode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("trainer", "0003_rounditem_answers_index")]

    operations = [
        migrations.CreateModel(
            name="Guide",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slug", models.SlugField(max_length=80, unique=True)),
                ("title", models.CharField(max_length=200)),
                ("summary", models.TextField()),
                ("order", models.PositiveSmallIntegerField(default=0)),
            ],
            options={"ordering": ["order"]},
        ),
        migrations.RunPython(forget_old_guide, migrations.RunPython.noop),
        migrations.AlterField(model_name="guidenode", name="key", field=models.SlugField(max_length=80)),
        migrations.AddField(
            model_name="guidenode",
            name="guide",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="nodes", to="trainer.guide"
            ),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="guidenode",
            constraint=models.UniqueConstraint(fields=("guide", "key"), name="guidenode_unique_guide_key"),
        ),
    ]
