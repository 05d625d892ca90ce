"""Scenario trainer views: thin wrappers over quizzes.trainer.rounds, confusions and guide.

Every page works without JavaScript (full pages, POST then redirect); with htmx the answer's feedback
and the next question swap into #round.
"""

import copy
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from quizzes.models import ChangeCount, Service
from quizzes.trainer import guide as decision_guide
from quizzes.trainer import rounds
from quizzes.trainer.confusions import History, build_matrix
from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory
from studyapp import pagecache
from studyapp.accounts.guests import GuestLimitReached, learner_for_write, learner_or_none
from studyapp.pagecache import stored_page


# Who trains: the signed-in user or the browser's guest. Pages that only read never create a guest;
# starting a round (the first thing that stores anything) does, through learner_for_write.
def learner_for(request: HttpRequest):
    """The learner the request acts for, or None when there is none (the view then asks to log in)."""
    return learner_or_none(request)


def learner_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        learner = learner_for(request)
        if learner is None:
            return redirect_to_login(request.get_full_path())
        request.learner = learner
        return view(request, *args, **kwargs)

    return wrapper


def _catalogue(release=None) -> list[Service]:
    """The service palette, read once per content release (services change only with the content)."""

    def read() -> list[Service]:
        return list(Service.objects.only("key", "name", "short", "core", "use_when", "note_slug", "order"))

    return pagecache.per_release("trainer-catalogue", pagecache.content_release() if release is None else release, read)


def _get_round_for_learner(learner, round_id: int) -> Round:
    round_ = Round.objects.filter(pk=round_id, learner=learner).first()
    if round_ is None:
        raise Http404("No such round.")
    return round_


def _get_item_for_learner(learner, round_id: int, token: str) -> RoundItem:
    """The item a one-time token was issued for: 404 for another learner's round, 400 for a foreign token."""
    item = rounds.item_for_answer(learner, round_id, token) if token else None
    if item is None:
        _get_round_for_learner(learner, round_id)
        raise BadRequest("This answer does not belong to a question of this round. Reload the round and try again.")
    return item


def _focus(request: HttpRequest, params, catalogue: list[Service]) -> rounds.Focus:
    try:
        return rounds.resolve_focus(params.getlist("service"), params.get("note", ""), {s.key: s for s in catalogue})
    except rounds.BadInput as error:
        raise BadRequest(str(error)) from None


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    learner = learner_for(request)
    catalogue = _catalogue()
    focus = _focus(request, request.GET, catalogue)
    now = timezone.now()
    context = {"focus": focus, "catalogue": catalogue, "kinds": Round.Kind, "due": 0, "best_times": []}
    if learner is not None:  # a first-time visitor sees the same page; nothing is stored until they start
        context.update(
            due=ScenarioMemory.objects.filter(learner=learner, last_review__isnull=False, due__lte=now).count(),
            unfinished=Round.objects.filter(learner=learner, finished_at__isnull=True).order_by("-started_at").first(),
            recent=Round.objects.filter(learner=learner, finished_at__isnull=False).order_by("-finished_at")[:5],
            best_times=rounds.best_lightning_times(learner.pk),
        )
    return render(request, "trainer/index.html", context)


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    try:
        request.learner = learner_for_write(request)
    except GuestLimitReached as error:
        return render(request, "429.html", {"reason": error.message}, status=429)
    kind = request.POST.get("kind", Round.Kind.PRACTICE)
    if kind not in Round.Kind.values:
        raise BadRequest(f"Unknown kind of round “{kind}”.")
    focus = _focus(request, request.POST, _catalogue())
    if kind == Round.Kind.DRILL and (focus.note or len(focus.services) == 1):
        messages.error(request, "A drill needs two different services: choose a pair.")
        return redirect(reverse("trainer:index") + _query(focus))
    try:
        round_ = rounds.start_round(request.learner, kind, focus, timezone.now())
    except rounds.NothingToTrain as error:
        messages.info(request, str(error))
        return redirect(reverse("trainer:index") + _query(focus))
    return HttpResponseRedirect(reverse("trainer:round", args=[round_.pk]), status=303)


def _query(focus: rounds.Focus) -> str:
    if focus.note:
        return f"?note={focus.note}"
    return "?" + "&".join(f"service={key}" for key in focus.services) if focus.services else ""


@require_GET
@never_cache
@vary_on_headers("HX-Request")
@learner_required
def round_page(request: HttpRequest, round_id: int) -> HttpResponse:
    exists, question = rounds.open_question(request.learner.pk, round_id)
    if not exists:
        raise Http404("No such round.")
    who = pagecache.viewer(request)
    if question is not None and who is not None:
        return _stored_question(request, question, who)
    return _round_page(request, round_id)


