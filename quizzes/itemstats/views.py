import csv
from math import ceil

from django.core.exceptions import BadRequest
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.html import strip_tags
from django.views.decorators.http import require_GET

from quizzes.authoring.models import BankStewardship
from quizzes.itemstats import class_filter, stats, tallies
from quizzes.models import Bank
from studyapp.accounts.roles import instructor_required

PER_PAGE = 50
# Column headers of the table, in order: (sort key, label).
COLUMNS = [
    ("position", "#"),
    ("question", "Question"),
    ("attempts", "Answers"),
    ("facility", "Facility"),
    ("discrimination", "Discrimination"),
    (None, "Choices picked"),
    ("time", "Average time"),
    ("flags", "Open flags"),
]


def _get_bank_for_stats(request: HttpRequest, slug: str) -> Bank:
    """The bank whose statistics this instructor may see: their own or co-authored bank, or a content bank."""
    editable = BankStewardship.objects.editable_by(request.user).filter(bank=OuterRef("pk"))
    bank = get_object_or_404(Bank.objects.select_related("stewardship").annotate(editable=Exists(editable)), slug=slug)
    if hasattr(bank, "stewardship") and not bank.editable:  # a content/banks bank has none: every instructor's
        raise Http404("No bank of yours has this address.")
    return bank


def _sort(request: HttpRequest) -> str:
    sort = request.GET.get("sort", "position")
    if sort.removeprefix("-") not in stats.SORTS:
        raise BadRequest(f"Unknown sort “{sort[:40]}”. Use the column headers to sort.")
    return sort


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    if not raw.isdecimal() or not 0 < len(raw) <= 6 or int(raw) < 1:
        raise BadRequest(f"“{raw[:20]}” is not a page number.")
    return int(raw)


def _class_learners(request: HttpRequest):
    """`?class=<id>`: a class this instructor teaches (404 for any other class), its learners and the questions it
    assigns (class_filter.assigned_questions()), or Nones."""
    raw = request.GET.get("class")
    if raw is None:
        return None, None, None
    if not raw.isdecimal() or len(raw) > 10:
        raise BadRequest(f"“{raw[:20]}” is not a class.")
    from quizzes.classes.models import Classroom, Membership

    classroom = Classroom.objects.taught_by(request.user).filter(pk=int(raw)).first()
    if classroom is None:
        raise Http404("No class of yours has this number.")
    learners = Membership.objects.filter(classroom=classroom).values("learner")
    return classroom, learners, class_filter.assigned_questions(classroom)


@require_GET
@instructor_required
def bank_stats(request: HttpRequest, slug: str) -> HttpResponse:
    bank = _get_bank_for_stats(request, slug)
    sort, number = _sort(request), _page_number(request)
    classroom, learners, assigned = _class_learners(request)
    if classroom is not None:  # only the class's learners' answers on what it assigns, from their history
        summary = class_filter.bank_summary(bank, learners, assigned)
        annotated = class_filter.annotated_questions(bank, learners, assigned)
    else:
        summary = stats.bank_summary(bank)
        annotated = stats.annotated_questions(bank)
    pages = max(1, ceil(summary.questions / PER_PAGE))
    number = min(number, pages)
    start = (number - 1) * PER_PAGE
    questions = list(stats.ordered(annotated, sort)[start : start + PER_PAGE])
    current = sort.removeprefix("-")
    descending = sort.startswith("-")
    columns = [
        {
            "key": key,
            "label": label,
            "aria_sort": ("descending" if descending else "ascending") if key == current else None,
            # A click on the sorted column reverses it; any other column sorts ascending first.
            "next_sort": (key if descending else f"-{key}") if key == current else key,
        }
        for key, label in COLUMNS
    ]
    return render(
        request,
        "itemstats/stats.html",
        {
            "bank": bank,
            "stewarded": hasattr(bank, "stewardship"),  # cached by select_related: no query
            "summary": summary,
            "folded_at": tallies.last_folded(),
            "rows": class_filter.question_stats(questions, learners) if classroom else stats.question_stats(questions),
            "classroom": classroom,
            "class_query": f"&class={classroom.pk}" if classroom else "",
            "columns": columns,
            "sort": sort,
            "page": number,
            "pages": pages,
            "previous_page": number - 1 if number > 1 else None,
            "next_page": number + 1 if number < pages else None,
            "first_row": start + 1,
            "last_row": start + len(questions),
            "enough_answers": stats.ENOUGH_ANSWERS,
            "enough_attempts": stats.ENOUGH_ATTEMPTS,
            "too_hard": stats.TOO_HARD,
            "too_easy": stats.TOO_EASY,
        },
    )


def _cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(value, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@require_GET
@instructor_required
def export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """Every question's statistics as CSV, in the page's order."""
    bank = _get_bank_for_stats(request, slug)
    sort = _sort(request)
    rows = stats.question_stats(list(stats.ordered(stats.annotated_questions(bank), sort)))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{bank.slug}-item-statistics.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "position",
            "id",
            "question",
            "answers",
            "study_answers",
            "exam_answers",
            "facility_percent",
            "discrimination",
            "average_seconds",
            "open_flags",
            "choice_picks",
            "problems",
        ]
    )
    for row in rows:
        q = row.question
        writer.writerow(
            [
                q.position,
                _cell(q.external_id),
                _cell(strip_tags(q.stem_html).strip()),
                q.attempts,
                q.study_attempts,
                q.exam_attempts,
                _number(q.facility, 1),
                _number(q.discrimination, 3),
                _number(row.avg_seconds, 1),
                q.open_flags,
                "; ".join(f"{c.key}{'*' if c.correct else ''}={c.picks}" for c in row.choices),
                _cell(" ".join(row.problems)),
            ]
        )
    return response
