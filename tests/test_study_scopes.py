"""Study scopes beyond one topic: a bank, several topics, a bank narrowed to topics or a category, and the class
assignment links that start them. Every session is studied to its end through the real forms, with and without
htmx, so the scope must travel through answer, rate and the next question."""

import html
import re
from urllib.parse import urlencode

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quizzes.models import Bank, Category, LearnerSettings
from quizzes.study.session import MAX_TOPICS
from tests.factories import (
    AssignmentFactory,
    BankFactory,
    ClassroomFactory,
    MembershipFactory,
    QuestionFactory,
    ServiceFactory,
    StewardshipFactory,
)
from tests.studying import page

pytestmark = pytest.mark.django_db
MAX_QUERIES = 8
HIDDEN = re.compile(r'<input type="hidden" name="([a-z]+)" value="([^"]*)">')
HTMX = {"HX-Request": "true"}


@pytest.fixture
def catalogue():
    """Two banks (and a draft and an archived instructor bank) over three topics, two of them in one category."""
    compute = Category.objects.create(key="compute", name="Compute", order=1)
    lambda_ = ServiceFactory(key="lambda", name="AWS Lambda", category=compute)
    ecs = ServiceFactory(key="ecs", name="Amazon ECS", category=compute)
    s3 = ServiceFactory(key="s3", name="Amazon S3")
    basics = BankFactory(slug="aws-basics", title="AWS basics")
    other = BankFactory(slug="other-bank", title="Other bank")
    QuestionFactory(bank=basics, services=[lambda_], stem_md="Basics Lambda", position=1)
    QuestionFactory(bank=basics, services=[ecs], stem_md="Basics ECS", position=2)
    QuestionFactory(bank=basics, services=[s3], stem_md="Basics S3", position=3)
    QuestionFactory(bank=other, services=[lambda_], stem_md="Other Lambda", position=4)
    QuestionFactory(bank=other, services=[s3], stem_md="Other S3", position=5)
    for status in ("draft", "archived"):
        hidden = StewardshipFactory(status=status, bank__slug=f"{status}-bank").bank
        QuestionFactory(bank=hidden, services=[lambda_], stem_md=f"Hidden {status} Lambda", position=6)


@pytest.fixture
def client_for(client, learner):
    client.force_login(learner)
    return client


def _form_fields(text: str, action: str) -> dict[str, list[str]]:
    """The hidden fields of the form posting to `action`, as a browser would send them."""
    form = re.search(rf'<form method="post" action="{action}".*?</form>', text, re.S)
    assert form, f"no form to {action}"
    fields: dict[str, list[str]] = {}
    for name, value in HIDDEN.findall(form.group(0)):
        fields.setdefault(name, []).append(html.unescape(value))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def study_to_the_end(client, url: str, htmx: bool) -> tuple[list[str], set[str]]:
    """Study `url` like a learner: answer each question right, rate it Easy, follow to the next, until none is left.

    Returns the stems studied, in order, and every address the session went back to."""
    headers = HTMX if htmx else {}
    stems: list[str] = []
    addresses: set[str] = set()
    for _ in range(20):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.content[:500]
        shown = page(response)
        if shown.token is None:
            return stems, addresses
        stems.append(shown.question.stem_md)
        fields = _form_fields(shown.html, "/study/answer/")
        feedback = client.post("/study/answer/", {**fields, "choice": shown.right()}, headers=headers)
        assert feedback.status_code == 200
        assert ("<html" in feedback.content.decode()) is not htmx
        fields = _form_fields(feedback.content.decode(), "/study/rate/")
        rated = client.post("/study/rate/", {**fields, "rating": 4}, headers=headers)
        assert rated.status_code == 303
        url = rated["Location"]
        addresses.add(url)
    raise AssertionError("the session did not end")


SCOPES = {
    "a bank": ({"bank": "aws-basics"}, ["Basics Lambda", "Basics ECS", "Basics S3"]),
    "several topics": ({"service": ["lambda", "s3"]}, ["Basics Lambda", "Basics S3", "Other Lambda", "Other S3"]),
    "a bank narrowed to topics": (
        {"bank": "aws-basics", "service": ["lambda", "ecs"]}, ["Basics Lambda", "Basics ECS"]
    ),
    "a bank narrowed to a category": ({"bank": "other-bank", "category": "compute"}, ["Other Lambda"]),
}  # fmt: skip


