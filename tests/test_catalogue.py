"""The topic catalogue (content/services.yaml): categories, services and concepts, and its refusals."""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from quizzes.models import Category, Question, Service
from studyapp.notes.models import Note
from tests.studying import answer, open_study

pytestmark = pytest.mark.django_db
CONTENT = Path(__file__).resolve().parent.parent / "content"

# The in-scope services and concepts of CLF-C02 domains 1, 2 and 4 that the notes and questions teach.
DOMAINS_1_2_4 = [
    "shared-responsibility", "iam", "root-user", "iam-identity-center", "organizations", "control-tower", "artifact",
    "audit-manager", "config", "cloudtrail", "cloudwatch", "security-hub", "guardduty", "inspector", "macie",
    "detective", "kms", "cloudhsm", "secrets-manager", "acm", "shield", "waf", "firewall-manager", "network-firewall",
    "trusted-advisor", "well-architected", "cloud-adoption-framework", "migration-strategies", "snow-family", "dms",
    "application-migration-service", "pricing-models", "savings-plans", "cost-explorer", "budgets",
    "cost-and-usage-report", "pricing-calculator", "billing-conductor", "support-plans", "health-dashboard",
    "repost", "professional-services", "partner-network", "marketplace",
]  # fmt: skip


@pytest.fixture
def content(tmp_path) -> Path:
    return Path(shutil.copytree(CONTENT, tmp_path / "content"))


def load(directory: Path) -> None:
    call_command("load_content", dir=str(directory), stdout=open("/dev/null", "w"))


def test_every_topic_has_a_category_a_use_when_and_a_note_that_exists(content):
    load(content)
    notes = set(Note.objects.values_list("slug", flat=True))
    for topic in Service.objects.select_related("category"):
        assert topic.category is not None and topic.use_when, topic.key
        assert topic.note_slug in notes, f"{topic.key} points to a missing note {topic.note_slug}"
    assert Category.objects.count() >= 10


def test_the_topics_of_domains_1_2_and_4_are_in_the_catalogue_and_questions_cover_them(content):
    load(content)
    keys = set(Service.objects.values_list("key", flat=True))
    assert set(DOMAINS_1_2_4) <= keys
    for key in DOMAINS_1_2_4:
        assert Question.objects.filter(services__key=key).exists(), f"no question is about {key}"


def test_concepts_are_marked_and_need_no_price(content):
    load(content)
    concept = Service.objects.get(key="shared-responsibility")
    assert concept.is_concept and concept.pricing == "" and not concept.in_palette
    assert Service.objects.get(key="lambda").in_palette


def test_a_topic_in_an_unknown_category_is_refused_and_nothing_is_written(content):
    path = content / "services.yaml"
    path.write_text(path.read_text().replace("    category: storage\n", "    category: storage-and-more\n", 1))
    with pytest.raises(CommandError, match=r"services\.yaml:\d+: 's3' names an unknown category 'storage-and-more'"):
        load(content)
    assert Service.objects.count() == 0


def test_a_catalogue_without_categories_is_refused(content):
    path = content / "services.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("categories:")] + text[text.index("services:") :])
    with pytest.raises(CommandError, match="categories"):
        load(content)


def test_a_study_session_can_be_scoped_to_a_new_category_and_keeps_it_across_answers(client, learner, content):
    load(content)
    client.force_login(learner)
    choose = client.get("/study/choose/").content.decode()
    assert 'href="/study/?category=security-identity-compliance"' in choose
    assert 'href="/study/?service=guardduty"' in choose
    page = client.get("/study/", {"category": "cloud-financial-management"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Cloud financial management (category)" in html
    shown = open_study(client, category="cloud-financial-management")
    assert shown.question.domain == "billing-pricing"
    assert set(shown.question.services.values_list("category__key", flat=True)) & {"cloud-financial-management"}
    assert '<input type="hidden" name="category" value="cloud-financial-management">' in shown.html
    feedback = answer(client, shown, shown.wrong(), category="cloud-financial-management")
    assert feedback.status_code == 200
    assert "Cloud financial management (category)" in feedback.content.decode()


def test_an_unknown_category_or_two_scopes_at_once_get_a_clear_400(client, learner, content):
    load(content)
    client.force_login(learner)
    unknown = client.get("/study/", {"category": "quantum"})
    assert unknown.status_code == 400 and "There is no category" in unknown.content.decode()
    both = client.get("/study/", {"category": "storage", "service": "s3"})
    assert both.status_code == 400 and "not several" in both.content.decode()
