"""The trainer scenario pages (/author/scenarios/): an instructor's own scenarios, the editor, its live preview
and removing a scenario (deleted, or retired once learners answered it).

Instructors only, like every /author/ page (anonymous visitors go to the login page, learners and guests get
403). A scenario is reached through `_get_scenario_for_user`: 404 for another instructor's scenario and for
the scenarios of content/scenarios, which are edited as files.
"""

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from quizzes.models import Service
from quizzes.trainer.models import Scenario
from studyapp.accounts.roles import instructor_required

from . import editing
from .scenario_forms import ScenarioForm, initial_for_scenario, scenario_preview


def _get_scenario_for_user(request: HttpRequest, external_id: str) -> Scenario:
    """The instructor's own scenario, else 404."""
    return get_object_or_404(Scenario.objects.authored(), owner=request.user, external_id=external_id)


def _service_names() -> dict[str, str]:
    return dict(Service.objects.values_list("key", "name"))


@require_GET
@instructor_required
def scenario_list(request: HttpRequest) -> HttpResponse:
    """The instructor's scenarios, last edited first, with status, answer and difficulty."""
    names = _service_names()
    scenarios = list(Scenario.objects.filter(owner=request.user).order_by("-updated_at", "-pk"))
    for scenario in scenarios:
        scenario.answer_names = [names.get(key, key) for key in scenario.answer]
    return render(request, "authoring/scenarios.html", {"scenarios": scenarios})


@require_http_methods(["GET", "POST"])
@instructor_required
def scenario_edit(request: HttpRequest, external_id: str | None = None) -> HttpResponse:
    """Create or edit one scenario; the button named `action` saves or (without JavaScript) previews."""
    scenario = _get_scenario_for_user(request, external_id) if external_id is not None else None
    options = {"fixed_id": scenario is not None, "preview_url": reverse("author:scenario_preview")}
    if request.method == "GET":
        initial = initial_for_scenario(scenario) if scenario else {"difficulty": 2, "status": Scenario.Status.DRAFT}
        return _render_scenario(request, scenario, ScenarioForm(initial=initial, **options))
    action = request.POST.get("action", "save")
    if action not in ("save", "preview"):
        raise BadRequest("Save or preview?")
    initial = {"external_id": scenario.external_id} if scenario else {}  # a disabled field keeps its initial
    form = ScenarioForm(request.POST, initial=initial, **options)
    if action == "preview":
        form.errors.clear()  # a preview is not a save: no messages yet
        return _render_scenario(request, scenario, form)
    if not form.is_valid():
        return _render_scenario(request, scenario, form, status=422)
    data = dict(form.scenario)
    data["external_id"] = data["external_id"] or editing.new_scenario_id(data["text"])
    try:
        saved = editing.save_scenario(request.user, scenario, **data)
    except editing.EditConflict as conflict:
        form.add_error("external_id", str(conflict))
        return _render_scenario(request, scenario, form, status=409)
    if saved.status == Scenario.Status.PUBLISHED:
        messages.success(request, f"Scenario {saved.external_id} saved: learners meet it in trainer rounds.")
    else:
        messages.success(request, f"Scenario {saved.external_id} saved as a draft: only you see it.")
    url = reverse("author:scenarios")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _render_scenario(request, scenario, form, *, status: int = 200) -> HttpResponse:
    context = {
        "scenario": scenario,
        "form": form,
        "preview": scenario_preview(form.data if form.is_bound else form.initial, _service_names()),
    }
    template = "authoring/scenario_form.html"
    if request.htmx and request.method == "POST":
        template += "#scenario-form"
        status = 200  # htmx swaps only 2xx responses; the messages in the form say what is wrong
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@instructor_required
def scenario_delete(request: HttpRequest, external_id: str) -> HttpResponse:
    """GET asks to confirm (no JavaScript needed); POST deletes the scenario, or retires it if learners answered it."""
    scenario = _get_scenario_for_user(request, external_id)
    if request.method == "GET":
        context = {"scenario": scenario, "answered": editing.scenario_was_answered(scenario)}
        return render(request, "authoring/scenario_delete.html", context)
    if editing.delete_scenario(scenario):
        messages.success(request, f"Deleted scenario {external_id}.")
    else:
        messages.success(
            request,
            f"Retired scenario {external_id}: learners answered it, so it stays in their history "
            "but is no longer served.",
        )
    return HttpResponseRedirect(reverse("author:scenarios"), status=303)


@require_POST
@instructor_required
def scenario_preview_view(request: HttpRequest) -> HttpResponse:
    """The live preview of the editor's fields as they are: highlighted text and explanations (writes nothing)."""
    context = {"preview": scenario_preview(request.POST, _service_names())}
    return render(request, "authoring/scenario_form.html#scenario-preview", context)
