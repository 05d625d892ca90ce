"""Scenario trainer views: thin wrappers over quizzes.trainer.rounds, confusions and guide.

Every page works without JavaScript (full pages, POST then redirect); with htmx the answer's feedback
and the next question swap into #round.
"""

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from quizzes.models import Service
from quizzes.trainer import guide as decision_guide
from quizzes.trainer import rounds
from quizzes.trainer.confusions import History, build_matrix
from quizzes.trainer.models import Guide, Round, RoundItem, ScenarioMemory
from studyapp.accounts.guests import GuestLimitReached, learner_for_write, learner_or_none, learner_required

# Who trains: the signed-in user or the browser's guest. Pages that only read never create a guest;
# starting a round (the first thing that stores anything) does, through learner_for_write.


def _families(catalogue: list[rounds.Offer]) -> list[tuple[rounds.Family, list[rounds.Offer]]]:
    """The catalogue grouped by category, for grouped choices (optgroups)."""
    groups: list[tuple[rounds.Family, list[rounds.Offer]]] = []
    for service in catalogue:
        if not groups or groups[-1][0].pk != service.category.pk:
            groups.append((service.category, []))
        groups[-1][1].append(service)
    return groups


def _get_round_for_learner(learner, round_id: int) -> Round:
    round_ = Round.objects.filter(pk=round_id, learner=learner).first()
    if round_ is None:
        raise Http404("No such round.")
    return round_


def _get_item_for_learner(learner, round_id: int, token: str) -> RoundItem:
    """The item a one-time token was issued for: 404 for another learner's round, 400 for a foreign token."""
    item = RoundItem.objects.for_answer(learner, round_id, token).first() if token else None
    if item is None:
        _get_round_for_learner(learner, round_id)
        raise BadRequest("This answer does not belong to a question of this round. Reload the round and try again.")
    item.learner = item.round.learner = learner  # the request's user, loaded with their study settings
    return item


def _focus(params, catalogue: list[rounds.Offer]) -> rounds.Focus:
    services, category = params.getlist("service"), params.get("category", "")
    scope = params.get("scope", "")  # the practice form's one select: "category:storage" or "service:s3"
    if scope.startswith("category:"):
        category = scope.removeprefix("category:")
    elif scope.startswith("service:"):
        services = [scope.removeprefix("service:")]
    elif scope:
        raise BadRequest("Choose what to train from the list.")
    try:
        return rounds.resolve_focus(services, params.get("note", ""), {s.key: s for s in catalogue}, category)
    except rounds.BadInput as error:
        raise BadRequest(str(error)) from None


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    learner = learner_or_none(request)
    catalogue = rounds.palette()
    focus = _focus(request.GET, catalogue)
    now = timezone.now()
    context = {
        "focus": focus,
        "catalogue": catalogue,
        "families": _families(catalogue),
        # What the choice lists show selected: the focus, else the pair learners confuse most often.
        "scope_selected": f"category:{focus.category}"
        if focus.category
        else (f"service:{focus.services[0]}" if len(focus.services) == 1 else ""),
        "drill_first": focus.services[0] if focus.services and not focus.category else "ecs",
        "drill_second": focus.services[1] if len(focus.services) > 1 and not focus.category else "fargate",
        "kinds": Round.Kind,
        "due": 0,
        "best_times": [],
    }
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
    named = any(request.POST.get(name) for name in ("service", "note", "category", "scope"))
    focus = _focus(request.POST, rounds.palette() if named else [])  # a round of every service needs no catalogue
    if kind == Round.Kind.DRILL and (focus.note or focus.category or len(focus.services) == 1):
        messages.error(request, "A drill needs two different services: choose a pair.")
        return redirect(reverse("trainer:index") + focus.query())
    try:
        round_ = rounds.start_round(request.learner, kind, focus, timezone.now())
    except rounds.NothingToTrain as error:
        messages.info(request, str(error))
        return redirect(reverse("trainer:index") + focus.query())
    return HttpResponseRedirect(reverse("trainer:round", args=[round_.pk]), status=303)


@require_GET
@never_cache
@vary_on_headers("HX-Request")
@learner_required
def round_page(request: HttpRequest, round_id: int) -> HttpResponse:
    """The question the round waits on, or the round's results once it is finished."""
    round_ = _get_round_for_learner(request.learner, round_id)
    catalogue = rounds.palette()
    if round_.is_finished:
        context = _round_context(round_, catalogue)
        context.update(_summary_context(rounds.summarize(round_), {s.key: s for s in catalogue}))
    else:
        context = _round_context(round_, catalogue, round_.next_item())
    return render(request, "trainer/round.html#round" if request.htmx else "trainer/round.html", context)


