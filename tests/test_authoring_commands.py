"""`import_bank` and `export_bank`: all-or-nothing imports, dry runs, JSON reports and exit statuses."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from quizzes.authoring.models import BankStewardship
from quizzes.models import Bank, Question, QuestionRevision

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

// [id:fargate-servers] [tag:service=fargate] [tag:domain=cloud-concepts] [tag:difficulty=1]
With Fargate you manage no servers. {TRUE#You manage none.#Right: none.####Serverless containers.}
"""


NO_TOPIC = (
    "no topic: choose a default topic for this import (import_bank --topic KEY, or “Default topic” on the upload "
    "form), or name one in the file ([tag:service=KEY], a services cell, a Moodle category or tag)"
)


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def gift_file(tmp_path, loaded_content):
    path = tmp_path / "my-bank.gift"
    path.write_text(GIFT)
    return path


def test_a_clean_gift_import_creates_the_bank_and_exits_zero(gift_file):
    status, out, _ = run("import_bank", str(gift_file), "--format", "gift")
    assert status == 0
    assert "bank my-bank: 2 were created, 0 were updated, 0 unchanged, 0 refused" in out
    bank = Bank.objects.get(slug="my-bank")
    assert bank.source == Bank.Source.IMPORT
    assert list(bank.questions.values_list("external_id", "type")) == [
        ("lambda-timeout", "single"),
        ("fargate-servers", "truefalse"),
    ]


def test_reimporting_the_same_file_updates_by_id_and_creates_no_duplicates(gift_file):
    run("import_bank", str(gift_file), "--bank", "mine")
    gift_file.write_text(GIFT.replace("The old limit.", "The limit before 2018."))
    status, out, _ = run("import_bank", str(gift_file), "--bank", "mine", "--report", "json")
    report = json.loads(out)
    assert status == 0
    assert (report["created"], report["updated"], report["unchanged"]) == (
        [],
        [{"id": "lambda-timeout", "line": 2}],
        [{"id": "fargate-servers", "line": 11}],
    )
    assert Question.objects.filter(bank__slug="mine").count() == 2
    question = Question.objects.get(external_id="lambda-timeout")
    assert question.revision == 2
    assert QuestionRevision.objects.filter(question=question).count() == 2  # history keeps revision 1


def test_an_import_keeps_the_questions_the_file_does_not_mention(gift_file, tmp_path):
    run("import_bank", str(gift_file), "--bank", "mine")
    smaller = tmp_path / "one.gift"
    smaller.write_text(GIFT.split("\n\n")[0])
    assert run("import_bank", str(smaller), "--bank", "mine")[0] == 0
    assert Question.objects.filter(bank__slug="mine", is_active=True).count() == 2


def test_a_dry_run_reports_and_writes_nothing(gift_file):
    status, out, _ = run("import_bank", str(gift_file), "--dry-run", "--report", "json")
    assert status == 0
    report = json.loads(out)
    assert report["dry_run"] is True and report["written"] is False
    assert [row["id"] for row in report["created"]] == ["lambda-timeout", "fargate-servers"]
    assert not Bank.objects.filter(slug="my-bank").exists()


def test_one_bad_question_refuses_the_whole_file_with_line_field_and_message(gift_file):
    gift_file.write_text(
        GIFT + "\n// [tag:service=lambda]\nName it. {=Lambda =AWS Lambda}\n\n::x::Pick. {=A#a ~B#b####E}\n"
    )
    status, out, err = run("import_bank", str(gift_file), "--report", "json")
    assert status == 1
    assert "2 problem(s): nothing was imported" in err
    assert json.loads(out)["refused"] == [
        {"line": 14, "field": "type", "message": "unsupported question type: short answer (only '=' answers)"},
        {
            "line": 16,
            "field": "services",
            "message": NO_TOPIC,
        },
    ]
    assert not Bank.objects.filter(slug="my-bank").exists()


def test_a_binary_file_gets_a_report_not_a_traceback(tmp_path, loaded_content):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    status, _, err = run("import_bank", str(path))
    assert status == 1
    assert "photo.csv:1: file: not UTF-8 text" in err


def test_the_text_report_names_the_file_and_line_of_every_problem(tmp_path, loaded_content):
    path = tmp_path / "bank.csv"
    path.write_text("id,stem\n")
    status, _, err = run("import_bank", str(path))
    assert status == 1
    assert f"{path}:1: header: missing column(s)" in err


def test_content_banks_cannot_be_overwritten_by_an_import(gift_file):
    status, _, err = run("import_bank", str(gift_file), "--bank", "clf-c02-compute")
    assert status == 1
    assert "loaded from content/banks/" in err


def test_the_owner_option_gives_the_new_bank_an_owner(gift_file, instructor):
    assert run("import_bank", str(gift_file), "--owner", instructor.username)[0] == 0
    stewardship = BankStewardship.objects.get(bank__slug="my-bank")
    assert (stewardship.owner, stewardship.status) == (instructor, "draft")


def test_an_unknown_format_or_missing_file_is_a_clear_error(tmp_path, loaded_content):
    assert "pass --format" in run("import_bank", str(tmp_path / "bank.docx"))[2]
    assert "cannot read" in run("import_bank", str(tmp_path / "missing.gift"))[2]


@pytest.mark.parametrize("fmt", ["yaml", "gift", "csv"])
def test_an_exported_bank_reimports_unchanged(gift_file, tmp_path, fmt):
    run("import_bank", str(gift_file), "--bank", "mine")
    exported = tmp_path / f"export.{fmt}"
    assert run("export_bank", "mine", "--format", fmt, "-o", str(exported))[0] == 0
    status, out, _ = run("import_bank", str(exported), "--format", fmt, "--bank", "mine", "--report", "json")
    report = json.loads(out)
    assert status == 0
    assert (len(report["created"]), len(report["updated"]), len(report["unchanged"])) == (0, 0, 2)


def test_export_writes_to_standard_output_and_refuses_an_unknown_bank(loaded_content):
    status, out, _ = run("export_bank", "clf-c02-compute", "--format", "gift")
    assert status == 0 and out.startswith("// clf-c02-compute: exported question bank")
    assert "no bank 'nope'" in run("export_bank", "nope", "--format", "csv")[2]


def test_the_cycle_collector_is_back_on_after_an_import_an_export_and_a_failed_write(gift_file):
    import gc

    from quizzes.authoring import importing

    def owner_lookup_fails(bank):
        raise RuntimeError("owner lookup failed")

    assert run("import_bank", str(gift_file), "--report", "json")[0] == 0
    assert gc.isenabled()
    assert run("export_bank", "my-bank", "--format", "yaml")[0] == 0
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        importing.run_import(gift_file.read_text(), "gift", bank_slug="other-bank", on_create=owner_lookup_fails)
    assert gc.isenabled()
    assert not Bank.objects.filter(slug="other-bank").exists()  # and the failed write left nothing behind
