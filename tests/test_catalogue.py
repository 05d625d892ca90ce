"""The topic catalogue (content/services.yaml): categories, services and concepts, and its refusals."""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from quizzes.models import Category, Question, Service
from studyapp.notes.models import ContentRelease, Note
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


# The exam guide's appendix of in-scope services and features, by its categories (CLF-C02), as topic keys.
EXAM_GUIDE_IN_SCOPE = {
    "analytics": ["athena", "data-exchange", "emr", "glue", "kinesis", "lake-formation", "opensearch", "quicksight",
                  "redshift"],
    "application integration": ["eventbridge", "sns", "sqs", "step-functions"],
    "business applications": ["connect", "ses"],
    "cloud financial management": ["billing-conductor", "budgets", "cost-and-usage-report", "cost-explorer",
                                   "marketplace"],
    "compute": ["batch", "ec2", "elastic-beanstalk", "lightsail", "local-zones", "outposts", "wavelength"],
    "containers": ["ecr", "ecs", "eks"],
    "customer engagement": ["activate", "aws-iq", "managed-services", "support-plans"],
    "database": ["aurora", "dynamodb", "memorydb", "neptune", "rds"],
    "developer tools": ["appconfig", "aws-cli", "cloudshell", "codeartifact", "codebuild", "codecommit",
                        "codedeploy", "codepipeline", "xray"],
    "end-user computing": ["appstream", "workspaces", "workspaces-secure-browser"],
    "frontend web and mobile": ["amplify", "appsync", "device-farm"],
    "internet of things": ["iot-core", "iot-greengrass"],
    "machine learning": ["comprehend", "kendra", "lex", "polly", "rekognition", "sagemaker", "textract",
                         "transcribe", "translate"],
    "management and governance": ["ec2-auto-scaling", "cloudformation", "cloudtrail", "cloudwatch",
                                  "compute-optimizer", "config", "control-tower", "health-dashboard",
                                  "license-manager", "management-console", "organizations", "service-catalog",
                                  "service-quotas", "systems-manager", "trusted-advisor", "well-architected-tool"],
    "migration and transfer": ["application-discovery-service", "application-migration-service", "dms",
                               "migration-hub", "schema-conversion-tool", "snow-family", "transfer-family",
                               "datasync"],
    "networking and content delivery": ["api-gateway", "cloudfront", "direct-connect", "global-accelerator",
                                        "privatelink", "route-53", "site-to-site-vpn", "client-vpn", "transit-gateway",
                                        "vpc", "elastic-load-balancing"],
    "security, identity and compliance": ["artifact", "audit-manager", "acm", "cloudhsm", "cognito", "detective",
                                          "directory-service", "firewall-manager", "guardduty", "iam",
                                          "iam-identity-center", "inspector", "kms", "macie", "network-firewall",
                                          "ram", "secrets-manager", "security-hub", "shield", "waf"],
    "serverless": ["fargate", "lambda"],
    "storage": ["aws-backup", "ebs", "efs", "elastic-disaster-recovery", "fsx", "s3", "s3-glacier",
                "storage-gateway"],
}  # fmt: skip


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


def test_every_in_scope_service_of_the_exam_guide_is_a_topic_with_a_note(content):
    load(content)
    topics = {topic.key: topic for topic in Service.objects.all()}
    notes = set(Note.objects.values_list("slug", flat=True))
    for category, keys in EXAM_GUIDE_IN_SCOPE.items():
        missing = [key for key in keys if key not in topics]
        assert not missing, f"{category}: {missing}"
        assert all(topics[key].note_slug in notes for key in keys)


def test_every_topic_is_taught_by_its_note(content):
    """The note a topic points to lists it among its topics or names it in its text."""
    load(content)
    notes = {note.slug: note for note in Note.objects.all()}
    for topic in Service.objects.all():
        note = notes[topic.note_slug]
        text = note.search_text.lower()
        assert topic.key in note.services or topic.short.lower() in text or topic.name.lower() in text, topic.key


def test_a_topic_defined_in_two_files_is_refused(content):
    (content / "topics").mkdir(exist_ok=True)
    (content / "topics" / "zz-extra.yaml").write_text(
        "services:\n  lambda:\n    name: AWS Lambda again\n    short: Lambda\n    category: serverless\n"
        "    use_when: Never.\n    note: lambda\n"
    )
    with pytest.raises(CommandError, match="zz-extra.yaml:3: topic 'lambda' is already defined in services.yaml"):
        load(content)


def test_a_fact_group_defined_in_two_files_is_refused(content):
    (content / "facts").mkdir(exist_ok=True)
    (content / "facts" / "zz-extra.yaml").write_text("lambda:\n  memory_max_mb: 1\n")
    with pytest.raises(CommandError, match="fact group 'lambda' is already defined in another facts file"):
        load(content)


def test_concepts_are_marked_and_need_no_price(content):
    load(content)
    concept = Service.objects.get(key="shared-responsibility")
    assert concept.is_concept and concept.pricing == ""
    assert concept.in_palette  # "which fits?" scenarios may be about a concept too ("who patches the guest OS?")
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


def test_a_topic_name_too_long_to_store_is_refused_with_its_file(content):
    (content / "topics").mkdir(exist_ok=True)
    (content / "topics" / "zz-extra.yaml").write_text(
        "services:\n  chatty:\n    name: " + "A" * 81 + "\n    short: Chatty\n    category: compute\n"
        "    use_when: Never.\n    note: lambda\n"
    )
    with pytest.raises(CommandError, match="zz-extra.yaml:3: topic 'chatty': 'name' is longer than 80 characters"):
        load(content)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's")
def test_a_load_leaves_the_planner_statistics_of_the_content_tables_fresh(content):
    load(content)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Question._meta.db_table])
        assert cursor.fetchone()[0] == Question.objects.count()


def test_a_renamed_category_is_a_change_of_content_that_records_a_release(content):
    load(content)
    before = ContentRelease.current()
    path = content / "services.yaml"
    path.write_text(path.read_text().replace("  storage: Storage\n", "  storage: Storage and backup\n", 1))
    load(content)
    assert Category.objects.get(key="storage").name == "Storage and backup"
    assert ContentRelease.current() > before
    load(content)  # nothing changed: no release
    assert ContentRelease.current() == before + 1
