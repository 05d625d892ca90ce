from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quizzes.exams.models import ExamAttempt
from tests.test_exams import build_exam_bank, exam_bank  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user):
    from tests.factories import PASSWORD

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_learner_takes_a_short_exam_with_the_keyboard(page, live_server, learner, exam_bank, assert_accessible):  # noqa: F811
    log_in(page, live_server, learner)
    page.goto(live_server.url + "/exam/")
    assert_accessible(page)
    page.get_by_role("button", name="Start quick exam").click()
    expect(page.get_by_role("heading", name="Question 1 of 20")).to_be_visible()
    assert_accessible(page)
    attempt = ExamAttempt.objects.get()

    # Answer question 1 with the keyboard: each choice is saved at once (htmx), without a page load.
    for key in range(1, attempt.questions.get(position=1).select + 1):
        page.keyboard.press(str(key))
    expect(page.locator(".exam-status")).to_contain_text("1 of 20 answered")
    assert attempt.questions.get(position=1).answer != []
    page.keyboard.press("f")
    expect(page.get_by_role("button", name="Question 1, answered, flagged, current")).to_be_visible()

    page.keyboard.press("n")
    expect(page.get_by_role("heading", name="Question 2 of 20")).to_be_visible()
    select = attempt.questions.get(position=2).select
    for key in range(1, select + 1):
        page.keyboard.press(str(key))
    expect(page.locator(".exam-status")).to_contain_text("2 of 20 answered")

    # A reload mid-exam resumes exactly where the learner was, with the answers kept.
    page.reload()
    expect(page.get_by_role("heading", name="Question 2 of 20")).to_be_visible()
    assert page.locator('input[name="choice"]:checked').count() == select

    page.keyboard.press("r")
    expect(page.get_by_role("heading", name="Review before you submit")).to_be_visible()
    expect(page.get_by_text("18 unanswered:")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("I am ready: submit my exam").check()
    page.get_by_role("button", name="Submit exam").click()
    expect(page.get_by_role("heading", name="Compute quick exam: results")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Flagged (1)").click()
    expect(page.locator(".review-item")).to_have_count(1)
    assert_accessible(page)


@pytest.fixture
def multiple_choice_bank(db):
    """The exam bank with every question "choose two": whatever the draw, the exam holds one."""
    return build_exam_bank(["multiple"])


def test_select_two_is_enforced_in_the_browser(page, live_server, learner, multiple_choice_bank):
    log_in(page, live_server, learner)
    page.goto(live_server.url + "/exam/")
    page.get_by_role("button", name="Start quick exam").click()
    attempt = ExamAttempt.objects.get()
    item = attempt.questions.filter(select=2).first()
    page.goto(f"{live_server.url}/exam/{attempt.pk}/q/{item.position}/")
    page.keyboard.press("1")
    page.keyboard.press("2")
    page.keyboard.press("3")  # a third option is refused
    expect(page.locator("#exam-problem")).to_contain_text("Select only 2")
    assert page.locator('input[name="choice"]:checked').count() == 2
    page.keyboard.press("2")  # untick one, then try to leave
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#exam-problem")).to_contain_text("Select 2 options before you move on")
    expect(page.get_by_role("heading", name=f"Question {item.position} of 20")).to_be_visible()


def test_the_countdown_follows_the_server_and_submits_at_zero(page, live_server, learner, exam_bank):  # noqa: F811
    log_in(page, live_server, learner)
    page.goto(live_server.url + "/exam/")
    page.get_by_role("button", name="Start quick exam").click()
    attempt = ExamAttempt.objects.get()
    expect(page.locator(".exam-timer-value")).to_have_text("29:59", timeout=3000)
    # Bring the deadline 3 s near (the app itself never moves a deadline).
    ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=3))
    page.reload()
    expect(page.locator(".exam-timer-value")).to_have_text("00:02", timeout=3000)
    page.wait_for_url(f"**/exam/{attempt.pk}/results/", timeout=10000)
    attempt.refresh_from_db()
    assert attempt.state == ExamAttempt.State.FINISHED


def test_the_exam_works_without_javascript(new_context, live_server, learner, exam_bank):  # noqa: F811
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, learner)
    page.goto(live_server.url + "/exam/")
    page.get_by_role("button", name="Start quick exam").click()
    attempt = ExamAttempt.objects.get()
    for index in range(attempt.questions.get(position=1).select):
        page.locator('input[name="choice"]').nth(index).check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Question 2 of 20")).to_be_visible()
    assert attempt.questions.get(position=1).answer != []
    page.get_by_role("button", name="Review and submit").click()
    page.get_by_label("I am ready: submit my exam").check()
    page.get_by_role("button", name="Submit exam").click()
    expect(page.get_by_text("Scaled score")).to_be_visible()
    context.close()


@pytest.mark.parametrize("path", ["/exam/"])
def test_the_exam_page_has_no_accessibility_violations_in_both_themes(
    new_context,
    live_server,
    assert_accessible,
    color_scheme,
    path,
    exam_bank,  # noqa: F811
):
    context = new_context(color_scheme=color_scheme, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + path)
    assert_accessible(page)
    context.close()