@pytest.mark.parametrize("htmx", [False, True], ids=["without htmx", "with htmx"])
@pytest.mark.parametrize("scope", SCOPES.values(), ids=SCOPES.keys())
def test_each_scope_studies_exactly_its_questions_through_answer_rate_and_next(client_for, catalogue, scope, htmx):
    params, expected = scope
    url = "/study/?" + urlencode(params, doseq=True)
    stems, addresses = study_to_the_end(client_for, url, htmx)
    assert stems == expected  # in bank order, and nothing from outside the scope
    assert addresses == {url}  # every rating comes back to the same scope


def test_the_page_says_what_is_studied(client_for, catalogue):
    expected = {
        "bank=aws-basics": "AWS basics (bank)",
        "service=lambda&service=s3": "AWS Lambda, Amazon S3",
        "bank=aws-basics&service=lambda&service=ecs": "AWS basics — AWS Lambda, Amazon ECS",
        "bank=other-bank&category=compute": "Other bank — Compute (category)",
    }
    for query, label in expected.items():
        text = client_for.get(f"/study/?{query}").content.decode()
        assert f"Studying <strong>{label}</strong>" in text
        assert '<a href="/study/">Everything due</a>' in text


def test_a_long_list_of_topics_is_named_in_part_and_counted(client_for, catalogue):
    for n in range(8):
        ServiceFactory(key=f"extra-{n}", name=f"Extra {n}")
    query = "&".join(f"service=extra-{n}" for n in range(8))
    text = client_for.get(f"/study/?service=lambda&{query}").content.decode()
    assert "Studying <strong>AWS Lambda, Extra 0, Extra 1, Extra 2, Extra 3, Extra 4 and 3 more topics</strong>" in text


def test_topic_is_read_like_service(client_for, catalogue):
    stems, addresses = study_to_the_end(client_for, "/study/?topic=lambda&topic=s3", htmx=False)
    assert stems == ["Basics Lambda", "Basics S3", "Other Lambda", "Other S3"]
    assert addresses == {"/study/?service=lambda&service=s3"}


def test_a_repeated_topic_counts_once(client_for, catalogue):
    text = client_for.get("/study/?service=s3&service=s3").content.decode()
    assert "Studying <strong>Amazon S3</strong>" in text and "2 to go" in text


def test_a_visitor_studies_a_bank_too(client, catalogue):
    shown = page(client.get("/study/?bank=other-bank&service=s3"))
    assert shown.question.stem_md == "Other S3"
    assert "1 to go" in shown.html


def test_bury_suspend_and_flag_come_back_to_the_scope(client_for, catalogue):
    url = "/study/?bank=aws-basics&service=lambda&service=ecs"
    shown = page(client_for.get(url))
    question = shown.question
    for action in ("bury", "suspend"):
        fields = _form_fields(shown.html, f"/study/questions/{question.pk}/{action}/")
        response = client_for.post(f"/study/questions/{question.pk}/{action}/", fields)
        assert response.status_code == 303 and response["Location"] == url
    fields = _form_fields(shown.html, f"/study/questions/{question.pk}/flag/")
    response = client_for.post(f"/study/questions/{question.pk}/flag/", {**fields, "comment": "Typo."})
    assert response["Location"] == url
    assert page(client_for.get(url)).question.stem_md == "Basics ECS"


