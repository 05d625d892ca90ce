"""The question editor in a browser: live preview as you type, the choice editor's htmx swaps, validation
messages next to the fields, and axe on every authoring page."""

import pytest
from playwright.sync_api import expect

from quizzes.models import Question
from tests.factories import (
    PASSWORD,
    FlagFactory,
    InstructorFactory,
    QuestionFactory,
    ServiceFactory,
    StewardshipFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username: str, next_url: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_author_writes_a_question_with_live_preview_choice_editor_and_validation(
    page, live_server, assert_accessible
):
    ServiceFactory(key="lambda", name="AWS Lambda", note_slug="lambda")
    stewardship = StewardshipFactory(owner=InstructorFactory(username="author"), bank__title="Lambda drills")
    slug = stewardship.bank.slug
    FlagFactory(question=QuestionFactory(bank=stewardship.bank, external_id="old-question"))
    log_in(page, live_server, "author", "/author/")
    expect(page.get_by_role("heading", name="Your question banks")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Lambda drills").click()
    expect(page.get_by_role("heading", name="Lambda drills")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="New question").click()
    expect(page.get_by_role("heading", name="New question")).to_be_visible()
    assert_accessible(page)

    # The preview follows the typing, rendered (and sanitized) by the server.
    page.get_by_label("Id:").fill("lambda-timeout")
    page.get_by_label("Question (Markdown):").press_sequentially("Which are **true** of Lambda?", delay=10)
    expect(page.locator("#preview-stem strong")).to_have_text("true")
    page.get_by_label("Explanation (Markdown):").fill("<script>alert(1)</script>Lambda runs *at most* 15 minutes.")
    expect(page.locator("#preview-explanation em")).to_have_text("at most")
    expect(page.locator("#preview-explanation script")).to_have_count(0)

    # Four rows to start; "Add a choice" swaps in a fifth, focused, keeping what was typed.
    answers = [
        ("15 minutes", True),
        ("10 GB of memory", True),
        ("5 minutes", False),
        ("1 day", False),
        ("1 hour", False),
    ]
    for n, (text, _) in enumerate(answers[:4], start=1):
        page.get_by_label(f"Choice {n} text").fill(text)
        page.get_by_label(f"Why choice {n} is right or wrong").fill(f"Because of {text}.")
    page.evaluate("window.sameDocument = true")  # survives an htmx swap, not a page load
    page.get_by_role("button", name="Add a choice").click()
    expect(page.get_by_label("Choice 5 text")).to_be_focused()
    expect(page.get_by_label("Choice 1 text")).to_have_value("15 minutes")
    assert page.evaluate("window.sameDocument") is True
    page.get_by_label("Choice 5 text").fill("1 hour")
    page.get_by_label("Why choice 5 is right or wrong").fill("Because of 1 hour.")
    page.get_by_label("Type:").select_option("multiple")
    page.locator("#choice-row-1").get_by_label("Correct").check()
    page.locator("#choice-row-2").get_by_label("Correct").check()
    page.get_by_role("checkbox", name="AWS Lambda").check()
    assert_accessible(page)

    # Saving says what is missing, next to the question field, without losing anything.
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("2 choices are correct: end the question with “(Select TWO.)”.")).to_be_visible()
    expect(page.get_by_label("Choice 5 text")).to_have_value("1 hour")
    stem = page.get_by_label("Question (Markdown):")
    expect(stem).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    assert page.evaluate("window.sameDocument") is True
    assert not Question.objects.filter(external_id="lambda-timeout").exists()

    stem.fill("Which are **true** of Lambda? (Select TWO.)")
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("Question lambda-timeout saved.")).to_be_visible()
    question = Question.objects.get(external_id="lambda-timeout")
    assert (question.type, question.correct_count, question.choices.count()) == ("multiple", 2, 5)

    page.get_by_role("link", name="Flags inbox").click()
    expect(page.get_by_role("heading", name="Open flags (1)")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}/author/{slug}/import/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/author/{slug}/edit/")
    assert_accessible(page)


def test_the_editor_is_accessible_in_dark_mode_with_errors_shown(page, live_server, assert_accessible):
    ServiceFactory(key="lambda", name="AWS Lambda", note_slug="lambda")
    stewardship = StewardshipFactory(owner=InstructorFactory(username="author"))
    page.emulate_media(color_scheme="dark")
    log_in(page, live_server, "author", f"/author/{stewardship.bank.slug}/new-question/")
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("Write the question: it is required.")).to_be_visible()
    assert_accessible(page)


MOODLE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/Default for CLF-C02</text></category></question>
  <question type="multichoice">
    <name><text>Cheapest storage class</text></name>
    <questiontext format="html"><text><![CDATA[<p>Which S3 storage class costs the least?</p>]]></text></questiontext>
    <generalfeedback format="html"><text></text></generalfeedback>
    <single>true</single>
    <answer fraction="100"><text>S3 Glacier Deep Archive</text><feedback><text></text></feedback></answer>
    <answer fraction="0"><text>S3 Standard</text><feedback><text></text></feedback></answer>
    <answer fraction="0"><text>S3 Standard-IA</text><feedback><text></text></feedback></answer>
    <answer fraction="0"><text>S3 One Zone-IA</text><feedback><text></text></feedback></answer>
  </question>
</quiz>
"""


def test_an_author_uploads_a_moodle_xml_file_with_a_default_topic_and_finds_what_lacks_an_explanation(
    page, live_server, assert_accessible, tmp_path
):
    ServiceFactory(key="s3", name="Amazon S3", short="S3", note_slug="storage")
    stewardship = StewardshipFactory(owner=InstructorFactory(username="author"), bank__title="Storage drills")
    log_in(page, live_server, "author", f"/author/{stewardship.bank.slug}/")
    page.get_by_role("link", name="Import a file", exact=True).click()
    expect(page.get_by_role("heading", name="Import questions into Storage drills")).to_be_visible()
    assert_accessible(page)

    path = tmp_path / "week1.xml"
    path.write_text(MOODLE_XML)
    page.get_by_label("Question bank file:").set_input_files(str(path))
    page.get_by_label("Default topic:").select_option("s3")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Preview of week1.xml")).to_be_visible()
    expect(page.get_by_text("1 to create, 0 to update, 0 unchanged, 0 refused.")).to_be_visible()
    expect(page.get_by_text("no topic in the file: the question gets the default topic 's3'")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Import week1.xml").click()
    expect(page.get_by_text("Imported week1.xml: 1 created, 0 updated, 0 unchanged.")).to_be_visible()
    expect(page.get_by_text("1 question has no explanation or a choice without its “why”")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Show only these").click()
    expect(page.get_by_role("row", name="cheapest-storage-class no explanation")).to_be_visible()
    assert list(Question.objects.filter(bank=stewardship.bank).values_list("external_id", flat=True)) == [
        "cheapest-storage-class"
    ]
