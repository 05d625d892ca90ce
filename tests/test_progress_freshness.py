"""The dashboard is fresh right after every write that changes it, the parts it caches included.

The dashboard caches the heatmap's days before today (per learner and study day), the trainer's answers, the
exam attempts and the content (what the questions learners see are about, and the topics: studyapp/progress/
dashboard.py); each test opens the dashboard first, so that the cache
holds them, then writes through the real URLs and opens it again.
"""

import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db.models import F
from django.test import Client

from quizzes.models import LearnerSettings, Question, ReviewLog, Service
from studyapp.notes.models import ContentRelease
from tests.factories import (
    PASSWORD,
    QuestionFactory,
    QuestionMemoryFactory,
    ServiceFactory,
    StewardshipFactory,
    UserFactory,
)
from tests.studying import Clock, answer, open_study

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # 15:00 in UTC, the learners' time zone (day starts at 4)
SETTINGS = {
    "desired_retention": "0.90", "new_per_day": "20", "reviews_per_day": "200", "learning_steps": "1m 10m",
    "relearning_steps": "10m", "time_zone": "UTC", "day_start_hour": "4", "theme": "system",
}  # fmt: skip


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, MONDAY)


@pytest.fixture
def questions(db):
    return [QuestionFactory(position=n) for n in range(3)]


@pytest.fixture
def signed_in(client, learner):
    LearnerSettings.objects.create(learner=learner, time_zone="UTC", day_start_hour=4)
    client.force_login(learner)
    return client


def answer_one_wrong(client) -> None:
    shown = open_study(client)
    assert answer(client, shown, shown.wrong()).status_code == 200


def board(client) -> dict:
    """What the dashboard says: reviews today and in the year, the streak, and the heatmap table's rows."""
    page = client.get("/progress/").content.decode()
    rows = re.findall(r'<tr><th scope="row">(\d+ \w+ \d{4})</th>((?:<td>\d*</td>){7})</tr>', page)
    return {
        "today": int(re.search(r"<dt>Studied today</dt><dd>(\d+)</dd>", page).group(1)),
        "year": int(re.search(r"(\d+) reviews in the last year", page).group(1)),
        "streak": int(re.search(r"<dt>Streak</dt><dd>(\d+) day", page).group(1)),
        "weeks": {week: [int(n) if n else None for n in re.findall(r"<td>(\d*)</td>", cells)] for week, cells in rows},
    }


def test_a_new_answer_shows_at_once(signed_in, questions, clock):
    clock.now = MONDAY.replace(day=8)  # Sunday
    answer_one_wrong(signed_in)
    clock.now = MONDAY
    assert board(signed_in) | {"weeks": None} == {"today": 0, "year": 1, "streak": 1, "weeks": None}
    answer_one_wrong(signed_in)
    assert board(signed_in)["today"] == 1
    answer_one_wrong(signed_in)
    shown = board(signed_in)
    assert (shown["today"], shown["year"], shown["streak"]) == (2, 3, 2)
    assert shown["weeks"]["2 Mar 2026"][-1] == 1 and shown["weeks"]["9 Mar 2026"][0] == 2


def test_undoing_a_rating_of_an_earlier_study_day_shows_at_once(signed_in, learner, questions, clock):
    clock.now = MONDAY.replace(day=8)
    answer_one_wrong(signed_in)
    answer_one_wrong(signed_in)
    clock.now = MONDAY  # a new study day: Sunday's two reviews are now cached days
    assert board(signed_in)["year"] == 2
    last = ReviewLog.objects.filter(learner=learner).latest("pk")
    assert signed_in.post("/study/undo/", {"log": last.pk}).status_code == 303
    shown = board(signed_in)
    assert (shown["year"], shown["weeks"]["2 Mar 2026"][-1]) == (1, 1)
    signed_in.post("/study/undo/", {"log": ReviewLog.objects.get(learner=learner).pk})
    shown = board(signed_in)
    assert (shown["year"], shown["streak"], shown["weeks"]["2 Mar 2026"][-1]) == (0, 0, 0)


