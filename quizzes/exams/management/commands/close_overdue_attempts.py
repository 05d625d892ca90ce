from django.core.management.base import BaseCommand
from django.utils import timezone

from quizzes.exams.models import ExamAttempt, ExamError


class Command(BaseCommand):
    help = (
        "Submit every practice exam whose time ran out (learners who closed the tab), scored with the answers "
        "saved in time. Idempotent: run it every few minutes from cron or a scheduler. Until it runs, pages show "
        "such an attempt as finished without writing, and the next POST that touches it submits it."
    )

    def handle(self, **options) -> None:
        now = timezone.now()
        closed = 0
        for attempt in ExamAttempt.objects.overdue(now):
            try:
                closed += attempt.submit(now)
            except ExamError as error:  # abandoned meanwhile: nothing to submit; the others still are
                self.stderr.write(f"Attempt {attempt.pk}: {error}")
        self.stdout.write(f"Submitted {closed} overdue attempt{'s' if closed != 1 else ''}.")
