"""Loading content/scenarios and content/guides: validation, highlighting, idempotency."""

import shutil
from importlib import import_module
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from quizzes.models import Service
from quizzes.trainer.loading import highlight
from quizzes.trainer.models import Guide, GuideNode, Scenario, answer_key
from tests.factories import TrainerAnswerFactory, UserFactory

CONTENT = Path(__file__).resolve().parent.parent / "content"
pytestmark = pytest.mark.django_db


@pytest.fixture
def content(tmp_path) -> Path:
    return Path(shutil.copytree(CONTENT, tmp_path / "content"))


def load(directory: Path) -> str:
    out = StringIO()
    call_command("load_content", dir=str(directory), stdout=out)
    return out.getvalue()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


def test_the_real_content_loads_and_a_second_load_changes_nothing(content):
    shipped = sum(len(yaml.safe_load(path.read_text())["scenarios"]) for path in (content / "scenarios").glob("*.yaml"))
    guides = len(list((content / "guides").glob("*.yaml")))
    assert f"{shipped} scenarios created" in load(content)
    assert Scenario.objects.count() == shipped >= 115
    assert Guide.objects.count() == guides and GuideNode.objects.filter(is_start=True).count() == guides
    assert "nothing changed" in load(content)


def test_every_core_service_is_the_answer_in_at_least_eight_scenarios(loaded_content):
    for service in Service.objects.core():
        assert Scenario.objects.for_services([service.key]).count() >= 8, service.key


def test_every_scenario_has_a_specific_why_not_for_each_distractor_and_never_for_its_answer(loaded_content):
    keys = set(Service.objects.values_list("key", flat=True))
    for scenario in Scenario.objects.all():
        assert len(scenario.why_not_html) >= 2, scenario.external_id
        assert set(scenario.why_not_html) <= keys - set(scenario.answer), scenario.external_id
        reasons = list(scenario.why_not_md.values())
        assert len(set(reasons)) == len(reasons) and all(len(reason) >= 20 for reason in reasons)
        for clue in scenario.clues:
            assert clue in scenario.text_md


def test_each_scenarios_wrong_choices_keys_are_stored_with_it_and_filled_by_the_migration(loaded_content):
    stored = dict(Scenario.objects.values_list("pk", "why_not_key"))
    Scenario.objects.update(why_not_key="")  # as the scenarios stored before the migration added the column
    import_module("quizzes.trainer.migrations.0006_scenario_why_not_key").fill(django_apps, None)
    for scenario in Scenario.objects.all():
        assert scenario.why_not_key == stored[scenario.pk] == answer_key(scenario.why_not_md) != ""


def test_clue_phrases_are_highlighted_at_load_time(loaded_content):
    scenario = Scenario.objects.get(external_id="docker-build-once-promote")
    assert "<mark>promoted unchanged</mark>" in scenario.highlighted_html
    assert "<mark>the code, the runtime and the system libraries</mark>" in scenario.highlighted_html
    assert "<mark>" not in scenario.text_html


def test_highlighting_escapes_the_text_before_marking_it():
    html = highlight('A <script>alert(1)</script> job & a "long" run', ["long", "job & a"])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>job &amp; a</mark>" in html
    assert "<mark>long</mark>" in html


def test_overlapping_clues_become_one_mark():
    assert highlight("runs for three hours", ["for three", "three hours"]) == "<p>runs <mark>for three hours</mark></p>"


def test_a_clue_missing_from_the_text_stops_the_load_with_file_and_line(content):
    path = content / "scenarios" / "containers.yaml"
    edit(path, "clues: [breaks on the test server,", "clues: [breaks on the staging server,")
    with pytest.raises(CommandError) as error:
        load(content)
    line = line_of(path, "- id: docker-works-on-my-laptop")
    assert f"containers.yaml:{line}:" in str(error.value)
    assert "clue 'breaks on the staging server' does not occur in the text" in str(error.value)
    assert Scenario.objects.count() == 0  # all or nothing


def test_a_malformed_file_leaves_loaded_scenarios_as_they_were(content):
    load(content)
    path = content / "scenarios" / "containers.yaml"
    edit(path, "A developer's Python web app", "A developer's Go web app")
    edit(path, "    ecr: >-\n      ECR only stores", "    nosuch: >-\n      ECR only stores")
    with pytest.raises(CommandError, match="unknown service 'nosuch' in 'why_not'"):
        load(content)
    assert "Python web app" in Scenario.objects.get(external_id="docker-works-on-my-laptop").text_md


