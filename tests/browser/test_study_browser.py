"""A whole study session with the keyboard only, htmx swaps and axe on every state of the page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quizzes.models import Flag, QuestionMemory, ReviewLog
from quizzes.study.scheduling import State
from tests.factories import PASSWORD, QuestionFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username: str) -> None:
    UserFactory(username=username)
    page.goto(live_server.url + "/accounts/login/?next=/study/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Study", exact=True)).to_be_visible()


def test_a_keyboard_only_session_answers_rates_undoes_buries_and_flags(
    page, live_server, assert_accessible, htmx_settled
):
    first = QuestionFactory(position=1, stem_md="First question?", stem_html="<p>First question?</p>")
    second = QuestionFactory(
        position=2, type="multiple", stem_md="Second question?", stem_html="<p>Second question? (Select TWO.)</p>"
    )
    third = QuestionFactory(position=3, stem_md="Third question?", stem_html="<p>Third question?</p>")
    log_in(page, live_server, "keys")
    assert_accessible(page)
    card = page.locator("#card")

    # First question, answered wrong with "2" then Enter: recorded as Again, feedback swapped in.
    expect(card).to_contain_text("First question?")
    wrong_position = next(
        index for index, text in enumerate(card.locator(".choice-text").all_inner_texts()) if text != "Option A"
    )
    page.keyboard.press(str(wrong_position + 1))
    page.keyboard.press("Enter")
    expect(card.get_by_role("heading", name="Not quite")).to_be_focused()
    htmx_settled(page)
    expect(card).to_contain_text("Why Option A.")
    assert_accessible(page)
    assert ReviewLog.objects.get().rating == 1

    # "u" undoes it: the question is new again and comes back.
    page.keyboard.press("u")
    expect(page.get_by_text("Undone: your last rating was removed")).to_be_visible()
    assert not ReviewLog.objects.exists()
    expect(card).to_contain_text("First question?")
    htmx_settled(page)

    # Right this time (letters work too), then Space rates Good.
    right_letter = "abcd"[card.locator(".choice-text").all_inner_texts().index("Option A")]
    page.keyboard.press(right_letter)
    page.keyboard.press("Enter")
    # htmx may move the focus to a same-id heading before it has wired the new rating form: wait for both.
    expect(card.get_by_role("heading", name="Correct")).to_be_focused()
    htmx_settled(page)
    expect(card.get_by_role("button", name="Good")).to_be_visible()
    assert_accessible(page)
    page.keyboard.press(" ")
    expect(card).to_contain_text("Second question?")
    htmx_settled(page)
    log = ReviewLog.objects.get()
    assert (log.rating, log.correct, log.memory.question) == (3, True, first)

    # The help overlay opens with "?" and closes with Escape.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Multiple response: pick both right options with digits, Enter, then "4" rates Easy.
    texts = card.locator(".choice-text").all_inner_texts()
    page.keyboard.press(str(texts.index("Option A") + 1))
    page.keyboard.press(str(texts.index("Option B") + 1))
    page.keyboard.press("Enter")
    expect(card.get_by_role("heading", name="Correct")).to_be_focused()
    htmx_settled(page)
    page.keyboard.press("4")
    expect(card).to_contain_text("Third question?")
    expect(card.locator("[data-autofocus]")).to_be_focused()
    htmx_settled(page)
    assert QuestionMemory.objects.get(question=second).state == State.Review

    # "f" opens the report form with the focus in it; the report is sent without leaving the question.
    page.keyboard.press("f")
    comment = card.get_by_label("What is wrong with it?")
    expect(comment).to_be_focused()
    comment.fill("Option C is also right because of reserved concurrency.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(card.get_by_text("Thank you: an instructor will look at this question.")).to_be_visible()
    assert Flag.objects.get().question == third

    # "Shift+B" buries it while answering. Nothing else is due, so, like Anki, the first question's
    # 10-minute learning step is brought forward; "s" suspends it and the session is done for today.
    page.keyboard.press("Shift+B")
    expect(card).to_contain_text("First question?")
    assert QuestionMemory.objects.get(question=third).buried_until is not None
    page.keyboard.press("s")
    expect(page.get_by_role("heading", name="Done for today")).to_be_visible()
    assert QuestionMemory.objects.get(question=first).suspended
    assert_accessible(page)


def test_the_session_works_without_javascript(new_context, live_server):
    QuestionFactory(stem_md="No script?", stem_html="<p>No script?</p>")
    UserFactory(username="noscript")
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/?next=/study/")
    page.get_by_label("Username").fill("noscript")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Option A").click()
    page.get_by_role("button", name="Submit answer").click()
    expect(page.get_by_role("heading", name="Correct")).to_be_visible()
    page.get_by_role("button", name="Good").click()
    expect(page.get_by_text("Today: 1 done")).to_be_visible()  # its 10-minute step is brought forward
    page.get_by_role("button", name="Suspend").click()
    expect(page.get_by_role("heading", name="Done for today")).to_be_visible()
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_study_page_is_accessible_in_both_themes_and_fits_360_pixels(
    new_context, live_server, assert_accessible, scheme
):
    QuestionFactory(type="multiple")
    UserFactory(username=f"themes-{scheme}")
    context = new_context(color_scheme=scheme, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/?next=/study/")
    page.get_by_label("Username").fill(f"themes-{scheme}")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#card")).to_be_visible()
    assert_accessible(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    context.close()


def test_a_visitor_studies_with_the_keyboard_as_a_guest_created_by_the_first_answer(
    page, live_server, assert_accessible
):
    from studyapp.accounts.models import User

    QuestionFactory(position=1, stem_md="Visitor first?", stem_html="<p>Visitor first?</p>")
    QuestionFactory(position=2, stem_md="Visitor second?", stem_html="<p>Visitor second?</p>")
    page.goto(live_server.url + "/study/")
    card = page.locator("#card")
    expect(card).to_contain_text("Visitor first?")
    assert_accessible(page)
    assert not User.objects.exists()  # reading the page created nobody

    # The first answer (an htmx POST) creates the guest; the session and CSRF token rotate underneath the page.
    wrong_position = next(
        index for index, text in enumerate(card.locator(".choice-text").all_inner_texts()) if text != "Option A"
    )
    page.keyboard.press(str(wrong_position + 1))
    page.keyboard.press("Enter")
    expect(card.get_by_role("heading", name="Not quite")).to_be_visible()
    visitor = User.objects.get(is_guest=True)

    # The following requests of the same page go through with the rotated token: continue, answer, rate, undo.
    page.keyboard.press("Enter")
    expect(card).to_contain_text("Visitor second?")
    right_position = card.locator(".choice-text").all_inner_texts().index("Option A")
    page.keyboard.press(str(right_position + 1))
    page.keyboard.press("Enter")
    expect(card.get_by_role("button", name="Good")).to_be_visible()
    page.keyboard.press(" ")
    expect(page.locator("#study")).to_contain_text("Today: 2 done")
    assert ReviewLog.objects.filter(learner=visitor).count() == 2
    page.keyboard.press("u")
    expect(page.get_by_text("Undone: your last rating was removed")).to_be_visible()
    assert ReviewLog.objects.filter(learner=visitor).count() == 1

    page.reload()
    expect(page.get_by_text("your progress lives in this browser only")).to_be_visible()
    assert_accessible(page)
    assert User.objects.count() == 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_choose_page_offers_every_bank_and_category_accessibly_and_their_sessions_open(
    new_context, live_server, loaded_content, assert_accessible, scheme
):
    context = new_context(color_scheme=scheme, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + "/study/choose/")
    assert_accessible(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.get_by_role("link", name="Security, identity and compliance").click()
    expect(page.get_by_text("Security, identity and compliance (category)")).to_be_visible()
    expect(page.locator("#card")).to_be_visible()
    assert_accessible(page)
    page.go_back()
    page.get_by_role("list", name="One question bank").get_by_role("link", name="CLF-C02 cloud concepts").click()
    expect(page.get_by_text("CLF-C02 cloud concepts (bank)")).to_be_visible()
    expect(page.locator("#card")).to_be_visible()
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_suspended_question_comes_back_from_its_page_with_htmx(
    new_context, live_server, assert_accessible, htmx_settled, scheme
):
    from studyapp.accounts.models import User

    kept = QuestionFactory(position=1, stem_md="Kept aside?", stem_html="<p>Kept aside?</p>")
    back = QuestionFactory(position=2, stem_md="Bring me back?", stem_html="<p>Bring me back?</p>")
    page = new_context(color_scheme=scheme, viewport={"width": 360, "height": 740}).new_page()
    log_in(page, live_server, f"suspender-{scheme}")
    learner = User.objects.get(username=f"suspender-{scheme}")
    for question in (kept, back):
        QuestionMemory.objects.create(learner=learner, question=question, due=timezone.now(), suspended=True)

    page.goto(live_server.url + "/study/choose/")
    page.get_by_role("link", name="Suspended questions").click()
    expect(page.get_by_role("heading", name="2 suspended questions")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("button", name="Unsuspend").nth(1).click()
    expect(page.get_by_role("status")).to_contain_text("Unsuspended: “Bring me back?”")
    htmx_settled(page)
    expect(page.get_by_role("heading", name="1 suspended question")).to_be_visible()
    expect(page.get_by_text("Kept aside?")).to_be_visible()
    assert page.url.endswith("/study/suspended/")  # swapped in place
    assert not QuestionMemory.objects.get(learner=learner, question=back).suspended
    assert QuestionMemory.objects.get(learner=learner, question=kept).suspended
    assert_accessible(page)
