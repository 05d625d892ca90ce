"""Trainer scenarios on /author/scenarios/: the editor's rules and messages (the content loader's rules),
the live preview, who may edit, what learners are served, deleting (or retiring) a scenario, and
`load_content` leaving them alone."""

import re
from io import StringIO

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from quizzes.authoring import editing
from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory, answer_key
from studyapp.accounts.models import User
from tests.factories import PASSWORD, InstructorFactory, ServiceFactory, StewardshipFactory, UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
NEW = "/author/scenarios/new/"
PREVIEW = "/author/scenarios/preview/"
TEXT = "A photo site wants a thumbnail made every time a user uploads a picture. Each resize takes about two seconds."
# The scenarios content/scenarios/ ships (the counts below follow the files).
SHIPPED = sum(
    len(yaml.safe_load(path.read_text())["scenarios"])
    for path in (settings.BASE_DIR / "content" / "scenarios").glob("*.yaml")
)


@pytest.fixture
def services(db):
    ServiceFactory(key="lambda", name="AWS Lambda")
    ServiceFactory(key="ec2", name="Amazon EC2")
    ServiceFactory(key="batch", name="AWS Batch")


@pytest.fixture
def author(client, instructor, services):
    client.force_login(instructor)
    return instructor


def valid(**changes) -> dict:
    """A valid scenario as the editor posts it; a change to None drops the field."""
    data = {
        "action": "save",
        "external_id": "",
        "status": "published",
        "text": TEXT,
        "clues": "every time a user uploads\nabout two seconds",
        "answer": ["lambda"],
        "difficulty": "1",
        "why": "Lambda runs a **short** function on each upload and costs nothing while idle.",
        "wrong_1": "ec2",
        "why_not_1": "A server running all day to wait for uploads is paid for even when idle.",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def authored(owner, external_id: str, **changes) -> Scenario:
    """A saved scenario of `owner`, through the domain action the editor uses."""
    data = valid(**changes)
    return editing.save_scenario(
        owner,
        None,
        external_id=external_id,
        status=data["status"],
        text=data["text"],
        answer=data["answer"],
        difficulty=int(data["difficulty"]),
        clues=data["clues"].splitlines(),
        why=data["why"],
        why_not={data["wrong_1"]: data["why_not_1"]},
    )


def error_of(response, field: str) -> str:
    """The message shown next to a field (Django's errorlist, tied to the field by aria-describedby)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error"><li>(.*?)</li>', response.content.decode())
    assert match, f"no message next to {field}"
    return match.group(1)


def start_round(learner) -> Client:
    client = Client()
    client.force_login(learner)
    return client.post("/trainer/rounds/", {"kind": "practice"})


# ---------------------------------------------------------------- saving and serving


def test_saving_a_scenario_stores_it_rendered_highlighted_and_owned(client, author):
    response = client.post(NEW, valid())
    assert response.status_code == 302 and response.url == "/author/scenarios/"
    scenario = Scenario.objects.get()
    assert scenario.external_id == "a-photo-site-wants-a-thumbnail"  # made from the text
    assert (scenario.owner, scenario.status, scenario.answer, scenario.answer_key) == (
        author,
        "published",
        ["lambda"],
        "lambda",
    )
    assert "<mark>every time a user uploads</mark>" in scenario.highlighted_html
    assert "<mark>about two seconds</mark>" in scenario.highlighted_html
    assert "<strong>short</strong>" in scenario.why_html
    assert list(scenario.why_not_html) == ["ec2"]
    assert [s.key for s in scenario.services.all()] == ["lambda"]
    page = client.get(response.url).content.decode()
    assert "Scenario a-photo-site-wants-a-thumbnail saved: learners meet it in trainer rounds." in page
    assert "AWS Lambda" in page and "Published" in page


def test_a_published_scenario_is_served_to_learners_in_trainer_rounds(client, author, learner):
    client.post(NEW, valid(status="published"))
    response = start_round(learner)
    assert response.status_code == 303
    round_ = Round.objects.get(learner=learner)
    assert [item.scenario.external_id for item in round_.items.all()] == ["a-photo-site-wants-a-thumbnail"]


def test_a_draft_scenario_is_not_served_to_learners(client, author, learner):
    client.post(NEW, valid(status="draft"))
    assert Scenario.objects.get().status == "draft"
    response = start_round(learner)
    assert response.status_code == 302
    assert not Round.objects.exists()


def test_unpublishing_a_scenario_takes_it_out_of_new_rounds(client, author, learner):
    client.post(NEW, valid(external_id="thumbnails"))
    response = client.post(reverse("author:scenario_edit", args=["thumbnails"]), valid(status="draft"))
    assert response.status_code == 302
    start_round(learner)
    assert not Round.objects.exists()


def test_the_edit_page_shows_the_stored_scenario_and_its_preview(client, author):
    authored(author, "thumbnails")
    body = client.get(reverse("author:scenario_edit", args=["thumbnails"])).content.decode()
    assert TEXT in body and "every time a user uploads\nabout two seconds" in body
    assert '<option value="ec2" selected>' in body
    assert "<mark>every time a user uploads</mark>" in body  # the preview, rendered like the loader does


def test_editing_updates_the_scenario_in_place_and_keeps_its_id(client, author):
    scenario = authored(author, "thumbnails")
    url = reverse("author:scenario_edit", args=["thumbnails"])
    response = client.post(url, valid(external_id="renamed", answer=["lambda", "batch"], difficulty="3"))
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert (scenario.external_id, scenario.answer, scenario.answer_key, scenario.difficulty) == (
        "thumbnails",
        ["batch", "lambda"],
        "batch+lambda",
        3,
    )
    assert sorted(s.key for s in scenario.services.all()) == ["batch", "lambda"]
    assert Scenario.objects.count() == 1


def test_the_wrong_choices_keys_that_rounds_weigh_by_follow_an_edit_of_the_wrong_choices(client, author):
    scenario = authored(author, "thumbnails")
    assert scenario.why_not_key == "ec2"
    reason = "Batch queues jobs and starts compute for them: each picture would wait for a job slot."
    response = client.post(
        reverse("author:scenario_edit", args=["thumbnails"]), valid(wrong_2="batch", why_not_2=reason)
    )
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert scenario.why_not_key == "batch+ec2" == answer_key(scenario.why_not_md)


def test_a_made_up_id_never_collides_with_an_existing_one(client, author):
    client.post(NEW, valid())
    client.post(NEW, valid())
    assert sorted(Scenario.objects.values_list("external_id", flat=True)) == [
        "a-photo-site-wants-a-thumbnail",
        "a-photo-site-wants-a-thumbnail-2",
    ]


def test_an_id_taken_by_a_content_scenario_is_refused_with_a_clear_message(client, author):
    Scenario.objects.create(
        external_id="docker-works-on-my-laptop", answer=["ec2"], answer_key="ec2", difficulty=1, source="x.yaml"
    )
    response = client.post(NEW, valid(external_id="docker-works-on-my-laptop"))
    assert response.status_code == 422
    assert error_of(response, "external_id") == escape(editing.SCENARIO_ID_TAKEN)
    assert Scenario.objects.count() == 1


# ---------------------------------------------------------------- validation next to the fields


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"text": ""}, "text", "The scenario text is required."),
        ({"text": "Word " * 150}, "text", "The text has 749 characters; keep it to 600 (one to four sentences)."),
        ({"answer": []}, "answer", "The answer must be one service, or two used together."),
        ({"answer": ["lambda", "ec2", "batch"]}, "answer", "The answer must be one service, or two used together."),
        (
            {"answer": ["kubernetes"]},
            "answer",
            "Select a valid choice. kubernetes is not one of the available choices.",
        ),
        (
            {"clues": "every time a user uploads\nbreaks on the staging server"},
            "clues",
            "Clue 'breaks on the staging server' does not occur in the text (clues are exact phrases).",
        ),
        ({"why": "   "}, "why", "The explanation of why the answer fits is required."),
        (
            {"wrong_1": "lambda"},
            "wrong_1",
            "'why_not' names 'lambda', which is the answer: list wrong choices only.",
        ),
        (
            {"why_not_1": "Wrong."},
            "why_not_1",
            "The reason why not 'ec2' must be specific to this scenario, not empty or generic "
            "(at least 20 characters).",
        ),
        (
            {"wrong_1": ""},
            "wrong_1",
            "Choose the service this reason is about, or clear the reason.",
        ),
        (
            {"wrong_2": "ec2", "why_not_2": "Another reason that is long enough to count."},
            "wrong_2",
            "This service is listed already: give one reason per wrong choice.",
        ),
        (
            {
                "wrong_2": "batch",
                "why_not_2": "A server running all day to wait for uploads is paid for even when idle.",
            },
            "why_not_2",
            "The reason why not 'batch' repeats another one word for word.",
        ),
        ({"difficulty": "7"}, "difficulty", "Select a valid choice. 7 is not one of the available choices."),
        (
            {"external_id": "Bad Id"},
            "external_id",
            "Use lowercase letters, digits and single dashes, like lambda-thumbnails.",
        ),
    ],
)
def test_each_rule_has_its_message_next_to_its_field(client, author, changes, field, message):
    response = client.post(NEW, valid(**changes))
    assert response.status_code == 422
    assert error_of(response, field) == escape(message)
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error"', response.content.decode())  # tied to the field
    assert not Scenario.objects.exists()


def test_at_least_one_wrong_choice_is_required_and_said_on_the_wrong_choices(client, author):
    response = client.post(NEW, valid(wrong_1="", why_not_1=""))
    assert response.status_code == 422
    body = response.content.decode()
    assert (
        '<ul class="errorlist" id="wrong-error"><li>Give a reason why not for each plausible wrong choice (at least 1).'
        in body
    )
    assert not Scenario.objects.exists()


def test_a_form_with_errors_keeps_what_was_typed(client, author):
    response = client.post(NEW, valid(clues="not in the text", why_not_1="Kept reason, long enough to count."))
    body = response.content.decode()
    assert TEXT in body and "Kept reason, long enough to count." in body and "not in the text" in body


def test_with_htmx_errors_come_back_as_the_form_fragment(client, author):
    response = client.post(NEW, valid(text=""), headers=HTMX)
    assert response.status_code == 200  # htmx swaps only 2xx
    body = response.content.decode()
    assert "<html" not in body and 'id="scenario-form"' in body
    assert "The scenario text is required." in body


def test_with_htmx_a_valid_save_redirects_the_browser_to_the_list(client, author):
    response = client.post(NEW, valid(), headers=HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == "/author/scenarios/"
    assert Scenario.objects.count() == 1


# ---------------------------------------------------------------- preview


def test_the_live_preview_highlights_the_clues_and_sanitizes_the_markdown(client, author):
    data = valid(
        text="<script>alert(1)</script> A job runs every time a user uploads.",
        clues="every time a user uploads",
        why="<script>alert(2)</script>Lambda runs *briefly*. [x](javascript:alert(3))",
        why_not_1="<img src=x onerror=alert(4)>EC2 would idle all day.",
    )
    response = client.post(PREVIEW, data, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'id="scenario-preview"' in body
    assert "<mark>every time a user uploads</mark>" in body
    assert "<em>briefly</em>" in body and "Why not Amazon EC2" in body and "Answer:</strong> AWS Lambda" in body
    assert "<script" not in body and "javascript:" not in body and "onerror" not in body
    assert "&lt;script&gt;alert(1)" in body  # the scenario text is shown as text
    assert not Scenario.objects.exists()


def test_the_preview_button_works_without_javascript_and_saves_nothing(client, author):
    response = client.post(NEW, valid(action="preview", text="Hello, every time a user uploads.", why=""))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and "<mark>every time a user uploads</mark>" in body
    assert 'class="errorlist"' not in body  # a preview is not a save
    assert not Scenario.objects.exists()


def test_the_form_fields_update_the_preview_as_you_type(client, author):
    body = client.get(NEW).content.decode()
    text = re.search(r"<textarea name=\"text\"[^>]*>", body).group(0)
    assert f'data-hx-post="{PREVIEW}"' in text and 'data-hx-trigger="input changed delay:300ms"' in text
    assert 'data-hx-target="#scenario-preview"' in text and 'data-hx-include="closest form"' in text


# ---------------------------------------------------------------- the list


def test_the_list_shows_only_the_instructors_own_scenarios(client, author, django_assert_max_num_queries):
    for n in range(30):
        authored(author, f"mine-{n}", status="draft" if n % 2 else "published", difficulty=str(n % 3 + 1))
    authored(InstructorFactory(), "someone-elses")
    with django_assert_max_num_queries(8):
        response = client.get("/author/scenarios/")
    body = response.content.decode()
    assert body.count('href="/author/scenarios/mine-') == 30
    assert "someone-elses" not in body
    assert "Draft" in body and "Published" in body and "AWS Lambda" in body


def test_the_author_index_links_to_the_scenarios(client, author):
    assert 'href="/author/scenarios/"' in client.get("/author/").content.decode()


def test_no_bank_can_take_the_slug_of_the_scenarios_page(client, author):
    response = client.post("/author/banks/new/", {"title": "Scenarios", "slug": "scenarios", "status": "draft"})
    assert response.status_code == 200
    assert "is the address of another authoring page" in response.content.decode()


# ---------------------------------------------------------------- who may do what


def test_another_instructor_gets_404_for_a_scenario_they_do_not_own(client, author):
    scenario = authored(InstructorFactory(), "someone-elses")
    url = reverse("author:scenario_edit", args=["someone-elses"])
    assert client.get(url).status_code == 404
    assert client.post(url, valid(text="Taken over every time a user uploads about two seconds")).status_code == 404
    scenario.refresh_from_db()
    assert scenario.text_md == TEXT


def test_content_scenarios_cannot_be_edited_on_the_author_pages(client, author):
    Scenario.objects.create(external_id="from-a-file", answer=["ec2"], answer_key="ec2", difficulty=1, source="x.yaml")
    assert client.get(reverse("author:scenario_edit", args=["from-a-file"])).status_code == 404


SCENARIO_URLS = [
    ("get", "/author/scenarios/"),
    ("get", NEW),
    ("post", NEW),
    ("post", PREVIEW),
    ("get", "/author/scenarios/thumbnails/edit/"),
    ("post", "/author/scenarios/thumbnails/edit/"),
    ("get", "/author/scenarios/thumbnails/delete/"),
    ("post", "/author/scenarios/thumbnails/delete/"),
]


@pytest.mark.parametrize("method, url", SCENARIO_URLS)
def test_learners_get_403_on_every_scenario_url(client, services, learner, method, url):
    authored(InstructorFactory(), "thumbnails")
    client.force_login(learner)
    assert getattr(client, method)(url, valid(text="Taken over")).status_code == 403
    assert Scenario.objects.get().text_md == TEXT


@pytest.mark.parametrize("method, url", SCENARIO_URLS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, services, method, url):
    authored(InstructorFactory(), "thumbnails")
    response = getattr(client, method)(url, valid(text="Taken over"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=")
    assert Scenario.objects.get().text_md == TEXT


@pytest.mark.parametrize(
    "url, data",
    [
        (NEW, {}),
        (NEW, {"action": "bogus"}),
        (NEW, valid(answer=["lambda"] * 50, difficulty="abc")),
        (NEW, valid(wrong_1="nosuch", wrong_9="ec2", status="archived")),
        (NEW, valid(text="x" * 20_000, clues="\n\n  \n" + "y" * 5000)),
        (NEW, valid(clues="", text="\x00 weird \u202e text")),
        (PREVIEW, {}),
        (PREVIEW, {"text": "a", "clues": "\n\n", "answer": ["nosuch", "lambda", "ec2", "batch"], "wrong_1": "zzz"}),
        ("/author/scenarios/nosuch/edit/", valid()),
        ("/author/scenarios/nosuch/delete/", {}),
    ],
)
def test_bad_input_never_causes_a_server_error(client, author, url, data):
    response = client.post(url, data)
    assert response.status_code in (200, 400, 404, 422), response.status_code
    assert not Scenario.objects.exists()


# ---------------------------------------------------------------- deleting and retiring


def answered_in_a_round(learner) -> RoundItem:
    """The learner starts a round (serving the one published scenario) and answers it, on the trainer's pages."""
    client = Client()
    client.force_login(learner)
    assert client.post("/trainer/rounds/", {"kind": "practice"}).status_code == 303
    item = RoundItem.objects.get(learner=learner)
    client.post(f"/trainer/rounds/{item.round_id}/answer/", {"token": item.token, "service": ["lambda"]})
    item.refresh_from_db()
    assert item.is_answered
    return item


def delete_url(external_id: str) -> str:
    return reverse("author:scenario_delete", args=[external_id])


def test_the_edit_page_has_a_delete_button_that_leads_to_a_confirmation(client, author):
    authored(author, "thumbnails")
    body = client.get(reverse("author:scenario_edit", args=["thumbnails"])).content.decode()
    form = re.search(r'<form method="get" action="([^"]+)">\s*<button([^>]*)>([^<]+)</button>', body)
    assert form and form.group(1) == "/author/scenarios/thumbnails/delete/"
    assert 'aria-describedby="delete-help"' in form.group(2) and form.group(3) == "Delete scenario…"


def test_the_confirmation_page_asks_first_and_deletes_nothing(client, author):
    authored(author, "thumbnails")
    response = client.get(delete_url("thumbnails"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Delete this scenario?</h1>" in body
    assert '<form method="post" action="/author/scenarios/thumbnails/delete/"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert "will be <strong>deleted</strong>" in body and ">Delete scenario thumbnails</button>" in body
    assert Scenario.objects.filter(external_id="thumbnails").exists()


def test_the_confirmation_page_says_an_answered_scenario_will_be_retired(client, author, learner):
    authored(author, "thumbnails")
    answered_in_a_round(learner)
    body = client.get(delete_url("thumbnails")).content.decode()
    assert "will be <strong>retired</strong> instead of deleted" in body
    assert ">Retire scenario thumbnails</button>" in body


def test_deleting_a_scenario_no_learner_answered_removes_it(client, author):
    authored(author, "thumbnails")
    authored(author, "kept")
    response = client.post(delete_url("thumbnails"))
    assert response.status_code == 303 and response.url == "/author/scenarios/"
    assert list(Scenario.objects.values_list("external_id", flat=True)) == ["kept"]
    page = client.get(response.url).content.decode()
    assert "Deleted scenario thumbnails." in page
    assert 'href="/author/scenarios/thumbnails/edit/"' not in page and 'href="/author/scenarios/kept/edit/"' in page


def test_deleting_an_answered_scenario_retires_it_and_keeps_the_learners_history(client, author, learner):
    scenario = authored(author, "thumbnails")
    item = answered_in_a_round(learner)
    response = client.post(delete_url("thumbnails"))
    assert response.status_code == 303 and response.url == "/author/scenarios/"
    scenario.refresh_from_db()
    assert (scenario.is_active, scenario.status) == (False, "draft")
    assert not Scenario.objects.served().exists()
    item.refresh_from_db()
    assert (item.scenario_id, item.chosen_key, item.correct) == (scenario.pk, "lambda", True)
    assert ScenarioMemory.objects.filter(learner=learner, scenario=scenario).exists()
    page = client.get(response.url).content.decode()
    assert (
        "Retired scenario thumbnails: learners answered it, so it stays in their history but is no longer served."
        in page
    )
    assert '<span class="status status-archived">Retired</span>' in page

    learners = Client()
    learners.force_login(learner)
    assert learners.post("/trainer/rounds/", {"kind": "practice"}).status_code == 302  # nothing left to serve
    assert Round.objects.filter(learner=learner).count() == 1
    export = learners.get("/settings/export.json").json()
    assert [(a["scenario"], a["chosen"]) for a in export["trainer_answers"]] == [("thumbnails", "lambda")]


def test_a_retired_scenario_says_so_and_saving_it_as_published_does_not_serve_it_again(client, author, learner):
    authored(author, "thumbnails")
    answered_in_a_round(learner)
    client.post(delete_url("thumbnails"))
    edit = reverse("author:scenario_edit", args=["thumbnails"])
    body = client.get(edit).content.decode()
    assert "Retired: learners answered this scenario" in body
    assert "Delete scenario…" not in body  # retired already: there is nothing more to remove
    assert client.post(edit, valid(status="published")).status_code == 302
    assert not Scenario.objects.served().exists()


def test_deleting_needs_the_csrf_token(author, services):
    authored(author, "thumbnails")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(author)
    assert browser.post(delete_url("thumbnails")).status_code == 403
    assert Scenario.objects.filter(external_id="thumbnails").exists()
    page = browser.get(delete_url("thumbnails")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert browser.post(delete_url("thumbnails"), {"csrfmiddlewaretoken": token}).status_code == 303
    assert not Scenario.objects.exists()


def test_another_instructor_gets_404_and_deletes_nothing(client, author):
    authored(InstructorFactory(), "someone-elses")
    assert client.get(delete_url("someone-elses")).status_code == 404
    assert client.post(delete_url("someone-elses")).status_code == 404
    assert Scenario.objects.get().is_active


def test_content_scenarios_cannot_be_deleted_on_the_author_pages(client, author):
    Scenario.objects.create(external_id="from-a-file", answer=["ec2"], answer_key="ec2", difficulty=1, source="x.yaml")
    assert client.get(delete_url("from-a-file")).status_code == 404
    assert client.post(delete_url("from-a-file")).status_code == 404
    assert Scenario.objects.get().is_active


# ---------------------------------------------------------------- the owner's account


def test_an_instructor_who_owns_a_scenario_is_told_why_the_account_cannot_be_deleted(client, author):
    authored(author, "thumbnails")
    response = client.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot be deleted yet: you own 1 trainer scenario (thumbnails) that other people rely on." in page
    assert "Nothing was deleted." in page
    assert User.objects.filter(pk=author.pk).exists()
    assert Scenario.objects.get().owner == author


def test_the_refusal_counts_banks_and_scenarios_separately(client, author):
    StewardshipFactory(owner=author, bank__slug="containers")
    authored(author, "thumbnails")
    authored(author, "transcoding")
    page = client.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"}, follow=True).content.decode()
    assert "you own 1 question bank and 2 trainer scenarios (containers (published), thumbnails, transcoding)" in page
    assert Scenario.objects.count() == 2 and User.objects.filter(pk=author.pk).exists()


def test_once_the_scenario_is_deleted_the_account_can_be_deleted(client, author):
    authored(author, "thumbnails")
    client.post(delete_url("thumbnails"))
    response = client.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not User.objects.filter(pk=author.pk).exists()


def test_a_retired_scenario_does_not_block_the_deletion_and_stays_in_the_learners_history(client, author, learner):
    scenario = authored(author, "thumbnails")
    item = answered_in_a_round(learner)
    client.post(delete_url("thumbnails"))  # retired: learners answered it
    response = client.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302 and not User.objects.filter(pk=author.pk).exists()
    scenario.refresh_from_db()
    assert scenario.owner is None and not scenario.is_active and not Scenario.objects.served().exists()
    item.refresh_from_db()
    assert item.scenario_id == scenario.pk


# ---------------------------------------------------------------- load_content


def test_load_content_neither_deactivates_nor_deletes_authored_scenarios(client, author, learner):
    client.post(NEW, valid(external_id="thumbnails", status="published"))
    client.post(NEW, valid(external_id="thumbnails-draft", status="draft"))
    start_round(learner)  # the published one is in a learner's round: a content scenario would be deactivated
    assert Round.objects.get().items.get().scenario.external_id == "thumbnails"
    out = StringIO()
    call_command("load_content", stdout=out)
    assert f"{SHIPPED} scenarios created" in out.getvalue()
    assert "deactivated" not in out.getvalue() and "removed" not in out.getvalue()
    for external_id, status in (("thumbnails", "published"), ("thumbnails-draft", "draft")):
        scenario = Scenario.objects.get(external_id=external_id)
        assert (scenario.is_active, scenario.status, scenario.owner, scenario.text_md) == (True, status, author, TEXT)
    assert Scenario.objects.from_content().count() == SHIPPED
    out = StringIO()
    call_command("load_content", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert Scenario.objects.authored().filter(is_active=True).count() == 2


def test_a_content_file_may_not_reuse_an_authored_scenarios_id(client, author):
    client.post(NEW, valid(external_id="docker-works-on-my-laptop"))
    with pytest.raises(
        CommandError, match="scenario id 'docker-works-on-my-laptop' is taken by a scenario an instructor"
    ):
        call_command("load_content", stdout=StringIO())
    assert Scenario.objects.get().owner == author


def test_learners_meet_both_content_and_published_authored_scenarios(client, author, learner, loaded_content):
    client.post(NEW, valid(external_id="thumbnails"))
    client.post(NEW, valid(external_id="thumbnails-draft", status="draft"))
    served = set(Scenario.objects.served().values_list("external_id", flat=True))
    assert "thumbnails" in served and "thumbnails-draft" not in served and len(served) == SHIPPED + 1
    other = UserFactory()
    assert start_round(other).status_code == 303
    assert Round.objects.get(learner=other).items.count() == 10
