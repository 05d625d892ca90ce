"""FSRS-6 fitted to one learner's own reviews, with fsrs-rs-python (the Rust optimiser Anki uses; no PyTorch).

The learner's review log is split by time: the optimiser sees the older four fifths, and the fitted parameters
are scored against the defaults on the most recent fifth (log loss and RMSE over bins, the optimiser's own
`evaluate`). The parameters scored are the parameters used, and only when they predict those held-out reviews
better than the defaults (lower log loss). Why fsrs-rs-python over the fsrs package's own optimiser: the
README's "Fitting the scheduler" section has the measurements (install size, time, agreement).

Reviews become the optimiser's items as in its examples: per question, each review after the first that falls
on a later study day than the one before ends an item holding every review so far, with the days between them
counted in the learner's study days (time zone and day-start hour).
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import fsrs_rs_python as rs
from django.db import transaction
from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

# fsrs-rs returns its defaults unchanged for fewer than 8 items (fsrs-rs issue #233), and the FSRS authors found
# about 200 reviews are needed before fitted parameters predict the next reviews well (ankitects/anki#3094): we
# ask for 200, of which the optimiser sees 160.
MIN_REVIEWS = 200
MIN_ITEMS = 8
HELD_OUT = 0.2  # the most recent fifth of the reviews: the fit never sees them
REFIT_AFTER_REVIEWS = 500
REFIT_AFTER = timedelta(days=30)
FIT_CLAIM = timedelta(minutes=2)  # a fit that started longer ago than this has died: another may start
PARAMETER_COUNT = len(LOWER_BOUNDS_PARAMETERS)  # 21: FSRS-6, as fsrs and fsrs-rs-python both use


class FitError(Exception):
    """The fit could not run or gave parameters we refuse to use: the message says why, for the learner."""


class FitRunning(FitError):
    """Another fit of this learner's reviews is running: this one does not start."""


@dataclass(frozen=True)
class Review:
    memory_id: int
    reviewed_at: datetime
    rating: int


@dataclass(frozen=True)
class Score:
    log_loss: float
    rmse: float


@dataclass
class Fit:
    parameters: list[float]
    reviews: int  # all the learner's reviews
    trained_on: int  # the older reviews the optimiser saw
    held_out: int  # the recent reviews it did not see
    before: Score  # the default parameters on the held-out reviews
    after: Score  # the fitted parameters on the held-out reviews
    items: dict = field(default_factory=dict, repr=False)

    @property
    def better(self) -> bool:
        return self.after.log_loss < self.before.log_loss


def day_counter(time_zone: str, day_start_hour: int):
    """A function giving each instant its study-day number, so two reviews' distance is in study days."""
    tz = ZoneInfo(time_zone)
    shift = timedelta(hours=day_start_hour)

    def day(moment: datetime) -> int:
        return (moment.astimezone(tz) - shift).date().toordinal()

    return day


def items(reviews: list[Review], day) -> list[tuple[datetime, rs.FSRSItem]]:
    """The optimiser's items, each with the time of its last review, oldest first."""
    by_memory: dict[int, list[Review]] = defaultdict(list)
    for review in reviews:
        by_memory[review.memory_id].append(review)
    out = []
    for history in by_memory.values():
        history.sort(key=lambda r: r.reviewed_at)
        so_far, last_day = [], day(history[0].reviewed_at)
        for review in history:
            today = day(review.reviewed_at)
            so_far.append(rs.FSRSReview(review.rating, today - last_day))
            if today > last_day:
                out.append((review.reviewed_at, rs.FSRSItem(list(so_far))))
            last_day = today
    out.sort(key=lambda pair: pair[0])
    return out


def score(parameters, held_out: list) -> Score:
    evaluation = rs.FSRS(list(parameters)).evaluate(held_out)
    return Score(log_loss=float(evaluation.log_loss), rmse=float(evaluation.rmse_bins))


