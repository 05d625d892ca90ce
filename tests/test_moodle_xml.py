"""Moodle XML (quizzes.authoring.formats.moodlexml): reading Moodle's exports, refusing what the app cannot
represent or what is unsafe, and writing files that follow Moodle's schema and import back unchanged."""

import json
import xml.etree.ElementTree as ET
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.authoring import importing
from quizzes.authoring.formats import Parsed, moodlexml
from quizzes.models import Bank, Question

SERVICES = {"lambda": "lambda", "ec2": "ec2", "s3": "storage"}

# What Moodle 4's question bank writes (comments, CDATA, html format, empty feedback, category, tags).
MOODLE_EXPORT = """\
<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<!-- question: 0  -->
  <question type="category">
    <category>
      <text>$course$/top/Default for CLF-C02/S3</text>
    </category>
    <info format="html">
      <text></text>
    </info>
    <idnumber></idnumber>
  </question>

<!-- question: 101  -->
  <question type="multichoice">
    <name>
      <text>Cheapest storage class</text>
    </name>
    <questiontext format="html">
      <text><![CDATA[<p style="text-align: left;">Which class costs the <strong>least</strong>?<br></p>]]></text>
    </questiontext>
    <generalfeedback format="html">
      <text><![CDATA[<p>Deep Archive trades retrieval time for price.</p>]]></text>
    </generalfeedback>
    <defaultgrade>1.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
    <single>true</single>
    <shuffleanswers>true</shuffleanswers>
    <answernumbering>abc</answernumbering>
    <showstandardinstruction>0</showstandardinstruction>
    <correctfeedback format="html">
      <text>Your answer is correct.</text>
    </correctfeedback>
    <answer fraction="100" format="html">
      <text><![CDATA[<p>S3 Glacier Deep Archive</p>]]></text>
      <feedback format="html">
        <text><![CDATA[<p>Right: the lowest price per GB.</p>]]></text>
      </feedback>
    </answer>
    <answer fraction="0" format="html">
      <text>S3 Standard</text>
      <feedback format="html">
        <text></text>
      </feedback>
    </answer>
    <answer fraction="0" format="html">
      <text>S3 Standard-IA</text>
      <feedback format="html"><text></text></feedback>
    </answer>
    <answer fraction="0" format="html">
      <text>S3 One Zone-IA</text>
      <feedback format="html"><text></text></feedback>
    </answer>
  </question>

<!-- question: 102  -->
  <question type="multichoice">
    <name>
      <text>Compute services</text>
    </name>
    <questiontext format="html">
      <text>Which are compute services?</text>
    </questiontext>
    <generalfeedback format="html">
      <text></text>
    </generalfeedback>
    <idnumber>compute-pair</idnumber>
    <single>false</single>
    <answer fraction="50" format="html"><text>Amazon EC2</text><feedback format="html"><text></text></feedback></answer>
    <answer fraction="50" format="html"><text>AWS Lambda</text><feedback format="html"><text></text></feedback></answer>
    <answer fraction="-100" format="html"><text>Amazon S3</text><feedback><text></text></feedback></answer>
    <answer fraction="-100" format="html"><text>Amazon EBS</text><feedback><text></text></feedback></answer>
    <answer fraction="-100" format="html"><text>AWS IAM</text><feedback format="html"><text></text></feedback></answer>
    <tags>
      <tag><text>ec2</text></tag>
      <tag><text>week-3</text></tag>
    </tags>
  </question>

<!-- question: 103  -->
  <question type="truefalse">
    <name>
      <text>Lambda servers</text>
    </name>
    <questiontext format="html">
      <text>With Lambda you manage no servers.</text>
    </questiontext>
    <generalfeedback format="html">
      <text></text>
    </generalfeedback>
    <defaultgrade>1.0000000</defaultgrade>
    <penalty>1.0000000</penalty>
    <hidden>0</hidden>
    <answer fraction="0" format="moodle_auto_format">
      <text>false</text>
      <feedback format="html">
        <text>AWS runs them for you.</text>
      </feedback>
    </answer>
    <answer fraction="100" format="moodle_auto_format">
      <text>true</text>
      <feedback format="html">
        <text>Right: serverless.</text>
      </feedback>
    </answer>
    <tags>
      <tag><text>service=lambda</text></tag>
      <tag><text>difficulty=1</text></tag>
    </tags>
  </question>
</quiz>
"""


