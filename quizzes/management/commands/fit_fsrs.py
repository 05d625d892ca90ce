"""Fit the scheduler's FSRS parameters to learners' reviews from the command line (e.g. a nightly job), as the
settings page does: adopted only when they predict the learner's held-out reviews better than the defaults.

    python manage.py fit_fsrs ada
    python manage.py fit_fsrs --all [--min-reviews 200] [--report json]

With --all, only learners with enough reviews whose refit is due (never fitted, 500 new reviews or a month
since the last fit, or a failed/undone fit); a named learner is fitted even if not due.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from quizzes.study import fitting
from studyapp.accounts.models import User


class Command(BaseCommand):
    help = "Fit FSRS parameters to a learner's reviews (or every learner's with --all) and report the scores."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="the learner to fit")
        parser.add_argument("--all", action="store_true", help="every learner with enough reviews and a fit due")
        parser.add_argument("--min-reviews", type=int, default=fitting.MIN_REVIEWS, help="default: %(default)s")
        parser.add_argument("--report", choices=["text", "json"], default="text")

    def handle(self, *args, username=None, all=False, min_reviews, report, **options):
        if bool(username) == bool(all):
            raise CommandError("Name one learner or pass --all.")
        if min_reviews < fitting.MIN_ITEMS:
            raise CommandError(f"--min-reviews must be at least {fitting.MIN_ITEMS}.")
        now = timezone.now()
        if username:
            learner = User.objects.filter(username=username).first()
            if learner is None:
                raise CommandError(f"No learner named {username!r}.")
            learners, force = [learner], True
        else:
            learners = User.objects.annotate(reviews=Count("review_logs")).filter(reviews__gte=min_reviews)
            learners, force = list(learners.order_by("pk")), False
        rows = [self._fit(learner, now, min_reviews, force) for learner in learners]
        if report == "json":
            self.stdout.write(json.dumps({"fitted_at": now.isoformat(), "learners": rows}, indent=1))
            return
        if not rows:
            self.stdout.write(f"No learner has {min_reviews} reviews or more.")
        for row in rows:
            if row["outcome"] in ("too-few-reviews", "not-due"):
                self.stdout.write(f"{row['learner']}: {row['reviews']} reviews, {row['message']}")
                continue
            self.stdout.write(
                f"{row['learner']}: {row['reviews']} reviews ({row['trained_on']} fitted on, {row['held_out']} held"
                f" out), log loss {_num(row['log_loss_before'])} before, {_num(row['log_loss_after'])} after:"
                f" {row['outcome']}{' (' + row['message'] + ')' if row['message'] else ''}"
            )

    def _fit(self, learner, now, min_reviews: int, force: bool) -> dict:
        try:
            fit, ran = fitting.fit_learner(learner, now, min_reviews=min_reviews, force=force)
        except fitting.FitRunning as error:
            count = learner.review_logs.count()
            return {"learner": learner.username, "reviews": count, "outcome": "running", "message": str(error)}
        except fitting.FitError as error:
            count = learner.review_logs.count()
            return {"learner": learner.username, "reviews": count, "outcome": "too-few-reviews", "message": str(error)}
        if not ran:
            return {
                "learner": learner.username,
                "reviews": fit.reviews,
                "outcome": "not-due",
                "message": "last fit still current",
            }
        return {
            "learner": learner.username,
            "reviews": fit.reviews,
            "trained_on": fit.trained_on,
            "held_out": fit.held_out,
            "log_loss_before": fit.log_loss_before,
            "rmse_before": fit.rmse_before,
            "log_loss_after": fit.log_loss_after,
            "rmse_after": fit.rmse_after,
            "outcome": fit.outcome,
            "message": fit.message,
            "rescheduled": fit.rescheduled,
        }


def _num(value) -> str:
    return "–" if value is None else f"{value:.4f}"
