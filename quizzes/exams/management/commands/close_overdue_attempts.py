from django.core.management.base import BaseCommand
from django.utils import timezone

from quizzes.exams.models import ExamAttempt


class Command(BaseCommand):
    help = (
        "Submit every practice exam whose time ran out (learners who closed the tab), scored with the answers "
        "saved in time. Idempotent: run it every few minutes from cron or a scheduler. Until it runs, pages show "
        "such an attempt as finished without writing, and the next POST that touches it submits it."
    )

    def handle(self, **options) -> None:
        now = timezone.now()
        closed = sum(attempt.submit(now) for attempt in ExamAttempt.objects.overdue(now))
        self.stdout.write(f"Submitted {closed} overdue attempt{'s' if closed != 1 else ''}.")
