"""Trainer rounds through real URLs: starting, answering once per token, feedback, the end of a round."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quizzes.study.scheduling import Rating
from quizzes.trainer.models import Round, RoundItem, Scenario, ScenarioMemory

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture
def trainee(client, learner, loaded_content):
    client.force_login(learner)
    return learner


def start(client, **data) -> Round:
    response = client.post("/trainer/rounds/", {"kind": "practice", **data})
    assert response.status_code == 303, response.content
    return Round.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def current(client, round_: Round) -> RoundItem:
    page = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
    return RoundItem.objects.select_related("scenario").get(token=TOKEN.search(page).group(1))


def a_wrong_choice(item: RoundItem) -> str:
    return sorted(item.scenario.why_not_md)[0]


def answer(client, round_: Round, item: RoundItem, services, **headers):
    return client.post(
        f"/trainer/rounds/{round_.pk}/answer/", {"token": item.token, "service": services}, headers=headers
    )


def test_a_visitor_trains_as_a_guest_created_only_when_a_round_starts(client, loaded_content):
    from studyapp.accounts.models import User

    assert client.get("/trainer/").status_code == 200
    assert not User.objects.exists()  # reading creates nobody
    response = client.post("/trainer/rounds/", {"kind": "practice"})
    guest = User.objects.get()
    assert guest.is_guest and Round.objects.get().learner == guest
    assert response["Location"] == f"/trainer/rounds/{Round.objects.get().pk}/"
    assert client.get(response["Location"]).status_code == 200


def test_anonymous_visitors_without_a_guest_are_asked_to_log_in_for_their_history(client, loaded_content):
    response = client.get("/trainer/confusions/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_round_serves_ten_different_scenarios(client, trainee):
    round_ = start(client)
    items = list(round_.items.all())
    assert [item.position for item in items] == list(range(1, 11))
    assert len({item.scenario_id for item in items}) == 10
    page = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
    assert "Question 1 of 10" in page and items[0].scenario.text_html in page
    assert 'name="service"' in page  # the palette


def test_a_right_answer_is_recorded_and_shows_why_it_fits(client, trainee):
    round_ = start(client)
    item = current(client, round_)
    response = answer(client, round_, item, item.scenario.answer)
    assert response.status_code == 303
    assert response["Location"] == f"/trainer/rounds/{round_.pk}/1/"
    page = client.get(response["Location"]).content.decode()
    assert "Right:" in page and item.scenario.why_html in page
    assert item.scenario.highlighted_html in page and "<mark>" in page
    item.refresh_from_db()
    assert item.correct and item.chosen == item.scenario.answer and item.rating == Rating.Good.value
    memory = ScenarioMemory.objects.get(learner=trainee, scenario=item.scenario)
    assert memory.last_review is not None and memory.lapses == 0


def test_a_wrong_answer_says_why_that_choice_does_not_fit_this_case(client, trainee):
    round_ = start(client)
    item = current(client, round_)
    wrong = a_wrong_choice(item)
    response = answer(client, round_, item, [wrong], **{"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page and 'id="round"' in page
    assert "Not this time" in page
    assert item.scenario.why_not_html[wrong] in page
    item.refresh_from_db()
    assert item.correct is False and item.rating == Rating.Again.value
    assert ScenarioMemory.objects.get(learner=trainee, scenario=item.scenario).lapses == 1


def test_it_rejects_a_second_submit(client, trainee):
    round_ = start(client)
    item = current(client, round_)
    wrong = a_wrong_choice(item)
    first = answer(client, round_, item, [wrong], **{"HX-Request": "true"})
    memory = ScenarioMemory.objects.get(learner=trainee, scenario=item.scenario)
    second = answer(client, round_, item, item.scenario.answer, **{"HX-Request": "true"})
    assert second.status_code == 200 and "Not this time" in second.content.decode()
    assert first.content.decode().count(item.scenario.why_not_html[wrong]) == 1
    item.refresh_from_db()
    assert item.chosen == [wrong] and item.correct is False
    again = ScenarioMemory.objects.get(pk=memory.pk)
    assert (again.last_review, again.due, again.lapses) == (memory.last_review, memory.due, memory.lapses)
    assert RoundItem.objects.filter(round=round_, answered_at__isnull=False).count() == 1


def test_choosing_nothing_asks_again_and_spends_nothing(client, trainee):
    round_ = start(client)
    item = current(client, round_)
    response = answer(client, round_, item, [])
    assert response.status_code == 422 and "Choose a service first." in response.content.decode()
    item.refresh_from_db()
    assert item.answered_at is None


def test_an_unknown_service_gets_a_400_with_a_message(client, trainee):
    round_ = start(client)
    item = current(client, round_)
    response = answer(client, round_, item, ["heroku"])
    assert response.status_code == 400 and "Unknown service “heroku”" in response.content.decode()
    item.refresh_from_db()
    assert item.answered_at is None


def test_a_token_that_is_not_in_the_round_gets_a_400(client, trainee):
    round_ = start(client)
    other = start(client)
    item = current(client, other)
    response = answer(client, round_, item, ["lambda"])
    assert response.status_code == 400 and "does not belong to a question of this round" in response.content.decode()


def test_unknown_services_and_notes_in_the_address_get_a_400(client, trainee):
    assert client.get("/trainer/?service=heroku").status_code == 400
    assert client.get("/trainer/?note=no-such-note").status_code == 400
    assert client.post("/trainer/rounds/", {"kind": "practice", "service": "heroku"}).status_code == 400
    assert client.post("/trainer/rounds/", {"kind": "marathon"}).status_code == 400


def test_another_learners_round_is_a_404(client, trainee, other_learner):
    round_ = start(client)
    item = current(client, round_)
    client.force_login(other_learner)
    assert client.get(f"/trainer/rounds/{round_.pk}/").status_code == 404
    assert client.get(f"/trainer/rounds/{round_.pk}/1/").status_code == 404
    assert answer(client, round_, item, item.scenario.answer).status_code == 404
    item.refresh_from_db()
    assert item.answered_at is None


def test_a_round_focused_on_a_service_serves_only_its_scenarios(client, trainee):
    round_ = start(client, service="batch")
    assert round_.focus == ["batch"]
    assert all("batch" in item.scenario.answer for item in round_.items.select_related("scenario"))


def test_the_notes_train_link_focuses_on_the_notes_services(client, trainee):
    from studyapp.notes.models import Note

    note = Note.objects.get(slug="fargate")
    page = client.get("/trainer/?note=fargate").content.decode()
    assert "Focused on the note" in page
    round_ = start(client, note="fargate")
    assert round_.note_slug == "fargate"
    for item in round_.items.select_related("scenario"):
        assert set(item.scenario.answer) & set(note.services)


def test_the_end_of_a_round_shows_score_time_and_the_pairs_confused(client, trainee):
    round_ = start(client)
    for number in range(10):
        item = current(client, round_)
        services = [a_wrong_choice(item)] if number < 3 else item.scenario.answer
        answer(client, round_, item, services)
    round_.refresh_from_db()
    assert round_.finished_at is not None and round_.score == 7 and round_.duration_ms is not None
    page = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
    assert "Round complete" in page and "7 of 10 right" in page
    from quizzes.trainer.rounds import cells

    confused = {pair for i in round_.items.all() for pair in cells(i.expected_key, i.chosen_key) if pair[0] != pair[1]}
    assert "Pairs you confused in this round" in page and page.count("You chose <strong>") == len(confused) >= 1
    assert client.get("/trainer/").content.decode().count("7 of 10 right") == 1


def test_a_round_with_no_right_answer_ends_with_a_score_of_zero(client, trainee):
    round_ = start(client)
    for _ in range(10):
        item = current(client, round_)
        response = answer(client, round_, item, [a_wrong_choice(item)])
        assert response.status_code == 303
    round_.refresh_from_db()
    assert round_.finished_at is not None and round_.score == 0
    assert "0 of 10 right" in client.get(f"/trainer/rounds/{round_.pk}/").content.decode()


def test_the_round_page_and_the_answer_stay_within_eight_queries(client, trainee, django_assert_max_num_queries):
    round_ = start(client)
    current(client, round_)
    with django_assert_max_num_queries(8):
        page = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
    item = RoundItem.objects.select_related("scenario").get(token=TOKEN.search(page).group(1))
    with CaptureQueriesContext(connection) as queries:
        response = answer(client, round_, item, [a_wrong_choice(item)], **{"HX-Request": "true"})
    assert response.status_code == 200
    # The SAVEPOINT and RELEASE around the answer's transaction exist only because the test runs in one.
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) <= 8, statements


def test_the_answer_that_finishes_a_round_stays_within_eight_queries(client, trainee):
    round_ = start(client)
    for _ in range(round_.size):
        page = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
        item = RoundItem.objects.select_related("scenario").get(token=TOKEN.search(page).group(1))
        with CaptureQueriesContext(connection) as queries:
            answer(client, round_, item, [a_wrong_choice(item)], **{"HX-Request": "true"})
        statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
        assert len(statements) <= 8, statements
    round_.refresh_from_db()
    assert round_.finished_at is not None


# ---------------------------------------------------------------- lightning rounds


@pytest.fixture
def clock(monkeypatch):
    """The server's clock, moved by the test."""
    state = {"now": timezone.now()}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