def test_merging_a_guests_earlier_reviews_into_an_account_shows_at_once(signed_in, learner, questions, clock):
    clock.now = MONDAY.replace(day=7)  # Saturday: the account studies
    answer_one_wrong(signed_in)
    guest = Client()
    clock.now = MONDAY.replace(day=8)  # Sunday: the same person studies without logging in
    answer_one_wrong(guest)
    answer_one_wrong(guest)
    clock.now = MONDAY
    shown = board(signed_in)
    assert (shown["year"], shown["weeks"]["2 Mar 2026"][-2:]) == (1, [1, 0])

    guest.post("/accounts/login/", {"username": learner.username, "password": PASSWORD})
    assert guest.post("/accounts/merge/", {"choice": "merge"}).status_code == 302
    for client in (signed_in, guest):
        shown = board(client)
        assert (shown["year"], shown["streak"], shown["weeks"]["2 Mar 2026"][-2:]) == (3, 2, [1, 2])


def test_an_undo_then_a_merge_that_leave_as_many_earlier_reviews_show_at_once(signed_in, learner, questions, clock):
    clock.now = MONDAY.replace(day=7)
    answer_one_wrong(signed_in)
    answer_one_wrong(signed_in)
    guest = Client()
    clock.now = MONDAY.replace(day=8)
    answer_one_wrong(guest)
    clock.now = MONDAY
    assert board(signed_in)["weeks"]["2 Mar 2026"][-2:] == [2, 0]
    signed_in.post("/study/undo/", {"log": ReviewLog.objects.filter(learner=learner).latest("pk").pk})
    guest.post("/accounts/login/", {"username": learner.username, "password": PASSWORD})
    guest.post("/accounts/merge/", {"choice": "merge"})
    shown = board(signed_in)  # two earlier reviews before and after, but not the same two
    assert (shown["year"], shown["weeks"]["2 Mar 2026"][-2:]) == (2, [1, 1])


def test_changing_the_time_zone_or_the_day_start_moves_reviews_between_days_at_once(signed_in, questions, clock):
    clock.now = MONDAY.replace(hour=3, minute=30)  # 03:30: still Sunday's study day
    answer_one_wrong(signed_in)
    clock.now = MONDAY
    shown = board(signed_in)
    assert (shown["today"], shown["weeks"]["2 Mar 2026"][-1]) == (0, 1)

    assert signed_in.post("/settings/", SETTINGS | {"day_start_hour": "0"}).status_code == 302
    shown = board(signed_in)
    assert (shown["today"], shown["weeks"]["2 Mar 2026"][-1]) == (1, 0)

    signed_in.post("/settings/", SETTINGS | {"time_zone": "America/New_York", "day_start_hour": "0"})
    shown = board(signed_in)  # 03:30 UTC is 22:30 on Sunday in New York (EDT from 8 March)
    assert (shown["today"], shown["weeks"]["2 Mar 2026"][-1]) == (0, 1)


def test_a_new_study_day_turns_today_into_a_cached_day(signed_in, questions, clock):
    answer_one_wrong(signed_in)
    assert board(signed_in)["today"] == 1
    clock.now = MONDAY.replace(day=10, hour=3, minute=59)  # still Monday's study day
    assert board(signed_in)["today"] == 1
    clock.now = MONDAY.replace(day=10, hour=4)
    shown = board(signed_in)
    assert (shown["today"], shown["year"], shown["streak"], shown["weeks"]["9 Mar 2026"][:2]) == (0, 1, 1, [1, 0])
    answer_one_wrong(signed_in)
    assert board(signed_in)["weeks"]["9 Mar 2026"][:2] == [1, 1]


def squares(client) -> list[tuple[str, str]]:
    """The heatmap's squares: (shade, tooltip), oldest day first."""
    page = client.get("/progress/").content.decode()
    return re.findall(r'<rect class="day-(\d)" [^>]*><title>([^<]+)</title></rect>', page)


