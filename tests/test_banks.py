"""Question banks: the content in content/banks/ is valid and complete, and the loader is strict and idempotent."""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from quizzes.models import Bank, Choice, Question, QuestionMemory, QuestionRevision, Service
from quizzes.study.bank_writing import load_banks
from quizzes.study.banks import References, parse_bank_text
from studyapp.notes.models import Note

pytestmark = pytest.mark.django_db
CONTENT = Path(__file__).resolve().parent.parent / "content"
REFS = References(services={"lambda", "ecs", "batch"}, notes={"lambda-configuration": {"timeout"}, "ecs": set()})

QUESTION = """\
bank:
  slug: tiny
  title: Tiny bank
  description: For tests.
questions:
  - id: lambda-timeout
    type: single
    stem: |
      How long can one Lambda invocation run at most?
    choices:
      - text: 15 minutes
        correct: true
        why: The maximum timeout is 900 seconds.
      - text: 5 minutes
        correct: false
        why: That was the limit before 2018.
      - text: 1 hour
        correct: false
        why: Too long.
      - text: 24 hours
        correct: false
        why: Far too long; that is AWS Batch territory.
    explanation: Lambda functions time out after at most **15 minutes**.
    services: [lambda]
    domain: cloud-technology
    difficulty: 1
    note: lambda-configuration#timeout
"""


@pytest.fixture
def content(tmp_path) -> Path:
    """A private copy of content/ that a test may change."""
    return Path(shutil.copytree(CONTENT, tmp_path / "content"))


@pytest.fixture
def loaded():
    call_command("load_content", verbosity=0)


def test_the_content_banks_load_with_at_least_150_questions_and_30_percent_multiple_response(loaded):
    questions = Question.objects.active()
    assert questions.count() >= 150
    assert questions.filter(type="multiple").count() / questions.count() >= 0.30
    assert Bank.objects.get(slug="clf-c02-compute").questions.count() >= 150


def test_every_domain_has_enough_questions_for_ten_full_simulations(loaded):
    """A full simulation draws 65 questions by the exam's weights (24 %, 30 %, 34 %, 12 %): ten of them without a
    repeat need about 156, 195, 221 and 78 questions in the four domains."""
    counts = dict(Question.objects.active().values_list("domain").annotate(n=Count("pk")).order_by())
    assert counts["cloud-concepts"] >= 170
    assert counts["security-compliance"] >= 210
    assert counts["billing-pricing"] >= 85
    assert counts["cloud-technology"] >= 240  # part 2: domain 3 beyond compute, the compute chapter included
    assert sum(counts.values()) >= 700
    assert not Question.objects.active().filter(bank__source=Bank.Source.CONTENT, type="truefalse").exists()
    new_banks = Question.objects.active().filter(
        bank__slug__in=["clf-c02-cloud-concepts", "clf-c02-security", "clf-c02-billing"]
    )
    assert new_banks.filter(type="truefalse").count() == 0
    assert new_banks.filter(type="multiple").count() / new_banks.count() >= 0.30


def test_every_core_service_and_every_note_has_questions(loaded):
    for service in Service.objects.core():
        assert service.questions.exists(), f"no question covers {service.key}"
    for note in Note.objects.all():
        assert Question.objects.filter(note_slug=note.slug).exists(), f"no question points to note {note.slug}"


def test_every_note_link_of_every_question_resolves(loaded, client):
    notes = {note.slug: note for note in Note.objects.all()}
    for question in Question.objects.all():
        assert question.note_slug in notes, question.external_id
        if question.note_anchor:
            assert f'id="{question.note_anchor}"' in notes[question.note_slug].body_html, question.external_id
    for slug in {q.note_slug for q in Question.objects.all()}:
        assert client.get(f"/notes/{slug}/").status_code == 200


