from django.db import migrations

# The SQLite FTS5 index of whole notes, as it was until 0005 replaced it with one of their sections. The statements
# are written here rather than imported from studyapp.notes.search, so that this migration keeps doing what it did.


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS notes_fts USING fts5("
            "slug UNINDEXED, title, summary, body, theme UNINDEXED, tokenize = 'porter unicode61')"
        )
        cursor.execute(
            "INSERT INTO notes_fts (slug, title, summary, body, theme) "
            "SELECT slug, title, summary, search_text, theme FROM notes_note"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS notes_fts")


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
