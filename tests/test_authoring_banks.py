"""Instructor banks on /author/: list, create, edit, publish, archive, co-authors, and what learners see."""

import pytest
from django.urls import reverse

from quizzes.authoring.models import BankStewardship
from quizzes.exams.blueprint import pool
from quizzes.models import Bank, Question
from tests.factories import InstructorFactory, QuestionFactory, StewardshipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(client, instructor):
    client.force_login(instructor)
    return instructor


def test_the_index_lists_owned_and_co_authored_banks_but_not_content_banks(client, author):
    StewardshipFactory(owner=author, bank__title="My Lambda drills")
    StewardshipFactory(co_authors=[author], bank__title="A colleague's ECS bank")
    StewardshipFactory(bank__title="Someone else's bank")
    Bank.objects.create(slug="compute", title="Compute (content)", source=Bank.Source.CONTENT)
    body = client.get("/author/").content.decode()
    assert "My Lambda drills" in body and "A colleague&#x27;s ECS bank" in body
    assert "Someone else" not in body and "Compute (content)" not in body
    assert body.index("My Lambda drills") < body.index("Banks you co-author") < body.index("A colleague")


def test_the_index_answers_in_a_fixed_number_of_queries(client, author, django_assert_max_num_queries):
    for _ in range(15):
        stewardship = StewardshipFactory(owner=author)
        QuestionFactory.create_batch(2, bank=stewardship.bank)
    with django_assert_max_num_queries(6):
        response = client.get("/author/")
    assert response.content.decode().count("Instructor bank") == 15


def test_creating_a_bank_makes_the_instructor_its_owner_as_a_draft(client, author):
    response = client.post(
        "/author/banks/new/",
        {"title": "Lambda drills", "slug": "lambda-drills", "description": "For **week 3**.", "status": "draft"},
    )
    assert response.status_code == 302 and response.url == "/author/lambda-drills/"
    stewardship = BankStewardship.objects.get(bank__slug="lambda-drills")
    assert (stewardship.owner, stewardship.status, stewardship.bank.source) == (author, "draft", "import")
    assert stewardship.bank.description_html == "<p>For <strong>week 3</strong>.</p>"


def test_a_taken_or_malformed_slug_is_refused_next_to_the_field(client, author):
    Bank.objects.create(slug="compute", title="Compute", source=Bank.Source.CONTENT)
    body = client.post("/author/banks/new/", {"title": "X", "slug": "compute", "status": "draft"}).content.decode()
    assert "A bank with this slug exists already" in body
    assert 'aria-describedby="id_slug_helptext id_slug_error"' in body
    body = client.post("/author/banks/new/", {"title": "X", "slug": "Bad--Slug", "status": "draft"}).content.decode()
    assert "Use lowercase letters" in body or "Enter a valid" in body
    assert Bank.objects.count() == 1


def test_editing_a_bank_changes_title_description_and_visibility(client, author):
    stewardship = StewardshipFactory(owner=author, status="draft")
    url = reverse("author:bank_edit", args=[stewardship.bank.slug])
    response = client.post(url, {"title": "Renamed", "description": "New *text*", "status": "published"})
    assert response.status_code == 302
    stewardship.refresh_from_db()
    stewardship.bank.refresh_from_db()
    assert (stewardship.status, stewardship.bank.title) == ("published", "Renamed")
    assert stewardship.bank.description_html == "<p>New <em>text</em></p>"