def test_the_lightning_round_is_timed_by_the_server(client, trainee, clock):
    started = clock["now"]
    round_ = start(client, kind="lightning")
    assert round_.started_at == started
    for _ in range(10):
        item = current(client, round_)
        clock["now"] += timedelta(seconds=4)
        client.post(
            f"/trainer/rounds/{round_.pk}/answer/",
            {"token": item.token, "service": item.scenario.answer, "elapsed": "1", "duration_ms": "10"},
        )
    round_.refresh_from_db()
    assert round_.finished_at == started + timedelta(seconds=40)
    assert round_.duration_ms == 40_000 and round_.score == 10
    assert set(round_.items.values_list("response_ms", flat=True)) == {4000}
    assert set(round_.items.values_list("rating", flat=True)) == {Rating.Easy.value}  # fast and right
    page = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
    assert "time 40 s" in page and "your best lightning round" in page


def test_best_lightning_times_rank_by_right_answers_then_time(client, trainee, clock):
    results = []
    for seconds, wrong in [(30, 1), (50, 0), (45, 0)]:
        round_ = start(client, kind="lightning")
        for number in range(10):
            item = current(client, round_)
            clock["now"] += timedelta(seconds=seconds / 10)
            answer(client, round_, item, [a_wrong_choice(item)] if number < wrong else item.scenario.answer)
        results.append(round_.pk)
    page = client.get("/trainer/").content.decode()
    best = page[page.index("Your best times") :]
    assert best.index("45 s") < best.index("50 s") < best.index("30 s")


