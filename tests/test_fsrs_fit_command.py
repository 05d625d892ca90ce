"""`manage.py fit_fsrs` (issue 19): the same fit from the command line, with a report per learner."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from quizzes.models import FsrsFit, LearnerSettings
from tests.factories import UserFactory
from tests.test_fsrs_fit import seeded


def run(*args) -> str:
    out = StringIO()
    call_command("fit_fsrs", *args, stdout=out)
    return out.getvalue()


def test_it_reports_the_reviews_used_and_the_log_loss_before_and_after(learner):
    seeded(learner)
    report = json.loads(run("ada", "--report", "json"))

    [row] = report["learners"]
    fit = FsrsFit.objects.get(learner=learner)
    assert row["learner"] == "ada" and row["reviews"] == 1500
    assert row["trained_on"] == fit.trained_on and row["held_out"] == fit.held_out
    assert row["log_loss_before"] == fit.log_loss_before and row["log_loss_after"] == fit.log_loss_after
    assert row["outcome"] == "adopted"
    assert LearnerSettings.objects.get(learner=learner).fsrs_parameters == fit.parameters


def test_the_text_report_has_one_line_per_learner(learner):
    seeded(learner)
    text = run("ada")
    fit = FsrsFit.objects.get(learner=learner)
    assert text.strip() == (
        f"ada: 1500 reviews ({fit.trained_on} fitted on, {fit.held_out} held out), log loss "
        f"{fit.log_loss_before:.4f} before, {fit.log_loss_after:.4f} after: adopted"
    )


def test_all_fits_the_learners_with_enough_reviews_whose_fit_is_due(learner, other_learner):
    seeded(learner)
    seeded(other_learner, reviews=100, seed=8)
    UserFactory(username="nobody")

    first = json.loads(run("--all", "--report", "json"))["learners"]
    again = json.loads(run("--all", "--report", "json"))["learners"]

    assert [(row["learner"], row["outcome"]) for row in first] == [("ada", "adopted")]
    assert [(row["learner"], row["outcome"]) for row in again] == [("ada", "not-due")]
    low = json.loads(run("--all", "--min-reviews", "50", "--report", "json"))["learners"]  # the operator's call
    assert [(row["learner"], row["reviews"]) for row in low] == [("ada", 1500), ("grace", 100)]
    assert low[0]["outcome"] == "not-due" and low[1]["log_loss_before"] > 0


@pytest.mark.parametrize(
    "args, says",
    [((), "Name one learner or pass --all."), (("ada", "--all"), "Name one learner or pass --all."),
     (("nobody",), "No learner named 'nobody'."), (("ada", "--min-reviews", "2"), "at least 8")],
)  # fmt: skip
def test_bad_arguments_are_refused(learner, args, says):
    with pytest.raises(CommandError, match=says):
        run(*args)


def test_a_learner_with_too_few_reviews_is_told_so_and_nothing_is_written(learner):
    seeded(learner, reviews=100)
    assert run("ada").strip() == "ada: 100 reviews, Fitting needs at least 200 reviews; you have 100 so far."
    assert not FsrsFit.objects.exists()


def test_all_says_when_no_learner_has_enough_reviews(learner):
    assert run("--all").strip() == "No learner has 200 reviews or more."
