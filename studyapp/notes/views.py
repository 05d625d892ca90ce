from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from quizzes.models import Service
from studyapp.navigation import url_or_none
from studyapp.notes import search as note_search
from studyapp.notes.calculator import LambdaCostForm, lambda_cost
from studyapp.notes.models import DOMAIN_NUMBERS, TASK_STATEMENTS, Note

MAX_QUERY_LENGTH = 200


@dataclass
class TaskStatement:
    number: str
    text: str
    notes: list[Note]


@dataclass
class DomainSection:
    key: str
    label: str
    task_statements: list[TaskStatement]


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every note, by exam domain and task statement (task statements without a note yet are listed too)."""
    names = dict(Service.objects.values_list("key", "short"))
    by_task: dict[str, list[Note]] = {}
    for note in Note.objects.only("slug", "title", "task_statement", "summary", "services", "order"):
        note.service_names = [names.get(key, key) for key in note.services]
        by_task.setdefault(note.task_number, []).append(note)
    domains = [
        DomainSection(
            key,
            label,
            [
                TaskStatement(number, text, by_task.get(number, []))
                for number, text in TASK_STATEMENTS.items()
                if DOMAIN_NUMBERS[number[0]] == key
            ],
        )
        for key, label in Note.Domain.choices
    ]
    return render(request, "notes/index.html", {"domains": domains, "has_notes": bool(by_task)})


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    note = get_object_or_404(Note.objects.defer("body_md", "search_text"), slug=slug)
    calculator = None
    if "lambda-cost-calculator" in note.widgets:
        calculator = _calculator(request)
        if request.htmx and request.htmx.target == "calculator-result":
            return render(request, "notes/note.html#calculator-result", {"calculator": calculator})
    siblings = list(Note.objects.values_list("slug", "title"))
    position = next(i for i, (s, _) in enumerate(siblings) if s == note.slug)
    context = {
        "note": note,
        "services": Service.objects.filter(key__in=note.services).only("key", "name", "note_slug"),
        "previous": siblings[position - 1] if position > 0 else None,
        "next": siblings[position + 1] if position + 1 < len(siblings) else None,
        "practice_url": _with_note(url_or_none("study:session"), note.slug),
        "train_url": _with_note(url_or_none("trainer:index"), note.slug),
        "calculator": calculator,
    }
    return render(request, "notes/note.html", context)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH].strip()
    results = note_search.search(query) if query else []
    context = {"query": query, "results": results}
    if request.htmx:
        return render(request, "notes/search.html#results", context)
    return render(request, "notes/search.html", context)


def _with_note(url: str | None, slug: str) -> str | None:
    return f"{url}?note={slug}" if url else None


def _calculator(request: HttpRequest) -> dict:
    """The calculator's form and, when the learner submitted valid figures, the cost step by step."""
    submitted = any(name in request.GET for name in LambdaCostForm.base_fields)
    form = LambdaCostForm(request.GET if submitted else None)
    cost = lambda_cost(**form.cleaned_data) if submitted and form.is_valid() else None
    return {"form": form, "cost": cost}
