"""The authoring pages (/author/): instructors' banks, questions, flags, imports and exports.

Every view is for instructors only (anonymous visitors go to the login page, learners and guests get 403)
and reaches a bank through `_get_bank_for_user`, which answers 404 for a bank the instructor neither owns
nor co-authors; owner-only actions (co-authors, archive) answer 404 to co-authors too.
"""

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from quizzes.models import Choice, Flag, Question
from studyapp.accounts.roles import instructor_required
from studyapp.rendering import render_markdown

from . import editing, importing
from .formats import FORMATS, LABELS
from .forms import (
    MAX_CHOICES,
    BankForm,
    CoAuthorForm,
    FlagResolutionForm,
    NewBankForm,
    QuestionFilterForm,
    QuestionForm,
    UploadForm,
    initial_for,
    missing_explanation,
)
from .models import BankStewardship, FlagResolution, PendingImport

CONTENT_TYPES = {"yaml": "application/yaml", "gift": "text/plain", "csv": "text/csv", "moodlexml": "application/xml"}
EXTENSIONS = {"yaml": "yaml", "gift": "gift.txt", "csv": "csv", "moodlexml": "moodle.xml"}
PREVIEW_FIELDS = ("stem", "explanation")
QUESTIONS_PER_PAGE = 50


def _get_bank_for_user(request: HttpRequest, slug: str, *, owner: bool = False) -> BankStewardship:
    """The bank's stewardship if this instructor may edit it (owner only when `owner`), else 404."""
    stewardships = BankStewardship.objects.select_related("bank", "owner")
    if owner:
        return get_object_or_404(stewardships, bank__slug=slug, owner=request.user)
    return get_object_or_404(stewardships.editable_by(request.user), bank__slug=slug)


def _get_question_in_bank(stewardship: BankStewardship, external_id: str) -> Question:
    questions = Question.objects.filter(is_active=True).prefetch_related("choices", "services")
    return get_object_or_404(questions, bank=stewardship.bank, external_id=external_id)


def _open_flags(bank_ref) -> Subquery:
    flags = Flag.objects.filter(question__bank=bank_ref, resolved_at__isnull=True).values("question__bank")
    return Coalesce(Subquery(flags.annotate(n=Count("pk")).values("n")), Value(0), output_field=IntegerField())


@require_GET
@instructor_required
def index(request: HttpRequest) -> HttpResponse:
    """The instructor's banks: owned and co-authored, with their question and open flag counts."""
    active = Question.objects.filter(bank=OuterRef("bank"), is_active=True).values("bank")
    stewardships = (
        BankStewardship.objects.editable_by(request.user)
        .select_related("bank", "owner")
        .annotate(
            questions=Coalesce(
                Subquery(active.annotate(n=Count("pk")).values("n")), Value(0), output_field=IntegerField()
            ),
            open_flags=_open_flags(OuterRef("bank")),
        )
        .order_by("bank__title")
    )
    owned = [s for s in stewardships if s.owner_id == request.user.pk]
    co_authored = [s for s in stewardships if s.owner_id != request.user.pk]
    return render(request, "authoring/index.html", {"owned": owned, "co_authored": co_authored})


@require_http_methods(["GET", "POST"])
@instructor_required
def bank_create(request: HttpRequest) -> HttpResponse:
    form = NewBankForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        stewardship = editing.create_bank(
            request.user, slug=data["slug"], title=data["title"], description=data["description"], status=data["status"]
        )
        messages.success(request, f"Bank “{stewardship.bank.title}” created. Add questions or import a file.")
        return redirect("author:bank", slug=stewardship.bank.slug)
    return render(request, "authoring/bank_form.html", {"form": form, "creating": True})


@require_GET
@instructor_required
def bank_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The bank's questions, filtered and searched, 50 a page."""
    stewardship = _get_bank_for_user(request, slug)
    filters = QuestionFilterForm(request.GET or None)
    open_flags = Flag.objects.filter(question=OuterRef("pk"), resolved_at__isnull=True).values("question")
    active = Question.objects.filter(bank=stewardship.bank, is_active=True)
    questions = (
        filters.filter(active, stewardship.bank)
        .annotate(
            open_flags=Coalesce(Subquery(open_flags.annotate(n=Count("pk")).values("n")), Value(0)),
            unexplained_choices=Exists(Choice.objects.filter(question=OuterRef("pk"), why_md="")),
        )
        .prefetch_related("services")
        .order_by("position", "pk")
    )
    page = Paginator(questions, QUESTIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "stewardship": stewardship,
        "bank": stewardship.bank,
        "is_owner": stewardship.is_owner(request.user),
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "formats": LABELS.items(),
        "unexplained": active.filter(missing_explanation()).count(),
    }
    template = "authoring/bank.html#question-list" if request.htmx else "authoring/bank.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@instructor_required
