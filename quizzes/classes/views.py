"""Classes: create, join, leave, manage; assignments; the class page (learners) and dashboard (teachers)."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quizzes.classes import assigned_exams, dashboard, gradebook, learner_view
from quizzes.classes.forms import AssignmentForm, ClassForm, CoTeacherForm, JoinForm
from quizzes.classes.models import Assignment, Classroom, Membership
from studyapp.accounts.guests import client_address
from studyapp.accounts.roles import instructor_required, is_instructor

# Guessing join codes: as many wrong codes per learner in this many seconds, then 429 until the window ends.
JOIN_FAILURES_ALLOWED = 10
JOIN_FAILURE_WINDOW = 15 * 60
# And per client address, so that one person with many accounts cannot guess on: more, as a school's learners
# often share one address (each may mistype their code a few times).
JOIN_FAILURES_PER_ADDRESS = 50


def _get_class_for_user(request: HttpRequest, class_id: int, classrooms=None) -> tuple[Classroom, bool]:
    """The class (read from `classrooms`, all classes by default) and whether the user teaches it (owner or
    co-teacher); 404 unless they teach it or joined it."""
    user = request.user
    if not user.is_authenticated:
        raise Http404("No such class.")
    co_teaching = Classroom.co_teachers.through.objects.filter(classroom=OuterRef("pk"), user=user)
    member = Membership.objects.filter(classroom=OuterRef("pk"), learner=user)
    classroom = (
        (Classroom.objects.all() if classrooms is None else classrooms)
        .select_related("owner")
        .annotate(co_teaching=Exists(co_teaching), member=Exists(member))
        .filter(pk=class_id)
        .first()
    )
    if classroom is None:
        raise Http404("No such class.")
    teaching = (classroom.owner_id == user.pk or classroom.co_teaching) and is_instructor(user)
    if not teaching and not classroom.member:
        raise Http404("No such class.")
    return classroom, bool(teaching)


def _get_class_to_manage(request: HttpRequest, class_id: int, owner: bool = False) -> Classroom:
    """A class this instructor teaches (owns, when `owner`); 404 for any other, 403 for its learners."""
    classroom, teaching = _get_class_for_user(request, class_id)
    if not teaching:
        raise PermissionDenied("Only the class's teachers can do this.")
    if owner and not classroom.is_owner(request.user):
        raise PermissionDenied("Only the class's owner can do this.")
    return classroom


def _get_assignment(classroom: Classroom, assignment_id: int) -> Assignment:
    return get_object_or_404(Assignment, pk=assignment_id, classroom=classroom)


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    teaching = list(Classroom.objects.taught_by(user).select_related("owner")) if is_instructor(user) else []
    joined = list(Classroom.objects.joined_by(user).select_related("owner"))
    context = {"teaching": teaching, "joined": joined, "instructor": is_instructor(user)}
    return render(request, "classes/index.html", context)


@require_http_methods(["GET", "POST"])
@instructor_required
def create(request: HttpRequest) -> HttpResponse:
    form = ClassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        classroom = form.save(commit=False)
        classroom.owner = request.user
        classroom.save()
        messages.success(request, "Class created: share the join code or the join link with your learners.")
        return redirect("classes:detail", classroom.pk)
    return render(request, "classes/class_form.html", {"form": form}, status=422 if form.errors else 200)


def _needs_account(request: HttpRequest) -> bool:
    user = request.user
    return not user.is_authenticated or getattr(user, "is_guest", False)


def _sign_in_first(request: HttpRequest, next_url: str) -> HttpResponse:
    """A visitor or guest signs up (a guest's progress is kept) or logs in, then comes back to join."""
    return render(request, "classes/sign_in_first.html", {"next": next_url})


def _failure_counters(request: HttpRequest) -> dict[str, tuple[int, str]]:
    """The cache keys counting wrong join codes (this account's, this address's), each with its limit and the
    reason shown once it is reached."""
    minutes = JOIN_FAILURE_WINDOW // 60
    return {
        f"classes:join-failures:{request.user.pk}": (
            JOIN_FAILURES_ALLOWED,
            f"Too many wrong join codes: try again in {minutes} minutes, or ask your instructor for the join link.",
        ),
        f"classes:join-failures:address:{client_address(request)}": (
            JOIN_FAILURES_PER_ADDRESS,
            f"Too many wrong join codes from your network: try again in {minutes} minutes, or ask your instructor "
            "for the join link.",
        ),
    }


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    if _needs_account(request):
        return _sign_in_first(request, reverse("classes:join"))
    form = JoinForm(request.POST or None)
    if request.method == "POST":
        counters = _failure_counters(request)
        counts = cache.get_many(list(counters))
        for key, (limit, reason) in counters.items():
            if counts.get(key, 0) >= limit:
                return render(request, "429.html", {"reason": reason}, status=429)
        if form.is_valid():
            classroom = Classroom.objects.filter(join_code=form.cleaned_data["code"]).first()
            if classroom is not None:
                return _join(request, classroom)
            for key in counters:
                cache.add(key, 0, JOIN_FAILURE_WINDOW)
                cache.incr(key)
            form.add_error("code", "No open class has this code. Check it with your instructor.")
        return render(request, "classes/join.html", {"form": form}, status=422)
    return render(request, "classes/join.html", {"form": form})


def _join(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    if classroom.has_ended(timezone.now()):
        messages.error(request, f"{classroom.name} ended on {classroom.ends_on:%d %b %Y}: it takes no new learners.")
        return redirect("classes:index")
    if classroom.join(request.user):
        messages.success(request, f"You joined {classroom.name}.")
    else:
        messages.info(request, f"You are already in {classroom.name}.")
    return redirect("classes:detail", classroom.pk)


@require_http_methods(["GET", "POST"])
def join_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the learner is about to join; POST joins (GET never writes)."""
    classroom = Classroom.objects.select_related("owner").filter(join_token=token).first()
    if classroom is None:
        raise Http404("This join link does not work any more: ask your instructor for a new one.")
    if _needs_account(request):
        return _sign_in_first(request, request.path)
    if request.method == "POST":
        return _join(request, classroom)
    return render(request, "classes/join_confirm.html", {"classroom": classroom})


@require_GET
@never_cache
def detail(request: HttpRequest, class_id: int) -> HttpResponse:
    classroom, teaching = _get_class_for_user(request, class_id, dashboard.marked(Classroom.objects.all()))
    now = timezone.now()
    if teaching:
        assignments = dashboard.assignments_of(classroom)
        glance = dashboard.glance(classroom, assignments, now)
        context = {"classroom": classroom, "learners": glance.learners, "co_teachers": []}
        context["board_html"], board = board_html(request, classroom, assignments, glance, now)
        # The co-teachers come with the learners when the board is drawn, else in a query if the class has any.
        if board is not None:
            context["co_teachers"] = board.co_teachers
        elif classroom.co_teacher_count:
            context["co_teachers"] = classroom.co_teachers.order_by("username").values("pk", "username")
        context["is_owner"] = classroom.is_owner(request.user)
        context["join_url"] = (
            request.build_absolute_uri(reverse("classes:join_link", args=[classroom.join_token]))
            if classroom.join_token
            else None
        )
        return render(request, "classes/dashboard.html", context)
    rows = learner_view.assignments_of(request.user, now, classroom=classroom)
    return render(request, "classes/class.html", {"classroom": classroom, "rows": rows, "now": now})


def board_html(
    request: HttpRequest, classroom: Classroom, assignments: list, glance: dashboard.Glance, now: datetime
) -> tuple[SafeString, dashboard.Board | None]:
    """The board's sections (classes/dashboard.html#board), and the board when it was drawn: from the cache while
    the board's key (glance()) is the one they were drawn under and the board is not outdated (Board.until), else
    drawn (dashboard.build()) and cached. A repeat visit reads no learner's row: 4,000 cells cost more to read
    and draw than the key."""
    key = f"classes:board-html:{dashboard.CACHE_VERSION}:{classroom.pk}"  # one per class: a new board replaces it
    cached = cache.get(key)
    if cached is not None and cached[0] == glance.key and now.timestamp() < cached[2]:
        return cached[1], None
    board = dashboard.build(classroom, assignments, now)
    html = render_to_string("classes/dashboard.html#board", {"classroom": classroom, "board": board}, request)
    cache.set(key, (glance.key, html, board.until), timeout=max(1, board.until - int(now.timestamp())))
    return html, board


@require_POST
@login_required
def leave(request: HttpRequest, class_id: int) -> HttpResponse:
    classroom, _ = _get_class_for_user(request, class_id)
    classroom.leave(request.user)
    messages.success(request, f"You left {classroom.name}. Your own study history is unchanged.")
    return redirect("classes:index")


ACCESS_ACTIONS = {
    "rotate-code": ("rotate", "code", "New join code: the old one no longer works."),
    "close-code": ("close", "code", "Join code closed: rotate it to open joining again."),
    "rotate-link": ("rotate", "link", "New join link: the old one no longer works."),
    "close-link": ("close", "link", "Join link closed: rotate it to open joining again."),
}


@require_POST
@login_required
def access(request: HttpRequest, class_id: int) -> HttpResponse:
    classroom = _get_class_to_manage(request, class_id)
    action = ACCESS_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise BadRequest("Unknown action: rotate or close the code or the link.")
    method, what, message = action
    getattr(classroom, method)(what)
    messages.success(request, message)
    return redirect(reverse("classes:detail", args=[classroom.pk]) + "#joining")


@require_POST
@login_required
def delete(request: HttpRequest, class_id: int) -> HttpResponse:
    """Owner only: delete the class, its memberships and assignments. The learners' own work (their reviews,
    trainer answers and exam attempts) stays theirs."""
    classroom = _get_class_to_manage(request, class_id, owner=True)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm that the class is to be deleted.")
        return redirect(reverse("classes:detail", args=[classroom.pk]) + "#delete")
    classroom.delete()
    messages.success(request, f"Class {classroom.name} deleted.")
    return redirect("classes:index")


@require_POST
@login_required
def co_teacher_add(request: HttpRequest, class_id: int) -> HttpResponse:
    classroom = _get_class_to_manage(request, class_id, owner=True)
    form = CoTeacherForm(request.POST, classroom=classroom)
    if form.is_valid():
        classroom.co_teachers.add(form.cleaned_data["username"])
        messages.success(request, f"{form.cleaned_data['username'].username} now teaches this class with you.")
    else:
        messages.error(request, " ".join(form.errors.get("username", ["Enter an instructor's username."])))
    return redirect(reverse("classes:detail", args=[classroom.pk]) + "#teachers")


@require_POST
@login_required
def co_teacher_remove(request: HttpRequest, class_id: int, user_id: int) -> HttpResponse:
    classroom = _get_class_to_manage(request, class_id, owner=True)
    teacher = get_object_or_404(classroom.co_teachers, pk=user_id)
    classroom.co_teachers.remove(teacher)
    messages.success(request, f"{teacher.username} no longer teaches this class.")
    return redirect(reverse("classes:detail", args=[classroom.pk]) + "#teachers")


@require_http_methods(["GET", "POST"])
@login_required
def assignment_create(request: HttpRequest, class_id: int) -> HttpResponse:
    classroom = _get_class_to_manage(request, class_id)
    return _assignment_form(request, classroom, Assignment(classroom=classroom))


@require_http_methods(["GET", "POST"])
@login_required
def assignment_edit(request: HttpRequest, class_id: int, assignment_id: int) -> HttpResponse:
    classroom = _get_class_to_manage(request, class_id)
    return _assignment_form(request, classroom, _get_assignment(classroom, assignment_id))


def _assignment_form(request: HttpRequest, classroom: Classroom, assignment: Assignment) -> HttpResponse:
    form = AssignmentForm(request.POST or None, instance=assignment)
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                form.save()
                moved = assigned_exams.reschedule(assignment, timezone.now())
            messages.success(request, f"Assignment “{assignment.title}” saved.")
            if moved:
                messages.info(
                    request,
                    f"{moved} running attempt{'s' if moved != 1 else ''} now end{'s' if moved == 1 else ''} "
                    "by the new due time (or sooner, by the time limit it started with).",
                )
            return redirect(reverse("classes:detail", args=[classroom.pk]) + "#assignments")
        messages.error(request, "Some fields need fixing: see the messages next to them. Nothing was saved.")
    context = {"form": form, "classroom": classroom, "assignment": assignment}
    return render(request, "classes/assignment_form.html", context, status=422 if form.errors else 200)


@require_POST
@login_required
def assignment_delete(request: HttpRequest, class_id: int, assignment_id: int) -> HttpResponse:
    classroom = _get_class_to_manage(request, class_id)
    assignment = _get_assignment(classroom, assignment_id)
    assignment.delete()  # the learners' attempts stay theirs: only the link to the assignment goes
    messages.success(request, f"Assignment “{assignment.title}” deleted.")
    return redirect(reverse("classes:detail", args=[classroom.pk]) + "#assignments")


@require_POST
@login_required
def assignment_start(request: HttpRequest, class_id: int, assignment_id: int) -> HttpResponse:
    """Start (or resume) the exam of an exam assignment; the server checks the window and the attempts left."""
    classroom, teaching = _get_class_for_user(request, class_id)
    if not classroom.member:
        raise PermissionDenied("Only the class's learners take its exams.")
    assignment = _get_assignment(classroom, assignment_id)
    if assignment.kind != Assignment.Kind.EXAM:
        raise BadRequest("This assignment is not an exam.")
    try:
        attempt = assigned_exams.start(assignment, request.user, timezone.now())
    except assigned_exams.Refused as refusal:
        messages.error(request, str(refusal))
        return redirect("classes:detail", classroom.pk)
    return HttpResponseRedirect(reverse("exam:attempt", args=[attempt.pk]), status=303)


@require_GET
@never_cache
@login_required
def gradebook_csv(request: HttpRequest, class_id: int) -> HttpResponse:
    classroom = _get_class_to_manage(request, class_id)
    layout = request.GET.get("format", "moodle")
    if layout not in gradebook.LAYOUTS:
        raise BadRequest("Unknown format: use moodle or canvas.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="class-{classroom.pk}-gradebook-{layout}.csv"'
    gradebook.write(response, classroom, layout, timezone.now())
    return response
