"""Study session views: thin wrappers over quizzes.study.session (what is shown) and quizzes.study.answers (what
the learner does to it). Every page works with and without htmx."""

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from quizzes.models import Bank, LearnerSettings, Question, ReviewLog, Service
from quizzes.study import answers, session
from studyapp.accounts.guests import GuestLimitReached, learner_for_write, learner_or_none

UNDO_COOKIE = "study_undo"
UNDO_SALT = "study.undo"

# Who studies: the signed-in user or the browser's guest. Pages that only read never create a guest (a
# visitor with no learner sees the new questions); the first answer, bury, suspend or flag creates one.


def _too_many_guests(request: HttpRequest, error: GuestLimitReached) -> HttpResponse:
    return render(request, "429.html", {"reason": error.message}, status=429)


def _scope(params: QueryDict) -> session.Scope:
    """The scope the parameters name (400 for an unknown one): `bank`, topics (`service`, repeated; `topic` is
    read the same), `category`, `note` and `mode`."""
    try:
        return session.resolve_scope(
            params.getlist("service") + params.getlist("topic"),
            params.get("note", ""),
            params.get("mode", ""),
            params.get("category", ""),
            params.get("bank", ""),
        )
    except session.StudyError as error:
        raise BadRequest(str(error)) from None


def _session_url(scope: session.Scope) -> str:
    return reverse("study:session") + scope.query()


def _back_to_session(request: HttpRequest, scope: session.Scope) -> HttpResponse:
    """After a state change: see-other to the queue (htmx follows it and swaps the session region)."""
    response = HttpResponseRedirect(_session_url(scope))
    response.status_code = 303
    return response


def _get_question(question_id: int) -> Question:
    question = Question.objects.filter(pk=question_id, is_active=True).first()
    if question is None:
        raise Http404("No such question.")
    return question


def _get_log_for_learner(learner, log_id: int) -> ReviewLog | None:
    """The learner's own review log; None if it no longer exists (already undone); 404 if it is someone else's
    (every log is someone else's for a visitor with no learner)."""
    log = ReviewLog.objects.filter(pk=log_id).first()
    if log is not None and (learner is None or log.learner_id != learner.pk):
        raise Http404("No such review.")
    return log


def _undo_log_id(request: HttpRequest) -> int | None:
    return request.get_signed_cookie(UNDO_COOKIE, default=None, salt=UNDO_SALT)


def _remember_undo(response: HttpResponse, log: ReviewLog | None) -> None:
    if log is None:
        response.delete_cookie(UNDO_COOKIE, samesite="Lax")
    else:
        response.set_signed_cookie(UNDO_COOKIE, log.pk, salt=UNDO_SALT, httponly=True, samesite="Lax")


def _stale(request: HttpRequest, scope: session.Scope, error: answers.Stale) -> HttpResponse:
    messages.info(request, str(error))
    if request.htmx:
        return HttpResponseClientRedirect(_session_url(scope))
    return _back_to_session(request, scope)


@require_GET
@never_cache
@vary_on_headers("HX-Request")
def study_session(request: HttpRequest) -> HttpResponse:
    """The study session: the next due question (or its pending feedback), or "done for today"."""
    scope = _scope(request.GET)
    return _session_page(request, scope, {})


def _session_page(request: HttpRequest, scope: session.Scope, extra: dict, status: int = 200) -> HttpResponse:
    learner = learner_or_none(request)
    prefs = LearnerSettings.for_learner(learner)
    now = timezone.now()
    queue = session.next_in_queue(learner, prefs, scope, now)
    feedback = answers.resume(learner, prefs, queue.showing, now) if queue.showing and learner else None
    context = {
        "scope": scope,
        "queue": queue,
        "showing": queue.showing,
        "feedback": feedback,
        "prefs": prefs,
        "undo_log_id": _undo_log_id(request),
        **extra,
    }
    if request.htmx:
        return render(request, "quizzes/study.html#session", context, status=status)
    return render(request, "quizzes/study.html", context, status=status)


def _choice_ids(values: list[str]) -> list[int]:
    try:
        return [int(value) for value in values]
    except ValueError:
        raise BadRequest("That answer names options that are not part of this question.") from None


@require_POST
def answer(request: HttpRequest) -> HttpResponse:
    """Submit an answer: the feedback replaces the question (a wrong answer is rated Again at once).

    A visitor's first answer creates their guest learner (after the answer is checked: a slip stores nothing)."""
    scope = _scope(request.POST)
    now = timezone.now()
    context = {"scope": scope, "undo_log_id": _undo_log_id(request)}
    try:
        token = answers.read_token(request.POST.get("token", ""), learner_or_none(request), "study.answer")
        given = answers.check_answer(token, _choice_ids(request.POST.getlist("choice")), now)
        feedback = answers.answer(learner_for_write(request), given, now)
    except GuestLimitReached as error:
        return _too_many_guests(request, error)
    except session.StudyError as error:
        raise BadRequest(str(error)) from None
    except answers.Stale as error:
        return _stale(request, scope, error)
    except answers.AnswerProblem as problem:
        context["showing"] = session.Showing(
            question=problem.question,
            choices=problem.choices,
            memory=None,
            token=request.POST["token"],
            selected=problem.selected,
            problem=str(problem),
        )
        return _render_card(request, context)
    context["feedback"] = feedback
    if feedback.log:
        context["undo_log_id"] = feedback.log.pk
    response = _render_card(request, context)
    if feedback.log and not feedback.replay:
        _remember_undo(response, feedback.log)
    return response