def test_a_slow_right_answer_in_a_lightning_round_is_rated_good(client, trainee, clock):
    round_ = start(client, kind="lightning")
    item = current(client, round_)
    clock["now"] += timedelta(seconds=30)
    answer(client, round_, item, item.scenario.answer)
    item.refresh_from_db()
    assert item.rating == Rating.Good.value and item.response_ms == 30_000


def test_a_removed_scenario_is_not_served_again(client, trainee):
    Scenario.objects.exclude(external_id__startswith="batch").update(is_active=False)
    round_ = start(client)
    assert all(item.scenario.is_active for item in round_.items.select_related("scenario"))


def test_the_round_page_carries_the_current_questions_token_and_moves_on_after_an_answer(client, trainee):
    round_ = start(client)
    first = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
    again = client.get(f"/trainer/rounds/{round_.pk}/", headers={"HX-Request": "true"}).content.decode()
    item = RoundItem.objects.select_related("scenario").get(round=round_, position=1)
    assert TOKEN.search(first).group(1) == TOKEN.search(again).group(1) == item.token
    assert item.scenario.text_html in first and "Question 1 of 10" in again

    answer(client, round_, item, [item.scenario.answer[0]])
    following = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
    second = RoundItem.objects.select_related("scenario").get(round=round_, position=2)
    assert TOKEN.search(following).group(1) == second.token and "Question 2 of 10" in following


def test_an_edited_scenario_shows_at_once_on_the_round_page(client, trainee):
    round_ = start(client)
    client.get(f"/trainer/rounds/{round_.pk}/")
    scenario = RoundItem.objects.get(round=round_, position=1).scenario
    Scenario.objects.filter(pk=scenario.pk).update(text_html="<p>A retail company now wants something else.</p>")
    page = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
    assert "A retail company now wants something else." in page


def test_the_lightning_clock_is_the_servers_elapsed_time_on_every_request(client, trainee):
    round_ = start(client, kind="lightning")
    client.get(f"/trainer/rounds/{round_.pk}/")
    Round.objects.filter(pk=round_.pk).update(started_at=timezone.now() - timedelta(seconds=75))
    page = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
    elapsed = int(re.search(r'data-elapsed="(\d+)"', page).group(1))
    assert 75 <= elapsed <= 80


def test_another_learners_round_page_is_not_found_even_after_its_owner_opened_it(client, trainee, other_learner):
    round_ = start(client)
    client.get(f"/trainer/rounds/{round_.pk}/")
    client.force_login(other_learner)
    assert client.get(f"/trainer/rounds/{round_.pk}/").status_code == 404
    assert client.get(f"/trainer/rounds/{round_.pk}/", headers={"HX-Request": "true"}).status_code == 404


def browser_with_token(browser):
    """The same browser, sending the CSRF token a page gave it."""
    browser.get("/trainer/")
    token = browser.cookies["csrftoken"].value
    browser.defaults["HTTP_X_CSRFTOKEN"] = token
    return browser


