"""Practice exams through their URLs: blueprint, clock, integrity, scoring, review, access."""

import random
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from quizzes.exams import blueprint, scoring
from quizzes.exams.models import AttemptQuestion, ExamAttempt
from quizzes.models import Category, Question, QuestionMemory, ReviewLog
from studyapp.accounts.models import User
from studyapp.notes.models import ContentRelease

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def clock(monkeypatch):
    """A controllable clock: tests move `clock.now` and the app sees it."""

    class Clock:
        now = timezone.now()

        def advance(self, **delta):
            self.now += timedelta(**delta)

    fake = Clock()
    monkeypatch.setattr(timezone, "now", lambda: fake.now)
    return fake


DOMAIN_SIZES = {"cloud-concepts": 20, "security-compliance": 22, "cloud-technology": 25, "billing-pricing": 13}
CORE = ["docker", "ecs", "fargate", "ecr", "lambda", "api-gateway", "batch", "lightsail"]


@pytest.fixture
def exam_bank(db):
    """80 questions over the four domains and the core services: singles, multiples and true/false."""
    return build_exam_bank(["single", "single", "multiple", "truefalse", "single"])


def build_exam_bank(types: list[str]) -> int:
    """80 questions over the four domains and the core services, their types taken from `types` in turn."""
    from quizzes.models import Service
    from quizzes.study.catalogue import load_services
    from studyapp.content import content_dir
    from tests.factories import QuestionFactory

    load_services(content_dir())
    services = {s.key: s for s in Service.objects.all()}
    n = 0
    for domain, size in DOMAIN_SIZES.items():
        for _ in range(size):
            QuestionFactory(domain=domain, type=types[n % len(types)], services=[services[CORE[n % len(CORE)]]])
            n += 1
    return n


def start(client, **fields) -> ExamAttempt:
    response = client.post("/exam/start", {"preset": "quick", "source": "all", **fields})
    assert response.status_code == 302, response.content.decode()[:500]
    return ExamAttempt.objects.latest("pk")


def right_keys(item: AttemptQuestion) -> list[int]:
    return sorted(c["key"] for c in item.snapshot["choices"] if c["correct"])


def wrong_keys(item: AttemptQuestion) -> list[int]:
    wrong = [c["key"] for c in item.snapshot["choices"] if not c["correct"]]
    return wrong[: item.select]


def save(client, attempt, position, keys, seq=None, htmx=False, follow=False, **fields):
    """Post one question's form as the page would (the seq it was rendered at, the flag state)."""
    data = {"seq": attempt.seq if seq is None else seq, "choice": keys, "flag_sent": "1", **fields}
    url = f"/exam/{attempt.pk}/q/{position}/"
    response = client.post(url, data, follow=follow, headers=HTMX if htmx else None)
    attempt.refresh_from_db()
    return response


# ---------------------------------------------------------------- blueprint


def test_domain_targets_follow_the_exam_weights_by_largest_remainder():
    plenty = {d: 100 for d in blueprint.DOMAIN_WEIGHTS}
    assert blueprint.domain_targets(65, plenty) == {
        "cloud-concepts": 16,
        "security-compliance": 19,
        "cloud-technology": 22,
        "billing-pricing": 8,
    }


def test_a_short_domain_passes_its_share_to_the_others():
    available = {"cloud-concepts": 3, "security-compliance": 100, "cloud-technology": 100, "billing-pricing": 100}
    targets = blueprint.domain_targets(65, available)
    assert targets["cloud-concepts"] == 3
    assert sum(targets.values()) == 65


def test_a_full_simulation_draws_65_distinct_questions_balanced_by_domain(client, learner, exam_bank, clock):
    client.force_login(learner)
    attempt = start(client, preset="full")
    items = list(attempt.questions.all())
    assert len(items) == 65 and len({i.question_id for i in items}) == 65
    assert attempt.deadline == clock.now + timedelta(minutes=90)
    by_domain = {}
    for item in items:
        by_domain[item.snapshot["domain"]] = by_domain.get(item.snapshot["domain"], 0) + 1
    available = {d: Question.objects.filter(domain=d).count() for d in blueprint.DOMAIN_WEIGHTS}
    assert by_domain == {d: n for d, n in blueprint.domain_targets(65, available).items() if n}