def test_a_why_not_that_names_the_answer_stops_the_load(content):
    path = content / "scenarios" / "containers.yaml"
    edit(path, "    ecr: >-\n      ECR only stores", "    docker: >-\n      ECR only stores")
    with pytest.raises(CommandError, match="'why_not' names 'docker', which is the answer"):
        load(content)


def test_an_unknown_answer_service_stops_the_load(content):
    edit(content / "scenarios" / "containers.yaml", "answer: [docker]", "answer: [kubernetes]")
    with pytest.raises(CommandError, match="unknown service 'kubernetes' in 'answer'"):
        load(content)


def test_a_generic_why_not_stops_the_load(content):
    path = content / "scenarios" / "containers.yaml"
    data = path.read_text()
    start = data.index("    ecr: >-\n      ECR only stores")
    end = data.index("    ec2: >-", start)
    path.write_text(data[:start] + "    ecr: This is wrong.\n" + data[end:])
    with pytest.raises(CommandError, match="why not 'ecr' must be specific"):
        load(content)


def test_a_core_service_with_fewer_than_eight_scenarios_stops_the_load(content):
    path = content / "scenarios" / "batch-lightsail.yaml"
    data = yaml.safe_load(path.read_text())
    data["scenarios"] = [s for s in data["scenarios"] if s["answer"] != ["lightsail"]][:]
    kept = [s for s in yaml.safe_load(path.read_text())["scenarios"] if s["answer"] == ["lightsail"]][:7]
    data["scenarios"] += kept
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(CommandError, match=r"at least 8 scenarios; too few: lightsail \(7\)"):
        load(content)


def test_a_duplicate_scenario_id_stops_the_load(content):
    path = content / "scenarios" / "serverless.yaml"
    first_id = yaml.safe_load(path.read_text())["scenarios"][0]["id"]
    edit(path, f"- id: {first_id}\n", "- id: docker-works-on-my-laptop\n")
    with pytest.raises(
        CommandError, match="serverless.yaml:4: scenario id 'docker-works-on-my-laptop' is also used in"
    ):
        load(content)


def test_an_edited_scenario_is_updated_in_place(content):
    load(content)
    before = Scenario.objects.get(external_id="docker-works-on-my-laptop")
    edit(content / "scenarios" / "containers.yaml", "A developer's Python web app", "A developer's Ruby web app")
    assert "1 scenarios updated" in load(content)
    after = Scenario.objects.get(external_id="docker-works-on-my-laptop")
    assert after.pk == before.pk
    assert "Ruby web app" in after.text_html


def test_a_removed_scenario_that_learners_answered_is_deactivated_not_deleted(content):
    from django.utils import timezone

    from quizzes.trainer.models import Round, ScenarioMemory

    load(content)
    scenario = Scenario.objects.get(external_id="docker-works-on-my-laptop")
    learner = UserFactory()
    round_ = Round.objects.create(learner=learner, size=1, started_at=timezone.now())
    memory = ScenarioMemory.objects.create(learner=learner, scenario=scenario, due=timezone.now())
    TrainerAnswerFactory(round=round_, scenario=scenario, memory=memory)
    other = Scenario.objects.get(external_id="docker-one-command-onboarding")
    path = content / "scenarios" / "containers.yaml"
    data = yaml.safe_load(path.read_text())
    data["scenarios"] = [s for s in data["scenarios"] if s["id"] not in (scenario.external_id, other.external_id)]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    output = load(content)
    assert "1 scenarios deactivated" in output and "1 scenarios removed" in output
    assert not Scenario.objects.get(pk=scenario.pk).is_active
    assert not Scenario.objects.filter(pk=other.pk).exists()


# ---------------------------------------------------------------- the decision guide


@pytest.mark.parametrize(
    "slug", [path.stem for path in sorted((settings.BASE_DIR / "content" / "guides").glob("*.yaml"))]
)
def test_every_path_of_each_guide_ends_at_a_topic_after_three_to_six_questions(loaded_content, slug):
    nodes = {node.key: node for node in GuideNode.objects.filter(guide__slug=slug)}
    keys = set(Service.objects.values_list("key", flat=True))
    ends = []

    def walk(node, depth):
        for option in node.options:
            if option["next"]:
                walk(nodes[option["next"]], depth + 1)
            else:
                assert option["result"] and set(option["result"]) <= keys
                ends.append(depth)

    walk(next(node for node in nodes.values() if node.is_start), 1)
    assert ends and min(ends) >= 3 and max(ends) <= 6


