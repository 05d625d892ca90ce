from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils.module_loading import import_string

from studyapp.content import CONTENT_LOADERS, ContentError, content_dir
from studyapp.notes.models import ContentRelease


class Command(BaseCommand):
    help = "Load notes, question banks and scenarios from content/ (idempotent; all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="Content folder (default: content/ of the project).")

    def handle(self, dir: str | None = None, **options) -> None:
        from pathlib import Path

        directory = Path(dir) if dir else content_dir()
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder")
        totals: dict[str, int] = {}
        try:
            with transaction.atomic():
                for loader in CONTENT_LOADERS:
                    totals.update(import_string(loader)(directory))
                changed = {name: count for name, count in totals.items() if count}
                if changed:
                    ContentRelease.objects.create(changes=changed)
        except ContentError as error:
            raise CommandError(f"{error}\nNothing was loaded: the database is as it was.") from None
        if changed and connection.vendor == "postgresql":
            refresh_planner_statistics()
        if changed:
            self.stdout.write("Loaded: " + ", ".join(f"{count} {name}" for name, count in changed.items()))
        else:
            self.stdout.write("Content is up to date: nothing changed.")


# The tables a load rewrites. PostgreSQL plans queries from statistics that autovacuum refreshes some time after a
# large change; ANALYZE right after the load spares the first requests (and tests, whose loads never commit) plans
# made for tables it believes empty.
CONTENT_MODELS = [
    "quizzes.Category", "quizzes.Service", "quizzes.Bank", "quizzes.Question", "quizzes.Choice",
    "quizzes.QuestionRevision", "notes.Note", "trainer.Scenario", "trainer.Guide", "trainer.GuideNode",
]  # fmt: skip


def refresh_planner_statistics() -> None:
    models = [apps.get_model(label) for label in CONTENT_MODELS]
    tables = [model._meta.db_table for model in models]
    tables += [
        field.remote_field.through._meta.db_table for model in models for field in model._meta.local_many_to_many
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(table) for table in tables))