def fit(reviews: list[Review], day, min_reviews: int = MIN_REVIEWS) -> Fit:
    """Fit on the older reviews, score defaults and fit on the recent fifth. FitError when it cannot."""
    if len(reviews) < min_reviews:
        raise FitError(f"Fitting needs at least {min_reviews} reviews; you have {len(reviews)} so far.")
    reviews = sorted(reviews, key=lambda r: r.reviewed_at)
    cutoff = reviews[int(len(reviews) * (1 - HELD_OUT))].reviewed_at
    every = items(reviews, day)
    train = [item for at, item in every if at < cutoff]
    test = [item for at, item in every if at >= cutoff]
    if len(train) < MIN_ITEMS or not test:
        raise FitError(
            "Your reviews so far are mostly on the same day as the question's previous review; the fit needs "
            "questions seen again on a later day. Keep studying and try again in a few days."
        )
    try:
        parameters = rs.FSRS(list(rs.DEFAULT_PARAMETERS)).compute_parameters(train)
        fitted = check(parameters)
        before, after = score(rs.DEFAULT_PARAMETERS, test), score(fitted, test)
    except FitError:
        raise
    except Exception as error:  # the optimiser's own errors (e.g. not enough data of some kind) are Rust's
        raise FitError(f"The optimiser could not fit your reviews ({error}).") from error
    if not all(math.isfinite(v) for v in (before.log_loss, before.rmse, after.log_loss, after.rmse)):
        raise FitError("The fitted parameters could not be scored on your recent reviews.")
    held_out = sum(1 for r in reviews if r.reviewed_at >= cutoff)
    return Fit(fitted, len(reviews), len(reviews) - held_out, held_out, before, after)


