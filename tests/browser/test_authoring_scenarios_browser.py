"""The trainer scenario editor in a browser: the preview highlights clues as you type, a clue missing from the
text is said next to the clues, deleting asks first (without JavaScript), and the pages pass axe."""

import pytest
from playwright.sync_api import expect

from quizzes.authoring import editing
from quizzes.trainer.models import Scenario
from tests.factories import PASSWORD, InstructorFactory, ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username: str, next_url: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_author_writes_a_scenario_with_highlighted_clues_and_validation(page, live_server, assert_accessible):
    ServiceFactory(key="lambda", name="AWS Lambda")
    ServiceFactory(key="ec2", name="Amazon EC2")
    InstructorFactory(username="author")
    log_in(page, live_server, "author", "/author/")
    expect(page.get_by_role("heading", name="Trainer scenarios")).to_be_visible()
    assert_accessible(page)  # the index, with its link to the scenarios
    page.get_by_role("link", name="your trainer scenarios").click()
    expect(page.get_by_role("heading", name="Your trainer scenarios")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="New scenario").click()
    expect(page.get_by_role("heading", name="New scenario")).to_be_visible()
    assert_accessible(page)

    # The preview follows the typing: the clue is highlighted by the server, as learners will see it.
    page.get_by_label("Scenario:").fill("A photo site makes a thumbnail every time a user uploads a picture.")
    page.get_by_label("Clue phrases, one a line:").press_sequentially("every time a user uploads", delay=10)
    expect(page.locator("#scenario-preview mark")).to_have_text("every time a user uploads")
    page.get_by_role("checkbox", name="AWS Lambda").check()
    expect(page.locator("#scenario-preview")).to_contain_text("Answer: AWS Lambda")
    page.get_by_label("Why the answer fits (Markdown):").fill("Lambda runs a *short* function per upload.")
    expect(page.locator("#scenario-preview em")).to_have_text("short")
    page.get_by_label("Wrong choice 1:", exact=True).select_option("ec2")
    page.get_by_label("Why wrong choice 1 does not fit (Markdown):").fill("A server would sit idle between uploads.")
    expect(page.locator("#scenario-preview")).to_contain_text("Why not Amazon EC2")
    page.get_by_label("Published: learners meet it in trainer rounds").check()
    assert_accessible(page)

    # A clue that is not in the text: the message names it, next to the clues, and nothing is lost.
    clues = page.get_by_label("Clue phrases, one a line:")
    clues.fill("every time a user uploads\nabout two seconds")
    page.evaluate("window.sameDocument = true")  # survives an htmx swap, not a page load
    page.get_by_role("button", name="Save scenario").click()
    expect(
        page.get_by_text("Clue 'about two seconds' does not occur in the text (clues are exact phrases).")
    ).to_be_visible()
    expect(clues).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Why wrong choice 1 does not fit (Markdown):")).to_have_value(
        "A server would sit idle between uploads."
    )
    assert page.evaluate("window.sameDocument") is True
    assert_accessible(page)
    assert not Scenario.objects.exists()

    clues.fill("every time a user uploads")
    page.get_by_role("button", name="Save scenario").click()
    expect(page.get_by_text("saved: learners meet it in trainer rounds.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your trainer scenarios")).to_be_visible()
    assert_accessible(page)
    scenario = Scenario.objects.get()
    assert (scenario.status, scenario.answer, scenario.owner.username) == ("published", ["lambda"], "author")
    assert "<mark>every time a user uploads</mark>" in scenario.highlighted_html

    page.get_by_role("link", name=scenario.external_id).click()
    expect(page.get_by_role("heading", name=f"Edit scenario {scenario.external_id}")).to_be_visible()
    expect(page.locator("#scenario-preview mark")).to_have_text("every time a user uploads")
    assert_accessible(page)


def test_the_scenario_editor_is_accessible_in_dark_mode_with_errors_shown(page, live_server, assert_accessible):
    ServiceFactory(key="lambda", name="AWS Lambda")
    InstructorFactory(username="author")
    page.emulate_media(color_scheme="dark")
    log_in(page, live_server, "author", "/author/scenarios/new/")
    page.get_by_role("button", name="Save scenario").click()
    expect(page.get_by_text("The scenario text is required.")).to_be_visible()
    assert_accessible(page)


def a_scenario_of_author(status: str) -> None:
    """Scenario "thumbnails" of instructor "author", saved as the editor saves it."""
    ServiceFactory(key="lambda", name="AWS Lambda")
    ServiceFactory(key="ec2", name="Amazon EC2")
    editing.save_scenario(
        InstructorFactory(username="author"), None, external_id="thumbnails", status=status, difficulty=1,
        text="A photo site makes a thumbnail every time a user uploads a picture.", answer=["lambda"],
        clues=["every time a user uploads"], why="Lambda runs a short function per upload.",
        why_not={"ec2": "A server would sit idle between uploads."},
    )  # fmt: skip


def test_an_author_deletes_a_scenario_after_confirming_on_an_accessible_page(page, live_server, assert_accessible):
    a_scenario_of_author("published")
    log_in(page, live_server, "author", "/author/scenarios/thumbnails/edit/")
    page.get_by_role("button", name="Delete scenario…").click()
    expect(page.get_by_role("heading", name="Delete this scenario?")).to_be_visible()
    assert page.url.startswith(f"{live_server.url}/author/scenarios/thumbnails/delete/")
    assert_accessible(page)
    assert Scenario.objects.filter(external_id="thumbnails").exists()  # asking writes nothing

    page.get_by_role("link", name="Cancel, keep it").click()
    expect(page.get_by_role("heading", name="Edit scenario thumbnails")).to_be_visible()
    page.get_by_role("button", name="Delete scenario…").click()
    page.get_by_role("button", name="Delete scenario thumbnails").click()
    expect(page.get_by_text("Deleted scenario thumbnails.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your trainer scenarios")).to_be_visible()
    assert not Scenario.objects.exists()


def test_the_delete_confirmation_is_accessible_in_dark_mode(page, live_server, assert_accessible):
    a_scenario_of_author("draft")
    page.emulate_media(color_scheme="dark")
    log_in(page, live_server, "author", "/author/scenarios/thumbnails/delete/")
    expect(page.get_by_role("heading", name="Delete this scenario?")).to_be_visible()
    assert_accessible(page)
