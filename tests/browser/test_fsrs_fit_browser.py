"""Fitting the scheduler from the settings page in a browser (issue 19): fit, read the scores, go back to the
defaults; the calibration chart loaded into /progress/ by htmx; axe in both themes and at 360 px."""

import pytest
from playwright.sync_api import expect

from quizzes.models import FsrsFit
from tests.factories import PASSWORD, UserFactory
from tests.test_fsrs_fit import seeded

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def studied():
    learner = UserFactory(username="ada")
    seeded(learner)
    return learner


def log_in(page, live_server, next_url: str) -> None:
    page.goto(live_server.url + f"/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_learner_fits_the_scheduler_reads_the_scores_and_goes_back_to_the_defaults(
    new_context, live_server, assert_accessible, color_scheme, studied
):
    context = new_context(color_scheme=color_scheme)
    page = context.new_page()
    log_in(page, live_server, "/settings/")
    expect(page.get_by_role("heading", name="A scheduler fitted to you")).to_be_visible()
    expect(page.get_by_text("In use: the default parameters.")).to_be_visible()
    expect(page.get_by_role("table", name="What a retention costs you")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Fit the scheduler to my reviews").click()

    expect(page.get_by_role("status")).to_contain_text("they are in use")
    expect(page.get_by_text("In use: your fitted parameters.")).to_be_visible()
    scores = page.get_by_role("table", name="How well each set of parameters predicted your")
    expect(scores).to_contain_text("Fitted to you")
    fit = FsrsFit.objects.get(learner=studied)
    expect(scores).to_contain_text(f"{fit.log_loss_after:.4f}")
    assert_accessible(page)

    page.get_by_role("button", name="Go back to the default parameters").click()

    expect(page.get_by_role("status")).to_contain_text("uses the default parameters again")
    expect(page.get_by_text("In use: the default parameters.")).to_be_visible()
    expect(page.get_by_role("button", name="Fit the scheduler to my reviews")).to_be_visible()
    assert_accessible(page)
    context.close()


def test_the_calibration_chart_loads_into_the_progress_page(page, live_server, assert_accessible, studied):
    log_in(page, live_server, "/progress/")
    section = page.locator("#calibration")
    section.scroll_into_view_if_needed()
    expect(page.get_by_role("img", name="Predicted recall against the share actually recalled")).to_be_visible()
    page.get_by_text("Calibration as a table").click()
    expect(page.get_by_role("table", name="Reviews per bin of predicted recall")).to_be_visible()
    assert_accessible(page)


def test_the_settings_section_fits_a_small_screen(new_context, live_server, assert_accessible, studied):
    context = new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    log_in(page, live_server, "/settings/")
    page.get_by_role("button", name="Fit the scheduler to my reviews").click()
    expect(page.get_by_text("In use: your fitted parameters.")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert_accessible(page)
    context.close()


def test_without_javascript_the_retention_costs_open_on_their_own_page(
    new_context, live_server, assert_accessible, studied
):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, "/settings/")
    page.get_by_role("link", name="See what each desired retention costs you in reviews per day").click()
    expect(page.get_by_role("table", name="What a retention costs you")).to_contain_text("0.90 (yours)")
    context.close()
    page = new_context().new_page()  # axe needs JavaScript: the same page, opened directly
    log_in(page, live_server, "/settings/workload/")
    expect(page.get_by_role("table", name="What a retention costs you")).to_be_visible()
    assert_accessible(page)
    page.close()