# A question of a round is the same HTML for every learner who gets that scenario at that position of a
# round like theirs, apart from the answer token and the lightning clock: stored (studyapp.pagecache)
# under a key holding everything else it shows, and filled in per request.
TOKEN_PLACEHOLDER = "TRAINERTOKENPLACEHOLDER0item"
ELAPSED_PLACEHOLDER = "TRAINERELAPSEDPLACEHOLDER0clock"


def _stored_question(request: HttpRequest, question: rounds.OpenQuestion, who: tuple) -> HttpResponse:
    elapsed = int((timezone.now() - question.started_at).total_seconds())
    key = (
        "trainer-question",
        None if request.htmx else who,
        pagecache.content_release(),  # the service palette comes from the content
        question.round_id,
        question.kind,
        question.size,
        question.focus,
        question.item_id,
        question.position,
        question.scenario_text_html,  # an edited scenario is a new page
        question.answer_key,
    )

    def render_question(placeholders: dict) -> HttpResponse:
        round_ = _get_round_for_learner(request.learner, question.round_id)
        # The item as the key describes it (not read again: the page must show what its key says).
        scenario = Scenario(text_html=question.scenario_text_html, answer=question.answer_key.split("+"))
        item = RoundItem(pk=question.item_id, round=round_, position=question.position, token=TOKEN_PLACEHOLDER)
        item.scenario = scenario
        context = {**_round_context(round_, _catalogue()), **placeholders, "item": item}
        context["elapsed_s"] = ELAPSED_PLACEHOLDER
        return render(request, "trainer/round.html#round" if request.htmx else "trainer/round.html", context)

    values = {TOKEN_PLACEHOLDER: question.token, ELAPSED_PLACEHOLDER: str(elapsed)}
    response = pagecache.render_stored(request, key, render_question, values)
    response["Vary"] = "HX-Request, Cookie"
    return response