def test_the_draw_spreads_questions_across_services():
    class Q:
        def __init__(self, pk, service):
            self.pk, self.domain, self.primary_service = pk, "cloud-technology", service

    questions = [Q(i, "lambda") for i in range(50)] + [Q(100 + i, "ecs") for i in range(5)]
    drawn = blueprint.draw(questions, 10, random.Random(1))
    assert sum(q.primary_service == "ecs" for q in drawn) == 5


def test_options_are_shuffled_per_attempt(client, learner, exam_bank):
    client.force_login(learner)
    orders = set()
    for _ in range(4):
        attempt = start(client, preset="custom", count="60", untimed="on")
        for item in attempt.questions.filter(snapshot__type="single"):
            orders.add((item.question_id, tuple(c["key"] for c in item.snapshot["choices"])))
    per_question = {}
    for question_id, order in orders:
        per_question.setdefault(question_id, set()).add(order)
    assert any(len(seen) > 1 for seen in per_question.values())


def test_pilot_questions_are_unscored_and_unmarked(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client, preset="full", pilot="on")
    assert attempt.questions.filter(is_pilot=True).count() == 15
    pilot = attempt.questions.filter(is_pilot=True).first()
    body = client.get(f"/exam/{attempt.pk}/q/{pilot.position}/").content.decode()
    assert "pilot" not in body.lower()


def test_asking_for_more_questions_than_exist_offers_the_largest_exam(client, learner, exam_bank):
    client.force_login(learner)
    response = client.post(
        "/exam/start", {"preset": "custom", "count": "100", "untimed": "on", "services": ["lightsail"], "source": "all"}
    )
    available = Question.objects.in_scope(["lightsail"]).count()
    body = response.content.decode()
    assert f"Only {available} questions match these settings (100 were asked for)." in body
    assert f"Start a {available}-question exam instead" in body
    assert not ExamAttempt.objects.exists()


def test_a_custom_exam_without_a_time_limit_explains_what_is_missing(client, learner, exam_bank):
    client.force_login(learner)
    response = client.post("/exam/start", {"preset": "custom", "count": "10", "source": "all"})
    assert response.status_code == 400
    assert "Enter a time limit in minutes, or tick Untimed." in response.content.decode()


# ---------------------------------------------------------------- taking it


