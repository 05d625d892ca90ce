"""Progress dashboard, settings, and data ownership (export, delete). Thin views over dashboard/ownership."""

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quizzes.classes.learner_view import assignments_of as class_assignments
from quizzes.models import FsrsFit, LearnerSettings, ReviewLog
from quizzes.study import fitting
from studyapp.accounts.guests import learner_or_none, learner_required
from studyapp.progress import calibration, ownership
from studyapp.progress import dashboard as dashboards
from studyapp.progress.forms import DeleteAccountForm, SettingsForm, time_zones
from studyapp.progress.readiness import EXAM_SHARE, GUESS, MIN_EXAM_ANSWERS, MIN_TRAINER_ANSWERS

# Keys as each page's script (static/js/study.js, exam.js, trainer.js) handles them: (keys, what they do).
SHORTCUTS = {
    "Study session": [
        (["1–9", "a–e"], "choose (or un-choose) an option while answering"),
        (["Enter"], "submit your answer; after a wrong answer, continue"),
        (["2", "3", "4"], "after a right answer: rate Hard, Good, Easy"),
        (["Space"], "rate Good (or continue after a wrong answer)"),
        (["u"], "undo your last rating"),
        (["b"], "bury the question until tomorrow (Shift+B while answering)"),
        (["s"], "suspend the question"),
        (["f"], "report a problem with the question"),
        (["?"], "show or hide the shortcut help"),
    ],
    "Practice exam": [
        (["1–9"], "choose (or un-choose) an option"),
        (["n"], "next question"),
        (["p"], "previous question"),
        (["f"], "flag the question for review"),
        (["r"], "go to the review screen"),
    ],
    "Scenario trainer": [
        (["Tab"], "move to the services"),
        (["↑", "↓", "Space"], "choose a service"),
        (["Enter"], "check your answer"),
        (["n"], "next scenario after the feedback"),
    ],
}


EXPLANATION = {
    "exam_share": round(100 * EXAM_SHARE),
    "memory_share": round(100 * (1 - EXAM_SHARE)),
    "guess": round(100 * GUESS),
    "min_exam_answers": MIN_EXAM_ANSWERS,
    "min_trainer_answers": MIN_TRAINER_ANSWERS,
}


@require_GET
@never_cache
def progress(request: HttpRequest) -> HttpResponse:
    learner = learner_or_none(request)  # a visitor who never studied sees how to start; nothing is created
    now = timezone.now()
    board = dashboards.build(learner, now) if learner is not None else None
    assignments = class_assignments(learner, now)  # the classes app's section (templates/classes/)
    context = {"board": board, "class_assignments": assignments, "class_assignments_now": now, **EXPLANATION}
    return render(request, "progress/dashboard.html", context)


@require_GET
@never_cache
@learner_required
def calibration_page(request: HttpRequest) -> HttpResponse:
    """The calibration chart: its own page, and the fragment /progress/ loads when it scrolls into view."""
    prefs = LearnerSettings.for_learner(request.learner)
    cal = calibration.calibration(request.learner, prefs.scheduler())
    template = "progress/calibration.html#calibration" if request.htmx else "progress/calibration.html"
    return render(request, template, {"cal": cal})


@require_GET
@never_cache
@learner_required
def topics_page(request: HttpRequest) -> HttpResponse:
    """Every topic by category, with its questions, the share seen and recall: its own page, and the table
    /progress/ loads when its "every topic" section is opened."""
    categories = dashboards.every_topic(request.learner, timezone.now())
    template = "progress/topics.html#topics" if request.htmx else "progress/topics.html"
    return render(request, template, {"categories": categories})