def test_every_question_keeps_the_exam_rules(loaded):
    for question in Question.objects.prefetch_related("choices"):
        choices = list(question.choices.all())
        correct = sum(c.correct for c in choices)
        assert all(c.why_html for c in choices) and question.explanation_html
        if question.type == "single":
            assert len(choices) >= 4 and correct == 1
        elif question.type == "multiple":
            assert len(choices) >= 5 and correct >= 2 and "(Select " in question.stem_md
        else:
            assert [c.text for c in choices] == ["True", "False"] and correct == 1
        assert not any("of the above" in c.text.lower() for c in choices)


def test_loading_twice_changes_nothing(loaded):
    revisions = QuestionRevision.objects.count()
    counts = load_banks(CONTENT)
    assert not any(counts.values()), counts
    assert QuestionRevision.objects.count() == revisions


def test_a_bank_file_parses_into_validated_questions_with_lines():
    parsed = parse_bank_text(QUESTION, "tiny.yaml", REFS)
    assert parsed.errors == []
    question = parsed.questions[0]
    assert (question.external_id, question.line, question.note_slug, question.note_anchor) == (
        "lambda-timeout",
        6,
        "lambda-configuration",
        "timeout",
    )
    assert [c.correct for c in question.choices] == [True, False, False, False]


BROKEN = [
    ("    type: single", "    type: essay", "'type' must be one of"),
    (
        "        correct: false\n        why: That was",
        "        correct: true\n        why: That was",
        "exactly 1 correct",
    ),
    ("    services: [lambda]", "    services: [lambda, eks]", "unknown service key(s) eks"),
    ("    note: lambda-configuration#timeout", "    note: no-such-note", "no note with slug 'no-such-note'"),
    ("    note: lambda-configuration#timeout", "    note: lambda-configuration#memory", "no heading with anchor"),
    ("    difficulty: 1", "    difficulty: 5", "'difficulty' must be 1, 2 or 3"),
    ("    domain: cloud-technology", "    domain: cloud-technology\n    explaination: oops", "unknown field(s)"),
    ("      - text: 24 hours", "      - text: All of the above", "no 'all/none of the above'"),
    ("        why: Too long.", "        why: ''", "needs 'why'"),
    ("  - id: lambda-timeout", "  - id: Lambda Timeout", "lowercase-with-dashes"),
    ("    explanation: Lambda", "    explanation: [Lambda", "invalid YAML"),
]


@pytest.mark.parametrize("old, new, reason", BROKEN, ids=[b[2] for b in BROKEN])
def test_a_broken_question_is_refused_with_its_line_and_reason(old, new, reason):
    assert old in QUESTION
    parsed = parse_bank_text(QUESTION.replace(old, new, 1), "tiny.yaml", REFS)
    assert parsed.errors, reason
    error = parsed.errors[0]
    assert reason in error.reason
    assert error.line is not None and str(error).startswith("tiny.yaml:")


def test_a_multiple_response_stem_must_say_how_many_to_select():
    text = (
        QUESTION.replace("type: single", "type: multiple")
        .replace("        correct: false\n        why: That was", "        correct: true\n        why: That was")
        .replace(
            "      - text: 24 hours",
            "      - text: 2 hours\n        correct: false\n        why: No.\n      - text: 24 hours",
        )
    )
    parsed = parse_bank_text(text, "tiny.yaml", REFS)
    assert "must end with '(Select TWO.)'" in parsed.errors[0].reason
    fixed = text.replace("run at most?", "run at most? (Select TWO.)")
    assert parse_bank_text(fixed, "tiny.yaml", REFS).errors == []


def test_a_true_false_question_needs_quoted_true_and_false():
    text = QUESTION.replace("type: single", "type: truefalse")
    start = text.index("    choices:")
    end = text.index("    explanation:")
    choices = (
        "    choices:\n      - text: True\n        correct: true\n        why: Yes.\n"
        "      - text: False\n        correct: false\n        why: No.\n"
    )
    parsed = parse_bank_text(text[:start] + choices + text[end:], "tiny.yaml", REFS)
    assert 'must be quoted ("True", "False")' in parsed.errors[0].reason


