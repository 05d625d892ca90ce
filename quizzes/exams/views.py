from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quizzes.classes import assigned_exams
from quizzes.exams import attempts, blueprint, charts, scoring
from quizzes.exams.forms import StartForm
from quizzes.exams.models import AttemptQuestion, ExamAttempt, ExamError, StaleWrite
from studyapp.accounts.guests import GuestLimitReached, learner_for_write, learner_or_none
from studyapp.navigation import url_or_none
from studyapp.notes.models import ContentRelease

REVIEW_FILTERS = {"all": "All", "wrong": "Wrong", "flagged": "Flagged", "unanswered": "Unanswered"}


def _get_attempt_for_user(request: HttpRequest, attempt_id: int) -> ExamAttempt:
    """The attempt, if it belongs to the learner making the request; 404 for anyone else's."""
    learner = learner_or_none(request)
    attempt = ExamAttempt.objects.of(learner).filter(pk=attempt_id).first() if learner else None
    if attempt is None:
        raise Http404("No such exam.")
    return attempt


def _int(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"The form sent an invalid {what}: reload the page and try again.") from None


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    learner = learner_or_none(request)
    return render(request, "exams/index.html", _index_context(learner, StartForm()))


def _index_context(learner, form: StartForm, **extra) -> dict:
    context = {"form": form, "presets": attempts.PRESETS, "blueprint": blueprint, **extra}
    if not form.is_bound:  # the blank custom exam form is drawn once per content release (its topics' choices)
        context["content_release"] = ContentRelease.current()
    if learner is None:
        return context
    now = timezone.now()
    open_attempts = list(ExamAttempt.objects.of(learner).in_progress())
    time_up = [attempt for attempt in open_attempts if attempt.time_is_up(now)]
    history = list(ExamAttempt.objects.of(learner).finished().order_by("-started_at")[:30])
    if time_up:  # shown with the finished ones, scored as they stood at their deadline (nothing is written)
        items = list(AttemptQuestion.objects.filter(attempt__in=time_up))
        for attempt in time_up:
            attempt.score([item for item in items if item.attempt_id == attempt.pk], attempt.deadline, auto=True)
        history = sorted(history + time_up, key=lambda attempt: attempt.started_at, reverse=True)[:30]
    context.update(
        open_attempts=[attempt for attempt in open_attempts if attempt not in time_up],
        history=history,
        chart=charts.trend(reversed(history[:20])),
        missed_count=blueprint.pool(learner, [], "missed").count(),
        now=now,
    )
    return context


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    form = StartForm(request.POST)
    learner = learner_or_none(request)
    if not form.is_valid():
        return render(request, "exams/index.html", _index_context(learner, form), status=400)
    try:
        learner = learner_for_write(request)
    except GuestLimitReached as error:
        return render(request, "429.html", {"reason": error.message}, status=429)
    options = form.options()
    try:
        attempt = attempts.start(learner, options, timezone.now())
    except attempts.TooFewQuestions as short:
        context = _index_context(learner, form, short=short, short_options=options)
        return render(request, "exams/index.html", context, status=200)
    except ExamError as error:
        raise BadRequest(str(error)) from None
    return redirect("exam:question", attempt.pk, 1)


@require_GET
def attempt_home(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, attempt_id)
    if attempt.is_finished(timezone.now()):
        return redirect("exam:results", attempt.pk)
    if not attempt.is_open:
        return redirect("exam:index")
    return redirect("exam:question", attempt.pk, attempt.position)


@require_http_methods(["GET", "POST"])
def question(request: HttpRequest, attempt_id: int, position: int) -> HttpResponse:
    if request.method == "POST":
        return _save_answer(request, attempt_id, position)
    attempt = _get_attempt_for_user(request, attempt_id)
    now = timezone.now()
    if attempt.is_finished(now):
        if attempt.time_is_up(now) or attempt.auto_submitted:
            messages.warning(request, "Time is up: your exam was submitted automatically.")
        return redirect("exam:results", attempt.pk)
    if not attempt.is_open:
        return redirect("exam:index")
    item = attempt.questions.filter(position=position).first()
    if item is None:
        raise BadRequest("That question is not part of this exam.")
    return render(request, "exams/question.html", _question_context(attempt, item, now))


