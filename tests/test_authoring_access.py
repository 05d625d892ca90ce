"""Who may use which /author/ URL: every URL, checked on the server, for every kind of visitor."""

import pytest
from django.urls import reverse

from quizzes.authoring.models import BankStewardship, PendingImport
from quizzes.trainer.models import Scenario
from tests.factories import FlagFactory, InstructorFactory, QuestionFactory, StewardshipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank_setup():
    """A bank with a co-author, a question, an open flag and a pending import; its owner's trainer scenario."""
    co_author = InstructorFactory(username="co-author")
    stewardship = StewardshipFactory(co_authors=[co_author])
    question = QuestionFactory(bank=stewardship.bank, external_id="lambda-timeout")
    flag = FlagFactory(question=question)
    pending = PendingImport.objects.create(
        bank=stewardship.bank, uploaded_by=stewardship.owner, format="gift", file_name="x.gift", text=""
    )
    Scenario.objects.create(
        external_id="owned-scenario",
        owner=stewardship.owner,
        status="draft",
        text_md="Untouched",
        answer=["lambda"],
        answer_key="lambda",
        difficulty=1,
        source="/author/",
    )
    return {"stewardship": stewardship, "co_author": co_author, "question": question, "flag": flag, "pending": pending}


def urls(s) -> list[tuple[str, str, dict]]:
    """(method, url, data) for every /author/ URL that reaches bank `s`."""
    slug = s["stewardship"].bank.slug
    return [
        ("get", reverse("author:bank", args=[slug]), {}),
        ("get", reverse("author:bank_edit", args=[slug]), {}),
        ("post", reverse("author:bank_edit", args=[slug]), {"title": "Taken over", "status": "draft"}),
        ("post", reverse("author:bank_archive", args=[slug]), {"archive": "1"}),
        ("post", reverse("author:co_author_add", args=[slug]), {"username": "co-author"}),
        ("post", reverse("author:co_author_remove", args=[slug, s["co_author"].pk]), {}),
        ("get", reverse("author:question_create", args=[slug]), {}),
        ("post", reverse("author:question_create", args=[slug]), {"action": "add", "rows": "4"}),
        ("get", reverse("author:question_edit", args=[slug, "lambda-timeout"]), {}),
        ("post", reverse("author:question_edit", args=[slug, "lambda-timeout"]), {"action": "add", "rows": "4"}),
        ("post", reverse("author:preview", args=[slug]), {"field": "stem", "stem": "**hi**"}),
        ("get", reverse("author:flags", args=[slug]), {}),
        ("post", reverse("author:flag_resolve", args=[slug, s["flag"].pk]), {"note": "Mine now"}),
        ("get", reverse("author:import", args=[slug]), {}),
        ("post", reverse("author:import", args=[slug]), {}),
        ("post", reverse("author:import_confirm", args=[slug, s["pending"].pk]), {}),
        ("get", reverse("author:export", args=[slug, "yaml"]), {}),
        ("get", reverse("author:export", args=[slug, "gift"]), {}),
        ("get", reverse("author:export", args=[slug, "csv"]), {}),
    ]


URL_COUNT = 19
BANK_FREE_URLS = [
    ("get", "/author/", {}),
    ("get", "/author/banks/new/", {}),
    ("post", "/author/banks/new/", {}),
    # Trainer scenarios: the owner's own (another instructor gets 404: tests/test_authoring_scenarios.py).
    ("get", "/author/scenarios/", {}),
    ("get", "/author/scenarios/new/", {}),
    ("post", "/author/scenarios/new/", {"text": "Taken over", "status": "published"}),
    ("post", "/author/scenarios/preview/", {"text": "<b>hi</b>"}),
    ("get", "/author/scenarios/owned-scenario/edit/", {}),
    ("post", "/author/scenarios/owned-scenario/edit/", {"text": "Taken over", "status": "published"}),
    ("get", "/author/scenarios/owned-scenario/delete/", {}),
    ("post", "/author/scenarios/owned-scenario/delete/", {}),
]


