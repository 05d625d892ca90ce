from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load notes, question banks and scenarios from content/ (idempotent)."

    def handle(self, **options) -> None:
        self.stdout.write("Nothing to load yet.")
