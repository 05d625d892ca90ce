"""The question editor and list on /author/<bank>/: validation next to fields, the choice editor without
JavaScript and with htmx, live preview, revisions on save, filters and search."""

import pytest
from django.urls import reverse
from django.utils import timezone

from quizzes.models import Question, QuestionMemory, QuestionRevision, ReviewLog
from tests.factories import FlagFactory, QuestionFactory, ServiceFactory, StewardshipFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def bank(client, instructor):
    ServiceFactory(key="lambda", name="AWS Lambda", note_slug="lambda")
    ServiceFactory(key="fargate", name="AWS Fargate", note_slug="fargate")
    client.force_login(instructor)
    return StewardshipFactory(owner=instructor, status="draft").bank


def single(**changes) -> dict:
    """A valid single-answer question as the editor posts it."""
    data = {
        "action": "save",
        "rows": "4",
        "external_id": "lambda-timeout",
        "type": "single",
        "stem": "What is the **maximum** timeout of a Lambda function?",
        "explanation": "Lambda stops a function after 15 minutes.",
        "services": ["lambda"],
        "domain": "cloud-technology",
        "difficulty": "2",
        "note": "",
    }
    for n, (text, why) in enumerate(
        [
            ("15 minutes", "The documented maximum."),
            ("5 minutes", "The old limit."),
            ("1 hour", "Too long."),
            ("1 day", "Much too long."),
        ],
        start=1,
    ):
        data.update({f"choice_{n}": text, f"why_{n}": why})
    data["correct_1"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def create_url(bank) -> str:
    return reverse("author:question_create", args=[bank.slug])


def test_saving_a_new_question_stores_it_rendered_with_its_first_revision(client, bank):
    response = client.post(create_url(bank), single())
    assert response.status_code == 302 and response.url == f"/author/{bank.slug}/"
    question = Question.objects.get(bank=bank, external_id="lambda-timeout")
    assert question.stem_html == "<p>What is the <strong>maximum</strong> timeout of a Lambda function?</p>"
    assert [(c.text, c.correct) for c in question.choices.all()][0] == ("15 minutes", True)
    assert question.note_slug == "lambda"  # empty note: the note of its first service
    assert list(question.revisions.values_list("number", flat=True)) == [1]


def test_editing_keeps_a_revision_and_learners_history_points_at_what_they_saw(client, bank, learner):
    client.post(create_url(bank), single())
    question = Question.objects.get(external_id="lambda-timeout")
    now = timezone.now()
    memory = QuestionMemory.objects.create(learner=learner, question=question, due=now)
    ReviewLog.objects.create(
        learner=learner,
        memory=memory,
        seq=0,
        revision=1,
        rating=3,
        shown=[1, 2, 3, 4],
        answer=[1],
        correct=True,
        response_ms=900,
        reviewed_at=now,
        before={},
        scheduled_due=now,
    )
    url = reverse("author:question_edit", args=[bank.slug, "lambda-timeout"])
    response = client.post(url, single(stem="What is the longest a Lambda function can run?", revision="1"))
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.revision == 2
    first, second = QuestionRevision.objects.filter(question=question).order_by("number")
    assert "maximum" in first.snapshot["stem_html"] and "longest" in second.snapshot["stem_html"]
    assert ReviewLog.objects.get().revision == 1


def test_saving_without_changes_makes_no_new_revision(client, bank):
    client.post(create_url(bank), single())
    url = reverse("author:question_edit", args=[bank.slug, "lambda-timeout"])
    client.post(url, single(revision="1"))
    assert Question.objects.get().revision == 1 and QuestionRevision.objects.count() == 1


def test_the_edit_page_shows_the_stored_question(client, bank):
    client.post(create_url(bank), single())
    body = client.get(reverse("author:question_edit", args=[bank.slug, "lambda-timeout"])).content.decode()
    assert "What is the **maximum** timeout" in body and 'value="15 minutes"' in body
    assert "<strong>maximum</strong>" in body  # the preview, rendered by the notes' pipeline


def test_an_edit_based_on_an_old_revision_is_refused_and_loses_nothing(client, bank):
    client.post(create_url(bank), single())
    url = reverse("author:question_edit", args=[bank.slug, "lambda-timeout"])
    client.post(url, single(stem="Someone else's edit?", revision="1"))
    response = client.post(url, single(stem="My late edit?", revision="1"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone saved this question (revision 2) after you opened it (revision 1)" in body
    assert "My late edit?" in body
    assert Question.objects.get().stem_md == "Someone else's edit?"


def test_a_tampered_revision_is_a_400(client, bank):
    client.post(create_url(bank), single())
    url = reverse("author:question_edit", args=[bank.slug, "lambda-timeout"])
    assert client.post(url, single(revision="abc")).status_code == 400


def test_a_new_question_cannot_take_an_existing_id(client, bank):
    client.post(create_url(bank), single())
    response = client.post(create_url(bank), single(stem="Another?"))
    assert "Another question in this bank has this id" in response.content.decode()
    assert Question.objects.count() == 1


# ---------------------------------------------------------------- validation next to the fields


def errors_of(response) -> str:
    assert response.status_code == 422
    return response.content.decode()


def test_a_single_answer_question_needs_exactly_one_correct_choice(client, bank):
    body = errors_of(client.post(create_url(bank), single(correct_2="on")))
    assert "A single-answer question needs exactly one correct choice (2 marked)." in body
    assert 'aria-describedby="choices-help choices-error"' in body
    assert not Question.objects.exists()


def test_a_multiple_response_question_needs_two_correct_and_says_select_n(client, bank):
    data = single(type="multiple", rows="5", choice_5="2 hours", why_5="Too long.")
    body = errors_of(client.post(create_url(bank), data))
    assert "A multiple-response question needs at least two correct choices (1 marked)." in body
    data["correct_2"] = "on"
    body = errors_of(client.post(create_url(bank), data))
    assert "2 choices are correct: end the question with “(Select TWO.)”." in body
    assert 'id="id_stem_error"' in body and 'aria-describedby="id_stem_error"' in body
    data["stem"] = "Which are timeouts Lambda allows? (Select TWO.)"
    assert client.post(create_url(bank), data).status_code == 302


def test_a_question_needs_at_least_two_choices(client, bank):
    data = single()
    for n in (2, 3, 4):
        data.update({f"choice_{n}": "", f"why_{n}": ""})
    assert "Add at least two choices." in errors_of(client.post(create_url(bank), data))


def test_two_choices_with_the_same_text_are_refused_on_the_second(client, bank):
    body = errors_of(client.post(create_url(bank), single(choice_3="15 Minutes")))
    assert "Two choices have this text: make each choice different." in body
    assert 'aria-describedby="id_choice_3_error"' in body


def test_the_explanation_and_every_choice_explanation_are_required(client, bank):
    body = errors_of(client.post(create_url(bank), single(explanation="  ", why_2="")))
    assert "Write the explanation: it is required." in body
    assert "Say why this choice is right or wrong." in body
    assert 'aria-describedby="id_why_2_error"' in body


def test_a_bad_note_or_unknown_service_is_reported_without_a_500(client, bank):
    body = errors_of(client.post(create_url(bank), single(note="no-such-note")))
    assert "no note with slug &#x27;no-such-note&#x27;" in body
    body = errors_of(client.post(create_url(bank), single(services=["warp-drive"])))
    assert "Select a valid choice" in body


# ---------------------------------------------------------------- the choice editor


def rows_of(body: str) -> list[tuple[str, bool]]:
    """(choice text, marked correct) for each row of the editor, in order."""
    import re

    texts = re.findall(r'<input type="text" name="choice_\d+" value="([^"]*)"', body)
    marks = re.findall(r'<input type="checkbox" name="correct_\d+" id="id_correct_\d+"( checked)?>', body)
    return list(zip(texts, [bool(mark) for mark in marks], strict=True))


FOUR = [("15 minutes", True), ("5 minutes", False), ("1 hour", False), ("1 day", False)]


def test_add_remove_and_move_rows_work_without_javascript(client, bank):
    url = create_url(bank)
    body = client.post(url, single(action="add")).content.decode()
    assert 'name="choice_5"' in body and 'name="rows" value="5"' in body
    assert "<html" in body and "This question cannot be saved" not in body  # a row move is not a save
    body = client.post(url, single(action="up-2")).content.decode()
    assert rows_of(body) == [FOUR[1], FOUR[0], FOUR[2], FOUR[3]]
    body = client.post(url, single(action="remove-1")).content.decode()
    assert rows_of(body) == FOUR[1:] and 'name="rows" value="3"' in body
    assert not Question.objects.exists()


def test_moving_a_row_carries_its_correct_mark_and_explanation_and_focus(client, bank):
    body = client.post(create_url(bank), single(action="down-1")).content.decode()
    assert rows_of(body) == [FOUR[1], FOUR[0], FOUR[2], FOUR[3]]
    assert body.index("The old limit.") < body.index("The documented maximum.")
    assert '<input type="text" name="choice_2" value="15 minutes" maxlength="1000" autofocus' in body


def test_the_choice_editor_swaps_only_the_form_with_htmx(client, bank):
    response = client.post(create_url(bank), single(action="add"), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<form id="question-form"') and "<html" not in body
    assert 'name="choice_5"' in body and "autofocus" in body


def test_validation_errors_come_back_as_a_swappable_fragment_with_htmx(client, bank):
    response = client.post(create_url(bank), single(correct_2="on"), headers=HTMX)
    assert response.status_code == 200  # htmx swaps 2xx only
    assert "exactly one correct choice" in response.content.decode() and "<html" not in response.content.decode()


def test_saving_with_htmx_redirects_the_browser(client, bank):
    response = client.post(create_url(bank), single(), headers=HTMX)
    assert response.headers["HX-Redirect"] == f"/author/{bank.slug}/"


def test_rows_stay_within_the_limits_and_tampered_input_is_a_400(client, bank):
    body = client.post(create_url(bank), single(action="remove-1", rows="2")).content.decode()
    assert 'name="rows" value="2"' in body  # never below two rows
    assert client.post(create_url(bank), single(rows="many")).status_code == 400
    assert client.post(create_url(bank), single(action="explode-1")).status_code == 400


def test_the_live_preview_renders_through_the_sanitizing_pipeline(client, bank):
    url = reverse("author:preview", args=[bank.slug])
    response = client.post(
        url, {"field": "stem", "stem": "**Bold** <script>alert(1)</script> [x](javascript:alert(1))"}
    )
    body = response.content.decode()
    assert '<div id="preview-stem"' in body and "<strong>Bold</strong>" in body
    assert "<script>" not in body and "javascript:" not in body
    assert client.post(url, {"field": "owner", "owner": "x"}).status_code == 400


def test_the_preview_button_works_without_javascript(client, bank):
    body = client.post(create_url(bank), single(action="preview", explanation="Use *this*")).content.decode()
    assert "<em>this</em>" in body and "<html" in body
    assert not Question.objects.exists()


def test_the_text_areas_post_the_preview_as_you_type(client, bank):
    body = client.get(create_url(bank)).content.decode()
    assert f'data-hx-post="/author/{bank.slug}/preview/"' in body
    assert 'data-hx-trigger="input changed delay:300ms"' in body


# ---------------------------------------------------------------- the list


@pytest.fixture
def questions(bank):
    lambda_service, fargate = ServiceFactory(key="lambda"), ServiceFactory(key="fargate")
    a = QuestionFactory(
        bank=bank,
        external_id="cold-starts",
        stem_md="What causes cold starts?",
        services=[lambda_service],
        difficulty=1,
    )
    b = QuestionFactory(
        bank=bank,
        external_id="fargate-pricing",
        stem_md="How is Fargate billed?",
        services=[fargate],
        difficulty=3,
        type="multiple",
        domain="billing-pricing",
    )
    c = QuestionFactory(
        bank=bank,
        external_id="lambda-truth",
        stem_md="Lambda is serverless.",
        services=[lambda_service],
        type="truefalse",
        difficulty=2,
    )
    FlagFactory(question=b)
    QuestionFactory(external_id="elsewhere", stem_md="Cold starts elsewhere?")  # another bank
    return a, b, c


def listed(client, bank, query: str = "") -> list[str]:
    import re

    body = client.get(f"/author/{bank.slug}/{query}").content.decode()
    return re.findall(r'/questions/([a-z0-9-]+)/">', body)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["cold-starts", "fargate-pricing", "lambda-truth"]),
        ("?service=lambda", ["cold-starts", "lambda-truth"]),
        ("?domain=billing-pricing", ["fargate-pricing"]),
        ("?type=truefalse", ["lambda-truth"]),
        ("?difficulty=3", ["fargate-pricing"]),
        ("?flagged=on", ["fargate-pricing"]),
        ("?q=cold", ["cold-starts"]),
        ("?q=FARGATE-PRI", ["fargate-pricing"]),
        ("?service=lambda&difficulty=1", ["cold-starts"]),
    ],
)
def test_the_question_list_filters_and_searches(client, bank, questions, query, expected):
    assert listed(client, bank, query) == expected


def test_the_filtered_list_swaps_with_htmx(client, bank, questions):
    body = client.get(f"/author/{bank.slug}/?service=fargate", headers=HTMX).content.decode()
    assert body.lstrip().startswith('<div id="question-list"') and "fargate-pricing" in body
    assert "cold-starts" not in body


def test_the_question_list_is_paginated_in_a_fixed_number_of_queries(client, bank, django_assert_max_num_queries):
    lambda_service = ServiceFactory(key="lambda")
    for n in range(60):
        question = QuestionFactory(bank=bank, external_id=f"q-{n}")
        question.services.set([lambda_service])
        FlagFactory(question=question)
    with django_assert_max_num_queries(9):
        response = client.get(f"/author/{bank.slug}/?service=lambda&flagged=on")
    body = response.content.decode()
    assert "60 questions match" in body and "Page 1 of 2" in body


def test_only_problematic_lists_the_questions_the_item_statistics_flag(client, bank):
    from quizzes.itemstats.models import ChoiceTally, QuestionTally

    hard = QuestionFactory(bank=bank, external_id="too-hard")
    fine = QuestionFactory(bank=bank, external_id="just-right")
    QuestionFactory(bank=bank, external_id="never-answered")
    for question, correct in ((hard, 2), (fine, 20)):
        QuestionTally.objects.create(question=question, source="study", revision=1, attempts=40, correct=correct)
        for key in (1, 2, 3, 4):
            ChoiceTally.objects.create(question=question, revision=1, key=key, picks=10)
    assert listed(client, bank, "?problematic=on") == ["too-hard"]
    assert listed(client, bank, "") == ["too-hard", "just-right", "never-answered"]