def test_the_daily_new_limit_holds_in_a_bank_and_extra_practice_keeps_the_bank(client_for, learner, catalogue):
    LearnerSettings.objects.create(learner=learner, new_per_day=2)
    stems, _ = study_to_the_end(client_for, "/study/?bank=aws-basics", htmx=False)
    assert stems == ["Basics Lambda", "Basics ECS"]
    done = client_for.get("/study/?bank=aws-basics").content.decode()
    assert "Done for today" in done
    assert 'href="/study/?bank=aws-basics&amp;mode=new"' in done
    extra, addresses = study_to_the_end(client_for, "/study/?bank=aws-basics&mode=new", htmx=True)
    assert extra == ["Basics S3"] and addresses == {"/study/?bank=aws-basics&mode=new"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("bank=no-such-bank", "There is no bank &#x27;no-such-bank&#x27; to study"),
        ("bank=draft-bank", "There is no bank &#x27;draft-bank&#x27; to study"),
        ("bank=archived-bank&service=lambda", "There is no bank &#x27;archived-bank&#x27; to study"),
        ("service=lambda&service=nope&service=nada", "There are no services &#x27;nope&#x27;, &#x27;nada&#x27;"),
        ("bank=aws-basics&service=nope", "There is no service &#x27;nope&#x27;"),
        ("bank=aws-basics&category=nope", "There is no category &#x27;nope&#x27;"),
        ("service=lambda&category=compute", "Choose topics, one category or one note"),
        ("bank=aws-basics&note=lambda", "cannot be narrowed to one bank"),
        ("&".join(f"service=t{n}" for n in range(MAX_TOPICS + 1)), f"Choose at most {MAX_TOPICS} topics at once"),
    ],
    ids=["unknown bank", "draft bank", "archived bank", "unknown topics", "unknown topic in a bank",
         "unknown category in a bank", "topics and a category", "a note in a bank", "too many topics"],
)  # fmt: skip
def test_a_bad_scope_is_a_bad_request_that_says_why(client_for, catalogue, query, message):
    for response in (
        client_for.get(f"/study/?{query}"),
        client_for.post("/study/rate/", query, content_type="application/x-www-form-urlencoded"),
    ):
        assert response.status_code == 400
        assert message in response.content.decode()


def test_a_note_about_no_topic_has_nothing_to_study(client, learner, catalogue):
    from studyapp.notes.models import Note

    Note.objects.create(
        slug="intro", title="Introduction", order=1, theme="Start", services=[], domain="cloud-concepts",
        task_statement="1.1", summary="s", body_md="", body_html="", search_text="", source_hash="x",
    )  # fmt: skip
    visitor = client.get("/study/?note=intro")
    assert visitor.status_code == 200 and "0 to go" in visitor.content.decode()
    client.force_login(learner)
    text = client.get("/study/?note=intro").content.decode()
    assert "Introduction (note)" in text and "Done for today" in text and "0 to go" in text


def test_a_draft_banks_questions_stay_out_of_every_scope(client_for, catalogue):
    stems, _ = study_to_the_end(client_for, "/study/?service=lambda", htmx=True)
    assert stems == ["Basics Lambda", "Other Lambda"]


def test_the_chooser_offers_each_bank_learners_see_and_its_link_studies_that_bank(client, learner, catalogue):
    BankFactory(slug="empty-bank", title="Empty bank")  # nothing to study in it
    for who in (None, learner):  # a visitor and a signed-in learner, without JavaScript
        if who:
            client.force_login(who)
        chooser = client.get("/study/choose/").content.decode()
        banks = chooser.split('id="by-bank"', 1)[1].split("</section>", 1)[0]
        assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', banks) == [
            ("/study/?bank=aws-basics", "AWS basics"),
            ("/study/?bank=other-bank", "Other bank"),
        ]  # not the draft, archived or empty bank
    stems, _ = study_to_the_end(client, "/study/?bank=other-bank", htmx=False)
    assert stems == ["Other Lambda", "Other S3"]


# ---------------------------------------------------------------- speed


@pytest.fixture
def big_bank(learner, other_learner):
    from tests.test_study_queries import make_bank

    make_bank(300, learner, other_learner)  # service "lambda" in bank "test-bank", half studied, with history
    ServiceFactory(key="ecs", name="Amazon ECS")


