"""Fitting the scheduler to a learner's reviews (issue 19): the fit, the "only when better" rule, rescheduling,
undo after a fit, going back to the defaults, refits offered later, access, export and deletion."""

import json
import math
import zipfile
from datetime import timedelta
from io import BytesIO

import fsrs_rs_python as rs
import pytest
from django.utils import timezone
from fsrs import Scheduler, State

from bench.seeding import fsrs_history
from quizzes.models import FsrsFit, LearnerSettings, QuestionMemory, ReviewLog
from quizzes.study import fitting
from tests.factories import BankFactory, QuestionFactory
from tests.studying import answer, open_study, rate

FIT_URL = "/settings/memory-model/fit/"
DEFAULTS_URL = "/settings/memory-model/defaults/"


def seeded(learner, reviews: int = 1500, seed: int = 7) -> int:
    bank = BankFactory()
    questions = [q.pk for q in QuestionFactory.create_batch(max(20, reviews // 7), bank=bank)]
    return fsrs_history.seed_learner(learner, questions, reviews, timezone.now(), seed=seed)


def reviews_of(histories) -> list[fitting.Review]:
    return [fitting.Review(r.question, r.at, r.rating) for rated in histories for r in rated]


def held_out_items(reviews):
    reviews = sorted(reviews, key=lambda r: r.reviewed_at)
    cutoff = reviews[int(len(reviews) * (1 - fitting.HELD_OUT))].reviewed_at
    return [item for at, item in fitting.items(reviews, fitting.day_counter("UTC", 4)) if at >= cutoff]


def prefs_of(learner) -> LearnerSettings:
    return LearnerSettings.objects.get(learner=learner)


# ---------------------------------------------------------------- the fit itself


def test_a_fit_on_a_history_from_known_parameters_predicts_held_out_reviews_better_than_the_defaults():
    reviews = reviews_of(fsrs_history.history(4000, timezone.now(), seed=11))
    result = fitting.fit(reviews, fitting.day_counter("UTC", 4))

    assert result.reviews == 4000 and result.held_out == pytest.approx(800, abs=5)
    assert result.after.log_loss < result.before.log_loss
    assert result.after.rmse < result.before.rmse
    assert result.better
    # The parameters the history was generated with predict it better still: the fit is between the two.
    truth = fitting.score(fsrs_history.TRUE_PARAMETERS, held_out_items(reviews))
    assert truth.log_loss < result.before.log_loss
    Scheduler(parameters=result.parameters)  # fsrs's own validation accepts them (21, within bounds)


@pytest.mark.parametrize(
    "parameters",
    [
        [math.nan] * 21,
        list(rs.DEFAULT_PARAMETERS)[:19],  # FSRS-5's count
        [*rs.DEFAULT_PARAMETERS[:20], 5.0],  # w20 far out of bounds
    ],
    ids=["not-a-number", "wrong-count", "out-of-bounds"],
)
def test_it_refuses_parameters_the_scheduler_cannot_use(parameters):
    with pytest.raises(fitting.FitError):
        fitting.check(parameters)


def test_the_fitted_parameters_are_the_learners_scheduler(client, learner):
    seeded(learner)
    client.force_login(learner)
    client.post(FIT_URL)

    prefs = prefs_of(learner)
    assert prefs.fsrs_parameters is not None
    assert prefs.scheduler().parameters == tuple(prefs.fsrs_parameters)
    assert prefs.scheduler().desired_retention == prefs.desired_retention


# ---------------------------------------------------------------- the settings page


def test_the_fit_button_waits_for_enough_reviews(client, learner):
    seeded(learner, reviews=120)
    client.force_login(learner)
    page = client.get("/settings/").content.decode()
    assert "Fitting needs at least 200 reviews (you have 120)" in page
    assert FIT_URL not in page

    response = client.post(FIT_URL, follow=True)  # the server says so too, and writes nothing
    assert "Fitting needs at least 200 reviews; you have 120 so far." in response.content.decode()
    assert not FsrsFit.objects.exists()
    assert LearnerSettings.objects.filter(learner=learner, fsrs_parameters__isnull=False).count() == 0


def test_a_fit_that_predicts_better_is_adopted_and_reschedules_the_studied_questions(client, learner):
    seeded(learner)
    client.force_login(learner)
    logs_before = list(ReviewLog.objects.filter(learner=learner).order_by("pk").values())
    memories_before = {m.pk: (m.due, m.stability) for m in QuestionMemory.objects.filter(learner=learner)}

    response = client.post(FIT_URL, follow=True)
    page = response.content.decode()

    fit = FsrsFit.objects.get(learner=learner)
    assert fit.outcome == FsrsFit.Outcome.ADOPTED
    assert fit.reviews == 1500 and fit.trained_on + fit.held_out == 1500
    assert fit.log_loss_after < fit.log_loss_before
    assert "they are in use" in page and "In use: your fitted parameters" in page
    assert f"{fit.log_loss_before:.4f}" in page and f"{fit.log_loss_after:.4f}" in page
    assert f"{fit.rmse_before:.4f}" in page and f"{fit.rmse_after:.4f}" in page

    # The review log is untouched; each studied question is replayed under the new parameters.
    assert list(ReviewLog.objects.filter(learner=learner).order_by("pk").values()) == logs_before
    sched = Scheduler(
        parameters=prefs_of(learner).fsrs_parameters,
        learning_steps=prefs_of(learner).scheduler().learning_steps,
        relearning_steps=prefs_of(learner).scheduler().relearning_steps,
        enable_fuzzing=False,
    )
    moved = 0
    for memory in QuestionMemory.objects.filter(learner=learner, state=State.Review.value):
        logs = ReviewLog.objects.filter(memory=memory).order_by("reviewed_at")
        card = fitting.replay([fitting.Review(memory.pk, log.reviewed_at, log.rating) for log in logs], sched)
        assert memory.stability == pytest.approx(card.stability)
        if card.state == State.Review:
            assert memory.due == card.due
        moved += (memory.due, memory.stability) != memories_before[memory.pk]
    assert moved > 0 and fit.rescheduled >= moved


def test_a_fit_that_does_not_predict_better_keeps_the_defaults(client, learner, monkeypatch):
    seeded(learner)
    real_score = fitting.score

    def fitted_scores_worse(parameters, held_out):
        got = real_score(parameters, held_out)
        if list(parameters) == list(rs.DEFAULT_PARAMETERS):
            return got
        return fitting.Score(got.log_loss + 1, got.rmse + 0.1)

    monkeypatch.setattr(fitting, "score", fitted_scores_worse)
    client.force_login(learner)
    memories_before = list(QuestionMemory.objects.filter(learner=learner).order_by("pk").values())

    page = client.post(FIT_URL, follow=True).content.decode()

    fit = FsrsFit.objects.get(learner=learner)
    assert fit.outcome == FsrsFit.Outcome.KEPT_DEFAULTS and fit.log_loss_after > fit.log_loss_before
    assert prefs_of(learner).fsrs_parameters is None
    assert "did not predict your recent reviews better" in page and "In use: the default parameters" in page
    assert list(QuestionMemory.objects.filter(learner=learner).order_by("pk").values()) == memories_before


_FSRS = rs.FSRS


class _BrokenOptimiser:
    """fsrs-rs's FSRS, except that the fit returns what the test says."""

    returns = None

    def __init__(self, parameters):
        self.real = _FSRS(parameters)

    def compute_parameters(self, items):
        if isinstance(self.returns, Exception):
            raise self.returns
        return self.returns

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.mark.parametrize(
    "returns, says",
    [
        ([math.nan] * 21, "unusable parameter"),
        (list(rs.DEFAULT_PARAMETERS)[:19], "returned 19 parameters"),
        (RuntimeError("NotEnoughData"), "could not fit your reviews"),
    ],
    ids=["nan", "wrong-count", "optimiser-error"],
)
def test_a_failed_fit_leaves_the_defaults_and_says_so(client, learner, monkeypatch, returns, says):
    seeded(learner)
    monkeypatch.setattr(_BrokenOptimiser, "returns", returns)
    monkeypatch.setattr(fitting.rs, "FSRS", _BrokenOptimiser)
    client.force_login(learner)

    response = client.post(FIT_URL, follow=True)
    page = response.content.decode()

    assert response.status_code == 200
    fit = FsrsFit.objects.get(learner=learner)
    assert fit.outcome == FsrsFit.Outcome.FAILED and says in fit.message
    assert prefs_of(learner).fsrs_parameters is None
    assert says in page and "The scheduler keeps the default parameters." in page


def test_a_second_fit_started_at_once_does_not_run_again(client, learner):
    seeded(learner)
    client.force_login(learner)
    client.post(FIT_URL)
    first = FsrsFit.objects.get(learner=learner)

    page = client.post(FIT_URL, follow=True).content.decode()  # e.g. a double click, or a second tab

    assert "Your last fit is still current" in page
    assert FsrsFit.objects.filter(learner=learner).count() == 1
    assert FsrsFit.objects.get(learner=learner).fitted_at == first.fitted_at


def test_a_fit_started_while_another_runs_does_not_start_and_says_so(client, learner):
    seeded(learner)
    LearnerSettings.objects.update_or_create(learner=learner, defaults={"fit_started_at": timezone.now()})
    client.force_login(learner)

    page = client.post(FIT_URL, follow=True).content.decode()

    assert "A fit of your reviews is already running" in page
    assert not FsrsFit.objects.filter(learner=learner).exists()


def test_a_claim_left_by_a_fit_that_died_long_ago_does_not_block_a_new_one(client, learner):
    seeded(learner)
    stale = timezone.now() - fitting.FIT_CLAIM - timedelta(seconds=1)
    LearnerSettings.objects.update_or_create(learner=learner, defaults={"fit_started_at": stale})
    client.force_login(learner)
    client.post(FIT_URL)
    assert FsrsFit.objects.get(learner=learner).outcome == FsrsFit.Outcome.ADOPTED
    assert prefs_of(learner).fit_started_at is None  # released


def test_going_back_to_the_defaults_during_a_fit_withdraws_it(learner, monkeypatch):
    seeded(learner)
    fitting.fit_learner(learner, timezone.now())  # fitted parameters in use
    FsrsFit.objects.filter(learner=learner).update(fitted_at=timezone.now() - timedelta(days=31))  # a refit is due
    real_fit = fitting.fit

    def fit_while_the_learner_resets(*args, **kwargs):
        result = real_fit(*args, **kwargs)
        fitting.reset_learner(learner)  # the learner presses "Go back to the defaults" meanwhile
        return result

    monkeypatch.setattr(fitting, "fit", fit_while_the_learner_resets)
    row, ran = fitting.fit_learner(learner, timezone.now())
    assert not ran and row.outcome == FsrsFit.Outcome.RESET
    assert prefs_of(learner).fsrs_parameters is None and prefs_of(learner).fit_started_at is None


def test_a_failed_refit_keeps_the_fitted_parameters_in_use(client, learner, monkeypatch):
    seeded(learner)
    client.force_login(learner)
    client.post(FIT_URL)
    fitted = prefs_of(learner).fsrs_parameters
    assert fitted is not None
    FsrsFit.objects.filter(learner=learner).update(fitted_at=timezone.now() - timedelta(days=31))
    monkeypatch.setattr(_BrokenOptimiser, "returns", [math.nan] * 21)
    monkeypatch.setattr(fitting.rs, "FSRS", _BrokenOptimiser)

    page = client.post(FIT_URL, follow=True).content.decode()

    assert FsrsFit.objects.get(learner=learner).outcome == FsrsFit.Outcome.FAILED
    assert prefs_of(learner).fsrs_parameters == fitted
    assert "The scheduler keeps your fitted parameters." in page


def test_a_refit_is_offered_after_500_new_reviews_or_a_month(client, learner):
    seeded(learner)
    client.force_login(learner)
    client.post(FIT_URL)
    fit = FsrsFit.objects.get(learner=learner)

    page = client.get("/settings/").content.decode()
    assert "A new fit is offered after 2000 reviews (you have 1500)" in page
    assert 'action="/settings/memory-model/fit/"' not in page

    FsrsFit.objects.filter(pk=fit.pk).update(fitted_at=fit.fitted_at - timedelta(days=31))
    assert 'action="/settings/memory-model/fit/"' in client.get("/settings/").content.decode()

    FsrsFit.objects.filter(pk=fit.pk).update(fitted_at=timezone.now(), reviews=1000)
    assert 'action="/settings/memory-model/fit/"' in client.get("/settings/").content.decode()


def test_going_back_to_the_defaults_reschedules_with_them(client, learner):
    seeded(learner)
    client.force_login(learner)
    memories_before = {m.pk: m.due for m in QuestionMemory.objects.filter(learner=learner, state=State.Review.value)}
    client.post(FIT_URL)

    page = client.post(DEFAULTS_URL, follow=True).content.decode()

    assert prefs_of(learner).fsrs_parameters is None
    assert FsrsFit.objects.get(learner=learner).outcome == FsrsFit.Outcome.RESET
    assert "The scheduler uses the default parameters again" in page
    assert 'action="/settings/memory-model/fit/"' in page  # a new fit is offered at once
    # The seeded history was scheduled with the defaults (no steps): replayed under them, due dates come back.
    after = {m.pk: m.due for m in QuestionMemory.objects.filter(learner=learner, state=State.Review.value)}
    same = sum(1 for pk, due in after.items() if memories_before.get(pk) == due)
    assert same >= 0.9 * len(after)


def test_the_fit_and_the_defaults_buttons_are_posts_only(client, learner):
    client.force_login(learner)
    assert client.get(FIT_URL).status_code == 405
    assert client.get(DEFAULTS_URL).status_code == 405


def test_undo_of_the_last_rating_still_works_after_a_fit(client, learner):
    seeded(learner)
    QuestionFactory(bank=BankFactory(), stem_md="A fresh question?")
    client.force_login(learner)
    client.post(FIT_URL)
    assert prefs_of(learner).fsrs_parameters is not None

    shown = open_study(client)
    memory_before = QuestionMemory.objects.filter(learner=learner, question=shown.question).values().first()
    logs = ReviewLog.objects.filter(learner=learner).count()
    feedback = answer(client, shown, shown.right())
    rate(client, feedback, 3)
    last = ReviewLog.objects.filter(learner=learner).latest("pk")
    assert ReviewLog.objects.filter(learner=learner).count() == logs + 1

    response = client.post("/study/undo/", {"log": last.pk})

    assert response.status_code == 303
    assert ReviewLog.objects.filter(learner=learner).count() == logs
    memory = QuestionMemory.objects.filter(learner=learner, question=shown.question).values().first()
    if memory_before is None:  # a new question: nothing of it is remembered any more
        assert memory is None or memory["last_review"] is None
    else:
        for field in ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "failures"):
            assert memory[field] == memory_before[field], field


# ---------------------------------------------------------------- who sees what


def test_one_learner_cannot_fit_or_see_anothers(client, learner, other_learner):
    seeded(learner)
    seeded(other_learner, seed=8)
    client.force_login(learner)
    client.post(FIT_URL)
    ada = FsrsFit.objects.get(learner=learner)

    client.force_login(other_learner)
    page = client.get("/settings/").content.decode()
    assert "In use: the default parameters" in page and "Last fit on" not in page
    assert f"{ada.log_loss_after:.4f}" not in page
    client.post(DEFAULTS_URL)  # acts on grace's own (default) parameters only
    assert prefs_of(learner).fsrs_parameters == ada.parameters
    client.post(FIT_URL)
    assert FsrsFit.objects.get(learner=learner).fitted_at == ada.fitted_at
    assert FsrsFit.objects.filter(learner=other_learner).exists()


def test_visitors_are_sent_to_log_in(client, db):
    response = client.post(FIT_URL)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert not FsrsFit.objects.exists()


def test_the_export_has_the_parameters_and_their_scores(client, learner):
    seeded(learner)
    client.force_login(learner)
    client.post(FIT_URL)
    fit = FsrsFit.objects.get(learner=learner)

    data = json.loads(client.get("/settings/export.json").content)
    assert data["account"]["fsrs_parameters"] == prefs_of(learner).fsrs_parameters
    [row] = data["memory_model"]
    assert row["outcome"] == "adopted" and row["parameters"] == fit.parameters
    assert row["log_loss_defaults"] == fit.log_loss_before and row["log_loss_fitted"] == fit.log_loss_after
    assert row["rmse_defaults"] == fit.rmse_before and row["rmse_fitted"] == fit.rmse_after

    archive = zipfile.ZipFile(BytesIO(client.get("/settings/export.zip").content))
    assert "log_loss_fitted" in archive.read("memory_model.csv").decode()


def test_deleting_the_account_removes_the_parameters(client, learner):
    learner.set_password("pw-for-delete")
    learner.save()
    seeded(learner)
    client.force_login(learner)
    client.post(FIT_URL)
    assert FsrsFit.objects.filter(learner=learner).exists()

    client.post("/settings/delete/", {"password": "pw-for-delete", "confirm": "on"})

    assert not FsrsFit.objects.exists()
    assert not LearnerSettings.objects.filter(learner_id=learner.pk).exists()


# ---------------------------------------------------------------- what a desired retention costs


def test_the_settings_page_shows_what_each_desired_retention_costs(client, learner):
    seeded(learner)
    client.force_login(learner)
    page = client.get("/settings/").content.decode()
    assert 'data-hx-get="/settings/workload/" data-hx-trigger="load"' in page  # htmx loads the costs
    assert '<a href="/settings/workload/">' in page  # a link without JavaScript
    fragment = client.get("/settings/workload/", headers={"HX-Request": "true"}).content.decode()
    assert "What a retention costs you" in fragment and "0.90 (yours)" in fragment and "<html" not in fragment
    assert "0.90 (yours)" in client.get("/settings/workload/").content.decode()  # the page without JavaScript

    prefs = LearnerSettings.for_learner(learner)
    costs = dict(fitting.workload(learner, prefs, 1500, timezone.now()))
    assert list(costs) == [0.80, 0.85, 0.90, 0.95]
    assert costs[0.80] <= costs[0.85] <= costs[0.90] <= costs[0.95]
    assert costs[0.95] > costs[0.80]


def test_a_fitted_learners_settings_page_takes_at_most_8_queries(client, learner, django_assert_max_num_queries):
    seeded(learner)
    client.force_login(learner)
    client.post(FIT_URL)
    with django_assert_max_num_queries(8):
        assert client.get("/settings/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/settings/workload/", headers={"HX-Request": "true"}).status_code == 200


def test_a_fitted_learner_studies_within_the_study_pages_query_targets(client, learner, django_assert_max_num_queries):
    seeded(learner)
    QuestionFactory(bank=BankFactory())
    client.force_login(learner)
    client.post(FIT_URL)
    assert prefs_of(learner).fsrs_parameters is not None
    open_study(client)  # warm the per-process caches a running server has (as tests/test_study_queries.py does)
    with django_assert_max_num_queries(8):
        shown = open_study(client)
    right = shown.right()
    with django_assert_max_num_queries(8):
        feedback = answer(client, shown, right, htmx=True)
    with django_assert_max_num_queries(8):
        assert rate(client, feedback, 3).status_code in (302, 303)