def test_today_is_shaded_by_the_busiest_earlier_day_and_at_most_the_darkest(signed_in, questions, clock):
    answer_one_wrong(signed_in)
    answer_one_wrong(signed_in)
    clock.now = MONDAY.replace(day=10)
    answer_one_wrong(signed_in)
    before = squares(signed_in)
    assert len(before) == 365 and before[-2:] == [("4", "Mon 9 Mar 2026: 2"), ("2", "Tue 10 Mar 2026: 1")]
    assert before == squares(signed_in)  # the days before today from the cache, drawn as they were
    for _ in range(3):  # today becomes the busiest day: the darkest, the earlier days keep their shades
        answer_one_wrong(signed_in)
    assert squares(signed_in)[-2:] == [("4", "Mon 9 Mar 2026: 2"), ("4", "Tue 10 Mar 2026: 4")]
    clock.now = MONDAY.replace(day=11)  # a day later, the busiest earlier day shades the others
    assert squares(signed_in)[-3:] == [
        ("2", "Mon 9 Mar 2026: 2"),
        ("4", "Tue 10 Mar 2026: 4"),
        ("0", "Wed 11 Mar 2026: 0"),
    ]


def test_the_days_move_along_with_the_calendar_on_days_without_reviews(signed_in, questions, clock):
    clock.now = MONDAY.replace(day=7)  # Saturday
    answer_one_wrong(signed_in)
    clock.now = MONDAY.replace(day=8)
    assert board(signed_in)["weeks"]["2 Mar 2026"][-2:] == [1, 0]
    clock.now = MONDAY  # nothing on Sunday or Monday: the same reviews before today, one day further back
    shown = board(signed_in)
    assert (shown["year"], shown["streak"], shown["weeks"]["2 Mar 2026"][-2:]) == (1, 0, [1, 0])


def test_a_new_day_start_regroups_earlier_days_at_once(signed_in, questions, clock):
    clock.now = MONDAY.replace(day=8, hour=2)  # 02:00 on Sunday: Saturday's study day while days start at 4
    answer_one_wrong(signed_in)
    clock.now = MONDAY
    assert board(signed_in)["weeks"]["2 Mar 2026"][-2:] == [1, 0]
    signed_in.post("/settings/", SETTINGS | {"day_start_hour": "0"})
    assert board(signed_in)["weeks"]["2 Mar 2026"][-2:] == [0, 1]
    signed_in.post("/settings/", SETTINGS | {"time_zone": "Asia/Tokyo", "day_start_hour": "0"})
    assert board(signed_in)["weeks"]["2 Mar 2026"][-2:] == [0, 1]  # 11:00 on Sunday in Tokyo
    signed_in.post("/settings/", SETTINGS | {"time_zone": "America/New_York", "day_start_hour": "0"})
    assert board(signed_in)["weeks"]["2 Mar 2026"][-2:] == [1, 0]  # 21:00 on Saturday in New York


def test_another_time_zone_with_the_same_day_start_today_regroups_summer_days(signed_in, questions, clock):
    clock.now = datetime(2025, 7, 15, 3, 30, tzinfo=UTC)  # 04:30 in London (summer time), 03:30 in UTC
    answer_one_wrong(signed_in)
    clock.now = MONDAY
    assert board(signed_in)["weeks"]["14 Jul 2025"][:2] == [1, 0]
    signed_in.post("/settings/", SETTINGS | {"time_zone": "Europe/London"})  # today starts at 04:00 UTC all the same
    assert board(signed_in)["weeks"]["14 Jul 2025"][:2] == [0, 1]


def test_a_deleted_accounts_days_are_not_shown_to_a_new_account_of_the_same_name(signed_in, learner, questions, clock):
    clock.now = MONDAY.replace(day=8)
    answer_one_wrong(signed_in)
    clock.now = MONDAY
    assert board(signed_in)["year"] == 1
    signed_in.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"})
    assert not ReviewLog.objects.exists()

    again = UserFactory(username=learner.username)
    signed_in.force_login(again)
    LearnerSettings.objects.create(learner=again, time_zone="UTC", day_start_hour=4)
    answer_one_wrong(signed_in)
    assert board(signed_in) | {"weeks": None} == {"today": 1, "year": 1, "streak": 1, "weeks": None}


# ---------------------------------------------------------------- trainer answers and exams


TRAINER_TOKEN = re.compile(r'name="token" value="([^"]+)"')


def answer_a_scenario(client) -> None:
    """Start a trainer round and answer its first scenario (right)."""
    from quizzes.trainer.models import RoundItem

    started = client.post("/trainer/rounds/", {"kind": "practice"})
    assert started.status_code == 303
    token = TRAINER_TOKEN.search(client.get(started["Location"]).content.decode()).group(1)
    item = RoundItem.objects.select_related("scenario").get(token=token)
    response = client.post(f"{started['Location']}answer/", {"token": token, "service": item.scenario.answer})
    assert response.status_code == 303


