"""Banks straight from Moodle: GIFT without tags or feedback, a default topic and Moodle categories, the upload
form's Moodle XML and default topic, and what learners and the bank's author see of questions without feedback."""

import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from quizzes.authoring import importing
from quizzes.authoring.models import PendingImport
from quizzes.models import Bank, Question
from tests.factories import ServiceFactory, StewardshipFactory
from tests.studying import answer, open_study

pytestmark = pytest.mark.django_db

# A plain export of Moodle's question bank as GIFT: no [tag:…] comments, no feedback at all.
MOODLE_GIFT = """\
// question: 0  name: Switch category to $course$/top/Default for CLF-C02
$CATEGORY: $course$/top/Default for CLF-C02


// question: 2211  name: Cheapest storage class
::Cheapest storage class::[html]<p>Which S3 storage class costs the least to store data for years?</p>{
\t=<p>S3 Glacier Deep Archive</p>
\t~<p>S3 Standard</p>
\t~<p>S3 Standard-IA</p>
\t~<p>S3 One Zone-IA</p>
}


// question: 2212  name: Serverless
::Serverless::[html]<p>With AWS Lambda you patch the servers yourself.</p>{FALSE}


// question: 2213  name: Two compute services
::Two compute services::[html]<p>Which two are compute services?</p>{
\t~%50%Amazon EC2
\t~%50%AWS Lambda
\t~%-100%Amazon S3
\t~%-100%Amazon EBS
\t~%-100%AWS IAM
}
"""


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def moodle_gift(tmp_path, loaded_content):
    path = tmp_path / "clf-week-1.gift"
    path.write_text(MOODLE_GIFT)
    return path


# ---------------------------------------------------------------- GIFT without tags


def test_a_plain_moodle_gift_export_imports_with_a_default_topic_and_warnings(moodle_gift):
    status, out, _ = run("import_bank", str(moodle_gift), "--topic", "ec2", "--report", "json")
    report = json.loads(out)
    assert status == 0, report["refused"]
    assert report["written"] is True and report["refused"] == []
    assert [row["id"] for row in report["created"]] == ["cheapest-storage-class", "serverless", "two-compute-services"]
    warnings = [(w["line"], w["field"], w["message"]) for w in report["warnings"]]
    assert (6, "services", "no topic in the file: the question gets the default topic 'ec2'") in warnings
    assert (
        6,
        "explanation",
        "no explanation (general feedback) and no feedback on choices 1, 2, 3, 4: learners will see the right "
        "answer and “no explanation yet”",
    ) in warnings
    questions = Question.objects.filter(bank__slug="clf-week-1").order_by("position")
    assert [q.type for q in questions] == ["single", "truefalse", "multiple"]
    assert all(list(q.services.values_list("key", flat=True)) == ["ec2"] for q in questions)
    cheapest = questions[0]
    assert cheapest.stem_md == "Which S3 storage class costs the least to store data for years?"
    assert cheapest.explanation_md == "" and cheapest.explanation_html == ""
    assert [(c.text, c.correct, c.why_md) for c in cheapest.choices.all()][0] == ("S3 Glacier Deep Archive", True, "")


def test_without_a_default_topic_an_untagged_question_is_refused_saying_to_pick_one(moodle_gift):
    status, out, err = run("import_bank", str(moodle_gift), "--report", "json")
    assert status == 1 and "3 problem(s): nothing was imported" in err
    refused = json.loads(out)["refused"]
    assert [(issue["line"], issue["field"]) for issue in refused] == [
        (6, "services"),
        (15, "services"),
        (19, "services"),
    ]
    assert refused[0]["message"].startswith("no topic: choose a default topic for this import (import_bank --topic KEY")
    assert not Bank.objects.filter(slug="clf-week-1").exists()


def test_an_unknown_default_topic_is_refused_with_the_nearest_keys(moodle_gift):
    status, _, err = run("import_bank", str(moodle_gift), "--topic", "ec3")
    assert status == 1
    assert "topic: unknown topic 'ec3'" in err and "Did you mean" in err and "ec2" in err
    assert not Bank.objects.filter(slug="clf-week-1").exists()


@pytest.mark.parametrize(
    ("category", "topic", "warning"),
    [
        ("$course$/top/Default for CLF-C02/Amazon S3", "s3", None),  # a topic's name
        ("$course$/top/Week 2/lambda", "lambda", None),  # a topic key
        ("$course$/top/Storage/Week 2", "s3", "names the topic family Storage: the question gets its first topic"),
        ("$course$/top/Compute", "ec2", "names the topic family Compute: the question gets the default topic"),
        ("$course$/top/Week 2", "ec2", "no topic in the file: the question gets the default topic 'ec2'"),
    ],
)
def test_a_category_that_names_a_topic_or_a_family_chooses_the_topic(loaded_content, category, topic, warning):
    text = MOODLE_GIFT.replace("$CATEGORY: $course$/top/Default for CLF-C02", f"$CATEGORY: {category}")
    parsed, questions = importing.parse(text, "gift", default_topic="ec2")
    assert parsed.issues == []
    assert {tuple(q.services) for q in questions} == {(topic,)}
    topic_warnings = [w.message for w in parsed.warnings if w.field == "services"]
    if warning is None:
        assert topic_warnings == []
    else:
        assert len(topic_warnings) == 3 and all(warning in message for message in topic_warnings)