@require_http_methods(["GET", "POST"])
@learner_required
def settings_page(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(request.POST or None, learner=request.learner)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your settings are saved.")
            return redirect("settings", permanent=False)
        messages.error(request, "Some settings need fixing: see the messages next to them. Nothing was saved.")
    prefs = LearnerSettings.for_learner(request.learner)
    context = {
        "form": form,
        "time_zones": time_zones,  # called by the template only when its cached datalist has expired
        "shortcuts": SHORTCUTS,
        "learner": request.learner,
        "model": fitting.standing(request.learner, prefs, timezone.now()),
        "desired_retention": prefs.desired_retention,
    }
    return render(request, "progress/settings.html", context, status=200)


@require_GET
@never_cache
@learner_required
def workload_page(request: HttpRequest) -> HttpResponse:
    """What each desired retention costs in reviews per day: its own page, and the fragment /settings/ loads."""
    prefs = LearnerSettings.for_learner(request.learner)
    now = timezone.now()
    reviews = ReviewLog.objects.filter(learner=request.learner).count()
    context = {
        "workload": fitting.workload(request.learner, prefs, reviews, now) if reviews else [],
        "fitted": prefs.fsrs_parameters is not None,
        "desired_retention": prefs.desired_retention,
    }
    return render(request, "progress/workload.html#workload" if request.htmx else "progress/workload.html", context)


MEMORY_MODEL = "#memory-model"


@require_POST
@learner_required
def fit_memory_model(request: HttpRequest) -> HttpResponse:
    """Fit the scheduler to the learner's own reviews (well under 2 s for 10,000 reviews: bench/fsrs_fit.py)."""
    try:
        fit, ran = fitting.fit_learner(request.learner, timezone.now())
    except fitting.FitError as error:
        messages.error(request, str(error))
    else:
        if not ran:
            messages.info(request, "Your last fit is still current: a new one is offered after more reviews.")
        elif fit.outcome == FsrsFit.Outcome.ADOPTED:
            messages.success(
                request,
                f"The fitted parameters predicted your recent reviews better (log loss {fit.log_loss_after:.3f} "
                f"against {fit.log_loss_before:.3f} for the defaults): they are in use, and {fit.rescheduled} "
                "questions were rescheduled.",
            )
        elif fit.outcome == FsrsFit.Outcome.KEPT_DEFAULTS:
            messages.warning(
                request,
                f"The fitted parameters did not predict your recent reviews better (log loss {fit.log_loss_after:.3f} "
                f"against {fit.log_loss_before:.3f}): the scheduler keeps the default parameters.",
            )
        else:
            kept = "your fitted" if LearnerSettings.for_learner(request.learner).fsrs_parameters else "the default"
            messages.error(request, f"{fit.message} The scheduler keeps {kept} parameters.")
    return redirect(reverse("settings") + MEMORY_MODEL)


@require_POST
@learner_required
def reset_memory_model(request: HttpRequest) -> HttpResponse:
    moved = fitting.reset_learner(request.learner)
    messages.success(request, f"The scheduler uses the default parameters again; {moved} questions were rescheduled.")
    return redirect(reverse("settings") + MEMORY_MODEL)


@require_GET
@never_cache
@learner_required
def export(request: HttpRequest, kind: str) -> HttpResponse:
    now = timezone.now()
    stem = f"ccp-study-{request.learner.username}-{now:%Y-%m-%d}"
    if kind == "json":
        response = HttpResponse(ownership.export_json(request.learner, now), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{stem}.json"'
    else:
        response = HttpResponse(ownership.export_csv_zip(request.learner, now), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{stem}-csv.zip"'
    return response


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@learner_required
def delete_account(request: HttpRequest) -> HttpResponse:
    learner = request.learner
    form = DeleteAccountForm(request.POST or None, learner=learner)
    if request.method == "POST" and form.is_valid():
        try:
            ownership.delete_learner(learner)
        except ownership.DeletionRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("settings_delete")
        logout(request)
        if learner.is_guest:
            messages.success(request, "Your guest progress was discarded.")
        else:
            messages.success(request, "Your account and all your data are deleted.")
        return redirect("home")
    return render(request, "progress/delete.html", {"form": form, "learner": learner})
