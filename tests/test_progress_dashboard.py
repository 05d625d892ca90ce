"""The progress dashboard: today's numbers and chart data against hand-computed fixtures, in the learner's days."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from quizzes.exams.models import ExamAttempt
from quizzes.models import LearnerSettings
from quizzes.study.scheduling import Card, State, scheduler
from studyapp.progress.history import history_of, recent_activity, review_history, year_of_reviews
from studyapp.progress.memory import memory_stats, today_counts
from tests.factories import QuestionFactory, QuestionMemoryFactory, ReviewLogFactory, ServiceFactory
from tests.studying import Clock

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in New York (EDT since 8 March)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, NOW)


@pytest.fixture
def new_yorker(learner):
    LearnerSettings.objects.create(learner=learner, time_zone="America/New_York", day_start_hour=4)
    return learner


def reviews_at(learner, *instants, **fields):
    memory = QuestionMemoryFactory(learner=learner)
    for instant in instants:
        ReviewLogFactory(memory=memory, reviewed_at=instant, **fields)
    return memory


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def days_of(learner, now=NOW) -> dict:
    prefs = LearnerSettings.for_learner(learner)
    history = review_history(learner, prefs.study_day(now), prefs.time_zone, prefs.day_start_hour)
    return {str(day.date): day.reviews for day in history.days if day.reviews}


def test_reviews_count_on_the_learners_study_day_across_a_daylight_saving_change(new_yorker):
    reviews_at(
        new_yorker,
        utc(2026, 3, 7, 8, 59),  # 03:59 EST on 7 March: still the study day of 6 March
        utc(2026, 3, 7, 9, 0),  # 04:00 EST: 7 March begins
        utc(2026, 3, 8, 7, 30),  # 03:30 EDT on 8 March (clocks went forward at 2:00): still 7 March
        utc(2026, 3, 8, 8, 0),  # 04:00 EDT: 8 March begins, 23 hours after 7 March did
        utc(2026, 3, 10, 7, 59),  # 03:59 EDT on 10 March: 9 March
        utc(2026, 3, 10, 8, 0),  # 04:00 EDT: today
    )
    assert days_of(new_yorker) == {
        "2026-03-06": 1,
        "2026-03-07": 2,
        "2026-03-08": 1,
        "2026-03-09": 1,
        "2026-03-10": 1,
    }


def test_the_same_reviews_fall_on_other_days_for_a_learner_in_utc(learner):
    reviews_at(learner, utc(2026, 3, 7, 8, 59), utc(2026, 3, 7, 9, 0), utc(2026, 3, 8, 3, 30))
    LearnerSettings.objects.create(learner=learner, time_zone="UTC", day_start_hour=4)
    assert days_of(learner) == {"2026-03-07": 3}  # 03:30 UTC on 8 March is before that day's 4 am start


def test_quarter_hour_offsets_are_exact(learner):
    LearnerSettings.objects.create(learner=learner, time_zone="Asia/Kathmandu", day_start_hour=0)  # UTC+5:45
    reviews_at(learner, utc(2026, 3, 9, 18, 14, 59), utc(2026, 3, 9, 18, 15))  # 23:59:59 and 00:00 local
    assert days_of(learner) == {"2026-03-09": 1, "2026-03-10": 1}


def test_reviews_older_than_a_year_or_of_other_learners_are_left_out(new_yorker, other_learner):
    reviews_at(new_yorker, NOW - timedelta(days=400), NOW - timedelta(hours=1))
    reviews_at(other_learner, NOW - timedelta(hours=1))
    assert days_of(new_yorker) == {"2026-03-10": 1}


def test_the_streak_counts_consecutive_study_days_up_to_today_or_yesterday(new_yorker):
    reviews_at(new_yorker, *(NOW - timedelta(days=n) for n in (1, 2, 3, 5)))
    prefs = LearnerSettings.for_learner(new_yorker)
    history = review_history(new_yorker, prefs.study_day(NOW), prefs.time_zone, prefs.day_start_hour)
    assert history.streak == 3  # today is still open: yesterday, the day before and the one before that
    reviews_at(new_yorker, NOW)
    history = review_history(new_yorker, prefs.study_day(NOW), prefs.time_zone, prefs.day_start_hour)
    assert history.streak == 4


def test_true_retention_counts_only_answers_to_questions_in_review_state_by_week(new_yorker):
    monday = utc(2026, 3, 2, 15)  # a Monday afternoon in New York
    reviews_at(new_yorker, monday, monday + timedelta(days=1))  # review state, right
    reviews_at(new_yorker, monday + timedelta(days=2), correct=False, rating=1)  # review state, wrong
    reviews_at(new_yorker, monday, before={"state": State.Learning.value}, correct=False)  # learning: not counted
    reviews_at(new_yorker, utc(2026, 3, 9, 15))  # next week
    prefs = LearnerSettings.for_learner(new_yorker)
    weeks = review_history(new_yorker, prefs.study_day(NOW), "America/New_York", 4).weeks()
    by_start = {str(week.start): (week.review_answers, week.review_right) for week in weeks if week.review_answers}
    assert by_start == {"2026-03-02": (3, 2), "2026-03-09": (1, 1)}
    assert next(w for w in weeks if str(w.start) == "2026-03-02").retention == pytest.approx(2 / 3)


def test_the_years_sums_from_the_cached_earlier_days_and_todays_live_numbers_are_those_of_every_day(new_yorker):
    reviews_at(new_yorker, *(utc(2026, 2, 20, 15) for _ in range(4)))  # the busiest day, in February
    reviews_at(new_yorker, utc(2026, 3, 9, 15), utc(2026, 3, 9, 16))  # Monday: this week, before today
    reviews_at(new_yorker, utc(2026, 3, 8, 15), before={"state": State.Learning.value})  # Sunday: last week
    reviews_at(new_yorker, NOW - timedelta(hours=1), correct=False, rating=1)  # today (a Tuesday)
    prefs = LearnerSettings.for_learner(new_yorker)
    day = prefs.study_day(NOW)
    every_day, past = year_of_reviews(new_yorker, day, prefs.time_zone, prefs.day_start_hour)
    reviews_at(new_yorker, NOW - timedelta(minutes=5))  # answered after the earlier days were counted and cached
    live = history_of(past, recent_activity(new_yorker, day, prefs.time_zone, prefs.day_start_hour), day)
    days = live.days
    assert [d.reviews for d in days[:-1]] == [d.reviews for d in every_day.days[:-1]] and days[-1].reviews == 2
    assert (live.total, live.busiest, live.streak) == (sum(d.reviews for d in days), 4, 3)
    weeks: dict = {}
    for d in days:
        start = d.date - timedelta(days=d.date.weekday())
        answers, right = weeks.get(start, (0, 0))
        weeks[start] = (answers + d.review_answers, right + d.review_right)
    assert [(w.start, w.review_answers, w.review_right) for w in live.weeks()] == [(s, *n) for s, n in weeks.items()]
    assert live.weeks()[-1][1:] == (4, 3)  # Monday's two and today's two (one wrong); Sunday's was learning
    assert live.this_week_before_today() == (2,)


def test_the_forecast_counts_reviews_due_per_study_day_with_overdue_ones_today(new_yorker):
    day_one = utc(2026, 3, 11, 8)  # 04:00 EDT on 11 March: tomorrow's study day starts
    QuestionMemoryFactory(learner=new_yorker, due=NOW - timedelta(days=3))  # overdue: today
    QuestionMemoryFactory(learner=new_yorker, due=day_one - timedelta(seconds=1))  # tonight: today
    QuestionMemoryFactory(learner=new_yorker, due=day_one)  # tomorrow
    QuestionMemoryFactory(learner=new_yorker, due=day_one + timedelta(days=28, hours=23))  # the 30th day
    QuestionMemoryFactory(learner=new_yorker, due=day_one + timedelta(days=29))  # beyond the 30 days
    QuestionMemoryFactory(learner=new_yorker, due=NOW, suspended=True)  # suspended: never due
    QuestionMemoryFactory(learner=new_yorker, due=NOW, last_review=None, state=State.Learning.value)  # new
    prefs = LearnerSettings.for_learner(new_yorker)
    memory = memory_stats(new_yorker, prefs.scheduler(), prefs.study_day(NOW), "America/New_York", 4, NOW)
    assert memory.forecast[0] == 2
    assert memory.forecast[1] == 1
    assert memory.forecast[29] == 1
    assert sum(memory.forecast) == 4


def test_mastery_is_the_average_fsrs_retrievability_of_the_questions_seen_and_the_share_seen(learner):
    lambda_ = ServiceFactory(key="lambda", name="AWS Lambda")
    seen = [QuestionFactory(services=[lambda_]) for _ in range(2)]
    QuestionFactory(services=[lambda_])  # never seen
    QuestionFactory(services=[lambda_], is_active=False)  # retired: not counted
    QuestionMemoryFactory(learner=learner, question=seen[0], stability=5.0, last_review=NOW - timedelta(days=10))
    QuestionMemoryFactory(learner=learner, question=seen[1], stability=50.0, last_review=NOW - timedelta(days=2))
    sched = scheduler()
    cards = [
        Card(card_id=1, state=State.Review, stability=5.0, last_review=NOW - timedelta(days=10)),
        Card(card_id=2, state=State.Review, stability=50.0, last_review=NOW - timedelta(days=2)),
    ]
    expected = [sched.get_card_retrievability(card, NOW) for card in cards]
    prefs = LearnerSettings.for_learner(learner)
    coverage = memory_stats(learner, sched, prefs.study_day(NOW), "UTC", 4, NOW).services[lambda_.pk]
    assert (coverage.questions, coverage.seen) == (3, 2)
    assert coverage.recall == pytest.approx(sum(expected) / 2)
    assert 0.5 < expected[0] < expected[1] < 1


def test_today_shows_what_is_due_now_later_today_and_new_within_the_daily_limit(client, new_yorker, clock):
    LearnerSettings.objects.filter(learner=new_yorker).update(new_per_day=3)
    QuestionMemoryFactory(learner=new_yorker, due=NOW - timedelta(hours=1))
    QuestionMemoryFactory(learner=new_yorker, due=NOW + timedelta(hours=5))  # 16:00 EDT: later today
    QuestionMemoryFactory(learner=new_yorker, due=NOW + timedelta(days=3))
    QuestionMemoryFactory(learner=new_yorker, due=NOW - timedelta(hours=1), buried_until=NOW + timedelta(hours=2))
    first_review = NOW - timedelta(minutes=5)  # its first review, today: it was introduced then
    introduced = QuestionMemoryFactory(
        learner=new_yorker, due=NOW + timedelta(days=1), introduced_at=first_review, last_review=first_review
    )
    ReviewLogFactory(memory=introduced, reviewed_at=first_review)
    for _ in range(5):
        QuestionFactory()  # never seen
    client.force_login(new_yorker)
    page = client.get("/progress/").content.decode()
    assert "<dt>Due now</dt><dd>1</dd>" in page
    assert "<dt>Due later today</dt><dd>1</dd>" in page
    assert "<dt>New available</dt><dd>2</dd>" in page  # 3 a day, 1 introduced today
    assert "<dt>Studied today</dt><dd>1</dd>" in page
    assert "<dt>Streak</dt><dd>1 day</dd>" in page


def test_the_dashboard_links_an_exam_in_progress(client, learner, clock):
    attempt = ExamAttempt.objects.create(
        learner=learner, preset="quick", title="Compute quick exam", options={}, started_at=NOW,
        deadline=NOW + timedelta(minutes=30),
    )  # fmt: skip
    client.force_login(learner)
    page = client.get("/progress/").content.decode()
    assert f'href="/exam/{attempt.pk}/">Continue exam: Compute quick exam</a>' in page


def test_every_chart_is_an_accessible_svg_with_a_data_table(client, new_yorker, clock):
    question = QuestionFactory(services=[ServiceFactory(key="lambda", name="AWS Lambda")])
    memory = QuestionMemoryFactory(learner=new_yorker, question=question)
    ReviewLogFactory(memory=memory, reviewed_at=NOW - timedelta(days=1))
    client.force_login(new_yorker)
    page = client.get("/progress/").content.decode()
    for chart in ("heatmap", "forecast", "retention", "mastery"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page
        assert f'<title id="{chart}-title">' in page and f'<desc id="{chart}-desc">' in page
        assert f'<caption id="{chart}-table-caption">' in page
    assert page.count('<details class="chart-data">') >= 4
    assert "<script" not in page.split("<body")[1]


def test_the_heatmap_table_shows_counts_on_the_learners_days(client, new_yorker, clock):
    reviews_at(new_yorker, utc(2026, 3, 10, 7, 59), utc(2026, 3, 10, 8, 0), utc(2026, 3, 10, 9, 0))
    client.force_login(new_yorker)
    page = client.get("/progress/").content.decode()
    # The week of Monday 9 March: 1 review on Monday (03:59 on Tuesday), 2 on Tuesday.
    assert '<th scope="row">9 Mar 2026</th><td>1</td><td>2</td><td></td>' in page


def test_a_review_refreshes_the_cached_charts(client, new_yorker, clock):
    memory = reviews_at(new_yorker, NOW - timedelta(hours=2))
    client.force_login(new_yorker)
    assert "<dt>Studied today</dt><dd>1</dd>" in client.get("/progress/").content.decode()
    ReviewLogFactory(memory=memory, reviewed_at=NOW - timedelta(hours=1))
    memory.version += 1
    memory.save()
    assert "<dt>Studied today</dt><dd>2</dd>" in client.get("/progress/").content.decode()


def test_a_visitor_without_progress_sees_how_to_start(client):
    response = client.get("/progress/")
    assert response.status_code == 200
    assert "Nothing to show yet" in response.content.decode()


def test_a_guest_sees_their_own_progress(client, clock):
    from tests.factories import UserFactory

    guest = UserFactory(username="guest-abc", is_guest=True)
    reviews_at(guest, NOW - timedelta(hours=1))
    client.force_login(guest)
    assert "<dt>Studied today</dt><dd>1</dd>" in client.get("/progress/").content.decode()


def test_a_learner_never_sees_another_learners_numbers(client, learner, other_learner, clock):
    reviews_at(other_learner, NOW - timedelta(hours=1), NOW - timedelta(hours=2))
    QuestionMemoryFactory(learner=other_learner, due=NOW - timedelta(hours=1))
    client.force_login(learner)
    page = client.get("/progress/").content.decode()
    assert "<dt>Studied today</dt><dd>0</dd>" in page
    assert "<dt>Due now</dt><dd>0</dd>" in page


def test_the_dashboard_is_only_read(client, learner):
    client.force_login(learner)
    assert client.post("/progress/").status_code == 405
    client.get("/progress/")
    assert not LearnerSettings.objects.filter(learner=learner).exists()


def test_the_navigation_links_the_dashboard_and_settings(client, learner):
    client.force_login(learner)
    page = client.get("/").content.decode()
    assert 'href="/progress/"' in page and 'href="/settings/"' in page


def test_a_question_falling_due_shows_without_any_write(client, new_yorker, clock):
    QuestionMemoryFactory(learner=new_yorker, due=NOW + timedelta(hours=1))
    client.force_login(new_yorker)
    assert "<dt>Due now</dt><dd>0</dd>" in client.get("/progress/").content.decode()
    clock.advance(hours=2)
    assert "<dt>Due now</dt><dd>1</dd>" in client.get("/progress/").content.decode()


def test_a_finished_exam_refreshes_the_stored_page(client, learner, clock):
    client.force_login(learner)
    assert "No practice exam finished yet." in client.get("/progress/").content.decode()
    ExamAttempt.objects.create(
        learner=learner, preset="quick", title="Compute quick exam", options={}, state="finished", started_at=NOW,
        finished_at=NOW, scored_total=20, scored_correct=18, scaled_score=900, passed=True,
    )  # fmt: skip
    page = client.get("/progress/").content.decode()
    assert "One exam so far" in page and "<td>900</td>" in page


def test_todays_numbers_leave_out_questions_of_draft_banks(client, new_yorker, clock):
    from tests.factories import StewardshipFactory

    QuestionFactory.create_batch(3)
    draft = StewardshipFactory(status="draft")
    hidden = QuestionFactory.create_batch(2, bank=draft.bank)
    seen = QuestionMemoryFactory(learner=new_yorker, question=hidden[0], last_review=NOW - timedelta(days=3))
    seen.due = NOW - timedelta(days=1)
    seen.save()
    prefs = LearnerSettings.objects.get(learner=new_yorker)
    numbers = today_counts(new_yorker, prefs, prefs.study_day(NOW), NOW)
    assert numbers.questions == 3 and numbers.new_available == 3
    assert numbers.due_now == 0  # the due memory is of a question learners no longer see


def test_service_names_with_markup_or_template_markers_are_shown_as_text(client, learner, clock):
    name = '<b>S3</b> {{ csp_nonce }} {% csrf_token %} "quoted" & co'
    service = ServiceFactory(key="s3", name=name, short="<i>S3</i> {{ x }}")
    memory = QuestionMemoryFactory(learner=learner, question=QuestionFactory(services=[service]))
    ReviewLogFactory(memory=memory, reviewed_at=NOW - timedelta(hours=1))
    client.force_login(learner)
    page = client.get("/progress/").content.decode()
    assert "<b>S3</b>" not in page and "<i>S3</i>" not in page
    assert "&lt;b&gt;S3&lt;/b&gt; {{ csp_nonce }} {% csrf_token %} &quot;quoted&quot; &amp; co" in page  # the table
    assert "&lt;i&gt;S3&lt;/i&gt; {{ x }}" in page  # the chart's label
