"""What a page shows is fresh right after every write that changes it: no cache may serve an old value."""

import pytest

from tests.factories import QuestionFactory
from tests.studying import answer, open_study, rate

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_a_new_review_and_the_new_questions_left_at_once(client, learner):
    QuestionFactory.create_batch(3)
    client.force_login(learner)
    before = client.get("/progress/").content.decode()
    assert "<dt>New available</dt><dd>3</dd>" in before and "<dt>Studied today</dt><dd>0</dd>" in before
    shown = open_study(client)
    rate(client, answer(client, shown, shown.right()), 3)  # Good
    after = client.get("/progress/").content.decode()
    assert "<dt>New available</dt><dd>2</dd>" in after and "<dt>Studied today</dt><dd>1</dd>" in after


def test_the_dashboard_counts_a_question_an_instructor_publishes_at_once(client, learner):
    QuestionFactory.create_batch(2)
    client.force_login(learner)
    assert "<dt>New available</dt><dd>2</dd>" in client.get("/progress/").content.decode()
    QuestionFactory()
    assert "<dt>New available</dt><dd>3</dd>" in client.get("/progress/").content.decode()


def test_the_study_page_shows_the_next_question_right_after_a_rating(client, learner):
    first, second = QuestionFactory.create_batch(2)
    client.force_login(learner)
    shown = open_study(client)
    assert shown.question == first
    rate(client, answer(client, shown, shown.right()), 4)  # Easy: not due again today
    again = open_study(client)
    assert again.question == second


def test_a_note_page_shows_reloaded_content_at_once(client, loaded_content):
    from studyapp.notes.models import Note

    note = Note.objects.order_by("order").first()
    assert note.title in client.get(f"/notes/{note.slug}/").content.decode()
    Note.objects.filter(pk=note.pk).update(title="A title changed by a content reload")
    assert "A title changed by a content reload" in client.get(f"/notes/{note.slug}/").content.decode()


def test_the_trainer_offers_a_service_renamed_by_a_content_load_at_once(client, learner, loaded_content, tmp_path):
    """The trainer's catalogue is cached per content release: a load that changes it makes a new release."""
    import shutil
    from io import StringIO

    from django.core.management import call_command

    from studyapp.content import content_dir

    client.force_login(learner)
    assert "AWS Lambda" in client.get("/trainer/").content.decode()
    copy = tmp_path / "content"
    shutil.copytree(content_dir(), copy)
    services = copy / "services.yaml"
    services.write_text(services.read_text().replace("name: AWS Lambda\n", "name: AWS Lambda functions\n", 1))
    call_command("load_content", dir=str(copy), stdout=StringIO())
    assert "AWS Lambda functions" in client.get("/trainer/").content.decode()