def parse(text: str) -> Parsed:
    return moodlexml.parse(text, SERVICES)


def quiz(*questions: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>\n"


def multichoice(answers: str, *, single: str = "true", extra: str = "") -> str:
    return (
        '<question type="multichoice"><name><text>Q</text></name>'
        f'<questiontext format="html"><text>Pick.</text></questiontext><single>{single}</single>{extra}'
        f"{answers}</question>"
    )


FOUR = "".join(
    f'<answer fraction="{fraction}"><text>{text}</text></answer>'
    for fraction, text in (("100", "A"), ("0", "B"), ("0", "C"), ("0", "D"))
)


# ---------------------------------------------------------------- reading Moodle's exports


def test_it_reads_a_single_answer_question_with_html_text_feedback_and_the_category():
    parsed = parse(MOODLE_EXPORT)
    assert parsed.issues == []
    entry = parsed.entries[0]
    assert entry.line == 15
    assert entry["id"] == "cheapest-storage-class"  # from the name: Moodle's idnumber is empty
    assert entry["type"] == "single"
    assert entry["stem"] == "<p>Which class costs the <strong>least</strong>?<br></p>"  # the style is dropped
    assert [(c["text"], c["correct"], c["why"]) for c in entry["choices"]] == [
        ("S3 Glacier Deep Archive", True, "Right: the lowest price per GB."),
        ("S3 Standard", False, ""),
        ("S3 Standard-IA", False, ""),
        ("S3 One Zone-IA", False, ""),
    ]
    assert entry["explanation"] == "Deep Archive trades retrieval time for price."
    assert entry.category == "$course$/top/Default for CLF-C02/S3"
    assert [c.line for c in entry["choices"]] == [36, 42, 48, 52]


def test_a_multiple_answer_question_is_right_on_its_positive_fractions_and_gets_the_select_phrase():
    parsed = parse(MOODLE_EXPORT)
    entry = parsed.entries[1]
    assert entry["id"] == "compute-pair"  # the idnumber wins over the name
    assert entry["type"] == "multiple"
    assert [c["correct"] for c in entry["choices"]] == [True, True, False, False, False]
    assert entry["stem"] == "Which are compute services? (Select TWO.)"
    assert entry["services"] == ["ec2"]  # a tag naming a topic key
    assert ("stem", "added '(Select TWO.)' to the stem") in [(w.field, w.message) for w in parsed.warnings]
    assert ("tags", "tag 'week-3' is not kept (not a topic key)") in [(w.field, w.message) for w in parsed.warnings]


def test_true_false_is_imported_as_moodle_has_it_whatever_the_answer_order():
    entry = parse(MOODLE_EXPORT).entries[2]
    assert entry["type"] == "truefalse"
    assert [(c["text"], c["correct"], c["why"]) for c in entry["choices"]] == [
        ("True", True, "Right: serverless."),
        ("False", False, "AWS runs them for you."),
    ]
    assert (entry["services"], entry["difficulty"]) == (["lambda"], 1)


def test_a_single_answer_with_partial_credit_counts_only_full_marks_as_right_and_warns():
    answers = FOUR.replace('fraction="0"><text>B', 'fraction="50"><text>B')
    parsed = parse(quiz(multichoice(answers)))
    assert [c["correct"] for c in parsed.entries[0]["choices"]] == [True, False, False, False]
    assert [w.message for w in parsed.warnings] == [
        "this answer gives partial credit (50 %): counted as wrong (a choice is right or wrong here)"
    ]


@pytest.mark.parametrize(
    ("text_format", "text", "stem"),
    [
        ("markdown", "A **bold** <b>tag</b>", "A **bold** <b>tag</b>"),
        ("plain_text", "2 * 3 < 7 & [x]", r"2 \* 3 < 7 & \[x\]"),
        ("plain_text", "<b>not a tag</b>", "&lt;b>not a tag&lt;/b>"),
        ("moodle_auto_format", "Plain words", "Plain words"),
        ("html", "<p>First</p><p>Second &amp; last</p>", "First\n\nSecond & last"),
    ],
)
def test_each_moodle_text_format_becomes_markdown_that_renders_as_moodle_shows_it(text_format, text, stem):
    question = (
        f'<question type="multichoice"><name><text>Q</text></name><questiontext format="{text_format}">'
        f"<text><![CDATA[{text}]]></text></questiontext>{FOUR}</question>"
    )
    assert parse(quiz(question)).entries[0]["stem"] == stem


def test_html_goes_through_the_same_sanitizer_as_every_markdown_field():
    question = (
        '<question type="multichoice"><name><text>Q</text></name><questiontext format="html"><text><![CDATA['
        '<p onclick="steal()">Pick <script>alert(1)</script><a href="javascript:x">one</a></p>'
        "]]></text></questiontext>"
        + FOUR.replace("<text>A</text>", "<text><![CDATA[<img src=x onerror=alert(1)>A]]></text>")
        + "</question>"
    )
    entry = parse(quiz(question)).entries[0]
    assert entry["stem"] == '<p>Pick <a rel="noopener noreferrer">one</a></p>'
    assert entry["choices"][0]["text"] == '<img src="x">A'


def test_embedded_images_are_reported_not_silently_lost():
    extra = '<file name="diagram.png" path="/" encoding="base64">iVBORw0KGgo=</file>'
    question = multichoice(FOUR).replace("<text>Pick.</text>", f"<text>Pick.</text>{extra}")
    parsed = parse(quiz(question))
    assert [w.message for w in parsed.warnings] == [
        "embedded files (images) are not imported: the question refers to missing files"
    ]


def test_questions_without_idnumber_or_with_the_same_name_get_distinct_ids():
    parsed = parse(quiz(multichoice(FOUR), multichoice(FOUR)))
    assert [e["id"] for e in parsed.entries] == ["q", "q-2"]
    assert [w.message for w in parsed.warnings] == ["another question has the id 'q': this one is 'q-2'"]


# ---------------------------------------------------------------- refusals: never dropped, never a crash


@pytest.mark.parametrize(
    ("qtype", "name"),
    [
        ("shortanswer", "short answer"),
        ("essay", "essay"),
        ("matching", "matching"),
        ("numerical", "numerical"),
        ("cloze", "cloze (embedded answers)"),
        ("multianswer", "cloze (embedded answers)"),
        ("description", "description (no answers)"),
        ("calculated", "calculated"),
        ("ddwtos", "drag and drop into text"),
        ("someplugin", "someplugin"),
    ],
)
def test_every_other_question_type_is_refused_with_its_name_and_line(qtype, name):
    other = f'<question type="{qtype}">\n<name><text>Other</text></name>\n</question>'
    parsed = parse(quiz(multichoice(FOUR), other))
    assert [(i.line, i.field, i.message) for i in parsed.issues] == [
        (4, "type", f'unsupported question type: {name} (type="{qtype}")')
    ]
    assert len(parsed.entries) == 1


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("just words", 1, "this is not XML: a Moodle XML file starts with <?xml … ?> and <quiz>"),
        ("<quiz>\n<question type='multichoice'>\n</quiz>", 3, "not well-formed XML: mismatched tag (line 3, column 3)"),
        ("<quiz>\n<question>&nbsp;</question></quiz>", 2, "not well-formed XML: undefined entity (line 2, column 11)"),
        (
            '<?xml version="1.0"?>\n<html><body/></html>',
            2,
            "the root element is <html>, not <quiz>: this is not a Moodle XML file",
        ),
        ("<quiz></quiz>", 1, "no questions found"),
        (quiz(multichoice("")), 3, "the question has no <answer>"),
        (quiz(multichoice('<answer fraction="all"><text>A</text></answer>')), 3, 'fraction="all" is not a number'),
    ],
)
def test_malformed_files_are_refused_with_the_line(text, line, message):
    issue = parse(text).issues[0]
    assert (issue.line, issue.message) == (line, message)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE quiz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<quiz><question type="multichoice"><questiontext><text>&lol9;</text></questiontext></question></quiz>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="multichoice"><questiontext><text>&secret;</text></questiontext></question></quiz>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_a_dtd_is_refused_before_any_entity_is_expanded_or_fetched(text):
    parsed = parse(text)
    assert parsed.entries == []
    assert [(i.line, i.field) for i in parsed.issues] == [(2, "file")]
    assert parsed.issues[0].message.startswith("a DOCTYPE (DTD) is not allowed")


