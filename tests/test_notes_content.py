"""The notes in content/: all load, links resolve, every source topic is covered, bad files change nothing."""

import re
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from studyapp.notes.models import Note

pytestmark = pytest.mark.django_db
CONTENT = Path(__file__).resolve().parent.parent / "content"

# Every topic of ../shared/material/aws-compute-notes.txt and the note that teaches it.
SOURCE_TOPICS = {
    "What is Docker": "docker",
    "Where Docker images are stored (Docker Hub, Amazon ECR)": "docker-images",
    "Docker versus virtual machines": "docker-vs-vms",
    "Amazon ECS": "ecs",
    "AWS Fargate": "fargate",
    "Amazon ECR": "ecr",
    "Serverless introduction": "serverless",
    "Why AWS Lambda (vs EC2) and its benefits": "lambda",
    "Lambda language support and container images": "lambda-runtimes",
    "Examples: thumbnail creation, serverless cron": "lambda-examples",
    "Lambda limits and configuration (memory, timeout, handler, role, monitoring)": "lambda-configuration",
    "Lambda pricing with examples": "lambda-pricing",
    "Amazon API Gateway": "api-gateway",
    "AWS Batch": "batch",
    "Batch vs Lambda": "batch-vs-lambda",
    "Amazon Lightsail": "lightsail",
    "Other compute / Lambda summary": "summary",
}


@pytest.fixture
def content(tmp_path) -> Path:
    """A private copy of content/ that a test may break."""
    return Path(shutil.copytree(CONTENT, tmp_path / "content"))


def load(directory: Path) -> None:
    call_command("load_content", dir=str(directory), stdout=open("/dev/null", "w"))


def test_every_note_loads_with_its_fields(content):
    load(content)
    files = sorted(content.glob("notes/*.md"))
    assert Note.objects.count() == len(files) >= 17
    for note in Note.objects.all():
        assert note.title and note.summary and note.services and note.toc
        assert "{{" not in note.body_html, f"{note.slug} has an unsubstituted placeholder"


def test_every_source_topic_has_a_note(content):
    load(content)
    slugs = set(Note.objects.values_list("slug", flat=True))
    missing = {topic: slug for topic, slug in SOURCE_TOPICS.items() if slug not in slugs}
    assert missing == {}


def test_every_internal_link_and_diagram_resolves(content, client):
    load(content)
    for note in Note.objects.all():
        for href in re.findall(r'href="(/[^"]*)"', note.body_html):
            path, _, anchor = href.partition("#")
            response = client.get(path)
            assert response.status_code == 200, f"{note.slug} links to {href}"
            if anchor:
                assert f'id="{anchor}"' in response.content.decode(), f"{note.slug} links to missing {href}"
        for src in re.findall(r'src="/static/diagrams/([^"]+)"', note.body_html):
            assert (CONTENT / "diagrams" / src).is_file()


def test_the_chapter_has_at_least_five_accessible_diagrams():
    diagrams = list((CONTENT / "diagrams").glob("*.svg"))
    assert len(diagrams) >= 5
    for path in diagrams:
        svg = path.read_text()
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg, path.name
        assert "prefers-color-scheme: dark" in svg, path.name


def test_loading_twice_changes_nothing(content):
    load(content)
    before = {n.slug: n.updated_at for n in Note.objects.all()}
    output = []
    call_command("load_content", dir=str(content), stdout=type("W", (), {"write": lambda s, t: output.append(t)})())
    assert {n.slug: n.updated_at for n in Note.objects.all()} == before
    assert "nothing changed" in "".join(output)


def test_editing_a_file_updates_its_note(content):
    load(content)
    path = content / "notes" / "ecs.md"
    path.write_text(path.read_text().replace("## ", "## Freshly edited heading\n\nNew text.\n\n## ", 1))
    load(content)
    note = Note.objects.get(slug="ecs")
    assert '<h2 id="freshly-edited-heading">' in note.body_html


def test_facts_are_written_once_and_substituted(content):
    load(content)
    html = Note.objects.get(slug="lambda-configuration").body_html
    assert "10,240" in html and "900" in html


@pytest.mark.parametrize(
    "file, change, message",
    [
        ("ecs.md", lambda t: t.replace("title: ", "titel: ", 1), "ecs.md:2: missing required field 'title'"),
        ("ecs.md", lambda t: t.replace("order: ", "order: [", 1), "ecs.md:"),
        ("ecs.md", lambda t: t.replace("---\n", "", 1), "ecs.md:1: missing front matter"),
        ("ecs.md", lambda t: t.replace("slug: ecs", "slug: fargate", 1), "duplicate slug 'fargate'"),
        ("ecs.md", lambda t: t + "\n{{ facts.lambda.no_such_fact }}\n", "unknown or non-scalar fact"),
        ("ecs.md", lambda t: t + "\nSee [nowhere](/notes/no-such-note/).\n", "does not reach a note"),
        ("ecs.md", lambda t: t + "\nSee [x](/notes/fargate/#no-such-heading).\n", "no such heading"),
        ("ecs.md", lambda t: t.replace("services: [", "services: [quantum, ", 1), "unknown service key(s) quantum"),
        ("ecs.md", lambda t: t.replace("domain: cloud-technology", "domain: vibes", 1), "domain 'vibes'"),
        (
            "ecs.md",
            lambda t: t.replace("3.3 Identify AWS compute services", "3.9 Identify AWS quantum services", 1),
            "ecs.md:2: task_statement '3.9 Identify AWS quantum services' is not a task statement",
        ),
        (
            "ecs.md",
            lambda t: t + "\n| | ECS | EKS |\n|---|---|---|\n| API | own | Kubernetes |\n",
            "ecs.md: a table has an empty header cell",
        ),
        (
            "ecs.md",
            lambda t: re.sub(r"^summary: .*$", "summary: " + "x" * 301, t, count=1, flags=re.MULTILINE),
            "ecs.md:2: 'summary' is 301 characters long; at most 300 fit",
        ),
        (
            "ecs.md",
            lambda t: t.replace("domain: cloud-technology", "domain: billing-pricing", 1),
            "task statement 3.3 belongs to domain 3, not 'billing-pricing'",
        ),
    ],
)
def test_a_malformed_note_stops_the_load_with_file_line_and_reason_and_changes_nothing(content, file, change, message):
    load(content)
    before = list(Note.objects.values_list("slug", "source_hash"))
    (content / "notes" / "fargate.md").write_text((content / "notes" / "fargate.md").read_text() + "\nEdited.\n")
    path = content / "notes" / file
    path.write_text(change(path.read_text()))
    with pytest.raises(CommandError) as error:
        load(content)
    assert message in str(error.value)
    assert "Nothing was loaded" in str(error.value)
    assert list(Note.objects.values_list("slug", "source_hash")) == before


def test_a_file_that_is_not_utf8_is_reported(content):
    (content / "notes" / "broken.md").write_bytes(b"---\ntitle: \xff\xfe\n---\n")
    with pytest.raises(CommandError, match="broken.md: not UTF-8"):
        load(content)
    assert Note.objects.count() == 0
