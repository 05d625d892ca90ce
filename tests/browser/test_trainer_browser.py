"""What only a browser shows: a keyboard-only round with htmx swaps, and the decision guide, with axe."""

import pytest
from playwright.sync_api import expect

from quizzes.trainer.models import RoundItem
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def logged_in(page, live_server):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_content", stdout=StringIO())
    UserFactory(username="keyboard")
    page.goto(live_server.url + "/accounts/login/?next=/trainer/")
    page.get_by_label("Username").fill("keyboard")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Which service fits?")).to_be_visible()
    return page


@pytest.mark.parametrize("scope", ["", "category:security-identity-compliance"])
def test_a_keyboard_only_round_with_feedback_swapped_in(logged_in, assert_accessible, htmx_settled, scope):
    from quizzes.trainer.rounds import PALETTE_SIZE

    page = logged_in
    assert_accessible(page)
    if scope:  # a large family: the palette still shows only each scenario's plausible candidates
        page.get_by_label("Focus").select_option(scope)
    page.get_by_role("button", name="Start a round").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Question 1 of 10")).to_be_visible()
    assert_accessible(page)
    for number in range(1, 11):
        token = page.locator('input[name="token"]').get_attribute("value")
        item = RoundItem.objects.select_related("scenario").get(token=token)
        right = set(item.scenario.answer)
        tiles = page.locator('input[name="service"]').count()
        assert tiles <= max(PALETTE_SIZE, len(right) + len(item.scenario.why_not_md))
        # Tab into the palette, then choose with the keyboard only.
        page.locator("#round-heading").focus()
        if len(right) == 1:
            page.keyboard.press("Tab")  # the first radio of the group
            for _ in range(20):
                if page.evaluate("document.activeElement.value") in right:
                    break
                page.keyboard.press("ArrowRight")
            page.keyboard.press("Space")  # arrow keys check as they move; the first radio needs Space
        else:
            for _ in range(40):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.value") in right:
                    page.keyboard.press("Space")
                if page.locator('input[name="service"]:checked').count() == 2:
                    break
        for _ in range(20):  # on to the submit button
            if page.evaluate("document.activeElement.textContent") == "Check answer":
                break
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        expect(page.locator("#round-heading")).to_contain_text("Right:")
        expect(page.locator("#round-heading")).to_be_focused()  # focus moved to the feedback
        assert "/answer/" not in page.url and page.url.endswith(f"/trainer/rounds/{item.round_id}/")  # htmx, no reload
        if number == 1:
            expect(page.locator(".scenario-text mark").first).to_be_visible()
            assert_accessible(page)
        page.keyboard.press("n")
        if number < 10:
            expect(page.get_by_text(f"Question {number + 1} of 10")).to_be_visible()
            expect(page.locator("#round-heading")).to_be_focused()  # focus moved to the new question
            # htmx moves the focus to the same-id heading at once, but wires the new form only as the swap
            # settles: a key pressed before then would submit it natively.
            htmx_settled(page)
    expect(page.get_by_role("heading", name="Round complete")).to_be_visible()
    expect(page.get_by_text("10 of 10 right")).to_be_visible()
    assert_accessible(page)
    page.goto(page.url.split("/trainer/")[0] + "/trainer/confusions/")
    assert_accessible(page)


def test_the_decision_guide_one_step_at_a_time(page, live_server, assert_accessible, color_scheme, new_context):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_content", stdout=StringIO())
    context = new_context(color_scheme=color_scheme)
    page = context.new_page()
    page.goto(live_server.url + "/trainer/guide/")
    assert_accessible(page)
    page.get_by_role("link", name="Which compute service?").click()
    assert_accessible(page)
    page.get_by_role("link", name="An application that is, or will be, packaged in containers").click()
    expect(
        page.get_by_role("heading", name="Question 2: Is the application already built into a container image?")
    ).to_be_visible()
    assert "path=2" in page.url  # htmx pushed the step into the address
    page.get_by_role("link", name="Yes, we have images").click()
    page.get_by_role("link", name="No: the images are stored; we need somewhere to run them").click()
    page.get_by_role("link", name="No: any orchestrator is fine").click()
    page.get_by_role("link", name="Nobody on our team: no servers to patch or scale, and no GPUs needed").click()
    expect(page.get_by_role("heading", name="It fits: AWS Fargate")).to_be_visible()
    expect(page.get_by_text("You chose:")).to_have_count(5)
    expect(page.get_by_role("link", name="Read the AWS Fargate note")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Back one step").click()
    expect(
        page.get_by_role("heading", name="Question 5: Who should manage the servers the containers run on?")
    ).to_be_visible()
    context.close()
