import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command

from studyapp.accounts.models import User
from studyapp.accounts.roles import INSTRUCTORS_GROUP, is_instructor
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_visitor_signs_up_and_is_logged_in(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "email": "", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    user = User.objects.get(username="newbie")
    assert response.context["user"] == user
    assert not is_instructor(user)
    assert "Welcome, newbie" in response.content.decode()


def test_sign_up_explains_what_is_wrong_and_creates_nothing(client):
    response = client.post("/accounts/signup/", {"username": "newbie", "password1": "short", "password2": "different"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "The two password fields didn’t match." in body
    assert not User.objects.filter(username="newbie").exists()


def test_sign_up_refuses_a_taken_username(client, learner):
    response = client.post(
        "/accounts/signup/", {"username": learner.username, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.filter(username=learner.username).count() == 1


def test_a_learner_logs_in_and_out(client, learner):
    response = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == learner
    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_a_wrong_password_gets_a_clear_message(client, learner):
    response = client.post("/accounts/login/", {"username": "ada", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_repeated_failures_lock_the_login_out_with_a_message(client, learner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "ada", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert not client.get("/").context["user"].is_authenticated


def test_a_learner_changes_their_password(client, learner):
    client.force_login(learner)
    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password("a-new-long-passphrase")


def test_password_reset_sends_a_working_link(client, learner):
    client.post("/accounts/password/reset/", {"email": learner.email})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/" in line)
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    assert "Choose a new password" in response.content.decode()
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": "fresh-passphrase-9", "new_password2": "fresh-passphrase-9"}
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password("fresh-passphrase-9")


def test_logout_is_refused_over_get(client, learner):
    client.force_login(learner)
    assert client.get("/accounts/logout/").status_code == 405


def test_make_instructor_grants_and_revokes_the_role(learner):
    call_command("make_instructor", "ada")
    learner = User.objects.get(pk=learner.pk)
    assert is_instructor(learner)
    call_command("make_instructor", "ada", "--revoke")
    assert not is_instructor(User.objects.get(pk=learner.pk))


def test_make_instructor_names_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("make_instructor", "ghost")


def test_the_instructors_group_exists_after_migrating():
    assert Group.objects.filter(name=INSTRUCTORS_GROUP).exists()


def test_demo_accounts_are_created_in_development_only(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development mode"):
        call_command("seed_demo")
    assert not User.objects.filter(username="learner").exists()
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    assert User.objects.get(username="learner").check_password("learn-the-cloud-2026")
    assert is_instructor(User.objects.get(username="instructor"))


def test_the_signed_in_user_is_loaded_with_proper_types(client, learner):
    client.force_login(learner)
    user = client.get("/").context["user"]
    assert user.date_joined.tzinfo is not None
    assert user.is_active is True and user.is_guest is False
