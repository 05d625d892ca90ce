"""Import through the web (upload, dry-run preview, confirm) and export downloads, on /author/<bank>/."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from quizzes.authoring.models import PendingImport
from quizzes.models import Question
from tests.factories import QuestionFactory, ServiceFactory, StewardshipFactory

pytestmark = pytest.mark.django_db

GIFT = """\
// [id:lambda-timeout] [tag:service=lambda]
::Lambda timeout::What is the maximum timeout of a Lambda function? {
=15 minutes#The documented maximum.
~5 minutes#The old limit.
~1 hour#Too long.
~1 day#Much too long.
####Lambda functions run for at most 15 minutes.
}

// [id:fargate-servers] [tag:service=fargate]
With Fargate you manage no servers. {TRUE#You manage none.#Right: none.####Serverless containers.}
"""
BAD_GIFT = GIFT + "\n// [id:essay] [tag:service=lambda]\nExplain Lambda. {}\n"


@pytest.fixture
def bank(client, instructor):
    ServiceFactory(key="lambda", name="AWS Lambda", note_slug="lambda")
    ServiceFactory(key="fargate", name="AWS Fargate", note_slug="fargate")
    client.force_login(instructor)
    return StewardshipFactory(owner=instructor, status="draft").bank


def upload(client, bank, text: str, name: str = "week3.gift", **data):
    file = SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)
    return client.post(reverse("author:import", args=[bank.slug]), {"file": file, **data})


def test_an_upload_previews_what_would_be_created_and_writes_nothing(client, bank):
    response = upload(client, bank, GIFT)
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 to create, 0 to update, 0 unchanged, 0 refused." in body
    assert "lambda-timeout" in body and "fargate-servers" in body
    assert not Question.objects.exists()
    pending = PendingImport.objects.get()
    assert f'action="/author/{bank.slug}/import/{pending.pk}/confirm/"' in body


def test_confirming_imports_the_previewed_file(client, bank):
    upload(client, bank, GIFT)
    pending = PendingImport.objects.get()
    response = client.post(reverse("author:import_confirm", args=[bank.slug, pending.pk]), follow=True)
    assert "Imported week3.gift: 2 created, 0 updated, 0 unchanged." in response.content.decode()
    assert set(Question.objects.filter(bank=bank).values_list("external_id", flat=True)) == {
        "lambda-timeout",
        "fargate-servers",
    }
    assert not PendingImport.objects.exists()


def test_reimporting_the_same_file_previews_no_change(client, bank):
    upload(client, bank, GIFT)
    client.post(reverse("author:import_confirm", args=[bank.slug, PendingImport.objects.get().pk]))
    body = upload(client, bank, GIFT).content.decode()
    assert "0 to create, 0 to update, 2 unchanged, 0 refused." in body


def test_a_refused_question_is_listed_with_line_field_and_message_and_nothing_can_be_confirmed(client, bank):
    body = upload(client, bank, BAD_GIFT).content.decode()
    assert "Nothing was imported." in body and "1 refused." in body
    assert "<td>14</td><td>type</td><td>unsupported question type: essay (empty answer block)</td>" in body
    assert not PendingImport.objects.exists() and "/confirm/" not in body
    assert not Question.objects.exists()


def test_a_file_over_the_limit_gets_a_clear_message(client, bank, settings):
    settings.AUTHOR_UPLOAD_MAX_BYTES = 1024
    response = upload(client, bank, "x" * 3000)
    assert response.status_code == 422
    assert "This file is 3 KB; the limit is 1 KB. Split it into smaller files." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00binary\x00", "not UTF-8 text"),
        ("// [id:x]\nUnbalanced { =a ~b", "refused"),
        ("id,type\n", "missing column"),
    ],
)
def test_malformed_files_get_a_report_not_a_500(client, bank, data, message):
    name = "broken.csv" if message == "missing column" else "broken.gift"
    response = upload(client, bank, data, name=name)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Question.objects.exists()


def test_the_format_comes_from_the_file_name_or_the_choice(client, bank):
    body = upload(client, bank, GIFT, name="questions.bin").content.decode()
    assert "Cannot tell the format from the file name: choose it here." in body
    body = upload(client, bank, GIFT, name="questions.bin", format="gift").content.decode()
    assert "2 to create" in body


def test_a_pending_import_is_checked_again_on_confirm(client, bank):
    upload(client, bank, GIFT)
    pending = PendingImport.objects.get()
    pending.text = BAD_GIFT  # the situation changed between the preview and the confirmation
    pending.save()
    response = client.post(reverse("author:import_confirm", args=[bank.slug, pending.pk]))
    assert response.status_code == 409 and "Nothing was imported." in response.content.decode()
    assert not Question.objects.exists()


def test_another_authors_pending_import_cannot_be_confirmed(client, bank, instructor):
    from tests.factories import InstructorFactory

    colleague = InstructorFactory()
    bank.stewardship.co_authors.add(colleague)
    upload(client, bank, GIFT)
    client.force_login(colleague)
    pending = PendingImport.objects.get()
    assert client.post(reverse("author:import_confirm", args=[bank.slug, pending.pk])).status_code == 404
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("fmt", "content_type", "filename", "marker"),
    [
        ("yaml", "application/yaml", "yaml", "id: cold-starts"),
        ("gift", "text/plain", "gift.txt", "[id:cold-starts]"),
        ("csv", "text/csv", "csv", "cold-starts,single"),
    ],
)
def test_export_downloads_the_bank_in_each_format(client, bank, fmt, content_type, filename, marker):
    QuestionFactory(bank=bank, external_id="cold-starts", services=[ServiceFactory(key="lambda")])
    response = client.get(reverse("author:export", args=[bank.slug, fmt]))
    assert response.status_code == 200 and response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"] == f'attachment; filename="{bank.slug}.{filename}"'
    assert marker in response.content.decode()


def test_an_unknown_export_format_is_a_400(client, bank):
    assert client.get(f"/author/{bank.slug}/export.docx").status_code == 400


def test_an_exported_file_imports_back_unchanged(client, bank):
    upload(client, bank, GIFT)
    client.post(reverse("author:import_confirm", args=[bank.slug, PendingImport.objects.get().pk]))
    for fmt, name in (("yaml", "back.yaml"), ("gift", "back.gift"), ("csv", "back.csv")):
        exported = client.get(reverse("author:export", args=[bank.slug, fmt])).content.decode()
        body = upload(client, bank, exported, name=name).content.decode()
        assert "0 to create, 0 to update, 2 unchanged, 0 refused." in body, fmt