def test_a_file_over_the_size_limit_is_refused_before_parsing():
    parsed = moodlexml.parse(quiz(multichoice(FOUR)) + " " * 2000, SERVICES, max_chars=1000)
    assert parsed.issues[0].message == "this file has 0.0 million characters; the limit is 0"
    assert parsed.entries == []


def test_a_file_of_endless_or_deeply_nested_elements_is_refused_before_it_fills_memory(monkeypatch):
    monkeypatch.setattr(moodlexml, "MAX_ELEMENTS", 50)
    parsed = parse(quiz("<a/>" * 60))
    assert parsed.entries == [] and parsed.issues[0].message.startswith("more than 50 XML elements")
    parsed = parse(quiz("<a>" * 40 + "</a>" * 40))
    assert parsed.entries == [] and "nested more than 32 levels" in parsed.issues[0].message


def test_a_difficulty_in_other_digits_is_refused_with_a_message_not_an_error(loaded_content):
    text = quiz(multichoice(FOUR, extra="<tags><tag><text>difficulty=²</text></tag></tags>"))
    assert parse(text).entries[0]["difficulty"] == "²"  # kept as text: int("²") would raise
    report = importing.run_import(text, "moodlexml", bank_slug="digits", dry_run=True, default_topic="s3")
    assert [issue.field for issue in report.refused] == ["difficulty"]