def test_the_edit_form_cannot_archive_a_bank(client, author):
    stewardship = StewardshipFactory(owner=author)
    url = reverse("author:bank_edit", args=[stewardship.bank.slug])
    response = client.post(url, {"title": "T", "status": "archived"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    stewardship.refresh_from_db()
    assert stewardship.status == "published"


def test_the_owner_archives_and_restores_a_bank_as_a_draft(client, author):
    stewardship = StewardshipFactory(owner=author)
    url = reverse("author:bank_archive", args=[stewardship.bank.slug])
    client.post(url, {"archive": "1"})
    stewardship.refresh_from_db()
    assert stewardship.status == "archived"
    assert "learners do not see its questions" in client.get(f"/author/{stewardship.bank.slug}/").content.decode()
    client.post(url, {"archive": "0"})
    stewardship.refresh_from_db()
    assert stewardship.status == "draft"


def test_a_tampered_archive_value_is_a_400(client, author):
    stewardship = StewardshipFactory(owner=author)
    assert (
        client.post(reverse("author:bank_archive", args=[stewardship.bank.slug]), {"archive": "x"}).status_code == 400
    )


def test_the_owner_adds_an_instructor_as_co_author_who_then_sees_the_bank(client, author):
    stewardship = StewardshipFactory(owner=author)
    colleague = InstructorFactory(username="colleague")
    response = client.post(reverse("author:co_author_add", args=[stewardship.bank.slug]), {"username": "colleague"})
    assert response.status_code == 302
    assert list(stewardship.co_authors.all()) == [colleague]
    client.force_login(colleague)
    assert stewardship.bank.title in client.get("/author/").content.decode()
    assert client.get(f"/author/{stewardship.bank.slug}/").status_code == 200


def test_only_instructors_can_become_co_authors(client, author, learner):
    stewardship = StewardshipFactory(owner=author)
    url = reverse("author:co_author_add", args=[stewardship.bank.slug])
    response = client.post(url, {"username": learner.username})
    assert response.status_code == 422 and "No instructor has this username." in response.content.decode()
    response = client.post(url, {"username": author.username})
    assert "The owner is already an author of this bank." in response.content.decode()
    assert not stewardship.co_authors.exists()


def test_removing_someone_who_is_not_a_co_author_is_a_404(client, author):
    stewardship = StewardshipFactory(owner=author)
    stranger = InstructorFactory()
    url = reverse("author:co_author_remove", args=[stewardship.bank.slug, stranger.pk])
    assert client.post(url).status_code == 404


# ---------------------------------------------------------------- what learners see


@pytest.mark.parametrize(("status", "visible"), [("published", True), ("draft", False), ("archived", False)])
def test_learners_see_only_published_instructor_banks_in_study_and_exams(status, visible):
    content_question = QuestionFactory(bank__slug="compute")
    stewardship = StewardshipFactory(status=status)
    mine = QuestionFactory(bank=stewardship.bank)
    assert set(Question.objects.active()) == ({content_question, mine} if visible else {content_question})
    assert (mine in pool(None, [], "all")) is visible


def test_a_learner_studying_never_gets_a_draft_banks_question(client, learner):
    stewardship = StewardshipFactory(status="draft")
    QuestionFactory(bank=stewardship.bank, stem_md="Draft question?", stem_html="<p>Draft question?</p>")
    client.force_login(learner)
    body = client.get("/study/").content.decode()
    assert "Draft question?" not in body
    stewardship.status = "published"
    stewardship.save()
    assert "Draft question?" in client.get("/study/").content.decode()


def test_archiving_a_bank_takes_its_due_reviews_out_of_study_sessions(client, learner):
    from datetime import timedelta

    from django.utils import timezone

    from quizzes.models import QuestionMemory

    stewardship = StewardshipFactory(status="published")
    question = QuestionFactory(bank=stewardship.bank, stem_md="Studied before?", stem_html="<p>Studied before?</p>")
    now = timezone.now()
    QuestionMemory.objects.create(
        learner=learner,
        question=question,
        due=now - timedelta(days=1),
        last_review=now - timedelta(days=3),
        state=2,
        stability=2.0,
        difficulty=5.0,
        reps=1,
        introduced_at=now - timedelta(days=3),
    )
    client.force_login(learner)
    assert "Studied before?" in client.get("/study/").content.decode()
    stewardship.status = "archived"
    stewardship.save()
    assert "Studied before?" not in client.get("/study/").content.decode()