def bank_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Title, description, draft or published; the owner also manages co-authors and archiving here."""
    stewardship = _get_bank_for_user(request, slug)
    bank = stewardship.bank
    initial = {"title": bank.title, "description": bank.description_md, "status": stewardship.status}
    if stewardship.is_archived:
        initial["status"] = BankStewardship.Status.DRAFT
    form = BankForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        editing.update_bank(stewardship, title=data["title"], description=data["description"], status=data["status"])
        messages.success(request, "Bank saved.")
        return redirect("author:bank", slug=bank.slug)
    return _render_bank_edit(request, stewardship, form, CoAuthorForm(stewardship=stewardship))


def _render_bank_edit(request, stewardship, form, co_author_form, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "stewardship": stewardship,
        "bank": stewardship.bank,
        "creating": False,
        "is_owner": stewardship.is_owner(request.user),
        "co_author_form": co_author_form,
        "co_authors": stewardship.co_authors.order_by("username"),
    }
    return render(request, "authoring/bank_form.html", context, status=status)


@require_POST
@instructor_required
def bank_archive(request: HttpRequest, slug: str) -> HttpResponse:
    """Owner only: archive the bank (hidden from learners) or restore it as a draft."""
    stewardship = _get_bank_for_user(request, slug, owner=True)
    archive = request.POST.get("archive")
    if archive not in ("1", "0"):
        raise BadRequest("Archive (1) or restore (0)?")
    editing.set_archived(stewardship, archive == "1")
    if archive == "1":
        messages.success(request, "Bank archived: learners no longer see its questions.")
    else:
        messages.success(request, "Bank restored as a draft: publish it when it is ready.")
    return redirect("author:bank", slug=slug)


@require_POST
@instructor_required
def co_author_add(request: HttpRequest, slug: str) -> HttpResponse:
    stewardship = _get_bank_for_user(request, slug, owner=True)
    form = CoAuthorForm(request.POST, stewardship=stewardship)
    if not form.is_valid():
        bank = stewardship.bank
        initial = {"title": bank.title, "description": bank.description_md, "status": stewardship.status}
        return _render_bank_edit(request, stewardship, BankForm(initial=initial), form, status=422)
    stewardship.co_authors.add(form.cleaned_data["username"])
    messages.success(request, f"{form.cleaned_data['username'].username} can now edit this bank.")
    return redirect("author:bank_edit", slug=slug)


@require_POST
@instructor_required
def co_author_remove(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    stewardship = _get_bank_for_user(request, slug, owner=True)
    co_author = get_object_or_404(stewardship.co_authors, pk=user_id)
    stewardship.co_authors.remove(co_author)
    messages.success(request, f"{co_author.username} can no longer edit this bank.")
    return redirect("author:bank_edit", slug=slug)


# ---------------------------------------------------------------- questions


def _question_rows(request: HttpRequest, default: int) -> int:
    """How many choice rows the posted form has (never past the limits)."""
    try:
        rows = int(request.POST.get("rows", default))
    except ValueError:
        raise BadRequest("The number of choice rows must be a number.") from None
    return max(2, min(rows, MAX_CHOICES))


def _shift_choices(data, rows: int, action: str) -> tuple[object, int]:
    """Apply an add/remove/up/down button to the posted choice rows; returns the new data and row count."""
    verb, _, number = action.partition("-")
    if verb not in ("add", "remove", "up", "down") or (verb != "add" and not number.isdecimal()):
        raise BadRequest(f"Unknown editor action '{action[:40]}'.")
    n = int(number) if number.isdecimal() else 0
    table = [
        {"choice": data.get(f"choice_{i}", ""), "correct": data.get(f"correct_{i}"), "why": data.get(f"why_{i}", "")}
        for i in range(1, rows + 1)
    ]
    if verb == "add" and rows < MAX_CHOICES:
        table.append({"choice": "", "correct": None, "why": ""})
    elif verb == "remove" and 1 <= n <= rows and rows > 2:
        table.pop(n - 1)
    elif verb == "up" and 2 <= n <= rows:
        table[n - 2], table[n - 1] = table[n - 1], table[n - 2]
    elif verb == "down" and 1 <= n < rows:
        table[n - 1], table[n] = table[n], table[n - 1]
    data = data.copy()
    for i in range(1, MAX_CHOICES + 1):
        for key in ("choice", "correct", "why"):
            data.pop(f"{key}_{i}", None)
    for i, row in enumerate(table, start=1):
        data[f"choice_{i}"], data[f"why_{i}"] = row["choice"], row["why"]
        if row["correct"]:
            data[f"correct_{i}"] = "on"
    return data, len(table)


def _base_revision(request: HttpRequest) -> int | None:
    value = request.POST.get("revision", "")
    if not value.isdecimal():
        raise BadRequest("The question's revision is missing or not a number.")
    return int(value)


@require_http_methods(["GET", "POST"])
@instructor_required
def question_edit(request: HttpRequest, slug: str, external_id: str | None = None) -> HttpResponse:
    """Create or edit one question. Buttons named `action` add, remove or move choice rows, preview or save."""
    stewardship = _get_bank_for_user(request, slug)
    question = _get_question_in_bank(stewardship, external_id) if external_id is not None else None
    options = {"fixed_id": question is not None, "preview_url": reverse("author:preview", kwargs={"slug": slug})}
    if request.method == "GET":
        if question:
            initial, rows = initial_for(question)
        else:
            initial, rows = {"type": "single", "difficulty": 2}, 4
        form = QuestionForm(initial=initial, rows=rows, **options)
        return _render_question(request, stewardship, question, form)
    initial = {"external_id": question.external_id} if question else {}  # a disabled field keeps its initial
    action = request.POST.get("action", "save")
    rows = _question_rows(request, 4)
    if action not in ("save", "preview"):
        data, new_rows = _shift_choices(request.POST, rows, action)
        form = QuestionForm(data, initial=initial, rows=new_rows, **options)
        form.errors.clear()  # moving rows is not a save: no messages yet
        _focus_row(form, action, new_rows)
        return _render_question(request, stewardship, question, form)
    form = QuestionForm(request.POST, initial=initial, rows=rows, **options)
    if action == "preview":
        form.errors.clear()
        return _render_question(request, stewardship, question, form)
    if not form.is_valid():
        return _render_question(request, stewardship, question, form, status=422)
    try:
        changed = editing.save_question(
            stewardship.bank, question, form.question, base_revision=_base_revision(request) if question else None
        )
    except editing.EditConflict as conflict:
        form.add_error("external_id" if question is None else None, str(conflict))
        return _render_question(request, stewardship, question, form, status=409)
    if changed:
        messages.success(request, f"Question {form.question.external_id} saved.")
    else:
        messages.info(request, f"Question {form.question.external_id} had no changes: nothing saved.")
    url = reverse("author:bank", kwargs={"slug": stewardship.bank.slug})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _focus_row(form: QuestionForm, action: str, rows: int) -> None:
    """After a row button, put the focus on the row it touched (autofocus: full page and htmx swap alike)."""
    verb, _, number = action.partition("-")
    n = int(number) if number.isdecimal() else rows
    target = {"add": rows, "remove": min(n, rows), "up": max(n - 1, 1), "down": min(n + 1, rows)}[verb]
    form.fields[f"choice_{target}"].widget.attrs["autofocus"] = True


def _revision_in_form(request: HttpRequest, question: Question | None) -> str | int:
    """The revision the author started from travels with the form, so a concurrent save is noticed."""
    if request.method == "POST":
        return request.POST.get("revision", "")
    return question.revision if question else ""


def _render_question(request, stewardship, question, form, *, status: int = 200) -> HttpResponse:
    source = form.data if form.is_bound else form.initial
    context = {
        "stewardship": stewardship,
        "bank": stewardship.bank,
        "question": question,
        "form": form,
        "previews": {name: render_markdown(source.get(name) or "") for name in PREVIEW_FIELDS},
        "max_choices": MAX_CHOICES,
        "base_revision": _revision_in_form(request, question),
    }
    template = "authoring/question_form.html"
    if request.htmx and request.method == "POST":
        template += "#question-form"
        status = 200  # htmx swaps only 2xx responses; the messages in the form say what is wrong
    return render(request, template, context, status=status)


@require_POST
@instructor_required
def markdown_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The live preview: one Markdown field through the notes' sanitizing pipeline (writes nothing)."""
    _get_bank_for_user(request, slug)
    field = request.POST.get("field", "")
    if field not in PREVIEW_FIELDS:
        raise BadRequest("Unknown field to preview.")
    return render(
        request,
        "authoring/question_form.html#preview",
        {"name": field, "html": render_markdown(request.POST.get(field, ""))},
    )