def test_the_parser_reports_every_broken_question_not_only_the_first():
    second = QUESTION.split("questions:\n")[1].replace("lambda-timeout", "second").replace("[lambda]", "[nope]")
    text = QUESTION.replace("difficulty: 1", "difficulty: 9") + second
    parsed = parse_bank_text(text, "tiny.yaml", REFS)
    assert len(parsed.errors) == 2


def test_a_bad_bank_file_stops_load_content_and_changes_nothing(content, loaded):
    path = content / "banks" / "compute-serverless.yaml"
    path.write_text(path.read_text().replace("difficulty: 1", "difficulty: 7", 1))
    before = Question.objects.count(), QuestionRevision.objects.count()
    with pytest.raises(
        CommandError, match=r"compute-serverless.yaml:\d+: question '.+': 'difficulty' must be 1, 2 or 3"
    ):
        call_command("load_content", dir=str(content), verbosity=0)
    assert (Question.objects.count(), QuestionRevision.objects.count()) == before


def test_an_edited_question_gets_a_new_revision_and_keeps_the_old_one(content, loaded):
    question = Question.objects.get(external_id="docker-works-everywhere")
    path = content / "banks" / "compute-containers.yaml"
    path.write_text(path.read_text().replace("fails on the test\n      servers", "breaks on the test\n      servers"))
    counts = load_banks(content)
    assert counts["questions updated"] == 1 and counts["questions created"] == 0
    question.refresh_from_db()
    assert question.revision == 2 and "breaks on the test" in question.stem_html
    old = QuestionRevision.objects.get(question=question, number=1)
    assert "fails on the test" in old.snapshot["stem_html"]


def test_a_removed_question_is_retired_if_studied_and_deleted_if_not(content, loaded, learner):
    studied = Question.objects.get(external_id="docker-works-everywhere")
    QuestionMemory.objects.create(learner=learner, question=studied, due=studied.revisions.get().created_at)
    path = content / "banks" / "compute-containers.yaml"
    text = path.read_text()
    for qid in ("docker-works-everywhere", "docker-containers-vs-vms-kernel"):
        start = text.index(f"  - id: {qid}\n")
        end = text.index("  - id: ", start + 10)
        text = text[:start] + text[end:]
    path.write_text(text)
    counts = load_banks(content)
    assert (counts["questions retired"], counts["questions removed"]) == (1, 1)
    studied.refresh_from_db()
    assert studied.is_active is False
    assert not Question.objects.filter(external_id="docker-containers-vs-vms-kernel").exists()
    assert Choice.objects.filter(question=studied).exists()  # history still has its question


def test_two_files_may_not_reuse_a_question_id_in_one_bank(content, loaded):
    path = content / "banks" / "compute-serverless.yaml"
    path.write_text(path.read_text().replace("  - id: serverless-meaning", "  - id: docker-works-everywhere", 1))
    with pytest.raises(CommandError, match="already used in bank 'clf-c02-compute'"):
        call_command("load_content", dir=str(content), verbosity=0)


def test_in_the_shipped_banks_the_right_option_is_rarely_the_longest(loaded):
    """A test-wise learner picks the longest option: in at most 35 % of single-answer questions may it be right."""
    singles = Question.objects.filter(bank__source=Bank.Source.CONTENT, type="single").prefetch_related("choices")
    longest_right = 0
    for question in singles:
        choices = list(question.choices.all())
        longest = max(len(choice.text) for choice in choices)
        longest_right += any(choice.correct and len(choice.text) == longest for choice in choices)
    assert singles.count() > 200
    assert longest_right / singles.count() <= 0.35


# ---------------------------------------------------------------- item craft of the shipped banks


def _single(number: int, *, right: str, wrong: tuple[str, str, str]) -> str:
    options = [(right, "true")] + [(text, "false") for text in wrong]
    choices = "".join(
        f"      - text: {text}\n        correct: {flag}\n        why: Because.\n" for text, flag in options
    )
    return (
        f"  - id: craft-single-{number}\n    type: single\n    stem: Which limit applies to question {number}?\n"
        f"    choices:\n{choices}    explanation: See the note.\n    services: [lambda]\n"
        "    domain: cloud-technology\n    difficulty: 1\n    note: lambda-configuration#timeout\n"
    )