def test_the_shipped_banks_still_require_every_explanation(tmp_path, loaded_content, settings):
    from quizzes.study.bank_writing import load_banks
    from studyapp.content import ContentError

    content = tmp_path / "content"
    (content / "banks").mkdir(parents=True)
    (content / "notes").symlink_to(settings.BASE_DIR / "content" / "notes")
    (content / "facts.yaml").symlink_to(settings.BASE_DIR / "content" / "facts.yaml")
    (content / "facts").symlink_to(settings.BASE_DIR / "content" / "facts")
    (content / "banks" / "b.yaml").write_text(
        "bank:\n  slug: b\n  title: B\nquestions:\n  - id: q\n    type: single\n    stem: S?\n"
        "    explanation: ''\n    services: [lambda]\n    domain: cloud-concepts\n    difficulty: 1\n    note: lambda\n"
        "    choices:\n"
        + "".join(f"      - {{text: '{t}', correct: {str(t == 'A').lower()}, why: 'w'}}\n" for t in "ABCD")
    )
    with pytest.raises(ContentError, match="'explanation' must be non-empty text"):
        load_banks(content)


def test_an_instructors_yaml_import_may_leave_explanations_empty(loaded_content):
    text = (
        "bank:\n  slug: b\n  title: B\nquestions:\n  - id: q\n    type: single\n    stem: S?\n"
        "    explanation: ''\n    services: [lambda]\n    domain: cloud-concepts\n    difficulty: 1\n    note: lambda\n"
        "    choices:\n"
        + "".join(f"      - {{text: '{t}', correct: {str(t == 'A').lower()}, why: ''}}\n" for t in "ABCD")
    )
    parsed, questions = importing.parse(text, "yaml")
    assert parsed.issues == [] and len(questions) == 1
    assert [(w.line, w.field) for w in parsed.warnings] == [(5, "explanation")]


# ---------------------------------------------------------------- the upload form on /author/

MOODLE_XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="multichoice">
    <name><text>Cheapest storage class</text></name>
    <questiontext format="html"><text><![CDATA[<p>Which S3 storage class costs the least?</p>]]></text></questiontext>
    <generalfeedback format="html"><text></text></generalfeedback>
    <single>true</single>
    <answer fraction="100"><text>S3 Glacier Deep Archive</text><feedback><text></text></feedback></answer>
    <answer fraction="0"><text>S3 Standard</text><feedback><text></text></feedback></answer>
    <answer fraction="0"><text>S3 Standard-IA</text><feedback><text></text></feedback></answer>
    <answer fraction="0"><text>S3 One Zone-IA</text><feedback><text></text></feedback></answer>
  </question>
  <question type="truefalse">
    <name><text>Lambda patching</text></name>
    <questiontext format="html"><text>With Lambda you patch the servers.</text></questiontext>
    <generalfeedback format="html"><text>AWS patches them.</text></generalfeedback>
    <answer fraction="0"><text>true</text><feedback><text>No: AWS does.</text></feedback></answer>
    <answer fraction="100"><text>false</text><feedback><text>Right.</text></feedback></answer>
  </question>
