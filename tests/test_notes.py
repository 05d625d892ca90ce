from decimal import Decimal

import pytest
from django.db import models

from studyapp.notes import search
from studyapp.notes.calculator import lambda_cost
from studyapp.notes.models import TASK_STATEMENTS, Note

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def test_the_index_groups_every_note_by_domain_and_task_statement(client, loaded_content):
    body = client.get("/notes/").content.decode()
    for label in Note.Domain.labels:
        assert f">{label}</h2>" in body
    for number, text in TASK_STATEMENTS.items():
        assert f'<span class="task-number">{number}</span> {text}</h3>' in body
    assert body.index("1.1</span>") < body.index("2.1</span>") < body.index("3.3</span>") < body.index("4.1</span>")
    compute = body[body.index("3.3</span>") : body.index("3.4</span>")]
    assert compute.index("Docker and containers") < compute.index("AWS Lambda") < compute.index("Amazon Lightsail")
    assert "Fargate" in compute  # topic chips
    for note in Note.objects.all():
        assert f'href="{note.get_absolute_url()}"' in body


def test_a_note_shows_its_contents_services_and_neighbours(client, loaded_content):
    response = client.get("/notes/fargate/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'aria-label="On this page"' in body
    assert 'rel="prev" href="/notes/ecs/"' in body
    assert 'rel="next" href="/notes/ecr/"' in body
    assert "AWS Fargate</span>" in body and "Amazon ECS</span>" in body
    assert "Cloud Technology and Services" in body


def test_an_unknown_note_is_a_404_in_the_site_layout(client, loaded_content):
    response = client.get("/notes/no-such-note/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_note_pages_and_the_index_take_at_most_four_queries(client, loaded_content, django_assert_max_num_queries):
    for path in ["/notes/", "/notes/lambda/", "/notes/lambda-pricing/?requests=1&duration_ms=1&memory_mb=128"]:
        with django_assert_max_num_queries(4):
            assert client.get(path).status_code == 200


def test_search_ranks_the_most_relevant_note_first_and_highlights_matches(client, loaded_content):
    response = client.get("/notes/search", {"q": "lightsail"})
    body = response.content.decode()
    results = response.context["results"]
    assert results[0].slug == "lightsail"
    assert "<mark>Lightsail</mark>" in body


def test_search_matches_word_prefixes_as_the_learner_types(client, loaded_content):
    results = client.get("/notes/search", {"q": "farga"}).context["results"]
    assert "fargate" in [r.slug for r in results]


def test_a_word_added_to_a_note_is_found_once_the_loader_reindexes_the_notes(client, loaded_content):
    # The index (SQLite's FTS table, PostgreSQL's stored vectors) is rebuilt by the loader when notes change.
    from django.db.models import F
    from django.db.models.functions import Concat

    Note.objects.filter(slug="lightsail").update(search_text=Concat(F("search_text"), models.Value(" quokkaword")))
    assert client.get("/notes/search", {"q": "quokkaword"}).context["results"] == []
    search.reindex()
    assert [r.slug for r in client.get("/notes/search", {"q": "quokkaword"}).context["results"]] == ["lightsail"]


def make_note(slug: str, title: str, body_html: str, order: int = 1) -> Note:
    """A note as the loader stores it (its plain text from its body), without its sections: search.reindex() makes
    them."""
    from django.utils.html import strip_tags

    return Note.objects.create(
        slug=slug, title=title, order=order, theme="Tests", services=[], domain="cloud-concepts",
        task_statement="1.1 Define the benefits of the AWS Cloud", summary=f"About {title}.", body_md="",
        body_html=body_html, search_text=strip_tags(body_html.replace("><", "> <")), source_hash=slug,
    )  # fmt: skip


def test_a_note_is_cut_into_its_opening_and_a_section_per_heading():
    sections = search.sections_of(
        '<p>Opening words.</p><h2 id="first">First &amp; <em>best</em></h2><p>One</p>'
        '<h3 id="detail">Detail</h3><p>Two</p><h4 id="deeper">Deeper</h4><p>Three</p>'
        '<h2 id="empty">Empty</h2><h2 id="last">Last</h2><p>Four <code>x</code></p>'
    )
    assert [(s.anchor, s.heading, s.text) for s in sections] == [
        ("", "", "Opening words."),
        ("first", "First & best", "One"),
        ("detail", "Detail", "Two Deeper Three"),  # h4 is not in the table of contents: its section goes on
        ("empty", "Empty", ""),
        ("last", "Last", "Four x"),
    ]
    assert [s.anchor for s in search.sections_of('<h2 id="a">A</h2><p>text</p>')] == ["a"]  # no empty opening


def test_a_result_links_to_the_section_that_matches_best_and_cuts_its_snippet_from_it(client):
    make_note(
        "queues",
        "Queues and topics",
        '<p>Messaging in general.</p><h2 id="sqs">Amazon SQS</h2><p>A queue buffers messages.</p>'
        '<h2 id="dead-letter">Dead-letter queues</h2><p>A dead-letter queue keeps the messages a consumer could '
        "not process, so that a poison message does not block the queue.</p>",
    )
    search.reindex()
    response = client.get("/notes/search", {"q": "poison"})
    body = response.content.decode()
    [result] = response.context["results"]
    assert (result.slug, result.anchor) == ("queues", "dead-letter")
    assert '<a href="/notes/queues/#dead-letter">Dead-letter queues</a>' in body
    assert "<mark>poison</mark> message" in result.snippet_html
    assert "Messaging in general" not in result.snippet_html  # the snippet comes from that section only

    # The section with most of the words wins; a heading that matches shows highlighted.
    result = client.get("/notes/search", {"q": "queue dead"}).context["results"][0]
    assert result.anchor == "dead-letter"
    assert "<mark>Dead</mark>-letter" in result.heading_html


def test_a_note_matched_by_its_title_alone_is_found_and_links_to_no_section(client):
    make_note("quokka", "Quokka notes", '<h2 id="other">Other</h2><p>Nothing about the animal.</p>')
    search.reindex()
    response = client.get("/notes/search", {"q": "quokka"})
    [result] = response.context["results"]
    assert result.slug == "quokka" and result.anchor == "" and result.snippet_html == ""
    assert "<mark>Quokka</mark> notes" in response.content.decode()
    assert "/notes/quokka/#" not in response.content.decode()


def test_every_word_must_match_in_a_note_before_any_word_does(client):
    # A note counts as a whole: its words may be in different sections.
    make_note("both", "Both", '<h2 id="a">A</h2><p>alpha words</p><h2 id="b">B</h2><p>omega words</p>', order=1)
    make_note("alpha-only", "Alpha", "<p>alpha alpha alpha</p>", order=2)
    search.reindex()
    assert [r.slug for r in client.get("/notes/search", {"q": "alpha omega"}).context["results"]] == ["both"]
    # No note has every word: any word will do.
    slugs = [r.slug for r in client.get("/notes/search", {"q": "alpha zebra"}).context["results"]]
    assert sorted(slugs) == ["alpha-only", "both"]


def test_the_loader_builds_the_sections_when_there_are_none_yet(client, loaded_content):
    # As right after the migration that added them: the notes are loaded, their sections are not.
    from io import StringIO

    from django.core.management import call_command

    from studyapp.notes.models import NoteSection

    NoteSection.objects.all().delete()
    call_command("load_content", stdout=StringIO())
    assert NoteSection.objects.filter(note__slug="lambda", anchor="benefits").exists()
    result = client.get("/notes/search", {"q": "cold start"}).context["results"][0]
    assert result.anchor and NoteSection.objects.filter(note__slug=result.slug, anchor=result.anchor).exists()


def test_a_search_takes_at_most_four_queries(client, loaded_content, django_assert_max_num_queries):
    for query in ["lambda", "lambda timeout", "lambda kubernetesxyz", "kubernetesxyz"]:
        with django_assert_max_num_queries(4):
            assert client.get("/notes/search", {"q": query}).status_code == 200


def test_search_answers_htmx_with_the_results_fragment_only(client, loaded_content):
    response = client.get("/notes/search", {"q": "cron"}, headers=HTMX)
    body = response.content.decode()
    assert 'id="search-results"' in body and "<html" not in body
    assert "lambda-examples" in body


def test_search_escapes_what_the_learner_typed(client, loaded_content):
    response = client.get("/notes/search", {"q": '<script>alert("x")</script> lambda'})
    body = response.content.decode()
    assert response.status_code == 200
    assert '<script>alert("x")' not in body
    assert "&lt;script&gt;" in body


@pytest.mark.parametrize("query", ['"', "*", "AND OR NOT", "(", "lambda NEAR/2 ec2", "x" * 5000, "-", "🚀"])
def test_search_survives_query_syntax_and_odd_input(client, loaded_content, query):
    response = client.get("/notes/search", {"q": query})
    assert response.status_code == 200


def test_search_says_so_when_nothing_matches(client, loaded_content):
    body = client.get("/notes/search", {"q": "kubernetesxyz"}).content.decode()
    assert "No note matches" in body


# The calculator, checked against prices computed by hand from the published price list
# (US East: $0.20 per million requests; x86 $0.0000166667/GB-s, arm $0.0000133334/GB-s, first tiers).


def test_the_calculator_matches_a_hand_computed_bill_beyond_the_free_tier():
    # 5,000,000 requests × 0.8 s × 1.5 GB = 6,000,000 GB-s; minus 400,000 free = 5,600,000 GB-s.
    cost = lambda_cost(5_000_000, 800, 1536, "x86_64", free_tier=True)
    assert cost.request_cost == Decimal("0.80")  # (5M − 1M) × $0.20 / 1M
    assert cost.gb_seconds == Decimal("6000000")
    assert cost.billable_gb_seconds == Decimal("5600000")
    assert cost.compute_cost == Decimal("5600000") * Decimal("0.0000166667")  # $93.33352
    assert cost.steps[-1].result == "$94.13"


def test_the_calculator_prices_arm_lower_and_can_ignore_the_free_tier():
    cost = lambda_cost(1_000_000, 1000, 1024, "arm64", free_tier=False)
    assert cost.request_cost == Decimal("0.20")
    assert cost.compute_cost == Decimal("1000000") * Decimal("0.0000133334")  # $13.3334
    assert cost.steps[-1].result == "$13.53"


def test_a_bill_inside_the_free_tier_is_zero():
    cost = lambda_cost(1_000_000, 100, 128, "x86_64", free_tier=True)
    assert cost.total == 0
    assert cost.free_tier_saving > 0


def test_the_calculator_crosses_into_the_second_price_tier():
    # 20 billion GB-s on x86: 6e9 at tier 1, 9e9 at tier 2, 5e9 at tier 3 (no free tier).
    cost = lambda_cost(10_000_000_000, 2000, 1024, "x86_64", free_tier=False)
    expected = (
        Decimal(6_000_000_000) * Decimal("0.0000166667")
        + Decimal(9_000_000_000) * Decimal("0.0000150000")
        + Decimal(5_000_000_000) * Decimal("0.0000133334")
    )
    assert cost.compute_cost == expected


def test_the_calculator_shows_the_arithmetic_on_the_pricing_note(client, loaded_content):
    params = {"requests": "5000000", "duration_ms": "800", "memory_mb": "1536", "architecture": "x86_64",
              "free_tier": "on"}  # fmt: skip
    body = client.get("/notes/lambda-pricing/", params).content.decode()
    assert "Estimated total: <strong>$94.13</strong>" in body
    assert "5,000,000 × 0.800 s × 1.5000 GB" in body


def test_the_calculator_answers_htmx_with_its_result_only(client, loaded_content):
    params = {"requests": "3000000", "duration_ms": "120", "memory_mb": "512", "architecture": "x86_64"}
    response = client.get("/notes/lambda-pricing/", params, headers={**HTMX, "HX-Target": "calculator-result"})
    body = response.content.decode()
    assert "<html" not in body and 'id="calculator-result"' in body
    # free tier unticked: 3M × $0.20/M = $0.60; 3M × 0.12 s × 0.5 GB = 180,000 GB-s × $0.0000166667 = $3.00
    assert "Estimated total: <strong>$3.60</strong>" in body


@pytest.mark.parametrize(
    "params, message",
    [
        ({"requests": "lots"}, "Enter the number of requests as a whole number"),
        ({"requests": "-5"}, "greater than or equal to 0"),
        ({"memory_mb": "64"}, "Lambda memory is between 128 and 10,240 MB"),
        ({"memory_mb": "20000"}, "Lambda memory is between 128 and 10,240 MB"),
        ({"duration_ms": "1000000"}, "at most 15 minutes (900,000 ms)"),
        ({"duration_ms": "0"}, "greater than or equal to 1"),
        ({"architecture": "sparc"}, "Select a valid choice"),
    ],
)
def test_invalid_calculator_input_gets_a_clear_inline_message(client, loaded_content, params, message):
    full = {"requests": "1000", "duration_ms": "100", "memory_mb": "128", "architecture": "x86_64", **params}
    response = client.get("/notes/lambda-pricing/", full, headers={**HTMX, "HX-Target": "calculator-result"})
    assert response.status_code == 200
    assert message in response.content.decode()


# Stored HTML: notes pages are rendered once per content release and personalised per response.


def test_a_stored_page_gets_a_fresh_nonce_and_csrf_token_on_every_response(client, loaded_content):
    import re

    from django.test import Client

    first, second = client.get("/notes/ecs/"), Client().get("/notes/ecs/")
    for response in (first, second):
        body = response.content.decode()
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<script[^>]*>", body))
        assert "PLACEHOLDER" not in body
        assert response.cookies["csrftoken"].value
    assert first.headers["Content-Security-Policy"] != second.headers["Content-Security-Policy"]


def test_reloading_content_shows_at_once_on_stored_pages(client, loaded_content, tmp_path):
    import shutil
    from io import StringIO
    from pathlib import Path

    from django.core.management import call_command

    assert "Freshly reloaded" not in client.get("/notes/ecs/").content.decode()
    content = Path(shutil.copytree(Path(__file__).resolve().parent.parent / "content", tmp_path / "c"))
    path = content / "notes" / "ecs.md"
    path.write_text(path.read_text() + "\nFreshly reloaded paragraph.\n")
    call_command("load_content", dir=str(content), stdout=StringIO())
    assert "Freshly reloaded" in client.get("/notes/ecs/").content.decode()


def test_signed_in_learners_get_their_own_header_not_a_stored_page(client, loaded_content, learner):
    client.get("/notes/ecs/")
    client.force_login(learner)
    body = client.get("/notes/ecs/").content.decode()
    assert learner.username in body and "Sign up" not in body