def _multiple(number: int, correct: int = 2) -> str:
    texts = ["900 seconds", "10,240 MB", "6 MB", "1,000", "15 seconds", "3 hours"]
    words = {2: "TWO", 3: "THREE", 4: "FOUR"}
    choices = "".join(
        f"      - text: {text}\n        correct: {'true' if i < correct else 'false'}\n        why: Because.\n"
        for i, text in enumerate(texts)
    )
    return (
        f"  - id: craft-multiple-{number}\n    type: multiple\n"
        f"    stem: Which are Lambda limits? (Select {words[correct]}.)\n"
        f"    choices:\n{choices}    explanation: See the note.\n    services: [lambda]\n"
        "    domain: cloud-technology\n    difficulty: 2\n    note: lambda-configuration#timeout\n"
    )


def _craft_bank(content: Path, questions: list[str]) -> Path:
    path = content / "banks" / "zz-craft.yaml"
    path.write_text("bank:\n  slug: craft\n  title: Craft\n  description: Test.\nquestions:\n" + "".join(questions))
    return path


def test_a_shipped_true_false_question_stops_the_load(content):
    true_false = (
        "  - id: craft-tf\n    type: truefalse\n    stem: Lambda runs for 15 minutes at most.\n    choices:\n"
        '      - text: "True"\n        correct: true\n        why: Yes.\n'
        '      - text: "False"\n        correct: false\n        why: No.\n'
        "    explanation: See.\n    services: [lambda]\n    domain: cloud-technology\n    difficulty: 1\n"
        "    note: lambda-configuration#timeout\n"
    )
    path = _craft_bank(content, [_multiple(1), _multiple(2), true_false])
    with pytest.raises(CommandError) as error:
        call_command("load_content", dir=str(content), verbosity=0)
    line = path.read_text().splitlines().index("  - id: craft-tf") + 1
    assert f"zz-craft.yaml:{line}: question 'craft-tf': the real exam has no true/false" in str(error.value)
    assert "Nothing was loaded" in str(error.value)


def test_a_shipped_multiple_response_question_has_two_or_three_right_options(content):
    _craft_bank(content, [_multiple(1), _multiple(2, correct=4)])
    with pytest.raises(
        CommandError, match="question 'craft-multiple-2': a multiple-response question has two or three"
    ):
        call_command("load_content", dir=str(content), verbosity=0)


def test_a_shipped_bank_with_too_few_multiple_response_questions_stops_the_load(content):
    wrong = ("five whole minutes", "one hour or more", "twenty-four hours")
    _craft_bank(content, [_single(n, right="15 minutes", wrong=wrong) for n in range(4)])
    with pytest.raises(CommandError, match="bank 'craft': 0 % of its questions are multiple response"):
        call_command("load_content", dir=str(content), verbosity=0)


def test_a_shipped_bank_where_the_longest_option_is_usually_right_stops_the_load(content):
    right = "15 minutes, set with the function timeout"
    questions = [_multiple(1), _multiple(2)] + [
        _single(n, right=right, wrong=("5 min", "1 h", "3 s")) for n in range(3)
    ]
    _craft_bank(content, questions)
    with pytest.raises(CommandError, match="bank 'craft': the right option is the longest in 100 % of single-answer"):
        call_command("load_content", dir=str(content), verbosity=0)


def test_a_shipped_bank_within_the_item_craft_rules_loads(content):
    wrong = ("five whole minutes", "one hour or more", "twenty-four hours")
    questions = [_multiple(1), _multiple(2)] + [_single(n, right="15 minutes", wrong=wrong) for n in range(3)]
    _craft_bank(content, questions)
    call_command("load_content", dir=str(content), verbosity=0)
    assert Question.objects.filter(bank__slug="craft").count() == 5