def trainer_answers(client) -> int:
    """How many answers the trainer table counts (an answer naming two services counts for each)."""
    page = client.get("/progress/").content.decode()
    if "No scenario answered yet." in page:
        return 0
    table = page.split('<caption id="trainer-table-caption">')[1].split("</tbody>")[0]
    return sum(int(n) for n in re.findall(r'<th scope="row">[^<]+</th><td>(\d+)</td>', table))


def answered(learner) -> int:
    """The same count, from the database."""
    from quizzes.trainer.models import RoundItem

    keys = RoundItem.objects.filter(learner=learner, answered_at__isnull=False).values_list("expected_key", flat=True)
    return sum(len(key.split("+")) for key in keys)


def start_exam(client) -> int:
    response = client.post("/exam/start", {"preset": "custom", "count": "2", "untimed": "on", "source": "all"})
    assert response.status_code == 302
    return int(response["Location"].strip("/").split("/")[1])


def exams(client) -> dict:
    page = client.get("/progress/").content.decode()
    return {
        "open": re.findall(r'href="/exam/(\d+)/">Continue exam', page),
        "finished": re.findall(r'<a href="/exam/(\d+)/results/">', page),
    }


def test_a_trainer_answer_shows_at_once(signed_in, learner, loaded_content):
    assert trainer_answers(signed_in) == 0
    answer_a_scenario(signed_in)
    assert trainer_answers(signed_in) == answered(learner) > 0
    before = answered(learner)
    answer_a_scenario(signed_in)
    assert trainer_answers(signed_in) == answered(learner) > before


def test_starting_finishing_and_abandoning_exams_show_at_once(signed_in, questions):
    assert exams(signed_in) == {"open": [], "finished": []}
    first = start_exam(signed_in)
    assert exams(signed_in) == {"open": [str(first)], "finished": []}
    assert signed_in.post(f"/exam/{first}/submit", {"seq": "0", "confirm": "yes"}).status_code == 302
    assert exams(signed_in) == {"open": [], "finished": [str(first)]}
    second = start_exam(signed_in)
    assert exams(signed_in)["open"] == [str(second)]
    signed_in.post(f"/exam/{second}/abandon")
    third = start_exam(signed_in)  # as many open and finished as before, a newer one open
    assert exams(signed_in) == {"open": [str(third)], "finished": [str(first)]}
    signed_in.post(f"/exam/{third}/abandon")
    assert exams(signed_in) == {"open": [], "finished": [str(first)]}


def test_merging_a_guests_trainer_answers_and_exams_shows_at_once(signed_in, learner, questions, loaded_content, clock):
    guest = Client()
    answer_a_scenario(guest)
    answer_a_scenario(guest)
    earlier = start_exam(guest)
    guest.post(f"/exam/{earlier}/submit", {"seq": "0", "confirm": "yes"})
    clock.now = MONDAY.replace(hour=16)
    answer_a_scenario(signed_in)
    later = start_exam(signed_in)
    before = answered(learner)
    assert (trainer_answers(signed_in), exams(signed_in)) == (before, {"open": [str(later)], "finished": []})
    guest.post("/accounts/login/", {"username": learner.username, "password": PASSWORD})
    guest.post("/accounts/merge/", {"choice": "merge"})
    assert answered(learner) > before
    assert (trainer_answers(signed_in), exams(signed_in)) == (
        answered(learner),
        {"open": [str(later)], "finished": [str(earlier)]},
    )


