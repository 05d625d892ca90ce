from django.core.management.base import BaseCommand

from quizzes.itemstats.tallies import SETTLE_SECONDS, fold_pending_answers


class Command(BaseCommand):
    help = (
        "Add the study answers and finished practice exams not yet counted to the item statistics "
        "(/author/<bank>/stats/ only reads them). Idempotent, and no learner waits for it: run it every few "
        "minutes from cron or a scheduler, like close_overdue_attempts."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--settle-seconds",
            type=float,
            default=SETTLE_SECONDS,
            help="PostgreSQL: how long to wait for answers being written when the fold starts (default: %(default)s).",
        )

    def handle(self, **options) -> None:
        folded = fold_pending_answers(options["settle_seconds"])
        self.stdout.write(
            f"Folded {folded.study_answers} study answer{'s' if folded.study_answers != 1 else ''} and "
            f"{folded.exam_attempts} exam attempt{'s' if folded.exam_attempts != 1 else ''}."
        )
        if folded.study_postponed:
            self.stderr.write(
                "Some answers were still being written after the wait: the study answers are left for the next run."
            )
