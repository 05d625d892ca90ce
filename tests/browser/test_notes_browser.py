import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_updates_as_you_type(page, live_server, loaded_content, assert_accessible):
    page.goto(live_server.url + "/notes/")
    assert_accessible(page)
    page.get_by_label("Search the notes").press_sequentially("lights", delay=30)
    results = page.locator("#search-results")
    expect(results.get_by_role("link", name="Amazon Lightsail")).to_be_visible()
    expect(results.locator("mark").first).to_be_visible()
    assert "/notes/search?q=lights" in page.url  # the address follows, so the result can be shared
    assert page.locator("h1").inner_text() == "Notes for the whole CLF-C02 exam"  # swapped in place, no reload
    assert_accessible(page)


def test_a_result_takes_the_learner_to_the_section_that_matches(page, live_server, loaded_content, assert_accessible):
    page.goto(live_server.url + "/notes/search?q=cold+start")
    section = page.locator("#search-results .search-section a").first
    expect(section).to_be_visible()
    assert_accessible(page)
    href = section.get_attribute("href")
    slug, anchor = href.removeprefix("/notes/").split("/#")
    heading = section.inner_text()
    section.click()
    page.wait_for_url(f"**/notes/{slug}/#{anchor}")
    target = page.locator(f"[id='{anchor}']")
    expect(target).to_have_text(heading)
    expect(target).to_be_in_viewport()  # scrolled to the passage, not left at the top of a long note


def test_search_works_without_javascript(new_context, live_server, loaded_content):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/notes/")
    page.get_by_label("Search the notes").fill("batch")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="AWS Batch", exact=True)).to_be_visible()
    context.close()


def test_the_calculator_updates_in_place_and_explains_bad_input(page, live_server, loaded_content, assert_accessible):
    page.goto(live_server.url + "/notes/lambda-pricing/")
    page.get_by_label("Requests per month").fill("5000000")
    page.get_by_label("Average duration (ms)").fill("800")
    page.get_by_label("Memory (MB)").fill("1536")
    expect(page.locator("#calculator-result")).to_contain_text("Estimated total: $94.13")
    expect(page.locator("#calculator-result")).to_contain_text("6,000,000 GB-s")
    assert_accessible(page)
    page.get_by_label("Memory (MB)").fill("64")
    expect(page.locator("#calculator-result")).to_contain_text("Lambda memory is between 128 and 10,240 MB")
    assert_accessible(page)


def test_the_calculator_works_without_javascript(new_context, live_server, loaded_content):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/notes/lambda-pricing/")
    page.get_by_label("Requests per month").fill("1000000")
    page.get_by_label("Average duration (ms)").fill("1000")
    page.get_by_label("Memory (MB)").fill("1024")
    page.get_by_label("Architecture").select_option("arm64")
    page.get_by_label("Apply the monthly free tier").uncheck()
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator("#calculator-result")).to_contain_text("Estimated total: $13.53")
    context.close()


@pytest.mark.parametrize("path", ["/notes/", "/notes/docker-vs-vms/", "/notes/lambda-pricing/", "/notes/search?q=ecs"])
def test_notes_pages_have_no_accessibility_violations_in_both_themes(
    new_context, live_server, loaded_content, assert_accessible, color_scheme, path
):
    context = new_context(color_scheme=color_scheme)
    page = context.new_page()
    page.goto(live_server.url + path)
    assert_accessible(page)
    context.close()


def test_a_note_with_tables_and_diagrams_fits_a_360_pixel_screen(new_context, live_server, loaded_content):
    context = new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    for path in ["/notes/docker-vs-vms/", "/notes/lambda-pricing/", "/notes/summary/"]:
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"
    context.close()


def test_the_diagrams_load(page, live_server, loaded_content):
    page.goto(live_server.url + "/notes/lambda-examples/")
    images = page.locator(".note-body img")
    assert images.count() >= 1
    for index in range(images.count()):
        image = images.nth(index)
        assert image.get_attribute("alt")
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_every_note_has_no_accessibility_violations_and_fits_a_360_pixel_screen_in_both_themes(
    new_context, live_server, loaded_content, assert_accessible, color_scheme
):
    from studyapp.notes.models import Note

    slugs = list(Note.objects.order_by("order").values_list("slug", flat=True))
    assert len(slugs) >= 33
    context = new_context(color_scheme=color_scheme, viewport={"width": 360, "height": 740})
    page = context.new_page()
    for slug in slugs:
        page.goto(f"{live_server.url}/notes/{slug}/")
        assert_accessible(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"/notes/{slug}/ scrolls sideways by {overflow}px at 360px"
        for index in range(page.locator(".note-body img").count()):
            image = page.locator(".note-body img").nth(index)
            assert image.evaluate("img => img.complete && img.naturalWidth > 0"), f"/notes/{slug}/ image {index}"
    context.close()
