from django.core.management.base import BaseCommand
from django.utils import timezone

from quizzes.exams.attempts import close_overdue


class Command(BaseCommand):
    help = "Submit every practice exam whose deadline has passed (for learners who closed the tab)."

    def handle(self, **options) -> None:
        closed = close_overdue(timezone.now())
        self.stdout.write(f"Submitted {closed} overdue attempt{'s' if closed != 1 else ''}.")