@pytest.mark.parametrize(
    "query", ["bank=test-bank", "service=lambda&service=ecs", "bank=test-bank&service=lambda&service=ecs"], ids=str
)
def test_a_scoped_study_request_runs_at_most_8_queries(client_for, big_bank, django_assert_max_num_queries, query):
    url = f"/study/?{query}"
    client_for.get(url)  # warm the per-process caches a running server has
    for mode in ("", "new"):
        address = f"{url}&mode={mode}" if mode else url
        with django_assert_max_num_queries(MAX_QUERIES):
            shown = page(client_for.get(address))
        fields = {**_form_fields(shown.html, "/study/answer/"), "choice": shown.right()}
        with django_assert_max_num_queries(MAX_QUERIES):
            feedback = client_for.post("/study/answer/", fields, headers=HTMX)
        with django_assert_max_num_queries(MAX_QUERIES):
            rated = client_for.post("/study/rate/", {**_form_fields(feedback.content.decode(), "/study/rate/"),
                                                     "rating": 3})  # fmt: skip
        assert rated.status_code == 303 and rated["Location"] == address


def test_the_chooser_runs_at_most_8_queries(client_for, catalogue, django_assert_max_num_queries):
    BankFactory.create_batch(3, slug=factory.Sequence(lambda n: f"bank-{n}"))
    for n, bank in enumerate(Bank.objects.filter(slug__startswith="bank-")):
        QuestionFactory.create_batch(n + 1, bank=bank)
    with django_assert_max_num_queries(MAX_QUERIES):
        chooser = client_for.get("/study/choose/").content.decode()
    assert chooser.count('href="/study/?bank=') == 5


# ---------------------------------------------------------------- class assignments


@pytest.fixture
def classroom(learner):
    classroom = ClassroomFactory(name="Cloud 101")
    MembershipFactory(classroom=classroom, learner=learner)
    return classroom


def _start_link(client, title: str) -> str:
    text = client.get("/progress/").content.decode()
    row = re.search(rf"{title}.*?</tr>", text, re.S).group(0)
    return html.unescape(re.search(r'<a href="(/study/[^"]*)">Study<', row).group(1))


@pytest.mark.parametrize(
    ("scope", "expected_link", "expected"),
    [
        ({"bank_slug": "aws-basics"}, "/study/?bank=aws-basics", ["Basics Lambda", "Basics ECS", "Basics S3"]),
        ({"topics": ["lambda", "s3"]}, "/study/?service=lambda&service=s3",
         ["Basics Lambda", "Basics S3", "Other Lambda", "Other S3"]),
        ({"bank_slug": "aws-basics", "topics": ["lambda", "ecs"]},
         "/study/?bank=aws-basics&service=lambda&service=ecs", ["Basics Lambda", "Basics ECS"]),
        ({"bank_slug": "other-bank", "category": "compute"}, "/study/?bank=other-bank&category=compute",
         ["Other Lambda"]),
    ],
    ids=["a bank", "several topics", "a bank's topics", "a bank's category"],
)  # fmt: skip
def test_an_assignments_start_link_studies_exactly_its_scope_and_the_work_counts(
    client_for, catalogue, classroom, scope, expected_link, expected
):
    from quizzes.models import Bank

    bank = Bank.objects.get(slug=scope.pop("bank_slug")) if "bank_slug" in scope else None
    AssignmentFactory(classroom=classroom, title="Week one", kind="review", target=10, bank=bank, **scope)
    link = _start_link(client_for, "Week one")
    assert link == expected_link
    stems, addresses = study_to_the_end(client_for, link, htmx=True)
    assert stems == expected and addresses == {link}
    assert f"{len(expected)} of 10 questions reviewed" in client_for.get("/progress/").content.decode()


@pytest.mark.parametrize("pick", ["right", "wrong"])
def test_a_scoped_answer_without_javascript_runs_at_most_8_statements_besides_the_tests_savepoints(
    client_for, big_bank, pick
):
    """Without htmx the answer comes back as a whole page with the queue's progress (one query more). Under the
    test's transaction the answer's atomic block adds SAVEPOINT and RELEASE, which a real request does not run."""
    url = "/study/?bank=test-bank&service=lambda&service=ecs&mode=new"
    shown = page(client_for.get(url))
    fields = {**_form_fields(shown.html, "/study/answer/"), "choice": getattr(shown, pick)()}
    with CaptureQueriesContext(connection) as queries:
        response = client_for.post("/study/answer/", fields)
    assert response.status_code == 200 and "<html" in response.content.decode()
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) <= MAX_QUERIES, statements
