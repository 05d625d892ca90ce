import django.contrib.postgres.search
from django.db import migrations


def fill(apps, schema_editor):
    """The notes already loaded get their stored vector (the loader keeps it current from now on)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    from studyapp.notes.search import vector

    apps.get_model("notes", "Note").objects.using(schema_editor.connection.alias).update(search_vector=vector())


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
