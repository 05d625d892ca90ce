"""Data ownership: export everything as JSON and CSV; delete the account and everything about it, once confirmed."""

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from quizzes.exams.models import AttemptQuestion, ExamAttempt
from quizzes.models import Flag, LearnerSettings, QuestionMemory, ReviewLog
from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory
from studyapp.accounts.models import User
from tests.factories import (
    PASSWORD,
    FlagFactory,
    QuestionFactory,
    QuestionMemoryFactory,
    ReviewLogFactory,
    StewardshipFactory,
    TrainerAnswerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def scenario() -> Scenario:
    return Scenario.objects.create(
        external_id="nightly-batch", text_md="A nightly job.", text_html="<p>A nightly job.</p>",
        highlighted_html="<p>A nightly job.</p>", answer=["batch"], answer_key="batch", difficulty=1,
        why_md="Batch.", why_html="<p>Batch.</p>", source="test.yaml",
    )  # fmt: skip


def everything_of(learner) -> dict:
    """One of each kind of record, for this learner."""
    now = timezone.now()
    question = QuestionFactory(external_id="lambda-timeout")
    memory = QuestionMemoryFactory(learner=learner, question=question)
    ReviewLogFactory(memory=memory, reviewed_at=now - timedelta(days=2), answer=[2], correct=False, rating=1)
    ReviewLogFactory(memory=memory, reviewed_at=now - timedelta(days=1))
    LearnerSettings.objects.create(learner=learner, desired_retention=0.88, time_zone="Europe/Paris")
    round_ = Round.objects.create(learner=learner, size=1, started_at=now, finished_at=now, score=0)
    found = scenario()
    scenario_memory = ScenarioMemory.objects.create(learner=learner, scenario=found, due=now)
    TrainerAnswerFactory(round=round_, scenario=found, memory=scenario_memory, position=1, chosen_key="lambda")
    attempt = ExamAttempt.objects.create(
        learner=learner, preset="quick", title="Compute quick exam", options={}, state="finished", started_at=now,
        finished_at=now, scored_total=1, scored_correct=1, scaled_score=1000, passed=True,
    )  # fmt: skip
    AttemptQuestion.objects.create(
        attempt=attempt, position=1, question=question, revision=1, snapshot={}, answer=[1], answered=True, correct=True
    )
    FlagFactory(learner=learner, question=question)
    return {"question": question, "attempt": attempt}


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return learner


def test_the_json_export_holds_all_of_my_data_and_none_of_anyone_elses(client, signed_in, other_learner):
    everything_of(signed_in)
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=other_learner))
    response = client.get("/settings/export.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="ccp-study-ada-')
    data = json.loads(response.content)
    assert data["format"] == "ccp-study-export" and data["version"] == 1
    assert data["account"]["username"] == "ada" and data["account"]["desired_retention"] == 0.88
    assert data["account"]["time_zone"] == "Europe/Paris"
    assert [(log["question"], log["rating"], log["correct"], log["answer"]) for log in data["review_log"]] == [
        ("lambda-timeout", 1, False, [2]),
        ("lambda-timeout", 3, True, [1]),
    ]
    assert data["review_log"][0]["reviewed_at"].endswith("+00:00")
    assert [(s["question"], s["state"], s["stability_days"]) for s in data["study_states"]] == [
        ("lambda-timeout", 2, 10.0)
    ]
    assert [(a["scenario"], a["chosen"], a["expected"], a["correct"]) for a in data["trainer_answers"]] == [
        ("nightly-batch", "lambda", "batch", False)
    ]
    assert len(data["trainer_rounds"]) == 1 and len(data["scenario_states"]) == 1
    assert [(a["title"], a["scaled_score"], a["passed"]) for a in data["exam_attempts"]] == [
        ("Compute quick exam", 1000, True)
    ]
    assert [(a["question"], a["answer"], a["correct"]) for a in data["exam_answers"]] == [("lambda-timeout", [1], True)]
    assert len(data["question_reports"]) == 1


def test_the_csv_export_is_a_zip_with_one_file_per_kind(client, signed_in):
    everything_of(signed_in)
    response = client.get("/settings/export.zip")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == sorted(
        [
            "README.txt", "account.csv", "study_states.csv", "review_log.csv", "scenario_states.csv",
            "trainer_rounds.csv", "trainer_answers.csv", "exam_attempts.csv", "exam_answers.csv",
            "question_reports.csv", "classes.csv", "memory_model.csv",
        ]
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(archive.read("review_log.csv").decode())))
    assert [(row["question"], row["rating"], row["correct"], row["answer"]) for row in rows] == [
        ("lambda-timeout", "1", "False", "[2]"),
        ("lambda-timeout", "3", "True", "[1]"),
    ]
    account = list(csv.DictReader(io.StringIO(archive.read("account.csv").decode())))
    assert account[0]["username"] == "ada" and account[0]["time_zone"] == "Europe/Paris"


