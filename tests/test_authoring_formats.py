"""GIFT, CSV and native YAML parsing, validation and export (quizzes.authoring.formats)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.authoring import importing
from quizzes.authoring.formats import Parsed, gift, spreadsheet
from quizzes.models import Bank

SERVICES = {"lambda": "lambda", "ecs": "ecs", "fargate": "fargate", "batch": "batch"}

ANSWERS = "{=A#a ~B#b ~C#c ~D#d ####E}\n"
SINGLE = """\
// [id:lambda-timeout] [tag:service=lambda] [tag:difficulty=3]
::Lambda timeout::[markdown]What is the **maximum** timeout of a Lambda function? {
=15 minutes#The documented maximum.
~5 minutes#The old limit.
~1 hour#Too long.
~1 day#Much too long.
####Lambda functions run for at most 15 minutes.
}
"""


def parse(text: str) -> Parsed:
    return gift.parse(text, SERVICES)


def only_entry(text: str):
    parsed = parse(text)
    assert parsed.issues == []
    assert len(parsed.entries) == 1
    return parsed.entries[0]


# ---------------------------------------------------------------- GIFT constructs


def test_gift_reads_a_multiple_choice_question_with_title_id_tags_feedback_and_general_feedback():
    entry = only_entry(SINGLE)
    assert entry["id"] == "lambda-timeout"
    assert entry["type"] == "single"
    assert entry["stem"] == "What is the **maximum** timeout of a Lambda function?"
    assert [(c["text"], c["correct"], c["why"]) for c in entry["choices"]] == [
        ("15 minutes", True, "The documented maximum."),
        ("5 minutes", False, "The old limit."),
        ("1 hour", False, "Too long."),
        ("1 day", False, "Much too long."),
    ]
    assert entry["explanation"] == "Lambda functions run for at most 15 minutes."
    assert entry["services"] == ["lambda"]
    assert entry["difficulty"] == 3
    assert entry.line == 2
    assert [c.line for c in entry["choices"]] == [3, 4, 5, 6]


def test_gift_reads_weights_as_a_multiple_response_question_and_adds_the_select_phrase():
    parsed = parse("// [tag:lambda]\nWhich two? {~%50%A#a ~%50%B#b ~%-100%C#c ~%-100%D#d ~%0%E#e ####Both.}")
    entry = parsed.entries[0]
    assert entry["type"] == "multiple"
    assert [c["correct"] for c in entry["choices"]] == [True, True, False, False, False]
    assert entry["stem"] == "Which two? (Select TWO.)"
    assert [w.message for w in parsed.warnings] == ["added '(Select TWO.)' to the stem"]


def test_gift_reads_a_single_positive_weight_as_a_single_answer_question():
    entry = only_entry("Q? {~%100%A#a ~B#b ~C#c ~D#d ####E.}")
    assert entry["type"] == "single"
    assert [c["correct"] for c in entry["choices"]] == [True, False, False, False]


@pytest.mark.parametrize(
    ("answer", "true_correct", "true_why", "false_why"),
    [
        ("T", True, "", ""),
        ("TRUE#No, it runs.#Yes, it runs.", True, "Yes, it runs.", "No, it runs."),
        ("F#No, it stops.#Right, it stops.", False, "No, it stops.", "Right, it stops."),
        ("FALSE", False, "", ""),
    ],
)
def test_gift_reads_true_false_with_feedback_for_the_wrong_and_the_right_answer(
    answer, true_correct, true_why, false_why
):
    entry = only_entry(f"Lambda scales to zero. {{{answer}####General.}}")
    assert entry["type"] == "truefalse"
    assert [(c["text"], c["correct"], c["why"]) for c in entry["choices"]] == [
        ("True", true_correct, true_why),
        ("False", not true_correct, false_why),
    ]


def test_gift_unescapes_every_special_character():
    entry = only_entry(r"Is a\~b \= c \# d \{e\} f\: g\\h\ni? {=yes\#1#why \= so ~no#x ~maybe#y ~never#z ####G}")
    assert entry["stem"] == "Is a~b = c # d {e} f: g\\h\ni?"
    assert entry["choices"][0]["text"] == "yes#1"
    assert entry["choices"][0]["why"] == "why = so"


def test_gift_skips_comments_and_uses_the_category_to_name_the_service():
    text = "// a comment\n$CATEGORY: $course$/top/ecs\n\n// another\n// [id:ecs-q]\nWhat is ECS? " + ANSWERS
    entry = only_entry(text)
    assert entry["id"] == "ecs-q"
    assert entry["services"] == ["ecs"]


def test_gift_warns_about_tags_it_cannot_keep():
    parsed = parse("// [tag:week-3]\nQ? {=A#a ~B#b ~C#c ~D#d ####E}")
    assert [(w.line, w.message) for w in parsed.warnings] == [(1, "tag 'week-3' is not kept (not a topic key)")]


@pytest.mark.parametrize(
    ("prefix", "stem"),
    [
        ("[markdown]", "A **bold** <b>tag</b>"),
        ("[plain]", r"A \*\*bold\*\* \<b\>tag\</b\>"),
        ("[moodle]", r"A \*\*bold\*\* \<b\>tag\</b\>"),
        ("", "A **bold** <b>tag</b>"),
    ],
)
def test_gift_format_prefixes_decide_how_text_becomes_markdown(prefix, stem):
    assert only_entry(f"{prefix}A **bold** <b>tag</b> {{=A#a ~B#b ~C#c ~D#d ####E}}")["stem"] == stem


def test_gift_html_questions_go_through_the_sanitizer():
    entry = only_entry(
        '[html]<p onclick="steal()">Pick <script>alert(1)</script><a href="javascript:x">one</a></p>'
        r"{=<b>A</b><img src\=x onerror\=alert(1)>#a ~B#b ~C#c ~D#d ####E}"
    )
    assert entry["stem"] == '<p>Pick <a rel="noopener noreferrer">one</a></p>'
    assert entry["choices"][0]["text"] == '<b>A</b><img src="x">'


def test_gift_ids_come_from_the_title_when_there_is_no_id_comment():
    assert only_entry("::Lambda Memory Max::Q? {=A#a ~B#b ~C#c ~D#d ####E}")["id"] == "lambda-memory-max"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Write about Lambda. {}", "unsupported question type: essay (empty answer block)"),
        ("Name the service. {=Lambda =AWS Lambda}", "unsupported question type: short answer (only '=' answers)"),
        ("How many minutes? {#15:0}", "unsupported question type: numerical ({#...})"),
        ("Match. {=Lambda -> functions =ECS -> containers}", "unsupported question type: matching (a -> b pairs)"),
        ("Lambda {~runs =scales ~sleeps} to zero.", "unsupported question type: missing word (text after the answers)"),
        ("This is only a description.", "unsupported question type: description (no answers)"),
    ],
)
def test_gift_reports_each_unsupported_type_with_its_line(text, message):
    parsed = parse(f"Q? {{=A#a ~B#b ~C#c ~D#d ####E}}\n\n// [id:x]\n{text}\n")
    assert [(issue.line, issue.field, issue.message) for issue in parsed.issues] == [(4, "type", message)]
    assert len(parsed.entries) == 1


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Q? {=A ~B\n\n\n", 1, "the '{' opened at line 1 is never closed"),
        ("Q? =A ~B}\n", 1, "'}' without an opening '{' (write \\} for a brace)"),
        ("Q? {=A {~B}}\n", 1, "'{' inside an answer block: write \\{ for a brace"),
        ("::Title Q? {=A ~B}\n", 1, "the title's '::' is never closed"),
        ("Q? {A =B ~C}\n", 1, "answers must start with '=' (right) or '~' (wrong)"),
        ("", 1, "no questions found"),
        ("ok\n" + "x" * 100_001, 2, "line 2 is longer than 100,000 characters"),
        ("Q? {=A\x00 ~B}", 1, "this is a binary file, not a text file"),
    ],
)
def test_gift_reports_malformed_files_with_the_line(text, line, message):
    parsed = parse(text)
    assert (parsed.issues[0].line, parsed.issues[0].message) == (line, message)


def test_gift_escape_and_unescape_are_inverse():
    text = "a~b=c#d{e}f:g\\h\nnew line \\n literal"
    assert gift.unescape(gift.escape(text)) == text


# ---------------------------------------------------------------- CSV

CSV_HEADER = (
    "id,type,stem,explanation,services,domain,difficulty,note,correct,"
    "choice_1,why_1,choice_2,why_2,choice_3,why_3,choice_4,why_4\n"
)
ROW = "q,single,S,E,lambda,,1,,{correct},A,a,B,b,C,c,D,d\n"


def test_csv_reads_documented_columns_with_multi_line_cells_and_row_lines():
    text = (
        CSV_HEADER
        + 'q-one,single,"Two\nlines",Because.,lambda ecs,,3,,2,A,a,B,b,C,c,D,d\n\n'
        + "q-two,truefalse,T?,E,batch,,,,1,True,t,False,f,,,,\n"
    )
    parsed = spreadsheet.parse(text, SERVICES)
    assert parsed.issues == []
    first, second = parsed.entries
    assert (first.line, first["stem"], first["services"], first["difficulty"]) == (
        2,
        "Two\nlines",
        ["lambda", "ecs"],
        3,
    )
    assert [c["correct"] for c in first["choices"]] == [False, True, False, False]
    assert (second.line, [c["text"] for c in second["choices"]]) == (5, ["True", "False"])


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (
            "id,stem\n",
            1,
            "header",
            "missing column(s) type, explanation, services, domain, difficulty, note, correct; no choice_1 column",
        ),
        (CSV_HEADER.strip() + ",colour\n", 1, "header", "unknown column(s) colour"),
        (CSV_HEADER + "q,single,S,E,lambda,,1,,1,A,a\n", 2, "row", "11 cells, but the header has 17 columns"),
        (CSV_HEADER + 'q,single,"S,E\n', 2, "row", "unreadable CSV: unexpected end of data"),
        (
            CSV_HEADER + ROW.format(correct="x"),
            2,
            "correct",
            "'correct' lists choice numbers, like 2 or 1 3",
        ),
        (
            CSV_HEADER + ROW.format(correct="9"),
            2,
            "correct",
            "'correct' names a choice number that has no choice",
        ),
    ],
)
def test_csv_reports_bad_files_with_line_and_field(text, line, field, message):
    issue = spreadsheet.parse(text, SERVICES).issues[0]
    assert (issue.line, issue.field, issue.message) == (line, field, message)


# ---------------------------------------------------------------- validation (all formats share the bank rules)


@pytest.mark.django_db
def test_gift_questions_are_validated_with_the_bank_rules_and_get_documented_defaults(loaded_content):
    parsed, questions = importing.parse(SINGLE + "\n// [tag:service=lambda]\n::Bad::Pick. {=A#a ~B#b ####E}\n", "gift")
    assert [(i.line, i.field, i.message) for i in parsed.issues] == [
        (
            11,
            "choices",
            "question 'bad': a single-answer question needs 4+ choices, exactly 1 correct",
        )
    ]
    (question,) = questions
    assert (question.domain, question.difficulty, question.note_slug) == ("cloud-technology", 3, "lambda")


@pytest.mark.django_db
def test_an_import_without_a_service_is_refused_with_its_line(loaded_content):
    parsed, questions = importing.parse("\n\nQ? {=A#a ~B#b ~C#c ~D#d ####E}", "gift")
    assert [(i.line, i.field) for i in parsed.issues] == [(3, "services")]
    assert questions == []


@pytest.mark.django_db
def test_duplicate_ids_in_one_gift_file_are_refused(loaded_content):
    parsed, _ = importing.parse(SINGLE + "\n" + SINGLE, "gift")
    assert [(i.line, i.message) for i in parsed.issues] == [
        (11, "duplicate question id 'lambda-timeout' (first at line 2)")
    ]


@pytest.mark.django_db
def test_yaml_errors_come_from_the_content_loader_with_line_and_field(loaded_content):
    text = "bank:\n  slug: b\n  title: B\nquestions:\n  - id: q\n    type: single\n    stem: S\n"
    parsed, _ = importing.parse(text, "yaml")
    assert [(i.line, i.field) for i in parsed.issues] == [(5, "choices")]


def test_a_file_that_is_not_utf8_gets_the_line_of_the_bad_byte():
    text, issue = importing.decode("line one\nline two é\n".encode("latin-1"))
    assert (text, issue.line, issue.field) == ("", 2, "file")


# ---------------------------------------------------------------- round trips


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["yaml", "gift", "csv"])
def test_export_then_import_gives_back_every_question_of_the_real_bank(loaded_content, fmt):
    bank = Bank.objects.get(slug="clf-c02-compute")
    original = importing.stored_questions(bank)
    parsed, questions = importing.parse(importing.export(bank, fmt), fmt)
    assert parsed.issues == [] and parsed.warnings == []
    assert len(questions) == len(original) > 100
    for before, after in zip(original, questions, strict=True):
        before.line = after.line = None
        assert (after.external_id, after.content_hash()) == (before.external_id, _hash(before))


def _hash(data) -> str:
    from dataclasses import asdict

    from quizzes.study.banks import QuestionData

    return QuestionData(**asdict(data)).content_hash()


# ---------------------------------------------------------------- fuzzing: bad input is a report, never a crash

ALPHABET = st.sampled_from(list("{}=~#%:\\/[]$-> \n\tabcTF0123456789.") + ["//", "::", "####", "$CATEGORY:", "[html]"])


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=80).map("".join))
def test_gift_parser_survives_random_gift_like_text(text):
    assert isinstance(parse(text), Parsed)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_gift_and_csv_parsers_survive_arbitrary_text(text):
    assert isinstance(gift.parse(text, SERVICES), Parsed)
    assert isinstance(spreadsheet.parse(text, SERVICES), Parsed)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(SINGLE) - 1), st.integers(min_value=0, max_value=40), st.text(max_size=5))
def test_gift_parser_survives_truncated_and_mutated_files(position, cut, insert):
    assert isinstance(parse(SINGLE[:position] + insert + SINGLE[position + cut :]), Parsed)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=200), st.text(max_size=5))
def test_csv_parser_survives_mutated_files(position, insert):
    text = CSV_HEADER + 'q,single,"S",E,lambda,,1,,1,A,a,B,b,C,c,D,d\n'
    assert isinstance(spreadsheet.parse(text[:position] + insert + text[position:], SERVICES), Parsed)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(["yaml", "gift", "csv"]), data=st.binary(max_size=200))
def test_the_whole_import_pipeline_turns_random_bytes_into_a_report(fmt, data):
    text, issue = importing.decode(data)
    report = importing.run_import(text, fmt, bank_slug="fuzz", dry_run=True, decode_issue=issue)
    assert report.written is False