def _save_answer(request: HttpRequest, attempt_id: int, position: int) -> HttpResponse:
    """Save one question's selection and flag (htmx on every change; the form's buttons also navigate)."""
    learner = learner_or_none(request)
    if learner is None:
        raise Http404("No such exam.")
    now = timezone.now()
    seq = _int(request.POST.get("seq"), "sequence number")
    keys = [_int(key, "option") for key in request.POST.getlist("choice")]
    flagged = request.POST.get("flagged") == "1" if "flag_sent" in request.POST else None
    go = request.POST.get("go", "")
    target = _target(attempt_id, position, go) if go else None
    problem = ""
    try:
        resume_at = target if isinstance(target, int) else None
        attempt, item = attempts.record_answer(
            attempt_id, learner, position, seq, keys, flagged, now, resume_at=resume_at
        )
    except ExamAttempt.DoesNotExist:
        raise Http404("No such exam.") from None
    except attempts.TimeUp:
        messages.error(
            request,
            "Time is up: answers sent after the deadline are not recorded. "
            "Your exam was submitted with the answers saved in time.",
        )
        return _go(request, reverse("exam:results", args=[attempt_id]))
    except StaleWrite:
        messages.warning(
            request,
            "This exam changed in another tab or window, so your last change was not saved. Here is its current state.",
        )
        return _go(request, reverse("exam:question", args=[attempt_id, position]))
    except attempts.TooMany as error:
        attempt = _get_attempt_for_user(request, attempt_id)
        item = attempt.questions.get(position=position)
        problem, target = str(error), None
    except ExamError as error:
        raise BadRequest(str(error)) from None
    if target is not None and 0 < len(item.answer) < item.select:
        problem = f"Select {item.select} options before you move on (you selected {len(item.answer)})."
    elif target is not None:
        if target == "review":
            return redirect("exam:review", attempt_id)
        return redirect("exam:question", attempt_id, target)
    context = _question_context(attempt, item, now, problem)
    if request.htmx:
        return render(request, "exams/question.html#live", context)
    return render(request, "exams/question.html", context)


def navigator_html(grid: list[tuple[int, bool, bool]], current: int) -> SafeString:
    """The question navigator's buttons. Built here rather than in the template: for 65 questions a template
    loop takes about 3 ms, most of the page's rendering time, and this 0.07 ms. Only integers and fixed
    words go into it, so there is nothing to escape."""
    cells = []
    for position, answered, flagged in grid:
        classes = "grid-cell" + (" is-answered" if answered else "") + (" is-flagged" if flagged else "")
        label = f"Question {position}, {'answered' if answered else 'unanswered'}" + (", flagged" if flagged else "")
        here = ' aria-current="step"' if position == current else ""
        mark = '<span aria-hidden="true">⚑</span>' if flagged else ""
        label += ", current" if here else ""
        cells.append(
            f'<button type="submit" name="go" value="{position}" class="{classes}"{here} aria-label="{label}">'
            f"{position}{mark}</button>"
        )
    return mark_safe("\n".join(cells))  # noqa: S308 (integers and fixed words only)


def _question_context(attempt: ExamAttempt, item: AttemptQuestion, now, problem: str = "") -> dict:
    grid = list(attempt.questions.values_list("position", "answered", "flagged"))
    select = item.select
    return {
        "attempt": attempt,
        "item": item,
        "choices": item.snapshot["choices"],
        "selected": set(item.answer),
        "navigator": navigator_html(grid, item.position),
        "total": len(grid),
        "answered": sum(1 for _, answered, _ in grid if answered),
        "seconds_left": attempt.seconds_left(now),
        "now_ms": int(now.timestamp() * 1000),
        "deadline_ms": int(attempt.deadline.timestamp() * 1000) if attempt.deadline else None,
        "select": select,
        "problem": problem,
    }