def check(parameters) -> list[float]:
    """The parameters as fsrs.Scheduler takes them; FitError if any is missing, not a number or out of bounds."""
    values = [float(v) for v in parameters]
    if len(values) != PARAMETER_COUNT:
        raise FitError(f"The optimiser returned {len(values)} parameters where FSRS-6 has {PARAMETER_COUNT}.")
    bounds = zip(values, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
    for index, (value, low, high) in enumerate(bounds):
        if not math.isfinite(value) or not low <= value <= high:
            raise FitError(f"The optimiser returned an unusable parameter (w{index} = {value}).")
    return values


def replay(reviews: list[Review], sched: Scheduler) -> Card:
    """A question's memory as the given scheduler would have it after these reviews (oldest first)."""
    card = Card(card_id=reviews[0].memory_id if reviews else 0)  # without an id, fsrs sleeps 1 ms to make one
    for review in reviews:
        card, _ = sched.review_card(card, Rating(review.rating), review_datetime=review.reviewed_at)
    return card


def rescheduled(memories, reviews: list[Review], sched: Scheduler) -> list:
    """The memories (of reviewed questions) whose stability, difficulty and, in review state, due date the new
    parameters change, replayed from their reviews; changed in place, for one bulk_update. A memory whose last
    review is not the last in the log (a question reviewed elsewhere meanwhile) is left as it is."""
    by_memory: dict[int, list[Review]] = defaultdict(list)
    for review in reviews:
        by_memory[review.memory_id].append(review)
    changed = []
    for memory in memories:
        history = sorted(by_memory.get(memory.pk, []), key=lambda r: r.reviewed_at)
        if not history or history[-1].reviewed_at != memory.last_review:
            continue
        card = replay(history, sched)
        memory.stability, memory.difficulty = card.stability, card.difficulty
        if memory.state == State.Review.value and card.state == State.Review:
            memory.due = card.due
        changed.append(memory)
    return changed


# ---------------------------------------------------------------- what a desired retention costs

RETENTIONS = (0.80, 0.85, 0.90, 0.95)
HORIZON_DAYS = 30


def reviews_per_day(parameters, cards: list[tuple[float, float, int]], retention: float) -> float:
    """Expected reviews per day over the next 30 days at `retention`, for the learner's studied questions.

    `cards` are (stability, difficulty, days since the last review). Each question comes back when its recall
    falls to `retention`; at each review it is recalled with probability `retention` (that is what the
    scheduler aims at), so the expected count follows both branches, weighted, until the horizon. Counted
    with fsrs-rs's `next_states`, the same memory model the scheduler uses."""
    model = rs.FSRS(list(parameters))
    total = 0.0
    # (stability, difficulty, day of the last review relative to today, weight)
    stack = [(s, d, -elapsed, 1.0) for s, d, elapsed in cards if s and d]
    while stack:
        stability, difficulty, last_day, weight = stack.pop()
        interval = max(1, round(model.next_interval(stability, retention, 3)))
        day = max(0, last_day + interval)
        if day >= HORIZON_DAYS or weight < 0.01:
            continue
        total += weight
        states = model.next_states(rs.MemoryState(stability, difficulty), retention, max(0, day - last_day))
        for branch, share in ((states.good, retention), (states.again, 1 - retention)):
            stack.append((branch.memory.stability, branch.memory.difficulty, day, weight * share))
    return total / HORIZON_DAYS


# ---------------------------------------------------------------- the learner's fit: run, adopt, undo


def learner_reviews(learner) -> list[Review]:
    """Every rating the learner gave, oldest first (one query)."""
    from quizzes.models import ReviewLog

    rows = ReviewLog.objects.filter(learner=learner).order_by("reviewed_at", "pk")
    return [Review(*row) for row in rows.values_list("memory_id", "reviewed_at", "rating")]


def fit_learner(learner, now: datetime, min_reviews: int = MIN_REVIEWS, force: bool = False) -> tuple:
    """Fit FSRS to the learner's reviews and adopt the parameters only if they predict the held-out reviews
    better than the defaults; then reschedule the reviewed questions, in one transaction. Returns (the FsrsFit
    row, whether a fit ran); FitError for too little history (nothing written), FitRunning when another fit of
    this learner is running.

    Three steps, so that no lock is held while the optimiser works (half a second for 10,000 reviews; on SQLite
    a transaction that writes holds the database's one write lock, and every learner's answer would wait):
    a short transaction claims the fit (`LearnerSettings.fit_started_at`, under the row's lock), so two fits
    started at once run once; the fit runs; a short transaction writes the result if the claim is still this
    fit's (going back to the defaults meanwhile withdraws it) and releases the claim."""
    from quizzes.models import FsrsFit, LearnerSettings, ReviewLog

    with transaction.atomic():
        prefs, _ = LearnerSettings.objects.select_for_update().get_or_create(learner=learner)
        if prefs.fit_started_at is not None and now - prefs.fit_started_at < FIT_CLAIM:
            raise FitRunning("A fit of your reviews is already running: its result shows here when it ends.")
        last = FsrsFit.objects.filter(learner=learner).first()
        count = ReviewLog.objects.filter(learner=learner).count()
        if last is not None and not force and not last.refit_due(count, now):
            return last, False
        prefs.fit_started_at = claim = now
        prefs.save(update_fields=["fit_started_at"])
    try:
        reviews = learner_reviews(learner)
        try:
            result, error = fit(reviews, day_counter(prefs.time_zone, prefs.day_start_hour), min_reviews), None
        except FitError as failure:
            if len(reviews) < min_reviews:
                raise  # too little history: say so, write nothing
            result, error = None, failure
        with transaction.atomic():
            prefs = LearnerSettings.objects.select_for_update().get(learner=learner)
            last = FsrsFit.objects.filter(learner=learner).first()
            if prefs.fit_started_at != claim:
                return last, False  # withdrawn (back to the defaults meanwhile): nothing is written
            prefs.fit_started_at = None
            prefs.save(update_fields=["fit_started_at"])
            current = learner_reviews(learner)  # with any rating saved during the fit, for the rescheduling
            if error is not None:  # the parameters in use (fitted or default) stay, as the page says
                return _record(
                    learner, now, last, outcome=FsrsFit.Outcome.FAILED, message=str(error), reviews=len(reviews)
                ), True
            adopted = result.better
            moved = 0
            if adopted:
                prefs.fsrs_parameters = result.parameters
                prefs.save(update_fields=["fsrs_parameters"])
                moved = reschedule(learner, prefs, current)
            elif prefs.fsrs_parameters is not None:
                prefs.fsrs_parameters = None  # the older fit no longer beats the defaults either
                prefs.save(update_fields=["fsrs_parameters"])
                moved = reschedule(learner, prefs, current)
            row = _record(
                learner,
                now,
                last,
                outcome=FsrsFit.Outcome.ADOPTED if adopted else FsrsFit.Outcome.KEPT_DEFAULTS,
                message="",
                parameters=result.parameters,
                reviews=result.reviews,
                trained_on=result.trained_on,
                held_out=result.held_out,
                log_loss_before=result.before.log_loss,
                rmse_before=result.before.rmse,
                log_loss_after=result.after.log_loss,
                rmse_after=result.after.rmse,
                rescheduled=moved,
            )
            return row, True
    finally:  # a fit that stopped on an error releases its claim (no-op once the result was written)
        LearnerSettings.objects.filter(learner=learner, fit_started_at=claim).update(fit_started_at=None)


def _record(learner, now, last, **fields):
    from quizzes.models import FsrsFit

    row = last or FsrsFit(learner=learner)
    defaults = {"parameters": None, "trained_on": 0, "held_out": 0, "rescheduled": 0}
    defaults |= {"log_loss_before": None, "rmse_before": None, "log_loss_after": None, "rmse_after": None}
    for name, value in (defaults | fields).items():
        setattr(row, name, value)
    row.fitted_at = now
    row.save()
    return row


def reset_learner(learner) -> int:
    """Back to fsrs's default parameters, rescheduled in one transaction; the fit's scores stay on record.
    Returns how many questions were rescheduled."""
    from quizzes.models import FsrsFit, LearnerSettings

    with transaction.atomic():
        prefs = LearnerSettings.objects.select_for_update().filter(learner=learner).first()
        if prefs is None or prefs.fsrs_parameters is None:
            return 0
        prefs.fsrs_parameters = None
        prefs.fit_started_at = None  # a fit running now writes nothing: the learner chose the defaults
        prefs.save(update_fields=["fsrs_parameters", "fit_started_at"])
        moved = reschedule(learner, prefs, learner_reviews(learner))
        FsrsFit.objects.filter(learner=learner).update(outcome=FsrsFit.Outcome.RESET, rescheduled=moved)
        return moved


def reschedule(learner, prefs, reviews: list[Review]) -> int:
    """Every reviewed question of the learner replayed under the parameters now in use, written by one
    bulk_update (the caller's transaction), after the parameters changed. The review log is untouched, so undo
    still restores the state before the last rating."""
    from quizzes.models import QuestionMemory

    sched = Scheduler(
        parameters=prefs.scheduler().parameters,
        desired_retention=prefs.desired_retention,
        learning_steps=prefs.scheduler().learning_steps,
        relearning_steps=prefs.scheduler().relearning_steps,
        enable_fuzzing=False,
    )
    # Locked, so a rating saved meanwhile (it locks its memory too) is either in `reviews` or waits for us; one
    # saved between reading `reviews` and here has a later last_review, and `rescheduled` leaves it alone.
    memories = (
        QuestionMemory.objects.select_for_update()
        .filter(learner=learner, last_review__isnull=False)
        .only("pk", "state", "stability", "difficulty", "due", "last_review")
    )
    changed = rescheduled(memories, reviews, sched)
    QuestionMemory.objects.bulk_update(changed, ["stability", "difficulty", "due"], batch_size=500)
    learner.record_work(None)  # their recall moves on a class dashboard (nobody did anything: no new activity time)
    return len(changed)


def workload(learner, prefs, review_count: int, now: datetime) -> list[tuple[float, float]]:
    """(retention, expected reviews per day over the next 30 days) at each of RETENTIONS, from the learner's
    parameters and their studied questions (not suspended). Some 25 ms per 1,000 questions, so cached (Django's
    cache) under what it depends on: the parameters, the learner's review count (any rating or undo moves it)
    and the day."""
    from django.core.cache import cache

    from quizzes.models import QuestionMemory

    parameters = list(prefs.fsrs_parameters or rs.DEFAULT_PARAMETERS)
    key = f"fsrs-workload:1:{learner.pk}:{hash(tuple(parameters))}:{review_count}:{now:%Y%m%d}"

    def compute():
        memories = QuestionMemory.objects.filter(learner=learner, last_review__isnull=False, suspended=False)
        cards = [
            (s, d, max(0, (now - last).days))
            for s, d, last in memories.values_list("stability", "difficulty", "last_review")
        ]
        return [(r, round(reviews_per_day(parameters, cards, r), 1)) for r in RETENTIONS]

    return cache.get_or_set(key, compute, timeout=6 * 3600)


@dataclass
class Standing:
    """What the settings page shows about the learner's memory model."""

    fit: object  # the FsrsFit row, or None
    reviews: int
    fitted: bool  # fitted parameters in use
    can_fit: bool
    next_fit_reviews: int  # the review count at which a refit is offered
    next_fit_at: datetime | None
    min_reviews: int = MIN_REVIEWS


def standing(learner, prefs, now: datetime) -> Standing:
    """The learner's fit and review count (two queries). What each desired retention would cost (`workload`)
    has its own request, which the settings page loads."""
    from quizzes.models import FsrsFit, ReviewLog

    fit = FsrsFit.objects.filter(learner=learner).first()
    reviews = ReviewLog.objects.filter(learner=learner).count()
    due = fit is None or fit.refit_due(reviews, now)
    return Standing(
        fit=fit,
        reviews=reviews,
        fitted=prefs.fsrs_parameters is not None,
        can_fit=reviews >= MIN_REVIEWS and due,
        next_fit_reviews=(fit.reviews + REFIT_AFTER_REVIEWS) if fit else MIN_REVIEWS,
        next_fit_at=(fit.fitted_at + REFIT_AFTER) if fit else None,
    )