</quiz>
"""


@pytest.fixture
def bank(client, instructor):
    ServiceFactory(key="s3", name="Amazon S3", short="S3", note_slug="storage")
    ServiceFactory(key="lambda", name="AWS Lambda", short="Lambda", note_slug="lambda")
    client.force_login(instructor)
    return StewardshipFactory(owner=instructor, status="published").bank


def upload(client, bank, text: str, name: str, **data):
    file = SimpleUploadedFile(name, text.encode())
    return client.post(reverse("author:import", args=[bank.slug]), {"file": file, **data})


def test_the_upload_form_offers_moodle_xml_and_a_default_topic(client, bank):
    body = client.get(reverse("author:import", args=[bank.slug])).content.decode()
    assert '<option value="moodlexml">Moodle XML</option>' in body
    assert '<label for="id_topic">Default topic:</label>' in body
    assert '<option value="s3">Amazon S3 (s3)</option>' in body


def test_a_moodle_xml_upload_with_a_default_topic_previews_then_imports(client, bank):
    body = upload(client, bank, MOODLE_XML, "week1.xml", topic="s3").content.decode()
    assert "2 to create, 0 to update, 0 unchanged, 0 refused." in body
    assert "no topic in the file: the question gets the default topic &#x27;s3&#x27;" in body
    assert "learners will see the right answer and “no explanation yet”" in body
    pending = PendingImport.objects.get()
    assert (pending.format, pending.default_topic) == ("moodlexml", "s3")
    assert not Question.objects.exists()
    response = client.post(reverse("author:import_confirm", args=[bank.slug, pending.pk]), follow=True)
    assert "Imported week1.xml: 2 created, 0 updated, 0 unchanged." in response.content.decode()
    lambda_q = Question.objects.get(bank=bank, external_id="lambda-patching")
    assert lambda_q.type == "truefalse"
    assert [(c.text, c.correct) for c in lambda_q.choices.all()] == [("True", False), ("False", True)]
    assert list(lambda_q.services.values_list("key", flat=True)) == ["s3"]


def test_an_untagged_upload_without_a_default_topic_is_refused_saying_to_pick_one(client, bank):
    body = upload(client, bank, MOODLE_XML, "week1.xml").content.decode()
    assert "0 refused" not in body and "Nothing was imported." in body
    assert "no topic: choose a default topic for this import" in body
    assert not PendingImport.objects.exists()


def test_a_forged_default_topic_is_a_form_error_not_a_500(client, bank):
    response = upload(client, bank, MOODLE_XML, "week1.xml", topic="nope")
    assert response.status_code == 422
    assert "Select a valid choice. nope is not one of the available choices." in response.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<quiz><question type='essay'/></quiz>", "unsupported question type: essay"),
        ('<!DOCTYPE quiz [<!ENTITY a "aa">]><quiz/>', "a DOCTYPE (DTD) is not allowed"),
        ("<quiz><question></quiz>", "not well-formed XML: mismatched tag"),
        ("<html/>", "the root element is &lt;html&gt;, not &lt;quiz&gt;"),
    ],
)
def test_malformed_moodle_xml_uploads_get_a_report_and_write_nothing(client, bank, text, message):
    response = upload(client, bank, text, "bad.xml", topic="s3")
    assert response.status_code == 200 and message in response.content.decode()
    assert not PendingImport.objects.exists() and not Question.objects.exists()


def test_the_bank_page_exports_moodle_xml(client, bank):
    upload(client, bank, MOODLE_XML, "week1.xml", topic="s3")
    client.post(reverse("author:import_confirm", args=[bank.slug, PendingImport.objects.get().pk]))
    page = client.get(reverse("author:bank", args=[bank.slug])).content.decode()
    assert f'<a href="/author/{bank.slug}/export.moodlexml" download>Moodle XML</a>' in page
    response = client.get(f"/author/{bank.slug}/export.moodlexml")
    assert response["Content-Type"].startswith("application/xml")
    assert response["Content-Disposition"] == f'attachment; filename="{bank.slug}.moodle.xml"'
    body = upload(client, bank, response.content.decode(), "back.xml").content.decode()
    assert "0 to create, 0 to update, 2 unchanged, 0 refused." in body


# ---------------------------------------------------------------- what the author and learners see


def test_the_author_sees_how_many_questions_lack_an_explanation_and_can_list_only_them(
    client, bank, django_assert_max_num_queries
):
    upload(client, bank, MOODLE_XML, "week1.xml", topic="s3")
    client.post(reverse("author:import_confirm", args=[bank.slug, PendingImport.objects.get().pk]))
    page = client.get(reverse("author:bank", args=[bank.slug])).content.decode()
    assert "1 question has no explanation or a choice without its “why”" in page
    assert 'href="?unexplained=on#questions-heading"' in page
    with django_assert_max_num_queries(12):
        only = client.get(reverse("author:bank", args=[bank.slug]), {"unexplained": "on"}).content.decode()
    assert 'cheapest-storage-class</a> <span class="tag">no explanation</span>' in only
    assert "lambda-patching" not in only and "1 question match these filters." in only


def test_learners_see_the_right_answer_and_no_explanation_yet(client, bank, learner):
    upload(client, bank, MOODLE_XML, "week1.xml", topic="s3")
    client.post(reverse("author:import_confirm", args=[bank.slug, PendingImport.objects.get().pk]))
    client.force_login(learner)
    shown = open_study(client)
    assert shown.question.external_id == "cheapest-storage-class"  # new questions come in bank order
    feedback = answer(client, shown, shown.wrong()).content.decode()
    assert "Not quite" in feedback
    assert '<span class="tag tag-right">Right answer</span>' in feedback
    assert '<p class="muted">No explanation yet.</p>' in feedback
    assert '<div class="why"></div>' not in feedback


def test_an_exam_review_shows_no_explanation_yet_where_there_is_none(client, bank, learner):
    from quizzes.exams.models import ExamAttempt

    upload(client, bank, MOODLE_XML, "week1.xml", topic="s3")
    client.post(reverse("author:import_confirm", args=[bank.slug, PendingImport.objects.get().pk]))
    client.force_login(learner)
    response = client.post("/exam/start", {"preset": "custom", "count": "2", "untimed": "on", "source": "all"})
    assert response.status_code == 302, response.content.decode()[:300]
    attempt = ExamAttempt.objects.latest("pk")
    client.post(f"/exam/{attempt.pk}/submit", {"seq": attempt.seq, "confirm": "yes"})
    results = client.get(f"/exam/{attempt.pk}/results/").content.decode()
    assert results.count('<p class="muted">No explanation yet.</p>') == 1  # the true/false has one
    assert "AWS patches them." in results