def test_correct_answers_never_reach_the_browser_before_the_end(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    for item in attempt.questions.all():
        body = client.get(f"/exam/{attempt.pk}/q/{item.position}/").content.decode()
        for choice in item.snapshot["choices"]:
            if choice["why_html"]:
                assert choice["why_html"] not in body
        assert item.snapshot["explanation_html"] not in body


def test_an_answer_is_saved_at_once_and_the_exam_resumes_where_the_learner_was(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    item = attempt.questions.get(position=3)
    response = save(client, attempt, 3, right_keys(item)[:1], htmx=True)
    assert response.status_code == 200 and 'id="exam-live"' in response.content.decode()
    item.refresh_from_db()
    assert item.answer == right_keys(item)[:1]
    assert client.get(f"/exam/{attempt.pk}/").url == f"/exam/{attempt.pk}/q/3/"


def test_a_replayed_write_is_recorded_once_and_a_stale_tab_is_refused(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    item = attempt.questions.get(position=1)
    keys = wrong_keys(item)
    seq = attempt.seq
    save(client, attempt, 1, keys, seq=seq)
    after_first = attempt.seq
    response = save(client, attempt, 1, keys, seq=seq)  # the double click
    assert attempt.seq == after_first and response.status_code in (200, 302)
    response = save(client, attempt, 1, right_keys(item), seq=seq, follow=True)  # an old tab
    item.refresh_from_db()
    assert item.answer == sorted(keys)
    assert "changed in another tab or window" in response.content.decode()


def test_select_n_is_enforced_before_leaving_the_question(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client, preset="custom", count="60", untimed="on")
    item = attempt.questions.filter(select=2).first()
    response = save(client, attempt, item.position, right_keys(item)[:1], go="next")
    assert response.status_code == 200
    assert "Select 2 options before you move on (you selected 1)." in response.content.decode()
    response = save(client, attempt, item.position, right_keys(item), go="next")
    assert response.status_code == 302


def test_navigation_buttons_save_then_go_where_they_say(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    assert save(client, attempt, 1, [], go="next").url == f"/exam/{attempt.pk}/q/2/"
    assert save(client, attempt, 2, [], go="prev").url == f"/exam/{attempt.pk}/q/1/"
    assert save(client, attempt, 1, [], go="7").url == f"/exam/{attempt.pk}/q/7/"
    assert client.get(f"/exam/{attempt.pk}/").url == f"/exam/{attempt.pk}/q/7/"  # resumes there
    assert save(client, attempt, 7, [], go="review").url == f"/exam/{attempt.pk}/review/"


def test_more_options_than_the_question_takes_are_not_saved(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    item = attempt.questions.filter(select=1).first()
    keys = [c["key"] for c in item.snapshot["choices"]][:2]
    response = save(client, attempt, item.position, keys, htmx=True)
    assert "Select only 1" in response.content.decode()
    item.refresh_from_db()
    assert item.answer == []


def test_flagging_marks_the_question_in_the_navigator_and_review(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    save(client, attempt, 2, [], flagged="1")
    assert attempt.questions.get(position=2).flagged
    body = client.get(f"/exam/{attempt.pk}/review/").content.decode()
    assert "1 flagged for review" in body and "20 unanswered" in body


@pytest.mark.parametrize(
    "data, message",
    [
        ({"choice": ["999"]}, "options that are not part of this question"),
        ({"choice": ["x"]}, "invalid option"),
        ({"seq": "abc"}, "invalid sequence number"),
        ({"go": "500"}, "not part of this exam"),
    ],
)
def test_tampered_answers_get_a_400_with_a_message(client, learner, exam_bank, data, message):
    client.force_login(learner)
    attempt = start(client)
    response = client.post(f"/exam/{attempt.pk}/q/1/", {"seq": attempt.seq, "flag_sent": "1", **data})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_question_that_is_not_in_the_attempt_is_a_400(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    assert client.get(f"/exam/{attempt.pk}/q/21/").status_code == 400


# ---------------------------------------------------------------- the clock


def test_an_answer_after_the_deadline_is_refused_and_the_exam_is_submitted(client, learner, exam_bank, clock):
    client.force_login(learner)
    attempt = start(client)
    item = attempt.questions.get(position=1)
    clock.advance(minutes=30, seconds=30)  # past 30 minutes plus the grace
    response = save(client, attempt, 1, right_keys(item), follow=True)
    assert "answers sent after the deadline are not recorded" in response.content.decode()
    item.refresh_from_db()
    assert item.answer == [] and attempt.state == ExamAttempt.State.FINISHED and attempt.auto_submitted
    assert attempt.finished_at == attempt.deadline


def test_an_answer_within_the_grace_still_counts(client, learner, exam_bank, clock):
    client.force_login(learner)
    attempt = start(client)
    item = attempt.questions.get(position=1)
    clock.advance(minutes=30, seconds=5)
    save(client, attempt, 1, right_keys(item))
    item.refresh_from_db()
    assert item.answer == right_keys(item)


def test_an_htmx_answer_after_the_deadline_sends_the_browser_to_the_results(client, learner, exam_bank, clock):
    client.force_login(learner)
    attempt = start(client)
    clock.advance(hours=1)
    response = save(client, attempt, 1, [1], htmx=True)
    assert response["HX-Redirect"] == f"/exam/{attempt.pk}/results/"


def test_an_abandoned_tab_is_submitted_by_the_overdue_command(client, learner, exam_bank, clock):
    client.force_login(learner)
    attempt = start(client)
    untimed = start(client, preset="custom", count="5", untimed="on")
    clock.advance(minutes=31)
    out = StringIO()
    call_command("close_overdue_attempts", stdout=out)
    assert "Submitted 1 overdue attempt." in out.getvalue()
    attempt.refresh_from_db()
    untimed.refresh_from_db()
    assert attempt.state == ExamAttempt.State.FINISHED and attempt.auto_submitted
    assert untimed.state == ExamAttempt.State.IN_PROGRESS


def written_statements(context) -> list[str]:
    return [q["sql"] for q in context.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "LOCK")


def stored(attempt: ExamAttempt) -> tuple:
    """Everything stored about an attempt: its row and its questions' rows."""
    row = ExamAttempt.objects.filter(pk=attempt.pk).values().get()
    return row, list(AttemptQuestion.objects.filter(attempt=attempt).order_by("position").values())


@pytest.fixture
def overdue(client, learner, exam_bank, clock):
    """A quick exam with questions 1 and 2 answered right in time, then left open 45 minutes."""
    client.force_login(learner)
    attempt = start(client)
    for position in (1, 2):
        save(client, attempt, position, right_keys(attempt.questions.get(position=position)))
    clock.advance(minutes=45)
    return attempt


def test_a_get_shows_an_overdue_attempt_as_finished_without_writing(client, overdue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = stored(overdue)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/exam/{overdue.pk}/q/1/").url == f"/exam/{overdue.pk}/results/"
        assert client.get(f"/exam/{overdue.pk}/").url == f"/exam/{overdue.pk}/results/"
        assert client.get(f"/exam/{overdue.pk}/review/").url == f"/exam/{overdue.pk}/"
        results = client.get(f"/exam/{overdue.pk}/results/").content.decode()
        index = client.get("/exam/").content.decode()
    assert written_statements(queries) == []
    assert stored(overdue) == before
    assert before[0]["state"] == ExamAttempt.State.IN_PROGRESS
    assert "2 of 20 scored questions" in results and "submitted automatically when time ran out" in results
    assert f"<strong>{scoring.scaled_score(2, 20)}</strong> / 1000" in results
    assert f"/exam/{overdue.pk}/results/" in index and "Continue:" not in index


def test_the_next_post_closes_an_overdue_attempt_as_the_page_showed_it(client, overdue):
    response = save(client, overdue, 3, right_keys(overdue.questions.get(position=3)), follow=True)
    assert "answers sent after the deadline are not recorded" in response.content.decode()
    assert overdue.state == ExamAttempt.State.FINISHED and overdue.auto_submitted
    assert overdue.finished_at == overdue.deadline
    assert (overdue.scored_correct, overdue.scored_total) == (2, 20)
    assert overdue.questions.get(position=3).answer == []


def test_the_sweeper_closes_an_overdue_attempt_a_page_showed_finished(client, overdue):
    shown = client.get(f"/exam/{overdue.pk}/results/").content.decode()
    out = StringIO()
    call_command("close_overdue_attempts", stdout=out)
    assert "Submitted 1 overdue attempt." in out.getvalue()
    overdue.refresh_from_db()
    assert overdue.state == ExamAttempt.State.FINISHED and overdue.finished_at == overdue.deadline
    assert f"<strong>{overdue.scaled_score}</strong> / 1000" in shown
    assert client.get(f"/exam/{overdue.pk}/results/").content.decode().count("Scaled score") == 1
    call_command("close_overdue_attempts", stdout=out)  # nothing left to close
    assert "Submitted 0 overdue attempts." in out.getvalue()


def test_abandoning_an_overdue_attempt_submits_it_instead(client, overdue):
    response = client.post(f"/exam/{overdue.pk}/abandon")
    assert response.url == f"/exam/{overdue.pk}/results/"
    overdue.refresh_from_db()
    assert overdue.state == ExamAttempt.State.FINISHED and overdue.scored_correct == 2


# ---------------------------------------------------------------- scoring and review


def test_scaled_scores_map_the_cut_score_to_700():
    assert scoring.scaled_score(0, 50) == 100
    assert scoring.scaled_score(36, 50) == 700  # 72 %
    assert scoring.scaled_score(50, 50) == 1000
    assert scoring.scaled_score(25, 50) == 517  # 100 + 600 x 0.5 / 0.72
    assert scoring.scaled_score(43, 50) == 850  # 700 + 300 x (0.86 - 0.72) / 0.28


def test_submitting_scores_all_or_nothing_and_schedules_missed_questions(client, learner, exam_bank, clock):
    client.force_login(learner)
    attempt = start(client, preset="custom", count="40", untimed="on")
    items = list(attempt.questions.all())
    multiple = next(i for i in items if i.select > 1)
    for item in items:
        if item is multiple:
            keys = right_keys(item)[:-1] + wrong_keys(item)[:1]  # one right, one wrong: scores zero
        elif item.position % 2:
            keys = right_keys(item)
        else:
            keys = wrong_keys(item)
        save(client, attempt, item.position, keys)
    response = client.post(f"/exam/{attempt.pk}/submit", {"seq": attempt.seq, "confirm": "yes"})
    assert response.url == f"/exam/{attempt.pk}/results/"
    attempt.refresh_from_db()
    expected = sum(1 for i in items if i.position % 2 and i is not multiple)
    assert attempt.scored_correct == expected and attempt.scored_total == 40
    assert attempt.scaled_score == scoring.scaled_score(expected, 40)
    missed = [i.question_id for i in items if not (i.position % 2) or i is multiple]
    memories = QuestionMemory.objects.filter(learner=learner, question_id__in=missed)
    assert memories.count() == len(missed)
    assert all(m.due <= clock.now + timedelta(minutes=1) for m in memories)


def finished_exam(learner, answers: list[tuple[Question, bool, bool]], state=ExamAttempt.State.FINISHED):
    """An attempt of `learner` holding (question, correct, is_pilot) answers, in `state`."""
    attempt = ExamAttempt.objects.create(
        learner=learner, preset="custom", title="Earlier exam", options={}, state=state, started_at=timezone.now()
    )
    for position, (question, correct, is_pilot) in enumerate(answers, start=1):
        AttemptQuestion.objects.create(
            attempt=attempt,
            position=position,
            question=question,
            revision=1,
            snapshot={},
            correct=correct,
            is_pilot=is_pilot,
        )
    return attempt


def test_the_missed_questions_exam_counts_each_question_got_wrong_once(client, learner, other_learner, exam_bank):
    from tests.factories import ReviewLogFactory

    q = list(Question.objects.order_by("pk")[:9])
    # A wrong answer is logged and counted on its memory (failures), as QuestionMemory.record_review does.
    for question in (q[0], q[3], q[6]):  # wrong in study (q[0] right since; q[6] since retired)
        ReviewLogFactory(
            memory__learner=learner, memory__question=question, memory__failures=1, correct=False, rating=1
        )
    ReviewLogFactory(memory=QuestionMemory.objects.get(learner=learner, question=q[0]), correct=True)
    ReviewLogFactory(memory__learner=learner, memory__question=q[1], correct=True)  # only right
    ReviewLogFactory(  # someone else's
        memory__learner=other_learner, memory__question=q[7], memory__failures=1, correct=False, rating=1
    )
    finished_exam(learner, [(q[2], False, False), (q[3], False, False), (q[4], False, True), (q[5], True, False)])
    finished_exam(learner, [(q[8], False, False)], state=ExamAttempt.State.IN_PROGRESS)  # not finished yet
    Question.objects.filter(pk=q[6].pk).update(is_active=False)
    client.force_login(learner)

    page = client.get("/exam/").content.decode()

    # q[0] and q[3] in study, q[2] and q[3] in a finished exam; not a pilot (q[4]), a right answer (q[5]), a
    # retired question (q[6]), another learner's (q[7]) or an exam still running (q[8]).
    assert "3 questions you got wrong in study or exams" in page
    assert set(blueprint.pool(learner, [], "missed").values_list("pk", flat=True)) == {q[0].pk, q[2].pk, q[3].pk}
    response = client.post("/exam/start", {"preset": "missed", "source": "missed", "count": "3"})
    drawn = ExamAttempt.objects.filter(learner=learner).latest("pk").questions.values_list("question_id", flat=True)
    assert response.status_code == 302 and set(drawn) == {q[0].pk, q[2].pk, q[3].pk}


def test_a_wrong_study_answer_joins_the_missed_questions_at_once_and_its_undo_takes_it_back(client, learner):
    from tests.factories import QuestionFactory
    from tests.studying import answer, open_study, rate

    QuestionFactory(position=1)
    QuestionFactory(position=2)
    client.force_login(learner)
    shown = open_study(client)
    rate(client, answer(client, shown, shown.right()), 3)  # right: not missed
    assert "Exam from my missed questions" not in client.get("/exam/").content.decode()

    shown = open_study(client)
    answer(client, shown, shown.wrong())
    assert "1 question you got wrong in study or exams" in client.get("/exam/").content.decode()
    assert list(blueprint.pool(learner, [], "missed")) == [shown.question]

    client.post("/study/undo/", {"log": ReviewLog.objects.filter(learner=learner).latest("pk").pk})
    assert "Exam from my missed questions" not in client.get("/exam/").content.decode()


def test_the_upgrade_recounts_each_memorys_wrong_answers_from_its_log(learner):
    """Guest merges before quizzes 0012 kept one side's counters: the migration recounts them once."""
    from importlib import import_module

    from django.apps import apps

    from tests.factories import QuestionMemoryFactory, ReviewLogFactory

    undercounted, overcounted, right = (QuestionMemoryFactory(learner=learner, failures=n) for n in (0, 5, 1))
    for memory, correct in ((undercounted, False), (undercounted, False), (undercounted, True), (right, False)):
        ReviewLogFactory(memory=memory, learner=learner, correct=correct, rating=1 if not correct else 3)

    import_module("quizzes.migrations.0012_missed_from_memory_failures").recount_failures(apps, None)

    recounted = [QuestionMemory.objects.get(pk=m.pk).failures for m in (undercounted, overcounted, right)]
    assert recounted == [2, 0, 1]


def test_a_double_submit_shows_the_same_results(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    seq = attempt.seq
    first = client.post(f"/exam/{attempt.pk}/submit", {"seq": seq, "confirm": "yes"})
    second = client.post(f"/exam/{attempt.pk}/submit", {"seq": seq, "confirm": "yes"})
    assert first.url == second.url == f"/exam/{attempt.pk}/results/"
    assert ExamAttempt.objects.get(pk=attempt.pk).state == ExamAttempt.State.FINISHED


def test_submitting_needs_the_confirmation(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    assert client.post(f"/exam/{attempt.pk}/submit", {"seq": attempt.seq}).status_code == 400
    assert ExamAttempt.objects.get(pk=attempt.pk).is_open


def test_a_flag_on_a_finished_exam_is_a_400_and_changes_nothing(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    client.post(f"/exam/{attempt.pk}/submit", {"seq": attempt.seq, "confirm": "yes"})
    attempt.refresh_from_db()
    response = client.post(f"/exam/{attempt.pk}/q/1/", {"seq": attempt.seq, "flag_sent": "1", "flagged": "1"})
    assert response.status_code == 400
    assert "This exam is finished" in response.content.decode()
    assert not attempt.questions.get(position=1).flagged


def test_the_review_filters_wrong_flagged_and_unanswered(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    items = list(attempt.questions.all())
    save(client, attempt, 1, right_keys(items[0]))
    save(client, attempt, 2, wrong_keys(items[1]), flagged="1")
    client.post(f"/exam/{attempt.pk}/submit", {"seq": attempt.seq, "confirm": "yes"})
    body = client.get(f"/exam/{attempt.pk}/results/?show=wrong").content.decode()
    assert "Wrong (1)" in body and "Flagged (1)" in body and "Unanswered (18)" in body
    assert body.count('class="review-item') == 1
    body = client.get(f"/exam/{attempt.pk}/results/?show=unanswered").content.decode()
    assert body.count('class="review-item') == 18
    assert (
        items[1].snapshot["explanation_html"] in client.get(f"/exam/{attempt.pk}/results/?show=wrong").content.decode()
    )


def test_retake_starts_a_new_attempt_with_the_same_settings(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client, preset="custom", count="7", minutes="12", services=["lambda"])
    client.post(f"/exam/{attempt.pk}/submit", {"seq": attempt.seq, "confirm": "yes"})
    client.post(f"/exam/{attempt.pk}/retake")
    new = ExamAttempt.objects.latest("pk")
    assert new.pk != attempt.pk and new.options == attempt.options and new.questions.count() == 7


def test_the_history_shows_a_trend_chart_with_the_pass_line(client, learner, exam_bank):
    client.force_login(learner)
    for _ in range(3):
        attempt = start(client)
        client.post(f"/exam/{attempt.pk}/submit", {"seq": attempt.seq, "confirm": "yes"})
    body = client.get("/exam/").content.decode()
    assert 'class="trend-chart"' in body and "The pass mark is 700." in body


# ---------------------------------------------------------------- access and guests


def test_another_learners_attempt_is_a_404(client, learner, other_learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    client.force_login(other_learner)
    for path in ["/", "q/1/", "review/", "results/"]:
        assert client.get(f"/exam/{attempt.pk}/{path}".replace("//", "/")).status_code == 404
    assert client.post(f"/exam/{attempt.pk}/submit", {"seq": 0, "confirm": "yes"}).status_code == 404
    assert ExamAttempt.objects.get(pk=attempt.pk).is_open


def test_a_visitor_can_start_an_exam_as_a_guest(client, exam_bank):
    assert client.get("/exam/").status_code == 200
    assert not User.objects.exists()
    attempt = start(client)
    assert attempt.learner.is_guest
    assert client.get(f"/exam/{attempt.pk}/q/1/").status_code == 200


def test_an_abandoned_exam_is_not_scored(client, learner, exam_bank):
    client.force_login(learner)
    attempt = start(client)
    client.post(f"/exam/{attempt.pk}/abandon")
    attempt.refresh_from_db()
    assert attempt.state == ExamAttempt.State.ABANDONED and attempt.scaled_score is None


# ---------------------------------------------------------------- query counts


def sql_statements(context) -> list[str]:
    """Queries, without the SAVEPOINTs the test's own transaction turns each atomic block into."""
    return [q["sql"] for q in context.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_the_question_page_and_answer_save_stay_within_eight_queries(client, learner, exam_bank):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(learner)
    attempt = start(client, preset="full")
    item = attempt.questions.get(position=5)
    with CaptureQueriesContext(connection) as page:
        assert client.get(f"/exam/{attempt.pk}/q/5/").status_code == 200
    data = {"seq": attempt.seq, "choice": right_keys(item)[: item.select], "flag_sent": "1"}
    with CaptureQueriesContext(connection) as answer:
        assert client.post(f"/exam/{attempt.pk}/q/5/", data, headers=HTMX).status_code == 200
    attempt.refresh_from_db()
    data = {"seq": attempt.seq, "choice": right_keys(item)[: item.select], "flag_sent": "1", "go": "next"}
    with CaptureQueriesContext(connection) as navigation:
        assert client.post(f"/exam/{attempt.pk}/q/5/", data).url == f"/exam/{attempt.pk}/q/6/"
    assert len(sql_statements(page)) <= 8, sql_statements(page)
    assert len(sql_statements(answer)) <= 8, sql_statements(answer)
    assert len(sql_statements(navigation)) <= 8, sql_statements(navigation)


def test_a_65_question_results_page_takes_at_most_ten_queries(
    client, learner, exam_bank, django_assert_max_num_queries
):
    client.force_login(learner)
    attempt = start(client, preset="full")
    client.post(f"/exam/{attempt.pk}/submit", {"seq": attempt.seq, "confirm": "yes"})
    with django_assert_max_num_queries(10):
        assert client.get(f"/exam/{attempt.pk}/results/").status_code == 200


def test_a_full_simulation_of_the_shipped_banks_mixes_the_four_domains_by_their_weights(
    client, learner, loaded_content
):
    client.force_login(learner)
    attempt = start(client, preset="full")
    items = list(attempt.questions.select_related("question"))
    by_domain: dict[str, int] = {}
    topics: dict[str, set[str]] = {}
    for item in items:
        domain = item.snapshot["domain"]
        by_domain[domain] = by_domain.get(domain, 0) + 1
        topics.setdefault(domain, set()).add(item.question.services.first().key)
    assert by_domain == {
        "cloud-concepts": 16,
        "security-compliance": 19,
        "cloud-technology": 22,
        "billing-pricing": 8,
    }
    assert all(len(topics[domain]) >= min(n, 6) for domain, n in by_domain.items())  # topics rotate


def test_the_shipped_banks_hold_ten_full_simulations_without_repeating_a_question(loaded_content):
    available = {d: Question.objects.active().filter(domain=d).count() for d in blueprint.DOMAIN_WEIGHTS}
    for domain, per_exam in blueprint.domain_targets(65, available).items():
        assert available[domain] >= 10 * per_exam, domain


def test_the_custom_exam_form_shows_a_category_renamed_by_a_content_load_at_once(client, learner, exam_bank):
    client.force_login(learner)
    storage = Category.objects.get(key="storage")
    page = client.get("/exam/").content.decode()  # the blank form's fields are cached from here on
    assert re.search(rf'value="storage" id="id_categories_\d+"> {storage.name}</label>', page)
    # What load_content does when a category is renamed: it updates the row and records a release.
    Category.objects.filter(pk=storage.pk).update(name="Storage and backup")
    ContentRelease.objects.create(changes={"categories changed": 1})
    page = client.get("/exam/").content.decode()
    assert "> Storage and backup</label>" in page and f"> {storage.name}</label>" not in page


def test_a_refused_custom_exam_shows_what_was_ticked_and_the_blank_form_stays_blank(client, learner, exam_bank):
    client.force_login(learner)
    client.get("/exam/")  # the blank form's fields are cached
    response = client.post(
        "/exam/start", {"preset": "custom", "count": "10", "categories": ["storage"], "services": ["lambda"]}
    )
    refused = response.content.decode()
    assert response.status_code == 400 and "Enter a time limit in minutes, or tick Untimed." in refused
    assert re.search(r'name="categories" value="storage" id="id_categories_\d+" checked>', refused)
    assert re.search(r'name="services" value="lambda" id="id_services_\d+" checked>', refused)
    assert 'name="count" value="10"' in refused
    again = client.post("/exam/start", {"preset": "custom", "count": "10", "categories": ["database"]}).content.decode()
    assert re.search(r'name="categories" value="database" id="id_categories_\d+" checked>', again)
    assert not re.search(r'name="(categories|services)" value="(storage|lambda)" [^>]* checked>', again)
    blank = client.get("/exam/").content.decode()
    assert not re.search(r'name="(categories|services)" [^>]* checked>', blank)  # nothing ticked
    assert "Enter a time limit" not in blank


def test_the_exam_home_takes_at_most_8_queries(client, learner, exam_bank, django_assert_max_num_queries):
    client.force_login(learner)
    attempt = start(client)
    client.post(f"/exam/{attempt.pk}/submit", {"seq": attempt.seq, "confirm": "yes"})
    start(client)  # one open, one finished
    for _visit in range(2):  # the blank custom form drawn, then from the cache
        with django_assert_max_num_queries(8):
            assert client.get("/exam/").status_code == 200


def test_a_custom_exam_can_draw_from_chosen_categories(client, learner, loaded_content):
    client.force_login(learner)
    page = client.get("/exam/").content.decode()
    assert (
        'name="categories" value="storage"' in page and 'name="categories" value="security-identity-compliance"' in page
    )
    attempt = start(client, preset="custom", count="12", untimed="on", categories=["storage", "database"])
    families = {"storage", "database"}
    for item in attempt.questions.select_related("question"):
        assert families & set(item.question.services.values_list("category__key", flat=True))


def test_every_category_offered_for_a_custom_exam_has_questions_in_the_shipped_banks(client, loaded_content):
    page = client.get("/exam/").content.decode()
    offered = re.findall(r'name="categories" value="([a-z-]+)"', page)
    assert offered == list(Category.objects.order_by("order").values_list("key", flat=True))
    for key in offered:
        assert Question.objects.active().filter(services__category__key=key).count() >= 5, key


def test_an_unknown_category_in_a_custom_exam_is_a_clear_error(client, learner, loaded_content):
    client.force_login(learner)
    response = client.post(
        "/exam/start", {"preset": "custom", "count": "5", "untimed": "on", "categories": "astrology"}
    )
    assert response.status_code == 400
    assert "Select a valid choice. astrology is not one of the available choices." in response.content.decode()
    assert not ExamAttempt.objects.exists()