def test_a_learner_never_sees_another_learners_cached_parts(client, learner, other_learner, clock):
    from quizzes.exams.models import ExamAttempt
    from tests.factories import ReviewLogFactory

    saturday = MONDAY.replace(day=7)
    for person, right, title in [(learner, True, "Ada's exam"), (other_learner, False, "Grace's exam")]:
        LearnerSettings.objects.create(learner=person, time_zone="UTC", day_start_hour=4)
        ReviewLogFactory(memory__learner=person, reviewed_at=saturday, correct=right)  # alike but for `correct`
        ExamAttempt.objects.create(
            learner=person, preset="quick", title=title, options={}, state="finished", started_at=saturday,
            finished_at=saturday, scored_total=20, scored_correct=18 if right else 9, scaled_score=900, passed=True,
        )  # fmt: skip
    for person, retention, title in [(learner, "100 %", "Ada's exam"), (other_learner, "0 %", "Grace's exam")]:
        client.force_login(person)
        page = client.get("/progress/").content.decode()
        assert (
            f'<th scope="row">2 Mar 2026</th><td>1</td><td>{int(retention == "100 %")}</td><td>{retention}</td>' in page
        )
        assert title.replace("'", "&#x27;") in page


def test_a_rating_made_before_the_day_started_but_committed_after_the_days_were_counted_shows(
    signed_in, questions, clock
):
    """Two tabs around the start of the day: the later rating commits first, the earlier one after the
    dashboard counted Sunday (neither the latest review nor the version move: Sunday's count does)."""
    clock.now = MONDAY.replace(day=8, hour=23)
    answer_one_wrong(signed_in)
    shown = open_study(signed_in)  # on screen in the first tab
    clock.now = MONDAY.replace(hour=3, minute=59, second=59, microsecond=500_000)
    answer_one_wrong(signed_in)  # the second tab's rating
    clock.now = MONDAY.replace(hour=4, minute=0, second=1)  # Monday's study day has begun: Sunday is cached
    assert board(signed_in)["weeks"]["2 Mar 2026"][-1] == 2
    clock.now = MONDAY.replace(hour=3, minute=59, second=59)  # the first tab's rating, begun on Sunday
    assert answer(signed_in, shown, shown.wrong()).status_code == 200
    clock.now = MONDAY.replace(hour=4, minute=0, second=2)
    shown = board(signed_in)
    assert (shown["today"], shown["year"], shown["weeks"]["2 Mar 2026"][-1]) == (0, 3, 3)


def test_undoing_an_older_rating_that_is_not_the_latest_in_time_shows_at_once(client, questions, clock):
    """The learner's last rating (by id) need not be their latest in time (two tabs, commits crossing): its
    undo moves neither the latest review nor the day before today, only the version of the earlier days."""
    learner = UserFactory()  # no saved settings: Anki's defaults (UTC, day starts at 4)
    client.force_login(learner)
    clock.now = MONDAY.replace(day=7, hour=12)  # Saturday
    answer_one_wrong(client)
    clock.now = MONDAY.replace(day=7, hour=11)  # written after the first, dated before it
    answer_one_wrong(client)
    clock.now = MONDAY
    assert board(client)["weeks"]["2 Mar 2026"][-2:] == [2, 0]
    assert (
        client.post("/study/undo/", {"log": ReviewLog.objects.filter(learner=learner).latest("pk").pk}).status_code
        == 303
    )
    shown = board(client)
    assert (shown["year"], shown["weeks"]["2 Mar 2026"][-2:]) == (1, [1, 0])


def test_undoing_a_rating_of_today_keeps_the_cached_earlier_days(signed_in, learner, questions, clock):
    clock.now = MONDAY.replace(day=8)
    answer_one_wrong(signed_in)
    clock.now = MONDAY
    answer_one_wrong(signed_in)
    assert board(signed_in)["today"] == 1
    signed_in.post("/study/undo/", {"log": ReviewLog.objects.filter(learner=learner).latest("pk").pk})
    assert LearnerSettings.objects.get(learner=learner).history_version == 0  # no write beyond the undo's own
    shown = board(signed_in)
    assert (shown["today"], shown["year"], shown["weeks"]["2 Mar 2026"][-1]) == (0, 1, 1)


# ---------------------------------------------------------------- the content (cached under its fingerprint)


def every_topic(client) -> str:
    """The dashboard's "every topic" table, as the dashboard loads it (htmx) once it is shown: both read the content
    from the same cache entry."""
    assert client.get("/progress/").status_code == 200
    return client.get("/progress/topics/", headers={"HX-Request": "true"}).content.decode()


def topic_questions(client) -> dict[str, int]:
    """Each topic's name in the "every topic" table and how many questions learners see about it."""
    page = every_topic(client)
    return {name: int(n) for name, n in re.findall(r'<a href="/notes/[\w-]+/">([^<]+)</a></th><td>(\d+)</td>', page)}


