"""Settings: validated with clear messages, nothing saved on a mistake, the theme applied on every page."""

import pytest

from quizzes.models import LearnerSettings
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VALID = {
    "desired_retention": "0.85",
    "new_per_day": "15",
    "reviews_per_day": "150",
    "learning_steps": "1m  10m 1h",
    "relearning_steps": "10m",
    "time_zone": "Europe/Paris",
    "day_start_hour": "5",
    "theme": "system",
}


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return learner


def save(client, **changes):
    return client.post("/settings/", {**VALID, **changes})


def test_it_saves_valid_settings(client, signed_in):
    response = save(client)
    assert response.status_code == 302 and response["Location"] == "/settings/"
    prefs = LearnerSettings.objects.get(learner=signed_in)
    assert (prefs.desired_retention, prefs.new_per_day, prefs.reviews_per_day) == (0.85, 15, 150)
    assert (prefs.learning_steps, prefs.relearning_steps) == ("1m 10m 1h", "10m")
    assert (prefs.time_zone, prefs.day_start_hour) == ("Europe/Paris", 5)
    assert "Your settings are saved." in client.get("/settings/").content.decode()


def test_the_form_shows_the_current_settings_and_explains_the_retention_trade_off(client, signed_in):
    LearnerSettings.objects.create(learner=signed_in, desired_retention=0.93, time_zone="Asia/Tokyo")
    page = client.get("/settings/").content.decode()
    assert 'value="0.93"' in page and 'value="Asia/Tokyo"' in page
    assert "review roughly twice as often" in page
    assert '<option value="America/New_York">' in page  # time zone suggestions


def test_the_time_zone_suggestions_are_drawn_once_and_then_come_from_the_cache(client, signed_in, monkeypatch):
    from studyapp.progress import forms

    first = client.get("/settings/").content.decode()
    monkeypatch.setattr(forms, "available_timezones", lambda: pytest.fail("the zones were listed again"))
    forms.time_zones.cache_clear()  # the zone list is read once per process; the page does not need it again
    second = client.get("/settings/").content.decode()
    suggestions = first[first.index('<datalist id="time-zones">') :].split("</datalist>")[0]
    assert suggestions.count("<option ") > 300 and suggestions in second


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("desired_retention", "0.5", "Desired retention must be between 0.70 and 0.97 (you entered 0.5)"),
        ("desired_retention", "0.98", "Desired retention must be between 0.70 and 0.97 (you entered 0.98)"),
        ("desired_retention", "ninety", "Enter the desired retention as a number such as 0.90."),
        ("time_zone", "Mars/Olympus_Mons", "“Mars/Olympus_Mons” is not a time zone we know."),
        ("time_zone", "../../etc/passwd", "is not a time zone we know"),
        ("day_start_hour", "24", "Ensure this value is less than or equal to 23."),
        ("day_start_hour", "four", "Enter the hour as a whole number from 0 to 23."),
        ("new_per_day", "-1", "Ensure this value is greater than or equal to 0."),
        ("reviews_per_day", "10000", "Ensure this value is less than or equal to 9999."),
        ("learning_steps", "1m 10x", "&#x27;10x&#x27; is not a step like 1m, 10m, 1h or 1d"),
        ("learning_steps", "  ", "This field is required."),
        ("theme", "purple", "Select a valid choice. purple is not one of the available choices."),
    ],
)
def test_it_rejects_bad_values_with_a_clear_message_and_saves_nothing(client, signed_in, field, value, message):
    response = save(client, **{field: value})
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "Nothing was saved." in page
    assert f'value="{VALID["learning_steps"]}"' in page or field == "learning_steps"  # the other input is kept
    assert not LearnerSettings.objects.filter(learner=signed_in).exists()
    signed_in.refresh_from_db()
    assert signed_in.theme == "system"


def test_the_boundaries_of_desired_retention_are_allowed(client, signed_in):
    assert save(client, desired_retention="0.70").status_code == 302
    assert save(client, desired_retention="0.97").status_code == 302
    assert LearnerSettings.objects.get(learner=signed_in).desired_retention == 0.97


def test_the_chosen_theme_is_applied_on_every_page(client, signed_in):
    assert '<html lang="en">' in client.get("/").content.decode()
    assert '<html lang="en">' in client.get("/notes/").content.decode()  # a stored page
    save(client, theme="dark")
    signed_in.refresh_from_db()
    assert signed_in.theme == "dark"
    assert '<html lang="en" data-theme="dark">' in client.get("/").content.decode()
    assert '<html lang="en" data-theme="dark">' in client.get("/notes/").content.decode()
    save(client, theme="light")
    assert '<html lang="en" data-theme="light">' in client.get("/notes/").content.decode()


def test_the_settings_page_lists_the_keyboard_shortcuts_of_study_exam_and_trainer(client, signed_in):
    page = client.get("/settings/").content.decode()
    for heading in ("Study session", "Practice exam", "Scenario trainer"):
        assert f"<h3>{heading}</h3>" in page
    assert "<kbd>u</kbd></dt><dd>undo your last rating</dd>" in page
    assert "<kbd>p</kbd></dt><dd>previous question</dd>" in page
    assert "<kbd>2</kbd> <kbd>3</kbd> <kbd>4</kbd></dt><dd>after a right answer: rate Hard, Good, Easy</dd>" in page


def test_a_visitor_is_sent_to_log_in(client, db):
    response = client.get("/settings/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/settings/", VALID).status_code == 302
    assert not LearnerSettings.objects.exists()


def test_a_guest_can_change_their_settings(client):
    guest = UserFactory(username="guest-123", is_guest=True)
    client.force_login(guest)
    assert save(client, theme="light").status_code == 302
    guest.refresh_from_db()
    assert guest.theme == "light"
    assert LearnerSettings.objects.get(learner=guest).time_zone == "Europe/Paris"