# ---------------------------------------------------------------- writing: Moodle's schema, exact round trip

ALLOWED_FRACTIONS = {
    100,
    90,
    83.33333,
    80,
    75,
    70,
    66.66667,
    60,
    50,
    40,
    33.33333,
    30,
    25,
    20,
    16.66667,
    14.28571,
    12.5,
    11.11111,
    10,
    5,
    0,
}
ALLOWED_FRACTIONS |= {-f for f in ALLOWED_FRACTIONS}


@pytest.mark.django_db
def test_the_export_follows_moodles_schema_with_valid_fractions(loaded_content):
    bank = Bank.objects.get(slug="clf-c02-compute")
    root = ET.fromstring(importing.export(bank, "moodlexml").encode())
    assert root.tag == "quiz"
    category, *questions = root.findall("question")
    assert category.get("type") == "category" and category.find("category/text").text.startswith("$course$/top/")
    assert len(questions) == Question.objects.filter(bank=bank, is_active=True).count() > 100
    types = set()
    for question in questions:
        qtype = question.get("type")
        types.add(qtype)
        assert qtype in ("multichoice", "truefalse")
        for path in ("name/text", "questiontext/text", "generalfeedback/text", "defaultgrade", "penalty", "hidden"):
            assert question.find(path) is not None, path
        assert question.find("questiontext").get("format") in ("html", "markdown", "plain_text", "moodle_auto_format")
        assert question.find("questiontext/text").text.strip()
        answers = question.findall("answer")
        fractions = [float(a.get("fraction")) for a in answers]
        assert all(any(abs(f - allowed) < 1e-5 for allowed in ALLOWED_FRACTIONS) for f in fractions), fractions
        for answer in answers:
            assert answer.find("text") is not None and answer.find("feedback/text") is not None
        if qtype == "truefalse":
            assert sorted(a.find("text").text for a in answers) == ["false", "true"]
            assert sorted(fractions) == [0, 100]
            continue
        single = question.find("single").text
        assert single in ("true", "false")
        assert question.find("shuffleanswers").text in ("true", "false")
        assert question.find("answernumbering").text == "abc"
        if single == "true":
            assert sorted(fractions)[-1] == 100 and fractions.count(100) == 1
        else:  # Moodle: the right answers' fractions sum to 100 %, the wrong ones are negative
            assert round(sum(f for f in fractions if f > 0), 2) == 100
            assert all(f < 0 for f in fractions if f <= 0)
            assert sum(f > 0 for f in fractions) >= 2
    assert "multichoice" in types  # the shipped banks have no true/false (the exam has none)


@pytest.mark.django_db
def test_every_question_of_the_real_bank_comes_back_unchanged_from_moodle_xml(loaded_content):
    bank = Bank.objects.get(slug="clf-c02-compute")
    original = importing.stored_questions(bank)
    parsed, questions = importing.parse(importing.export(bank, "moodlexml"), "moodlexml")
    assert parsed.issues == [] and parsed.warnings == []
    assert len(questions) == len(original) > 100
    for before, after in zip(original, questions, strict=True):
        before.line = after.line = None
        assert (after.external_id, after.content_hash()) == (before.external_id, _hash(before))


def _hash(data) -> str:
    from dataclasses import asdict

    from quizzes.study.banks import QuestionData

    return QuestionData(**asdict(data)).content_hash()