def _guide(content: Path) -> tuple[Path, dict]:
    path = content / "guides" / "compute.yaml"
    return path, yaml.safe_load(path.read_text())


def test_a_dead_end_in_the_guide_stops_the_load(content):
    path = content / "guides" / "compute.yaml"
    edit(path, "next: simple-scaling", "next: nowhere")
    with pytest.raises(CommandError) as error:
        load(content)
    assert "'next' names 'nowhere', which is not a node" in str(error.value)
    assert f"compute.yaml:{line_of(path, 'next: nowhere') - 3}:" in str(error.value)


def test_an_option_without_next_or_result_stops_the_load(content):
    edit(content / "guides" / "compute.yaml", "      result: lightsail\n", "")
    with pytest.raises(CommandError, match="give either 'next'"):
        load(content)


def test_a_loop_in_the_guide_stops_the_load(content):
    edit(content / "guides" / "compute.yaml", "      result: lightsail\n", "      next: simple-experience\n")
    with pytest.raises(CommandError, match="the guide loops: simple-experience -> simple-scaling -> simple-experience"):
        load(content)


def test_an_unreachable_guide_node_stops_the_load(content):
    path, data = _guide(content)
    data["nodes"]["orphan"] = {
        "question": "Never asked?",
        "options": [{"label": "a", "reason": "r", "result": "ec2"}, {"label": "b", "reason": "r", "result": "ecs"}],
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(CommandError, match="node 'orphan' cannot be reached from 'workload'"):
        load(content)


def test_a_guide_result_must_be_a_known_service(content):
    edit(content / "guides" / "compute.yaml", "result: lightsail", "result: heroku")
    with pytest.raises(CommandError, match="'result' must be one or two known service keys"):
        load(content)


def test_a_guide_whose_slug_is_not_its_file_name_stops_the_load(content):
    edit(content / "guides" / "compute.yaml", "slug: compute", "slug: servers")
    with pytest.raises(CommandError, match="'slug' must be the file name without .yaml"):
        load(content)


def test_a_guide_removed_from_content_disappears_with_its_steps(content):
    load(content)
    (content / "guides" / "extra.yaml").write_text(
        (content / "guides" / "compute.yaml").read_text().replace("slug: compute", "slug: extra")
    )
    load(content)
    assert Guide.objects.filter(slug="extra").exists()
    (content / "guides" / "extra.yaml").unlink()
    load(content)
    assert not Guide.objects.filter(slug="extra").exists()
    assert not GuideNode.objects.filter(guide__slug="extra").exists()


# ---------------------------------------------------------------- the whole catalogue (issue: part 2)

# The families whose neighbours the exam keeps confusing: every member is the answer of at least six scenarios.
CONFUSABLE_FAMILIES = {
    "storage": ["s3", "ebs", "efs", "fsx", "storage-gateway"],
    "databases": ["rds", "aurora", "dynamodb", "elasticache", "redshift"],
    "edge": ["cloudfront", "global-accelerator", "route-53"],
    "connectivity": ["vpc", "direct-connect", "site-to-site-vpn", "transit-gateway"],
    "integration": ["sqs", "sns", "eventbridge", "step-functions"],
    "analytics": ["athena", "glue", "emr", "kinesis", "quicksight"],
    "ai-ml": ["sagemaker", "bedrock", "rekognition", "comprehend", "lex", "polly", "textract", "kendra", "amazon-q"],
}


def test_the_trainer_covers_the_whole_catalogue_with_400_scenarios(loaded_content):
    scenarios = list(Scenario.objects.from_content())
    assert len(scenarios) >= 400
    answers: dict[str, int] = {}
    for scenario in scenarios:
        for key in scenario.answer:
            answers[key] = answers.get(key, 0) + 1
    assert len(answers) >= 60
    for family, keys in CONFUSABLE_FAMILIES.items():
        thin = {key: answers.get(key, 0) for key in keys if answers.get(key, 0) < 6}
        assert not thin, f"{family}: {thin}"


def test_every_scenario_offers_its_answer_and_its_why_nots_in_a_short_palette(loaded_content):
    from quizzes.trainer.rounds import PALETTE_SIZE, candidates, palette

    catalogue = palette()
    for scenario in Scenario.objects.from_content():
        offered = [service.key for service in candidates(scenario, catalogue)]
        assert set(scenario.answer) | set(scenario.why_not_md) <= set(offered), scenario.external_id
        assert len(offered) <= max(PALETTE_SIZE, len(scenario.answer) + len(scenario.why_not_md))
