"""A scoped study session in a real browser: htmx posts the scope's repeated fields with every answer and rating,
so the session stays in the bank's chosen topics without a page load."""

import pytest
from playwright.sync_api import expect

from quizzes.models import ReviewLog
from tests.browser.test_study_browser import log_in
from tests.factories import BankFactory, QuestionFactory, ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_bank_narrowed_to_two_topics_stays_in_scope_through_htmx_swaps(
    page, live_server, assert_accessible, htmx_settled
):
    lambda_, ecs, s3 = (ServiceFactory(key=k, name=n) for k, n in [("lambda", "AWS Lambda"), ("ecs", "Amazon ECS"),
                                                                  ("s3", "Amazon S3")])  # fmt: skip
    basics, other = BankFactory(slug="aws-basics", title="AWS basics"), BankFactory(slug="other", title="Other")
    QuestionFactory(bank=other, services=[lambda_], position=0, stem_md="Other Lambda", stem_html="<p>Other Lambda</p>")
    for position, (service, stem) in enumerate([(lambda_, "Basics Lambda"), (s3, "Basics S3"), (ecs, "Basics ECS")]):
        QuestionFactory(
            bank=basics, services=[service], position=position + 1, stem_md=stem, stem_html=f"<p>{stem}</p>"
        )
    log_in(page, live_server, "scoped")
    page.goto(live_server.url + "/study/?bank=aws-basics&service=lambda&service=ecs")
    expect(page.get_by_text("Studying AWS basics — AWS Lambda, Amazon ECS")).to_be_visible()
    page.evaluate("window.sameDocument = true")  # gone if any step loads a new page instead of swapping
    card = page.locator("#card")
    for stem in ("Basics Lambda", "Basics ECS"):
        expect(card).to_contain_text(stem)
        htmx_settled(page)
        card.get_by_label("Option A").check()
        card.get_by_role("button", name="Submit answer").click()
        expect(card.get_by_role("heading", name="Correct")).to_be_visible()
        htmx_settled(page)
        card.get_by_role("button", name="Easy").click()  # graduates: it does not come back today
    expect(card.get_by_role("heading", name="Done for today")).to_be_visible()
    htmx_settled(page)
    assert_accessible(page)
    assert page.evaluate("window.sameDocument") is True
    studied = ReviewLog.objects.order_by("pk").values_list("memory__question__stem_md", flat=True)
    assert list(studied) == ["Basics Lambda", "Basics ECS"]