def _render_card(request: HttpRequest, context: dict) -> HttpResponse:
    if request.htmx:
        return render(request, "quizzes/study.html#card", context)
    # Without JavaScript the whole page comes back; it needs the progress of the queue too.
    learner = learner_or_none(request)
    context["prefs"] = prefs = LearnerSettings.for_learner(learner)
    context["queue"] = session.next_in_queue(learner, prefs, context["scope"], timezone.now(), show_next=False)
    return render(request, "quizzes/study.html", context)


@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    """Rate a right answer (Hard, Good, Easy); the next question follows. Its token names an existing learner."""
    learner = learner_or_none(request)
    scope = _scope(request.POST)
    try:
        token = answers.read_token(request.POST.get("token", ""), learner, "study.rate")
        log = answers.rate(learner, token, request.POST.get("rating", ""), timezone.now())
    except session.StudyError as error:
        raise BadRequest(str(error)) from None
    except answers.Stale as error:
        return _stale(request, scope, error)
    response = _back_to_session(request, scope)
    if log is not None:
        _remember_undo(response, log)
    return response


@require_POST
def undo(request: HttpRequest) -> HttpResponse:
    """Undo the learner's last rating: the memory goes back exactly as it was and the log entry is removed."""
    learner = learner_or_none(request)
    scope = _scope(request.POST)
    try:
        log_id = int(request.POST.get("log", ""))
    except ValueError:
        raise BadRequest("Say which rating to undo.") from None
    log = _get_log_for_learner(learner, log_id)
    response = _back_to_session(request, scope)
    if log is None:  # already undone: a double press changes nothing more
        return response
    try:
        previous = answers.undo(learner, log)
    except session.StudyError as error:
        raise BadRequest(str(error)) from None
    messages.success(request, "Undone: your last rating was removed and the question is back as it was.")
    _remember_undo(response, previous)
    return response


@require_POST
def bury(request: HttpRequest, question_id: int) -> HttpResponse:
    scope = _scope(request.POST)
    question = _get_question(question_id)
    try:
        learner = learner_for_write(request)
    except GuestLimitReached as error:
        return _too_many_guests(request, error)
    prefs = LearnerSettings.for_learner(learner)
    answers.bury(learner, prefs, question, timezone.now())
    messages.success(request, "Buried: this question comes back in your next study day.")
    return _back_to_session(request, scope)


@require_POST
def suspend(request: HttpRequest, question_id: int) -> HttpResponse:
    scope = _scope(request.POST)
    question = _get_question(question_id)
    try:
        learner = learner_for_write(request)
    except GuestLimitReached as error:
        return _too_many_guests(request, error)
    answers.suspend(learner, question, timezone.now())
    messages.success(
        request, "Suspended: this question will not be shown again until you unsuspend it (Choose what to study)."
    )
    return _back_to_session(request, scope)


@require_GET
def suspended(request: HttpRequest) -> HttpResponse:
    """The learner's suspended questions, each with a button that brings it back."""
    learner = learner_or_none(request)
    return render(request, "quizzes/suspended.html", {"memories": answers.suspended(learner) if learner else []})


@require_POST
def unsuspend(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _get_question(question_id)
    learner = learner_or_none(request)  # a visitor with no learner has nothing suspended: nothing to create
    back = learner is not None and answers.unsuspend(learner, question)
    if request.htmx:
        context = {"memories": answers.suspended(learner) if learner else [], "back": question if back else None}
        return render(request, "quizzes/suspended.html#list", context)
    if back:
        messages.success(request, "Unsuspended: the question is back in your study sessions, its schedule as it was.")
    response = HttpResponseRedirect(reverse("study:suspended"))
    response.status_code = 303
    return response


@require_POST
def flag(request: HttpRequest, question_id: int) -> HttpResponse:
    """Report a question to the instructors, with the learner's comment."""
    scope = _scope(request.POST)
    question = _get_question(question_id)
    comment = request.POST.get("comment", "")
    try:
        answers.check_flag_comment(comment)
        answers.flag(learner_for_write(request), question, comment)
    except GuestLimitReached as error:
        return _too_many_guests(request, error)
    except answers.AnswerProblem as problem:
        # Nothing is lost: the form comes back with the comment and the reason.
        extra = {"flag_question": question, "flag_problem": str(problem), "flag_comment": comment}
        if request.htmx:
            return render(request, "quizzes/study.html#flag", {"scope": scope, "question": question, **extra})
        return _session_page(request, scope, extra, status=400)
    if request.htmx:
        return render(request, "quizzes/study.html#flag", {"scope": scope, "question": question, "flagged": True})
    messages.success(request, "Thank you: the question was flagged for an instructor.")
    return _back_to_session(request, scope)


@require_GET
def choose(request: HttpRequest) -> HttpResponse:
    """Choose what to study: everything, one bank, one category of topics, one topic, or one note's topics."""
    from studyapp.notes.models import Note

    topics = Service.objects.filter(questions__is_active=True).distinct().select_related("category")
    categories: dict = {}
    for topic in topics.order_by("category__order", "order"):
        categories.setdefault(topic.category, []).append(topic)
    notes = Note.objects.order_by("order").values("slug", "title")
    # The banks learners see (not a draft or archived one) that have a question to study: one query.
    banks = Bank.objects.filter(pk__in=Question.objects.active().values("bank")).order_by("title", "slug")
    context = {"categories": categories.items(), "notes": notes, "banks": banks.values("slug", "title")}
    return render(request, "quizzes/choose.html", context)
