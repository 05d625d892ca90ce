import django.contrib.postgres.search
from django.contrib.postgres.search import SearchVector
from django.db import migrations


def fill(apps, schema_editor):
    """The notes already loaded get their stored vector (until 0005, which indexes their sections instead)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", weight="B", config="english")
        + SearchVector("search_text", weight="C", config="english")
    )
    apps.get_model("notes", "Note").objects.using(schema_editor.connection.alias).update(search_vector=vector)


class Migration(migrations.Migration):
    dependencies = [("notes", "0003_content_release")]

    operations = [
        migrations.AddField(
            model_name="note",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
