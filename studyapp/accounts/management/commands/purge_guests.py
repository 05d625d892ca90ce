from django.core.management.base import BaseCommand, CommandError

from studyapp.accounts.guests import purge_inactive_guests


class Command(BaseCommand):
    help = "Delete guest learners inactive for --days days (their answers stay only as anonymous statistics)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)

    def handle(self, days: int, **options) -> None:
        if days < 1:
            raise CommandError("--days must be at least 1.")
        removed = purge_inactive_guests(days)
        self.stdout.write(f"Removed {removed} guest{'s' if removed != 1 else ''} inactive for {days} days or more.")
