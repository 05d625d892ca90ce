from django.db import migrations

# The triggers migration 0005 installed on databases created before it stopped doing so.
LEARNER_TABLES = [
    "quizzes_questionmemory",
    "quizzes_learnersettings",
    "trainer_rounditem",
    "trainer_scenariomemory",
    "exams_examattempt",
]
CATALOGUE_TABLES = [
    "quizzes_bank",
    "quizzes_question",
    "quizzes_choice",
    "quizzes_question_services",
    "authoring_bankstewardship",
    "notes_contentrelease",
]


def drop_triggers(apps, schema_editor):
    tables = LEARNER_TABLES + CATALOGUE_TABLES
    if schema_editor.connection.vendor == "sqlite":
        for table in tables:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS count_changes_{table}_{event}")
        schema_editor.execute("DROP TRIGGER IF EXISTS count_changes_accounts_user_delete")
    elif schema_editor.connection.vendor == "postgresql":
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS count_changes ON {table}")
        schema_editor.execute("DROP TRIGGER IF EXISTS forget_changes ON accounts_user")
        for function in ("count_learner_change", "count_catalogue_change", "forget_learner_changes"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0005_change_counts"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, migrations.RunPython.noop),
        migrations.DeleteModel(name="ChangeCount"),
    ]