def test_awkward_text_survives_the_round_trip():
    from quizzes.study.banks import ChoiceData, QuestionData

    stem = "Line one\r\nwith ]]> and <b>tags</b> & \"quotes\" 'too'\n\n- a list (Select TWO.)"
    choices = [ChoiceData(text=f"Choice {n} & <i>x</i>", correct=n < 2, why="") for n in range(5)]
    question = QuestionData("odd-one", "multiple", stem, choices, "", ["lambda"], "cloud-concepts", 3, "lambda", "")
    text = moodlexml.dump("Title / with slash", "Desc\r\n", [question])
    entry = parse(text).entries[0]
    assert entry["stem"] == stem
    assert [c["text"] for c in entry["choices"]] == [c.text for c in choices]
    assert entry["explanation"] == "" and entry["services"] == ["lambda"]


# ---------------------------------------------------------------- commands


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_bank_reads_a_moodle_export_by_its_xml_suffix_and_export_bank_writes_it_back(tmp_path, loaded_content):
    path = tmp_path / "moodle-week-3.xml"
    path.write_text(MOODLE_EXPORT)
    status, out, _ = run("import_bank", str(path), "--report", "json")
    report = json.loads(out)
    assert status == 0, report
    assert report["format"] == "moodlexml"
    assert [row["id"] for row in report["created"]] == ["cheapest-storage-class", "compute-pair", "lambda-servers"]
    bank = Bank.objects.get(slug="moodle-week-3")
    cheapest = Question.objects.get(bank=bank, external_id="cheapest-storage-class")
    assert list(cheapest.services.values_list("key", flat=True)) == ["s3"]  # the category "…/S3" names the topic
    assert cheapest.choices.get(key=1).correct and cheapest.choices.get(key=2).why_md == ""

    exported = tmp_path / "back.xml"
    assert run("export_bank", "moodle-week-3", "--format", "moodlexml", "-o", str(exported))[0] == 0
    status, out, _ = run("import_bank", str(exported), "--bank", "moodle-week-3", "--report", "json")
    report = json.loads(out)
    assert status == 0 and (report["created"], report["updated"], len(report["unchanged"])) == ([], [], 3)


@pytest.mark.django_db
def test_one_unsupported_question_refuses_the_whole_moodle_file_and_writes_nothing(tmp_path, loaded_content):
    path = tmp_path / "mixed.xml"
    path.write_text(MOODLE_EXPORT.replace("</quiz>", '<question type="essay">\n</question>\n</quiz>'))
    status, out, err = run("import_bank", str(path), "--format", "moodlexml", "--report", "json")
    assert status == 1 and "1 problem(s): nothing was imported" in err
    assert json.loads(out)["refused"] == [
        {"line": 113, "field": "type", "message": 'unsupported question type: essay (type="essay")'}
    ]
    assert not Bank.objects.filter(slug="mixed").exists()


@pytest.mark.django_db
def test_a_billion_laughs_file_is_refused_by_the_command_with_nothing_written(tmp_path, loaded_content):
    path = tmp_path / "laughs.xml"
    path.write_text(BILLION_LAUGHS)
    status, _, err = run("import_bank", str(path))
    assert status == 1 and "laughs.xml:2: file: a DOCTYPE (DTD) is not allowed" in err
    assert not Bank.objects.filter(slug="laughs").exists()


@pytest.mark.django_db
def test_a_file_over_the_upload_limit_is_refused_by_the_command(tmp_path, loaded_content, settings):
    settings.AUTHOR_UPLOAD_MAX_BYTES = 1024
    path = tmp_path / "huge.xml"
    path.write_text(MOODLE_EXPORT)
    status, _, err = run("import_bank", str(path))
    assert status == 1
    assert "is 4 KB; the limit is 1 KB (setting AUTHOR_UPLOAD_MAX_BYTES)" in err
    assert not Bank.objects.filter(slug="huge").exists()


# ---------------------------------------------------------------- fuzzing: bad input is a report, never a crash


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(MOODLE_EXPORT) - 1), st.integers(0, 40), st.text(max_size=8))
def test_the_parser_survives_truncated_and_mutated_files(position, cut, insert):
    assert isinstance(parse(MOODLE_EXPORT[:position] + insert + MOODLE_EXPORT[position + cut :]), Parsed)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_the_whole_import_pipeline_turns_random_bytes_into_a_report(data):
    text, issue = importing.decode(b"<quiz>" + data)
    report = importing.run_import(text, "moodlexml", bank_slug="fuzz", dry_run=True, decode_issue=issue)
    assert report.written is False