def test_questions_added_moved_retired_or_archived_show_at_once(signed_in):
    s3, ec2 = ServiceFactory(key="s3", name="Amazon S3"), ServiceFactory(key="ec2", name="Amazon EC2")
    first, *_ = [QuestionFactory(services=[s3]) for _ in range(2)]
    on_ec2 = QuestionFactory(services=[ec2])
    assert topic_questions(signed_in) == {"Amazon S3": 2, "Amazon EC2": 1}

    QuestionFactory(services=[ec2])  # an author's new question
    assert topic_questions(signed_in) == {"Amazon S3": 2, "Amazon EC2": 2}

    # An author's edit moves a question to another topic: a new revision.
    first.services.set([ec2])
    Question.objects.filter(pk=first.pk).update(revision=F("revision") + 1)
    assert topic_questions(signed_in) == {"Amazon S3": 1, "Amazon EC2": 3}

    # An import retires one question and adds another: as many questions, as many revisions.
    Question.objects.filter(pk=on_ec2.pk).update(is_active=False)
    QuestionFactory(services=[s3])
    assert topic_questions(signed_in) == {"Amazon S3": 2, "Amazon EC2": 2}

    archived = StewardshipFactory(status="published")
    QuestionFactory(bank=archived.bank, services=[s3])
    assert topic_questions(signed_in) == {"Amazon S3": 3, "Amazon EC2": 2}
    archived.status = "archived"
    archived.save()
    assert topic_questions(signed_in) == {"Amazon S3": 2, "Amazon EC2": 2}


def test_a_content_load_that_renames_a_topic_shows_at_once(signed_in):
    s3 = ServiceFactory(key="s3", name="Amazon S3")
    QuestionFactory(services=[s3])
    assert topic_questions(signed_in) == {"Amazon S3": 1}
    # What load_content does when a topic is renamed: it updates the row and records a release.
    Service.objects.filter(pk=s3.pk).update(name="Amazon Simple Storage Service")
    ContentRelease.objects.create(changes={"services updated": 1})
    assert topic_questions(signed_in) == {"Amazon Simple Storage Service": 1}


def test_a_learners_memory_of_a_question_they_no_longer_see_counts_nowhere(signed_in, learner):
    s3 = ServiceFactory(key="s3", name="Amazon S3")
    questions = [QuestionFactory(services=[s3]) for _ in range(2)]
    for question in questions:
        QuestionMemoryFactory(learner=learner, question=question)
    page = every_topic(signed_in)
    assert re.search(r"Amazon S3</a></th><td>2</td><td>2 \(100 %\)</td>", page)
    Question.objects.filter(pk=questions[0].pk).update(is_active=False)
    for _ in range(2):  # read with the content, then with the content from the cache
        page = every_topic(signed_in)
        assert re.search(r"Amazon S3</a></th><td>1</td><td>1 \(100 %\)</td>", page)


def without_tokens(page: str) -> str:
    """The page without what differs on every response: CSRF tokens and CSP nonces."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    page = re.sub(r'"X-CSRFToken": "[^"]+"', "", page)
    return re.sub(r'nonce="[^"]+"', "", page)


def test_every_part_drawn_from_the_cache_is_the_page_drawn_without_it(
    signed_in, learner, questions, loaded_content, clock
):
    for day in (2, 5, 9):  # three weeks of study, the last one today's (a Monday)
        clock.now = MONDAY.replace(day=day)
        answer_one_wrong(signed_in)
        answer_one_wrong(signed_in)
    answer_a_scenario(signed_in)
    finished = start_exam(signed_in)
    assert signed_in.post(f"/exam/{finished}/submit", {"seq": "0", "confirm": "yes"}).status_code == 302
    signed_in.get("/progress/")  # the cache holds every part
    answer_one_wrong(signed_in)  # today moves on: today's square, this week's row and bar are drawn again
    from_cache = without_tokens(signed_in.get("/progress/").content.decode())
    cache.clear()
    assert from_cache == without_tokens(signed_in.get("/progress/").content.decode())
    assert "<title>Mon 2 Mar 2026: 2</title>" in from_cache and f'href="/exam/{finished}/results/"' in from_cache