def request(client, method, url, data):
    return getattr(client, method)(url, data)


def assert_nothing_changed(s) -> None:
    s["stewardship"].refresh_from_db()
    s["flag"].refresh_from_db()
    assert (s["stewardship"].status, s["stewardship"].bank.title) == ("published", s["stewardship"].bank.title)
    assert s["stewardship"].co_authors.filter(pk=s["co_author"].pk).exists()
    assert s["flag"].resolved_at is None
    assert PendingImport.objects.filter(pk=s["pending"].pk).exists()
    assert Scenario.objects.values_list("text_md", "status").get() == ("Untouched", "draft")


def test_these_lists_cover_every_author_route(bank_setup):
    from django.urls import resolve

    from quizzes.authoring import urls as author_urls

    tested = {resolve(url).url_name for _, url, _ in urls(bank_setup) + BANK_FREE_URLS}
    assert tested == {pattern.name for pattern in author_urls.urlpatterns}
    assert len(urls(bank_setup)) == URL_COUNT


@pytest.mark.parametrize("index", range(URL_COUNT + len(BANK_FREE_URLS)))
def test_anonymous_visitors_are_sent_to_the_login_page(client, bank_setup, index):
    method, url, data = (urls(bank_setup) + BANK_FREE_URLS)[index]
    response = request(client, method, url, data)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=")
    assert_nothing_changed(bank_setup)


@pytest.mark.parametrize("who", ["learner", "guest"])
@pytest.mark.parametrize("index", range(URL_COUNT + len(BANK_FREE_URLS)))
def test_learners_and_guests_get_403_everywhere(client, bank_setup, who, index):
    client.force_login(UserFactory(is_guest=who == "guest"))
    method, url, data = (urls(bank_setup) + BANK_FREE_URLS)[index]
    response = request(client, method, url, data)
    assert response.status_code == 403
    assert_nothing_changed(bank_setup)


@pytest.mark.parametrize("index", range(URL_COUNT))
def test_another_instructor_gets_404_for_every_url_of_the_bank(client, bank_setup, index):
    client.force_login(InstructorFactory(username="stranger"))
    method, url, data = urls(bank_setup)[index]
    response = request(client, method, url, data)
    assert response.status_code == 404
    assert_nothing_changed(bank_setup)


@pytest.mark.parametrize("index", range(URL_COUNT))
def test_a_co_author_may_do_everything_but_manage_co_authors_and_archive(client, bank_setup, index):
    client.force_login(bank_setup["co_author"])
    method, url, data = urls(bank_setup)[index]
    response = request(client, method, url, data)
    owner_only = any(f"/{part}/" in url for part in ("archive", "co-authors"))
    someone_elses_upload = "/confirm/" in url  # a pending import belongs to the author who uploaded it
    if owner_only or someone_elses_upload:
        assert response.status_code == 404
        assert_nothing_changed(bank_setup)
    else:
        assert response.status_code in (200, 302, 409, 422), (url, response.status_code)


def test_another_instructors_bank_is_not_listed(client, bank_setup):
    client.force_login(InstructorFactory(username="stranger"))
    response = client.get("/author/")
    assert response.status_code == 200
    assert bank_setup["stewardship"].bank.title not in response.content.decode()


def test_the_owner_can_archive_and_manage_co_authors(client, bank_setup):
    s = bank_setup
    client.force_login(s["stewardship"].owner)
    slug = s["stewardship"].bank.slug
    assert client.post(reverse("author:co_author_remove", args=[slug, s["co_author"].pk])).status_code == 302
    assert client.post(reverse("author:bank_archive", args=[slug]), {"archive": "1"}).status_code == 302
    s["stewardship"].refresh_from_db()
    assert s["stewardship"].status == BankStewardship.Status.ARCHIVED
    assert not s["stewardship"].co_authors.exists()
