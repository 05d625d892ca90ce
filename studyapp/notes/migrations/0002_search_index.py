from django.db import migrations


def create(apps, schema_editor):
    from studyapp.notes.search import create_index, reindex

    create_index(schema_editor.connection)
    if schema_editor.connection.vendor == "sqlite":  # PostgreSQL's stored vectors come with 0004
        reindex(schema_editor.connection)


def drop(apps, schema_editor):
    from studyapp.notes.search import drop_index

    drop_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