def _target(attempt_id: int, position: int, go: str) -> int | str:
    """Where a navigation button leads: a question number, or "review"."""
    if go == "review":
        return "review"
    total = AttemptQuestion.objects.filter(attempt_id=attempt_id).count()
    if go == "next":
        return min(total, position + 1)
    if go == "prev":
        return max(1, position - 1)
    target = _int(go, "question number")
    if not 1 <= target <= total:
        raise BadRequest("That question is not part of this exam.")
    return target


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Navigate: a redirect, or for htmx an HX-Redirect so the whole page changes."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_GET
def review(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, attempt_id)
    now = timezone.now()
    if not attempt.is_open or attempt.time_is_up(now):
        return redirect("exam:attempt", attempt.pk)
    items = attempt.questions.values_list("position", "answer", "answered", "flagged")
    rows = [
        {"position": p, "answered": answered, "partial": bool(answer) and not answered, "flagged": flagged}
        for p, answer, answered, flagged in items
    ]
    context = {
        "attempt": attempt,
        "rows": rows,
        "unanswered": [r["position"] for r in rows if not r["answered"]],
        "flagged": [r["position"] for r in rows if r["flagged"]],
        "seconds_left": attempt.seconds_left(now),
        "now_ms": int(now.timestamp() * 1000),
        "deadline_ms": int(attempt.deadline.timestamp() * 1000) if attempt.deadline else None,
    }
    return render(request, "exams/review.html", context)


@require_POST
def submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, attempt_id)
    if request.POST.get("confirm") != "yes":
        raise BadRequest("Confirm that you want to submit the exam.")
    try:
        attempt.submit(timezone.now(), seq=_int(request.POST.get("seq"), "sequence number"))
    except StaleWrite:
        messages.warning(request, "This exam changed in another tab or window. Check the review below, then submit.")
        return redirect("exam:review", attempt.pk)
    except ExamError as error:
        raise BadRequest(str(error)) from None
    if attempt.auto_submitted:
        messages.info(request, "Time ran out before you submitted: answers saved before the deadline were scored.")
    return redirect("exam:results", attempt.pk)


@require_POST
def abandon(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, attempt_id)
    attempt.abandon(timezone.now())
    if attempt.state == ExamAttempt.State.FINISHED:
        messages.info(request, "Time ran out before you abandoned it: answers saved before the deadline were scored.")
        return redirect("exam:results", attempt.pk)
    messages.info(request, "The exam was abandoned. It is not scored.")
    return redirect("exam:index")


@require_GET
def results(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, attempt_id)
    now = timezone.now()
    if not attempt.is_finished(now):
        return redirect("exam:attempt", attempt.pk)
    show = request.GET.get("show", "all")
    if show not in REVIEW_FILTERS:
        show = "all"
    items = list(attempt.questions.all())
    if attempt.time_is_up(now):  # shown as submitted at its deadline; the sweeper or the next POST records it
        attempt.score(items, attempt.deadline, auto=True)
    by_service, by_domain = scoring.breakdown(items)
    shown = [item for item in items if _matches(item, show)]
    for item in shown:
        item.selected = set(item.answer)
    counts = {key: sum(1 for item in items if _matches(item, key)) for key in REVIEW_FILTERS}
    context = {
        "attempt": attempt,
        "items": shown,
        "show": show,
        "filters": [(key, label, counts[key]) for key, label in REVIEW_FILTERS.items()],
        "by_service": by_service,
        "by_domain": by_domain,
        "weakest": [area for area in by_service if area.percent < 100][:3],
        "minutes_used": _minutes(attempt),
        "cut_score": round(scoring.CUT_SCORE * 100),
        "pilot_count": sum(1 for item in items if item.is_pilot),
        # A class's exam with attempts still to take: the score only, the answers once it is over for the learner.
        "withheld": assigned_exams.answers_withheld(attempt, now),
        "study_url": url_or_none("study:session"),
        "trainer_url": url_or_none("trainer:index"),
    }
    return render(request, "exams/results.html", context)


def _matches(item: AttemptQuestion, show: str) -> bool:
    if show == "wrong":
        return item.correct is False and bool(item.answer)
    if show == "flagged":
        return item.flagged
    if show == "unanswered":
        return not item.answer
    return True


def _minutes(attempt: ExamAttempt) -> int:
    return max(1, round((attempt.finished_at - attempt.started_at).total_seconds() / 60))


@require_POST
def retake(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, attempt_id)
    now = timezone.now()
    if attempt.time_is_up(now):
        attempt.submit(now)  # record what its results page showed
    options = attempts.ExamOptions(**attempt.options)
    try:
        new = attempts.start(attempt.learner, options, now)
    except attempts.TooFewQuestions as short:
        messages.warning(request, f"{short} Start a smaller exam below.")
        return redirect("exam:index")
    return redirect("exam:question", new.pk, 1)