# ---------------------------------------------------------------- flags


@require_GET
@instructor_required
def flags(request: HttpRequest, slug: str) -> HttpResponse:
    """Learners' open flags on this bank's questions (in bank order), and the latest resolutions."""
    stewardship = _get_bank_for_user(request, slug)
    open_flags = (
        Flag.objects.filter(question__bank=stewardship.bank, resolved_at__isnull=True)
        .select_related("question")
        .order_by("question__position", "question_id", "created_at", "pk")  # a question's flags together
    )
    resolved = (
        FlagResolution.objects.filter(flag__question__bank=stewardship.bank)
        .select_related("flag__question", "resolved_by")
        .order_by("-created_at", "-pk")[:20]
    )
    context = {"stewardship": stewardship, "bank": stewardship.bank, "open_flags": open_flags, "resolved": resolved}
    context["form"] = FlagResolutionForm()
    return render(request, "authoring/flags.html", context)


@require_POST
@instructor_required
def flag_resolve(request: HttpRequest, slug: str, flag_id: int) -> HttpResponse:
    stewardship = _get_bank_for_user(request, slug)
    flag = get_object_or_404(Flag, pk=flag_id, question__bank=stewardship.bank)
    form = FlagResolutionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Flag on {flag.question.external_id}: " + " ".join(form.errors["note"]))
        return redirect("author:flags", slug=slug)
    resolution = editing.resolve_flag(flag, request.user, form.cleaned_data["note"])
    if resolution is None:
        messages.info(request, "Someone resolved this flag already.")
    else:
        messages.success(request, f"Flag on {flag.question.external_id} resolved.")
    return redirect("author:flags", slug=slug)