@require_POST
@learner_required
def answer(request: HttpRequest, round_id: int) -> HttpResponse:
    """Record an answer once, then show its feedback (swapped into #round with htmx, else after a redirect)."""
    item = _get_item_for_learner(request.learner, round_id, request.POST.get("token", ""))
    catalogue = rounds.palette(item.content_release)
    by_key = {service.key: service for service in catalogue}
    chosen = list(dict.fromkeys(request.POST.getlist("service")))
    offered = {service.key for service in rounds.candidates(item.scenario, catalogue)}
    unknown = [key for key in chosen if key not in offered]
    if unknown and not item.is_answered:
        raise BadRequest(f"Unknown service “{unknown[0]}”. Choose from the services shown.")
    if not item.is_answered and not 1 <= len(chosen) <= 2:
        problem = "Choose a service first." if not chosen else "Choose at most two services."
        context = {**_round_context(item.round, catalogue, item), "problem": problem, "chosen": chosen}
        status = 200 if request.htmx else 422
        return render(
            request, "trainer/round.html#round" if request.htmx else "trainer/round.html", context, status=status
        )
    rounds.answer(item, chosen, timezone.now())  # a second submit of the token records nothing
    if not request.htmx:
        return HttpResponseRedirect(reverse("trainer:feedback", args=[round_id, item.position]), status=303)
    return render(request, "trainer/round.html#round", _feedback_context(item, by_key, catalogue))


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
    catalogue = rounds.palette()
    return render(request, "trainer/round.html", _feedback_context(item, {s.key: s for s in catalogue}, catalogue))


def _round_context(round_: Round, catalogue: list[rounds.Offer], item: RoundItem | None = None) -> dict:
    names = {service.key: service.name for service in catalogue}
    label = " and ".join(names.get(key, key) for key in round_.focus) or "every service"
    if round_.category:
        label = next((f"the {s.category.name} category" for s in catalogue if s.category.key == round_.category), label)
    context = {
        "round": round_,
        "catalogue": catalogue,
        "focus_label": label,
        "elapsed_s": int((timezone.now() - round_.started_at).total_seconds()),
    }
    if item is not None:
        context.update(item=item, candidates=rounds.candidates(item.scenario, catalogue))
    return context


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


def _feedback_context(item: RoundItem, by_key: dict, catalogue: list[rounds.Offer]) -> dict:
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
    """The learner's confusion matrix: one GROUP BY over their answers (confusions.History)."""
    history = History.for_learner(request.learner)
    catalogue = rounds.palette()
    by_key = {service.key: service for service in catalogue}
    top = [
        {"pair": pair, "first": by_key.get(pair.first), "second": by_key.get(pair.second)}
        for pair in history.top_pairs()
        if pair.first in by_key and pair.second in by_key
    ]
    # One family at a time keeps the matrix readable: the one asked for, else the family of the top confusion.
    families = [(category, members) for category, members in _families(catalogue) if history.touches(members)]
    wanted = request.GET.get("category") or (top[0]["first"].category.key if top else "")
    family = next(((c, m) for c, m in families if c.key == wanted), families[0] if families else None)
    if request.GET.get("category") and (family is None or family[0].key != wanted):
        raise BadRequest("Choose a category you have answered scenarios in.")
    context = {
        "history": history,
        "families": families,
        "family": family[0] if family else None,
        "matrix": build_matrix(history, family[1] if family else [], catalogue),
        "top": top,
    }
    return render(request, "trainer/confusions.html", context)


@require_GET
def guides(request: HttpRequest) -> HttpResponse:
    """The decision guides to pick from; an old link with ?path= goes on to the compute guide."""
    if "path" in request.GET:
        url = reverse("trainer:guide", args=["compute"])
        return redirect(f"{url}?{request.GET.urlencode()}", permanent=True)
    return render(request, "trainer/guides.html", {"guides": Guide.objects.all()})


@require_GET
@vary_on_headers("HX-Request")
def guide(request: HttpRequest, slug: str) -> HttpResponse:
    """One decision guide, one question at a time; the path is in the URL, so every step is a link."""
    guide = get_object_or_404(Guide, slug=slug)
    try:
        walk = decision_guide.walk(guide, request.GET.get("path", ""))
    except rounds.BadInput as error:
        raise BadRequest(str(error)) from None
    result = list(Service.objects.filter(key__in=walk.result)) if walk.result else []
    result.sort(key=lambda service: walk.result.index(service.key))
    context = {"guide": guide, "walk": walk, "result": result}
    if walk.result:
        context["drill_query"] = "&".join(f"service={service.key}" for service in result)
    return render(request, "trainer/guide.html#guide" if request.htmx else "trainer/guide.html", context)