def test_a_forged_post_without_the_csrf_token_is_rejected(trainee):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(trainee)
    assert browser.post("/trainer/rounds/", {"kind": "practice"}).status_code == 403
    assert not Round.objects.exists()
    round_ = start(browser_with_token(browser))
    item = RoundItem.objects.select_related("scenario").get(round=round_, position=1)
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(trainee)
    assert answer(forged, round_, item, item.scenario.answer).status_code == 403
    item.refresh_from_db()
    assert item.answered_at is None
    assert answer(browser, round_, item, item.scenario.answer).status_code == 303  # with its token


def test_an_authors_text_that_looks_like_a_template_marker_is_shown_as_written(client, trainee):
    round_ = start(client)
    item = RoundItem.objects.get(round=round_, position=1)
    markers = "{{ csrf_token }} {% now 'Y' %} TRAINERTOKENPLACEHOLDER0item NONCEPLACEHOLDER0cached0page"
    Scenario.objects.filter(pk=item.scenario_id).update(text_html=f"<p>{markers}</p>")
    page = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
    assert f"<p>{markers}</p>" in page
    assert TOKEN.search(page).group(1) == item.token


def test_two_requests_that_read_the_same_token_record_it_once(client, trainee):
    round_ = start(client)
    token = current(client, round_).token
    first = RoundItem.objects.for_answer(trainee, round_.pk, token).get()  # both read before either writes
    second = RoundItem.objects.for_answer(trainee, round_.pk, token).get()
    right = first.scenario.answer
    first.record_answer(right, timezone.now())
    late = second.record_answer([a_wrong_choice(second)], timezone.now())
    assert (late.chosen, late.correct) == (right, True)  # the first answer, as recorded
    stored = RoundItem.objects.get(token=token)
    assert (stored.chosen, stored.correct) == (right, True)
    assert ScenarioMemory.objects.get(pk=stored.memory_id).last_review is not None


# ---------------------------------------------------------------- families: palette, category rounds


PALETTE_TILE = re.compile(r'name="service" value="([a-z0-9-]+)"')


def test_each_question_offers_only_its_plausible_candidates(client, trainee):
    from quizzes.trainer.rounds import PALETTE_SIZE

    round_ = start(client)
    for _ in range(3):
        item = current(client, round_)
        page = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
        offered = PALETTE_TILE.findall(page)
        assert set(item.scenario.answer) <= set(offered)
        assert set(item.scenario.why_not_md) <= set(offered)
        assert len(offered) <= max(PALETTE_SIZE, len(item.scenario.answer) + len(item.scenario.why_not_md))
        assert offered == PALETTE_TILE.findall(client.get(f"/trainer/rounds/{round_.pk}/").content.decode())
        assert answer(client, round_, item, item.scenario.answer).status_code == 303


def test_a_service_the_question_did_not_offer_gets_a_400(client, trainee):
    round_ = start(client)
    item = current(client, round_)
    page = client.get(f"/trainer/rounds/{round_.pk}/").content.decode()
    from quizzes.models import Service

    not_offered = Service.objects.filter(in_palette=True).exclude(key__in=PALETTE_TILE.findall(page)).first()
    response = answer(client, round_, item, [not_offered.key])
    assert response.status_code == 400 and "Choose from the services shown" in response.content.decode()
    item.refresh_from_db()
    assert item.answered_at is None


def test_a_round_for_one_category_serves_only_that_familys_scenarios(client, trainee):
    from quizzes.models import Service

    members = set(Service.objects.filter(category__key="containers", in_palette=True).values_list("key", flat=True))
    page = client.get("/trainer/").content.decode()
    assert '<option value="category:containers"' in page and "<optgroup" in page
    round_ = start(client, scope="category:containers")
    assert round_.category == "containers" and round_.focus == []
    items = list(round_.items.select_related("scenario"))
    assert items and all(set(item.scenario.answer) & members for item in items)
    assert "the Containers category" in client.get(f"/trainer/rounds/{round_.pk}/").content.decode()


def test_an_unknown_category_or_scope_gets_a_400(client, trainee):
    assert client.get("/trainer/?category=astrology").status_code == 400
    assert client.post("/trainer/rounds/", {"kind": "practice", "scope": "category:astrology"}).status_code == 400
    assert client.post("/trainer/rounds/", {"kind": "practice", "scope": "everything"}).status_code == 400
    both = {"kind": "practice", "category": "containers", "service": "ecs"}
    assert client.post("/trainer/rounds/", both).status_code == 400
