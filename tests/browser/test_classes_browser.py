"""Classes in a browser: an instructor creates a class and an exam assignment, a learner joins with the code,
sees it on /progress/ and takes it, the instructor sees the score; axe on every page of the journey."""

import re

import pytest
from playwright.sync_api import expect

from quizzes.classes.models import Classroom
from quizzes.exams.models import ExamAttempt
from tests.factories import PASSWORD
from tests.test_exams import exam_bank  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user, next_url: str = "/") -> None:
    page.goto(live_server.url + f"/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_class_from_creation_to_a_graded_exam(
    page,
    new_context,
    live_server,
    instructor,
    learner,
    exam_bank,  # noqa: F811
    assert_accessible,
):
    log_in(page, live_server, instructor, "/classes/")
    expect(page.get_by_role("heading", name="Classes", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="New class").click()
    assert_accessible(page)
    page.get_by_label("Name").fill("Cloud 101")
    page.get_by_role("button", name="Create the class").click()
    expect(page.get_by_role("heading", name="Cloud 101")).to_be_visible()
    assert_accessible(page)
    classroom = Classroom.objects.get()

    page.get_by_role("link", name="New assignment").click()
    assert_accessible(page)
    page.get_by_label("Title").fill("Midterm")
    page.get_by_label("Kind").select_option("exam")
    page.get_by_label("Exam:", exact=True).select_option("quick")
    page.get_by_label("Attempts allowed (exam)").fill("2")
    page.get_by_label("Due (UTC):", exact=True).fill("2099-01-01T12:00")
    page.get_by_role("button", name="Save the assignment").click()
    expect(page.get_by_role("columnheader", name="Midterm")).to_be_hidden()  # no learner yet: no grid
    expect(page.get_by_role("link", name="Midterm")).to_be_visible()

    # A visitor following the link is asked to sign up or log in first.
    visitor = new_context().new_page()
    visitor.goto(live_server.url + f"/classes/join/{classroom.join_token}/")
    expect(visitor.get_by_role("heading", name="Sign up or log in to join a class")).to_be_visible()
    assert_accessible(visitor)

    other = new_context().new_page()
    log_in(other, live_server, learner, "/classes/join/")
    expect(other.get_by_role("heading", name="Join a class")).to_be_visible()
    assert_accessible(other)
    other.get_by_label("Join code").fill(classroom.join_code.lower())
    other.get_by_role("button", name="Join").click()
    expect(other.get_by_role("heading", name="Cloud 101")).to_be_visible()
    assert_accessible(other)
    other.goto(live_server.url + f"/classes/join/{classroom.join_token}/")
    assert_accessible(other)  # the confirmation (already a member: joining again changes nothing)

    other.goto(live_server.url + "/progress/")
    section = other.locator("section", has=other.get_by_role("heading", name="Assignments"))
    expect(section).to_contain_text("Midterm")
    expect(section).to_contain_text("Not started")
    assert_accessible(other)

    section.get_by_role("button", name=re.compile("Take the exam")).click()
    expect(other.get_by_role("heading", name="Question 1 of 20")).to_be_visible()
    attempt = ExamAttempt.objects.get()
    other.goto(live_server.url + f"/exam/{attempt.pk}/review/")
    expect(other.get_by_role("heading", name="Review before you submit")).to_be_visible()
    other.get_by_label("I am ready: submit my exam").check()
    other.get_by_role("button", name="Submit exam").click()
    expect(other.get_by_role("heading", name=re.compile("results"))).to_be_visible()
    expect(other.get_by_text("stay hidden while you can still take it")).to_be_visible()  # one attempt left
    assert_accessible(other)

    page.reload()
    grid = page.locator("table.class-grid")
    expect(grid).to_contain_text("ada")
    expect(grid).to_contain_text("Done")
    expect(grid).to_contain_text("0 %")
    assert_accessible(page)


def test_the_class_pages_are_accessible_in_dark_mode_and_fit_360_pixels(
    new_context, live_server, instructor, learner, assert_accessible
):
    from tests.factories import AssignmentFactory, ClassroomFactory, MembershipFactory

    classroom = ClassroomFactory(owner=instructor, name="A class with a rather long name for a small screen")
    MembershipFactory(classroom=classroom, learner=learner)
    for n in range(6):
        AssignmentFactory(classroom=classroom, title=f"Assignment number {n} with a long title")
    for user, paths in [
        (instructor, [f"/classes/{classroom.pk}/", f"/classes/{classroom.pk}/assignments/new/", "/classes/"]),
        (learner, [f"/classes/{classroom.pk}/", "/classes/join/", "/progress/"]),
    ]:
        context = new_context(color_scheme="dark", viewport={"width": 360, "height": 740})
        page = context.new_page()
        log_in(page, live_server, user)
        for path in paths:
            page.goto(live_server.url + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            wide = page.evaluate(
                "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 362"
                " && !e.closest('.table-wrap table'))"
                ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px: {wide}"
            assert_accessible(page)
        context.close()
