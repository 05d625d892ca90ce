"""Issue 9 end to end: a visitor tries the app without an account, then keeps (or merges) the progress."""

import pytest
from playwright.sync_api import expect

from quizzes.exams.models import ExamAttempt
from quizzes.models import ReviewLog
from studyapp.accounts.models import User
from tests.factories import PASSWORD
from tests.test_exams import exam_bank  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer_the_first_question(page) -> None:
    card = page.locator("#card")
    expect(card.get_by_role("heading", name="Question")).to_be_visible()
    card.locator('input[name="choice"]').first.check()
    card.get_by_role("button", name="Submit answer").click()
    verdict = card.get_by_role("heading", name="Correct").or_(card.get_by_role("heading", name="Not quite"))
    expect(verdict).to_be_focused()
    if "Correct" in verdict.inner_text():  # options are shuffled: a right answer is logged once rated
        card.get_by_role("button", name="Good").click()
    else:
        card.get_by_role("link", name="Continue").click()
    expect(page.locator("#study")).to_contain_text("Today: 1 done")


def test_a_visitor_answers_starts_an_exam_signs_up_and_finds_the_progress_on_the_dashboard(
    page,
    live_server,
    assert_accessible,
    exam_bank,  # noqa: F811
):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Answer your first question now").click()
    assert not User.objects.exists()  # opening the study page stores nothing
    answer_the_first_question(page)
    guest = User.objects.get()
    assert guest.is_guest and ReviewLog.objects.filter(learner=guest).count() == 1

    page.goto(live_server.url + "/exam/")
    banner = page.get_by_role("region", name="Guest session")
    expect(banner).to_contain_text("your progress lives in this browser only")
    assert_accessible(page)
    page.get_by_role("button", name="Start quick exam").click()
    expect(page.get_by_role("heading", name="Question 1 of 20")).to_be_visible()
    attempt = ExamAttempt.objects.get()
    assert attempt.learner == guest

    banner.get_by_role("link", name="Create an account to keep it").click()
    page.get_by_label("Username").fill("kept")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome, kept!")).to_be_visible()

    # The same record became the account: nothing copied, nothing lost.
    account = User.objects.get()
    assert (account.pk, account.username, account.is_guest) == (guest.pk, "kept", False)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Progress").click()
    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()
    today = page.get_by_role("region", name="Today")
    expect(today.locator("div", has_text="Studied today").locator("dd")).to_have_text("1")
    expect(today.get_by_role("link", name="Continue exam: Compute quick exam")).to_be_visible()
    expect(page.get_by_role("region", name="Guest session")).to_have_count(0)
    assert_accessible(page)


def test_a_visitor_with_an_account_merges_the_guest_progress_when_logging_in(
    page,
    live_server,
    learner,
    assert_accessible,
    exam_bank,  # noqa: F811
):
    page.goto(live_server.url + "/study/")
    answer_the_first_question(page)
    guest = User.objects.get(is_guest=True)

    page.reload()  # the banner comes with the next page: the answer was an htmx swap
    page.get_by_role("region", name="Guest session").get_by_role("link", name="log in").click()
    page.get_by_label("Username").fill(learner.username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Keep what you did as a guest?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Merge into my account").click()
    expect(page.get_by_text("Your guest progress is now part of your account.")).to_be_visible()

    assert not User.objects.filter(pk=guest.pk).exists()
    assert ReviewLog.objects.filter(learner=learner).count() == 1
    page.goto(live_server.url + "/progress/")
    today = page.get_by_role("region", name="Today")
    expect(today.locator("div", has_text="Studied today").locator("dd")).to_have_text("1")
