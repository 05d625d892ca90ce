import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_newcomer_signs_up_logs_in_and_navigates(page, live_server, assert_accessible):
    page.goto(live_server.url + "/")
    assert_accessible(page)
    page.get_by_role("link", name="Sign up").first.click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome, newcomer!")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in").click()
    assert_accessible(page)
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="newcomer")).to_be_visible()
    page.get_by_role("link", name="newcomer").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    assert_accessible(page)


def test_the_keyboard_reaches_the_skip_link_first(page, live_server):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/no-such-page/"]
)
def test_public_pages_have_no_accessibility_violations_in_both_themes(
    new_context, live_server, assert_accessible, color_scheme, path
):
    context = new_context(color_scheme=color_scheme)
    page = context.new_page()
    page.goto(live_server.url + path)
    assert_accessible(page)
    context.close()


def test_pages_fit_a_360_pixel_screen(new_context, live_server):
    context = new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    for path in ["/", "/accounts/signup/"]:
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"
    context.close()


def test_the_page_runs_without_csp_violations(page, live_server):
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.htmx") == "object"
    assert violations == []
