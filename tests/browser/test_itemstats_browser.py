"""The item statistics page in a browser: sortable table, problems highlighted, axe in both themes."""

import pytest
from playwright.sync_api import expect

from quizzes.itemstats import tallies
from tests.factories import PASSWORD, QuestionFactory, StewardshipFactory
from tests.test_itemstats import study_answers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_author_reads_and_sorts_the_statistics_of_a_bank(new_context, live_server, assert_accessible, color_scheme):
    stewardship = StewardshipFactory()
    hard = QuestionFactory(bank=stewardship.bank, stem_md="Which one is hard?", stem_html="<p>Which one is hard?</p>")
    QuestionFactory(bank=stewardship.bank, stem_md="Which one is fine?", stem_html="<p>Which one is fine?</p>")
    study_answers(hard, [[2]] * 30)
    tallies.fold_pending_answers()  # what fold_item_stats does every few minutes
    context = new_context(color_scheme=color_scheme)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/author/{stewardship.bank.slug}/stats/")
    page.get_by_label("Username").fill(stewardship.owner.username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("table")).to_contain_text("Which one is hard?")
    expect(page.get_by_text("These figures count the answers recorded up to")).to_be_visible()
    expect(page.get_by_text("Very hard: only 0 % of 30 answers are right.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Facility").click()
    expect(page.get_by_role("columnheader", name="Facility")).to_have_attribute("aria-sort", "ascending")
    assert_accessible(page)
    context.close()