def test_exports_need_a_learner_and_write_nothing(client, signed_in):
    client.logout()
    assert client.get("/settings/export.json").status_code == 302
    client.force_login(signed_in)
    client.get("/settings/export.json")
    client.get("/settings/export.zip")
    assert not LearnerSettings.objects.filter(learner=signed_in).exists()
    assert client.get("/settings/export.xml").status_code == 404


def rows_of(user) -> int:
    return sum(
        model.objects.filter(**{field: user}).count()
        for model, field in [
            (QuestionMemory, "learner"), (ReviewLog, "learner"), (LearnerSettings, "learner"), (Round, "learner"),
            (RoundItem, "learner"), (ScenarioMemory, "learner"), (ExamAttempt, "learner"),
            (AttemptQuestion, "attempt__learner"), (Flag, "learner"),
        ]
    )  # fmt: skip


def test_deleting_my_account_removes_everything_about_me_and_nothing_else(client, signed_in, other_learner):
    everything_of(signed_in)
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=other_learner))
    assert rows_of(signed_in) == 10
    response = client.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not User.objects.filter(username="ada").exists()
    assert rows_of(signed_in) == 0
    assert rows_of(other_learner) == 2
    page = client.get("/").content.decode()
    assert "Your account and all your data are deleted." in page
    assert "Log in" in page  # signed out


def test_the_instructors_keep_anonymous_counts_of_a_deleted_learners_answers(client, signed_in):
    from quizzes.itemstats.models import QuestionTally

    question = everything_of(signed_in)["question"]
    client.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"})
    assert not User.objects.filter(username="ada").exists()
    study = QuestionTally.objects.get(question=question, source="study")
    assert (study.attempts, study.correct) == (2, 1)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"password": "wrong-password", "confirm": "on"}, "That password is not right."),
        ({"password": "", "confirm": "on"}, "Enter your password to confirm."),
        ({"password": PASSWORD}, "Tick the box to confirm."),
    ],
)
def test_nothing_is_deleted_without_the_password_and_the_confirmation(client, signed_in, form, message):
    everything_of(signed_in)
    response = client.post("/settings/delete/", form)
    assert response.status_code == 200 and message in response.content.decode()
    assert rows_of(signed_in) == 10


def test_the_confirmation_page_deletes_nothing(client, signed_in):
    page = client.get("/settings/delete/").content.decode()
    assert 'type="password"' in page and "It cannot be undone." in page
    assert User.objects.filter(pk=signed_in.pk).exists()


def test_a_failure_during_deletion_leaves_everything_in_place(client, signed_in, monkeypatch):
    from quizzes.itemstats import tallies

    everything_of(signed_in)

    def fail_after_delete(user):
        ReviewLog.objects.filter(learner=user).delete()  # a partial write the failure must undo
        raise RuntimeError("boom")

    monkeypatch.setattr(tallies, "before_learner_deleted", fail_after_delete)
    client.raise_request_exception = False
    response = client.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 500
    assert rows_of(signed_in) == 10


def test_an_instructor_who_owns_a_bank_is_told_why_the_account_cannot_be_deleted(client, instructor):
    StewardshipFactory(owner=instructor, bank__title="Containers bank", bank__slug="containers")
    client.force_login(instructor)
    response = client.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "cannot be deleted yet: you own 1 question bank (containers (published))" in page
    assert "Nothing was deleted." in page
    assert User.objects.filter(pk=instructor.pk).exists()


def test_a_guest_discards_their_progress_without_a_password(client):
    guest = UserFactory(username="guest-1", is_guest=True)
    guest.set_unusable_password()
    guest.save()
    ReviewLogFactory(memory=QuestionMemoryFactory(learner=guest))
    client.force_login(guest)
    page = client.get("/settings/delete/").content.decode()
    assert 'type="password"' not in page and "Discard your guest progress" in page
    assert client.post("/settings/delete/", {}).status_code == 200  # the box must be ticked
    assert User.objects.filter(pk=guest.pk).exists()
    response = client.post("/settings/delete/", {"confirm": "on"}, follow=True)
    assert "Your guest progress was discarded." in response.content.decode()
    assert not User.objects.filter(pk=guest.pk).exists() and rows_of(guest) == 0


def test_a_visitor_cannot_delete_anything(client, learner):
    response = client.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert User.objects.filter(pk=learner.pk).exists()
