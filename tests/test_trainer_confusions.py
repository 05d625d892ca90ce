"""The confusion matrix, drills on pairs, spaced repetition of missed scenarios, and the decision guide."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.seeding.trainer import seed
from quizzes.models import LearnerSettings
from quizzes.trainer import rounds
from quizzes.trainer.confusions import History, cells
from quizzes.trainer.models import Guide, Round, RoundItem, Scenario, ScenarioMemory
from tests.factories import TrainerAnswerFactory
from tests.test_trainer_rounds import a_wrong_choice, answer, current, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainee(client, learner, loaded_content):
    client.force_login(learner)
    return learner


def history_of(learner, answers: list[tuple[str, str]], now=None) -> None:
    """Answers (scenario id, chosen key) in one finished round."""
    now = now or timezone.now()
    round_ = Round.objects.create(learner=learner, size=len(answers), started_at=now, finished_at=now)
    for position, (external_id, chosen) in enumerate(answers, start=1):
        scenario = Scenario.objects.get(external_id=external_id)
        memory, _ = ScenarioMemory.objects.get_or_create(learner=learner, scenario=scenario, defaults={"due": now})
        TrainerAnswerFactory(
            round=round_, scenario=scenario, memory=memory, position=position, chosen_key=chosen, answered_at=now
        )


def ecs_scenario() -> Scenario:
    return Scenario.objects.filter(answer_key="ecs").order_by("pk").first()


def test_an_answer_adds_right_and_confused_cells():
    assert cells("lambda", "lambda") == [("lambda", "lambda")]
    assert cells("ecs", "fargate") == [("ecs", "fargate")]
    assert cells("api-gateway+lambda", "lambda") == [("lambda", "lambda"), ("api-gateway", "lambda")]
    assert cells("lambda", "api-gateway+lambda") == [("lambda", "lambda"), ("lambda", "api-gateway")]


def test_the_matrix_counts_right_answers_and_confusions_through_the_page(client, trainee):
    ecs = ecs_scenario().external_id
    history_of(trainee, [(ecs, "fargate"), (ecs, "fargate"), (ecs, "ecs"), (ecs, "eks")])
    page = client.get("/trainer/confusions/").content.decode()
    assert "4 answers, 1 right." in page
    assert "Amazon ECS ↔ AWS Fargate</strong>: 2 times" in page
    assert '<svg class="matrix-chart" role="img"' in page and '<title id="matrix-title">' in page
    row = page[page.index('<th scope="row">Amazon ECS</th>') :].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[:-1]] == ["1", "2", "1", "4", "25 %"]


def test_the_matrix_counts_a_new_answer_at_once(client, trainee):
    ecs = ecs_scenario().external_id
    history_of(trainee, [(ecs, "fargate")])
    assert "1 answer, 0 right." in client.get("/trainer/confusions/").content.decode()
    history_of(trainee, [(ecs, "ecs")])
    assert "2 answers, 1 right." in client.get("/trainer/confusions/").content.decode()


def test_an_answer_keeps_the_cached_confusions_current_so_the_next_page_need_not_count_them(
    client, trainee, django_capture_on_commit_callbacks
):
    ecs = ecs_scenario().external_id
    history_of(trainee, [(ecs, "fargate"), (ecs, "ecs")])
    assert "2 answers, 1 right." in client.get("/trainer/confusions/").content.decode()  # counted and cached
    round_ = start(client)
    item = current(client, round_)
    with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits
        assert answer(client, round_, item, [a_wrong_choice(item)]).status_code == 303
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/trainer/confusions/").content.decode()
    assert "3 answers, 1 right." in page
    assert not [q for q in queries.captured_queries if "GROUP BY" in q["sql"]]  # the answer updated the cache


def test_a_cached_history_that_missed_an_answer_is_counted_again(trainee):
    ecs = ecs_scenario().external_id
    history_of(trainee, [(ecs, "fargate")])
    trainee.refresh_from_db()  # as the next request reads the user
    assert History.for_learner(trainee).answered == 1
    history_of(trainee, [(ecs, "ecs")])  # written without the answer's write path (as a guest merge would)
    History.record_answer(trainee.pk, 3, "ecs", "eks")  # an answer whose count does not follow the cached one
    trainee.refresh_from_db()
    history = History.for_learner(trainee)
    assert (history.answered, history.right, history.counts.get(("ecs", "eks"))) == (2, 1, None)


def test_each_answer_counts_once_in_the_learners_number_of_answers_which_keys_their_confusions(client, trainee):
    def number_of_answers() -> int:
        trainee.refresh_from_db()
        return trainee.trainer_answer_count

    round_ = start(client)
    first = current(client, round_)
    assert answer(client, round_, first, [a_wrong_choice(first)]).status_code == 303
    assert answer(client, round_, first, [a_wrong_choice(first)]).status_code == 303  # a double submit
    second = current(client, round_)
    assert answer(client, round_, second, second.scenario.answer).status_code == 303
    answered = RoundItem.objects.filter(learner=trainee, answered_at__isnull=False).count()
    assert number_of_answers() == answered == 2
    assert "2 answers, 1 right." in client.get("/trainer/confusions/").content.decode()


def test_the_migration_counts_every_learners_answers(trainee, other_learner):
    from importlib import import_module

    from django.apps import apps as django_apps

    from studyapp.accounts.models import User

    ecs = ecs_scenario().external_id
    history_of(trainee, [(ecs, "fargate"), (ecs, "ecs"), (ecs, "eks")])
    history_of(other_learner, [(ecs, "ecs")])
    User.objects.update(trainer_answer_count=0)  # as the users stored before the migration added the column
    import_module("studyapp.accounts.migrations.0007_trainer_answer_count").count(django_apps, None)
    assert dict(User.objects.values_list("pk", "trainer_answer_count")) == {trainee.pk: 3, other_learner.pk: 1}


def test_a_learner_sees_only_their_own_confusions(client, trainee, other_learner):
    history_of(other_learner, [(ecs_scenario().external_id, "fargate")])
    page = client.get("/trainer/confusions/").content.decode()
    assert "You have not answered any scenario yet" in page


def test_each_top_confusion_has_a_one_click_drill(client, trainee):
    ecs = ecs_scenario().external_id
    history_of(trainee, [(ecs, "fargate"), (ecs, "fargate")])
    page = client.get("/trainer/confusions/").content.decode()
    assert 'name="service" value="ecs"><input type="hidden" name="service" value="fargate">' in page
    round_ = start(client, kind="drill", service=["ecs", "fargate"])
    assert round_.kind == "drill" and round_.focus == ["ecs", "fargate"]


def test_the_matrix_for_five_thousand_answers_takes_at_most_eight_queries(
    client, trainee, django_assert_max_num_queries
):
    seed(trainee)
    assert RoundItem.objects.filter(learner=trainee, answered_at__isnull=False).count() == 5000
    with django_assert_max_num_queries(8):
        response = client.get("/trainer/confusions/")
    assert response.status_code == 200 and "5000 answers" in response.content.decode()


def test_the_bench_seed_is_idempotent(trainee):
    first = seed(trainee)
    second = seed(trainee)
    assert RoundItem.objects.filter(learner=trainee, answered_at__isnull=False).count() == 5000
    assert first["trainer_round"] == second["trainer_round"]


# ---------------------------------------------------------------- drills


def test_a_pair_drill_mixes_scenarios_of_both_services_and_nothing_else(client, trainee):
    round_ = start(client, kind="drill", service=["ecs", "fargate"])
    answers = [item.scenario.answer for item in round_.items.select_related("scenario")]
    assert len(answers) == 10
    assert all({"ecs", "fargate"} & set(answer) for answer in answers)
    assert sum("ecs" in a for a in answers) >= 3 and sum("fargate" in a for a in answers) >= 3


def test_pair_drills_vary_the_split_between_the_two_sides(trainee):
    focus = rounds.Focus(["lambda", "batch"], names=["AWS Lambda", "AWS Batch"])
    splits = set()
    for seed_value in range(12):
        round_ = rounds.start_round(trainee, Round.Kind.DRILL, focus, timezone.now(), random.Random(seed_value))
        splits.add(sum("lambda" in item.scenario.answer for item in round_.items.select_related("scenario")))
    assert len(splits) > 1


def test_a_drill_needs_two_different_services(client, trainee):
    response = client.post("/trainer/rounds/", {"kind": "drill", "service": ["ecs", "ecs"]}, follow=True)
    assert "A drill needs two different services" in response.content.decode()
    assert not Round.objects.exists()


def test_a_missed_scenario_comes_back_when_it_is_due(client, trainee):
    round_ = start(client)
    item = current(client, round_)
    answer(client, round_, item, [a_wrong_choice(item)])
    memory = ScenarioMemory.objects.get(learner=trainee, scenario=item.scenario)
    assert memory.due > timezone.now()
    response = client.post("/trainer/rounds/", {"kind": "drill"}, follow=True)
    assert "Nothing is due" in response.content.decode()

    ScenarioMemory.objects.filter(pk=memory.pk).update(due=timezone.now() - timedelta(minutes=1))
    assert "Review 1 missed scenario now due" in client.get("/trainer/").content.decode()
    drill = start(client, kind="drill")
    assert list(drill.items.values_list("scenario_id", flat=True)) == [item.scenario_id]


def test_a_due_scenario_joins_practice_rounds_that_cover_it_and_no_other(client, trainee):
    missed = current(client, start(client))
    answer(client, missed.round, missed, [a_wrong_choice(missed)])
    memory = ScenarioMemory.objects.get(learner=trainee, scenario=missed.scenario)
    ScenarioMemory.objects.filter(pk=memory.pk).update(due=timezone.now() - timedelta(minutes=1))
    other = next(key for key in ("lambda", "ecs", "s3") if key not in missed.scenario.answer)

    focused = start(client, service=other)
    assert missed.scenario_id not in set(focused.items.values_list("scenario_id", flat=True))
    everything = start(client)
    reused = everything.items.get(scenario_id=missed.scenario_id)  # due first: always in the round
    assert reused.memory_id == memory.pk


def test_practice_rounds_favour_the_pairs_a_learner_confuses(trainee):
    last_week = timezone.now() - timedelta(days=7)
    for scenario in Scenario.objects.filter(answer_key="ecs"):
        history_of(trainee, [(scenario.external_id, "fargate")] * 3, now=last_week)
    # Answered since: right answers elsewhere, so the ECS scenarios are not among the recently seen.
    history_of(trainee, [(s.external_id, s.answer_key) for s in Scenario.objects.filter(answer_key="lambda")] * 2)
    # The compute chapter's services: among the whole catalogue's scenarios, ten rounds would draw too few ECS ones.
    focus = rounds.Focus(services=["docker", "ecs", "fargate", "ecr", "eks", "lambda", "batch", "lightsail", "ec2"])
    served = {"with": 0, "without": 0}
    for seed_value in range(10):
        rng = random.Random(seed_value)
        round_ = rounds.start_round(trainee, Round.Kind.PRACTICE, focus, timezone.now(), rng)
        served["with"] += sum("ecs" in i.scenario.answer for i in round_.items.select_related("scenario"))
    Round.objects.all().delete()
    ScenarioMemory.objects.all().delete()
    for seed_value in range(10):
        rng = random.Random(seed_value)
        round_ = rounds.start_round(trainee, Round.Kind.PRACTICE, focus, timezone.now(), rng)
        served["without"] += sum("ecs" in i.scenario.answer for i in round_.items.select_related("scenario"))
    assert served["with"] > served["without"] * 1.5


def test_the_weakness_of_a_service_grows_with_wrong_answers(trainee):
    scenario = ecs_scenario().external_id
    history_of(trainee, [(scenario, "fargate")] * 4)
    history = History.for_learner(trainee)
    assert history.weakness("ecs") > 0.8 > 0.5 == history.weakness("lambda")
    assert history.confused("fargate", "ecs")


def test_the_learners_desired_retention_sets_the_next_interval(client, trainee, other_learner):
    LearnerSettings.objects.create(learner=trainee, desired_retention=0.7)
    LearnerSettings.objects.create(learner=other_learner, desired_retention=0.97)
    scenario = ecs_scenario()
    dues = {}
    for learner in (trainee, other_learner):
        client.force_login(learner)
        ScenarioMemory.objects.create(
            learner=learner,
            scenario=scenario,
            state=2,
            stability=20,
            difficulty=5,
            due=timezone.now(),
            last_review=timezone.now() - timedelta(days=20),
        )
        round_ = start(client, kind="drill")
        item = current(client, round_)
        answer(client, round_, item, item.scenario.answer)
        dues[learner.pk] = ScenarioMemory.objects.get(learner=learner, scenario=scenario).due
    assert dues[trainee.pk] > dues[other_learner.pk] + timedelta(days=10)


# ---------------------------------------------------------------- the decision guide


def test_the_guide_page_lets_the_learner_pick_a_guide(client, loaded_content):
    page = client.get("/trainer/guide/").content.decode()
    for guide in Guide.objects.all():
        assert f'href="/trainer/guide/{guide.slug}/"' in page and guide.title in page
    assert 'href="/trainer/guide/compute/"' in page


def test_an_old_guide_link_goes_on_to_the_compute_guide(client, loaded_content):
    response = client.get("/trainer/guide/?path=1.0")
    assert response.status_code == 301 and response["Location"] == "/trainer/guide/compute/?path=1.0"


def test_an_unknown_guide_is_a_404(client, loaded_content):
    assert client.get("/trainer/guide/astrology/").status_code == 404


def test_the_decision_guide_is_public_and_starts_with_one_question(client, loaded_content):
    page = client.get("/trainer/guide/compute/").content.decode()
    assert "Question 1: What kind of workload do you need to run?" in page
    assert 'href="?path=1"' in page


def test_the_guide_walks_to_a_service_with_the_reasoning_path_and_links(client, loaded_content):
    # Short code triggered by events -> up to 15 minutes -> fits in memory -> called as an API
    page = client.get("/trainer/guide/compute/?path=1.0.0.0").content.decode()
    assert "It fits: Amazon API Gateway + AWS Lambda" in page
    assert page.count("You chose:") == 4 and "How long does a single run take at most?" in page
    assert 'href="/notes/lambda/"' in page and "/trainer/?service=api-gateway&amp;service=lambda" in page


def test_one_guide_step_swaps_in_with_htmx(client, loaded_content):
    response = client.get("/trainer/guide/compute/?path=1", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page and 'id="guide"' in page
    assert "Question 2: How long does a single run take at most?" in page


@pytest.mark.parametrize("path", ["9", "1.7", "x", "1.0.0.0.0"])
def test_a_guide_path_that_is_not_in_the_tree_gets_a_400(client, loaded_content, path):
    response = client.get(f"/trainer/guide/compute/?path={path}")
    assert response.status_code == 400 and "start again" in response.content.decode()


def test_the_matrix_shows_one_family_at_a_time_with_a_choice_of_families(client, trainee):
    ecs = ecs_scenario().external_id
    lambda_ = Scenario.objects.filter(answer_key="lambda").order_by("pk").first().external_id
    history_of(trainee, [(ecs, "fargate"), (ecs, "fargate"), (lambda_, "batch")])
    page = client.get("/trainer/confusions/").content.decode()
    assert 'href="?category=containers" aria-current="page"' in page  # the family of the top confusion
    assert 'href="?category=serverless"' in page
    assert '<th scope="row">Amazon ECS</th>' in page and '<th scope="row">AWS Lambda</th>' not in page
    serverless = client.get("/trainer/confusions/?category=serverless").content.decode()
    assert ": Serverless</h2>" in serverless
    assert '<th scope="row">AWS Lambda</th>' in serverless and '<th scope="row">Amazon ECS</th>' not in serverless
    assert client.get("/trainer/confusions/?category=astrology").status_code == 400
