"""The dashboard and the settings page in a browser: axe in both themes, the theme switch, small screens."""

import random

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from bench.seeding.progress import seed_exams, seed_history
from quizzes.models import LearnerSettings
from tests.factories import PASSWORD, UserFactory
from tests.test_progress_queries import catalogue, trainer_answers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DARK_BACKGROUND = "rgb(15, 19, 24)"  # --bg in the dark theme
LIGHT_BACKGROUND = "rgb(255, 255, 255)"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def studied():
    """A learner with a year of reviews, four practice exams and trainer answers."""
    learner = UserFactory(username="ada")
    LearnerSettings.objects.create(learner=learner, time_zone="America/New_York")
    questions = catalogue(24)
    seed_history(learner, questions, 600, timezone.now(), random.Random(1))
    seed_exams(learner, questions, 4, timezone.now(), random.Random(2))
    trainer_answers(learner, 40)
    return learner


def log_in(page, live_server, next_url: str = "/progress/") -> None:
    page.goto(live_server.url + f"/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def open_every_table(page) -> None:
    """Open every data table of the dashboard, and wait for the one htmx loads (every topic). The calibration
    chart, which htmx loads when it scrolls into view, is loaded first: on SQLite the test's live server shares one
    in-memory database connection between its request threads, and two requests at once can collide on it (the
    "every topic" table and the chart, revealed while the tables open, did once)."""
    page.locator("#calibration").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => !document.querySelector('[data-hx-trigger=\"revealed\"], .htmx-request, .htmx-settling')"
    )
    for summary in page.locator("details.chart-data > summary").all():
        summary.click()
    expect(page.get_by_role("table", name="Questions, questions seen and recall, per topic")).to_be_visible()


def background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_the_dashboard_is_accessible_with_its_data_tables_open(page, live_server, assert_accessible, studied):
    log_in(page, live_server)
    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()
    expect(page.get_by_role("img", name="Reviews per study day over the last 365 days")).to_be_visible()
    expect(page.get_by_role("heading", name="How this is computed")).to_be_visible()
    assert_accessible(page)
    open_every_table(page)
    expect(page.get_by_role("table", name="Reviews per study day, one row per week")).to_be_visible()
    expect(page.get_by_role("table", name="Your last finished exams, newest first")).to_be_visible()
    # Loaded by htmx when its section is opened: the dashboard itself draws no row of it.
    expect(page.get_by_role("table", name="Questions, questions seen and recall, per topic")).to_contain_text("Lambda")
    assert page.get_by_role("link", name="See every topic").count() == 0  # replaced by the table
    assert_accessible(page)


def test_without_javascript_every_topic_opens_on_its_own_page(new_context, live_server, assert_accessible, studied):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server)
    page.get_by_text("Every topic, by category").click()
    page.get_by_role("link", name="See every topic").click()
    expect(page.get_by_role("heading", name="Every topic")).to_be_visible()
    expect(page.get_by_role("table", name="Questions, questions seen and recall, per topic")).to_contain_text("Lambda")
    context.close()
    page = new_context().new_page()  # axe needs JavaScript: the same page, opened directly
    log_in(page, live_server, "/progress/topics/")
    expect(page.get_by_role("heading", name="Every topic")).to_be_visible()
    assert_accessible(page)
    page.close()


def test_the_dashboard_follows_the_devices_colour_scheme(
    new_context, live_server, assert_accessible, color_scheme, studied
):
    context = new_context(color_scheme=color_scheme)
    page = context.new_page()
    log_in(page, live_server)
    expect(page.get_by_role("heading", name="Exam readiness")).to_be_visible()
    assert background(page) == (DARK_BACKGROUND if color_scheme == "dark" else LIGHT_BACKGROUND)
    open_every_table(page)
    assert_accessible(page)
    context.close()


def test_choosing_the_dark_theme_applies_it_over_a_light_device(new_context, live_server, assert_accessible, studied):
    context = new_context(color_scheme="light")
    page = context.new_page()
    log_in(page, live_server, "/settings/")
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Dark").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Your settings are saved.")).to_be_visible()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert background(page) == DARK_BACKGROUND
    assert_accessible(page)
    page.goto(live_server.url + "/progress/")
    open_every_table(page)
    assert background(page) == DARK_BACKGROUND
    assert_accessible(page)

    page.goto(live_server.url + "/settings/")
    page.get_by_label("Light").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Your settings are saved.")).to_be_visible()
    assert background(page) == LIGHT_BACKGROUND
    context.close()


def test_a_bad_setting_is_explained_next_to_its_field(page, live_server, assert_accessible, studied):
    log_in(page, live_server, "/settings/")
    page.get_by_label("Desired retention").fill("0.99")
    page.get_by_label("Time zone").fill("Mars/Olympus_Mons")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Desired retention must be between 0.70 and 0.97")).to_be_visible()
    expect(page.get_by_text("“Mars/Olympus_Mons” is not a time zone we know.")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("Mars/Olympus_Mons")  # nothing typed is lost
    assert_accessible(page)
    assert LearnerSettings.objects.get(learner=studied).time_zone == "America/New_York"


def test_the_pages_fit_a_360_pixel_screen(new_context, live_server, studied):
    context = new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    log_in(page, live_server)
    for path in ["/progress/", "/progress/topics/", "/settings/", "/settings/delete/"]:
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"
    context.close()