def _round_page(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _get_round_for_learner(request.learner, round_id)
    catalogue = _catalogue()
    context = _round_context(round_, catalogue)
    if round_.is_finished:
        context.update(_summary_context(rounds.summarize(round_), {s.key: s for s in catalogue}))
    else:
        context["item"] = round_.items.filter(answered_at__isnull=True).select_related("scenario").first()
    return render(request, "trainer/round.html#round" if request.htmx else "trainer/round.html", context)


@require_POST
@learner_required
def answer(request: HttpRequest, round_id: int) -> HttpResponse:
    item = _get_item_for_learner(request.learner, round_id, request.POST.get("token", ""))
    release = pagecache.content_version(request, content_unchanged=True)  # an answer changes no content
    catalogue = _catalogue(release)
    by_key = {service.key: service for service in catalogue}
    chosen = list(dict.fromkeys(request.POST.getlist("service")))
    unknown = [key for key in chosen if key not in by_key]
    if unknown:
        raise BadRequest(f"Unknown service “{unknown[0]}”. Choose from the services shown.")
    if not item.is_answered and not 1 <= len(chosen) <= 2:
        problem = "Choose a service first." if not chosen else "Choose at most two services."
        context = {**_round_context(item.round, catalogue), "item": item, "problem": problem, "chosen": chosen}
        status = 200 if request.htmx else 422
        return render(
            request, "trainer/round.html#round" if request.htmx else "trainer/round.html", context, status=status
        )
    item = rounds.record_answer(item, chosen, timezone.now())
    if not request.htmx:
        return HttpResponseRedirect(reverse("trainer:feedback", args=[round_id, item.position]), status=303)
    return _stored_feedback(request, item, by_key, catalogue, release)


# The feedback on an answer is the same for every learner who gives that answer to that scenario in a
# round of that size; only their round's address and the position in it differ. Stored (studyapp.pagecache)
# under a key holding everything else it shows, rendered with stand-ins that each response replaces.
ROUND_ID_STAND_IN = 7070707070707070
POSITION_PLACEHOLDER = "TRAINERPOSITIONPLACEHOLDER0item"


def _stored_feedback(request: HttpRequest, item: RoundItem, by_key: dict, catalogue, release) -> HttpResponse:
    round_, scenario = item.round, item.scenario
    key = (
        "trainer-feedback",
        release,
        scenario.pk,
        scenario.updated_at,  # set by every edit on /author/; content edits make a new release
        item.chosen_key,
        item.correct,
        round_.size,
        item.position == round_.size,  # the last one leads to the results
    )

    def render_feedback(placeholders: dict) -> HttpResponse:
        stand_in = copy.copy(item)
        stand_in.round = copy.copy(round_)
        stand_in.round.pk = ROUND_ID_STAND_IN
        context = {**_feedback_context(stand_in, by_key, catalogue), **placeholders}
        stand_in.position = POSITION_PLACEHOLDER  # after the context used the real one
        return render(request, "trainer/round.html#round", context)

    own = {
        f"/trainer/rounds/{ROUND_ID_STAND_IN}/": f"/trainer/rounds/{round_.pk}/",
        POSITION_PLACEHOLDER: str(item.position),
    }
    return pagecache.render_stored(request, key, render_feedback, own)


@require_GET
@never_cache
@learner_required
def feedback(request: HttpRequest, round_id: int, position: int) -> HttpResponse:
    """The feedback of an answered question (where the no-JavaScript answer lands)."""
    round_ = _get_round_for_learner(request.learner, round_id)
    item = round_.items.filter(position=position).select_related("scenario").first()
    if item is None:
        raise Http404("No such question in this round.")
    if not item.is_answered:
        return redirect("trainer:round", round_.pk)
    item.round = round_
    catalogue = _catalogue()
    return render(request, "trainer/round.html", _feedback_context(item, {s.key: s for s in catalogue}, catalogue))


def _round_context(round_: Round, catalogue: list[Service]) -> dict:
    names = {service.key: service.name for service in catalogue}
    return {
        "round": round_,
        "catalogue": catalogue,
        "focus_label": " and ".join(names.get(key, key) for key in round_.focus) or "every service",
        "elapsed_s": int((timezone.now() - round_.started_at).total_seconds()),
    }


def _summary_context(summary: rounds.Summary, by_key: dict) -> dict:
    def names(keys) -> str:
        return " + ".join(by_key[key].name if key in by_key else key for key in keys or [])

    return {
        "summary": summary,
        "pairs": [{"right": by_key.get(e), "chosen": by_key.get(c), "times": n} for e, c, n in summary.pairs],
        "answers": [
            {"item": item, "right": names(item.scenario.answer), "chosen": names(item.chosen)} for item in summary.items
        ],
    }


def _feedback_context(item: RoundItem, by_key: dict, catalogue: list[Service]) -> dict:
    scenario = item.scenario
    chosen = item.chosen or []
    wrong = [
        {"service": by_key[key], "why_not_html": scenario.why_not_html.get(key)}
        for key in chosen
        if key not in scenario.answer and key in by_key
    ]
    others = [
        {"service": by_key[key], "why_not_html": html}
        for key, html in scenario.why_not_html.items()
        if key not in chosen and key in by_key
    ]
    return {
        **_round_context(item.round, catalogue),
        "answered": item,
        "is_last": item.position == item.round.size,
        "partly_right": not item.correct and bool(set(chosen) & set(scenario.answer)),
        "scenario": scenario,
        "right_services": [by_key[key] for key in scenario.answer if key in by_key],
        "missed": [by_key[key] for key in scenario.answer if key not in chosen and key in by_key],
        "wrong_choices": wrong,
        "other_reasons": others,
        "chosen_services": [by_key[key] for key in chosen if key in by_key],
    }


@require_GET
@learner_required
def confusions(request: HttpRequest) -> HttpResponse:
    learner = request.learner

    def page(placeholders: dict) -> HttpResponse:
        history = History.for_learner(learner)
        catalogue = _catalogue()
        by_key = {service.key: service for service in catalogue}
        top = [
            {"pair": pair, "first": by_key.get(pair.first), "second": by_key.get(pair.second)}
            for pair in history.top_pairs()
            if pair.first in by_key and pair.second in by_key
        ]
        matrix = build_matrix(history, catalogue)
        context = {"history": history, "matrix": matrix, "top": top, **placeholders}
        return render(request, "trainer/confusions.html", context)

    who = pagecache.viewer(request)
    if who is None:  # a message to show: render this one fresh
        return page({})
    # The matrix changes only with the learner's answers and the content: their change counts, loaded with
    # the user, move with every answer and every content release (quizzes.models.ChangeCount).
    key = ("trainer-confusions", who, *ChangeCount.of(learner, request))
    return pagecache.render_stored(request, key, page)


@require_GET
@vary_on_headers("HX-Request")
@stored_page
def guide(request: HttpRequest) -> HttpResponse:
    """The public decision guide, one question at a time; the path is in the URL, so every step is a link."""
    try:
        walk = decision_guide.walk(request.GET.get("path", ""))
    except rounds.BadInput as error:
        raise BadRequest(str(error)) from None
    result = list(Service.objects.filter(key__in=walk.result)) if walk.result else []
    result.sort(key=lambda service: walk.result.index(service.key))
    context = {"walk": walk, "result": result, **request.page_cache_context}
    if walk.result:
        context["drill_query"] = "&".join(f"service={service.key}" for service in result)
    return render(request, "trainer/guide.html#guide" if request.htmx else "trainer/guide.html", context)