# ---------------------------------------------------------------- import and export


@require_http_methods(["GET", "POST"])
@instructor_required
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a file: validate it completely and show what would happen (dry run); nothing is written yet."""
    stewardship = _get_bank_for_user(request, slug)
    form = UploadForm(request.POST or None, request.FILES or None)
    context = {"stewardship": stewardship, "bank": stewardship.bank, "form": form}
    if request.method == "POST" and not form.is_valid():
        return render(request, "authoring/import.html", context, status=422)
    if request.method == "POST":
        upload, fmt, topic = form.cleaned_data["file"], form.cleaned_data["format"], form.cleaned_data["topic"]
        text, issue = importing.decode(upload.read())
        report = importing.run_import(text, fmt, bank_slug=slug, dry_run=True, decode_issue=issue, default_topic=topic)
        context.update(report=report, file_name=upload.name)
        PendingImport.objects.filter(bank=stewardship.bank, uploaded_by=request.user).delete()
        if report.clean:
            context["pending"] = PendingImport.objects.create(
                bank=stewardship.bank,
                uploaded_by=request.user,
                format=fmt,
                default_topic=topic,
                file_name=upload.name[:255],
                text=text,
            )
    return render(request, "authoring/import.html", context)


@require_POST
@instructor_required
def import_confirm(request: HttpRequest, slug: str, pending_id: int) -> HttpResponse:
    """Write the previewed file (all or nothing, validated again: the bank may have changed since)."""
    stewardship = _get_bank_for_user(request, slug)
    pending = get_object_or_404(PendingImport, pk=pending_id, bank=stewardship.bank, uploaded_by=request.user)
    report = importing.run_import(pending.text, pending.format, bank_slug=slug, default_topic=pending.default_topic)
    if not report.clean:
        context = {"stewardship": stewardship, "bank": stewardship.bank, "form": UploadForm(), "report": report}
        context["file_name"] = pending.file_name
        pending.delete()
        return render(request, "authoring/import.html", context, status=409)
    pending.delete()
    messages.success(
        request,
        f"Imported {pending.file_name}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged.",
    )
    return redirect("author:bank", slug=slug)


@require_GET
@instructor_required
def export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    stewardship = _get_bank_for_user(request, slug)
    if fmt not in FORMATS:
        raise BadRequest("Export as yaml, gift, csv or moodlexml.")
    response = HttpResponse(importing.export(stewardship.bank, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{slug}.{EXTENSIONS[fmt]}"'
    return response
