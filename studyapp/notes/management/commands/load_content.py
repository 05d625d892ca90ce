from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
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
        if changed:
            self.stdout.write("Loaded: " + ", ".join(f"{count} {name}" for name, count in changed.items()))
        else:
            self.stdout.write("Content is up to date: nothing changed.")
