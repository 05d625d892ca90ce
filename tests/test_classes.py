"""Classes: creating, joining by code or link, leaving, rotating and closing, co-teachers, and who sees what."""

import pytest

from quizzes.classes.models import CODE_ALPHABET, Classroom, Membership
from tests.factories import ClassroomFactory, InstructorFactory, MembershipFactory, UserFactory


@pytest.fixture
def classroom(instructor):
    return ClassroomFactory(owner=instructor, name="CLF-C02 spring")


def test_an_instructor_creates_a_class_with_a_join_code_and_link(client, instructor):
    client.force_login(instructor)
    fields = {"name": "Cloud basics", "description": "Tuesdays", "ends_on": "2027-06-30"}
    response = client.post("/classes/new/", fields)
    classroom = Classroom.objects.get()
    assert response.status_code == 302 and response.url == f"/classes/{classroom.pk}/"
    assert classroom.owner == instructor and str(classroom.ends_on) == "2027-06-30"
    assert len(classroom.join_code) == 8 and set(classroom.join_code) <= set(CODE_ALPHABET)
    assert len(classroom.join_token) >= 32
    page = client.get(response.url).content.decode()
    assert classroom.join_code in page and f"/classes/join/{classroom.join_token}/" in page


def test_a_class_without_a_name_is_refused_with_a_message(client, instructor):
    client.force_login(instructor)
    response = client.post("/classes/new/", {"name": ""})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    assert not Classroom.objects.exists()


def test_a_learner_cannot_create_a_class(client, learner):
    client.force_login(learner)
    assert client.post("/classes/new/", {"name": "Mine"}).status_code == 403
    assert not Classroom.objects.exists()


def test_a_learner_joins_with_the_code_typed_in_lower_case_with_a_dash(client, learner, classroom):
    client.force_login(learner)
    code = classroom.join_code.lower()
    response = client.post("/classes/join/", {"code": f"{code[:4]}-{code[4:]}"})
    assert response.status_code == 302 and response.url == f"/classes/{classroom.pk}/"
    assert Membership.objects.filter(classroom=classroom, learner=learner).exists()
    assert "CLF-C02 spring" in client.get("/classes/").content.decode()


def test_joining_twice_keeps_one_membership(client, learner, classroom):
    client.force_login(learner)
    client.post("/classes/join/", {"code": classroom.join_code})
    client.post("/classes/join/", {"code": classroom.join_code})
    assert Membership.objects.filter(learner=learner).count() == 1


def test_a_closed_code_no_longer_joins(client, instructor, learner, classroom):
    client.force_login(instructor)
    old = classroom.join_code
    client.post(f"/classes/{classroom.pk}/access", {"action": "close-code"})
    classroom.refresh_from_db()
    assert classroom.join_code is None
    client.force_login(learner)
    response = client.post("/classes/join/", {"code": old})
    assert response.status_code == 422 and "No open class has this code" in response.content.decode()
    assert not Membership.objects.exists()


def test_a_rotated_code_replaces_the_old_one(client, instructor, learner, classroom):
    client.force_login(instructor)
    old = classroom.join_code
    client.post(f"/classes/{classroom.pk}/access", {"action": "rotate-code"})
    classroom.refresh_from_db()
    assert classroom.join_code and classroom.join_code != old
    client.force_login(learner)
    assert client.post("/classes/join/", {"code": old}).status_code == 422
    assert client.post("/classes/join/", {"code": classroom.join_code}).status_code == 302


def test_the_link_shows_a_confirmation_on_get_and_joins_on_post(client, learner, classroom):
    client.force_login(learner)
    url = f"/classes/join/{classroom.join_token}/"
    page = client.get(url)
    assert page.status_code == 200 and "Join CLF-C02 spring?" in page.content.decode()
    assert not Membership.objects.exists()  # GET never writes
    assert client.post(url).status_code == 302
    assert Membership.objects.filter(classroom=classroom, learner=learner).exists()


def test_a_rotated_or_closed_link_is_not_found(client, instructor, learner, classroom):
    old = classroom.join_token
    client.force_login(instructor)
    client.post(f"/classes/{classroom.pk}/access", {"action": "rotate-link"})
    client.force_login(learner)
    assert client.get(f"/classes/join/{old}/").status_code == 404
    assert client.post(f"/classes/join/{old}/").status_code == 404
    classroom.refresh_from_db()
    classroom.close("link")
    assert client.get("/classes/join/None/").status_code == 404
    assert not Membership.objects.exists()


def test_a_visitor_is_asked_to_sign_up_or_log_in_and_comes_back(client, classroom):
    url = f"/classes/join/{classroom.join_token}/"
    page = client.get(url).content.decode()
    assert "/accounts/signup/?next=" in page and "/accounts/login/?next=" in page
    assert f"next=/classes/join/{classroom.join_token}/" in page.replace("%2F", "/")
    assert client.post(url).status_code == 200 and not Membership.objects.exists()


def test_a_guest_who_signs_up_keeps_their_progress_and_joins(client, classroom):
    from quizzes.models import QuestionMemory
    from studyapp.accounts.models import User
    from tests.factories import QuestionFactory, QuestionMemoryFactory

    guest = UserFactory(username="guest-abc", is_guest=True)
    QuestionMemoryFactory(learner=guest, question=QuestionFactory())
    client.force_login(guest)
    url = f"/classes/join/{classroom.join_token}/"
    assert "Sign up" in client.get(url).content.decode()
    response = client.post(
        f"/accounts/signup/?next={url}",
        {"username": "newbie", "password1": "a-long-pass-phrase-9", "password2": "a-long-pass-phrase-9"},
    )
    assert response.status_code == 302 and response.url == url
    account = User.objects.get(username="newbie")
    assert account.pk == guest.pk and QuestionMemory.objects.filter(learner=account).count() == 1
    client.post(url)
    assert Membership.objects.filter(classroom=classroom, learner=account).exists()


def test_a_learner_leaves_a_class_and_loses_access(client, learner, classroom):
    MembershipFactory(classroom=classroom, learner=learner)
    client.force_login(learner)
    assert client.get(f"/classes/{classroom.pk}/").status_code == 200
    assert client.post(f"/classes/{classroom.pk}/leave").status_code == 302
    assert not Membership.objects.exists()
    assert client.get(f"/classes/{classroom.pk}/").status_code == 404


def test_wrong_codes_are_throttled(client, learner, classroom):
    client.force_login(learner)
    for _ in range(10):
        assert client.post("/classes/join/", {"code": "ZZZZZZZZ"}).status_code == 422
    refused = client.post("/classes/join/", {"code": classroom.join_code})
    assert (
        refused.status_code == 429 and "Too many wrong join codes: try again in 15 minutes" in refused.content.decode()
    )
    assert not Membership.objects.exists()


def test_wrong_codes_from_many_accounts_on_one_address_are_throttled(client, classroom):
    from quizzes.classes.views import JOIN_FAILURES_ALLOWED, JOIN_FAILURES_PER_ADDRESS

    guesser = {"REMOTE_ADDR": "203.0.113.9"}
    for n in range(JOIN_FAILURES_PER_ADDRESS):
        if n % (JOIN_FAILURES_ALLOWED - 1) == 0:  # a fresh account before each one reaches its own limit
            client.force_login(UserFactory(username=f"sock-{n}"))
        assert client.post("/classes/join/", {"code": "ZZZZZZZZ"}, **guesser).status_code == 422
    client.force_login(UserFactory(username="sock-last"))
    refused = client.post("/classes/join/", {"code": classroom.join_code}, **guesser)
    assert refused.status_code == 429 and "Too many wrong join codes from your network" in refused.content.decode()
    assert not Membership.objects.exists()
    elsewhere = client.post("/classes/join/", {"code": classroom.join_code}, REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302 and Membership.objects.count() == 1  # another address is not held back


def test_a_right_code_does_not_count_toward_the_throttle(client, learner, classroom):
    from quizzes.classes.views import JOIN_FAILURES_ALLOWED

    client.force_login(learner)
    for _ in range(JOIN_FAILURES_ALLOWED + 1):
        assert client.post("/classes/join/", {"code": classroom.join_code}).status_code == 302


def test_the_class_is_not_found_for_a_non_member_or_another_instructor(client, learner, classroom):
    other_instructor = InstructorFactory()
    for user in (learner, other_instructor):
        client.force_login(user)
        assert client.get(f"/classes/{classroom.pk}/").status_code == 404
        assert client.get(f"/classes/{classroom.pk}/gradebook.csv").status_code == 404
        assert client.post(f"/classes/{classroom.pk}/access", {"action": "rotate-code"}).status_code in (403, 404)
    client.logout()
    assert client.get(f"/classes/{classroom.pk}/").status_code == 404


def test_a_member_of_another_class_cannot_see_this_one(client, learner, classroom):
    MembershipFactory(learner=learner)  # another class
    client.force_login(learner)
    assert client.get(f"/classes/{classroom.pk}/").status_code == 404


def test_a_learner_of_the_class_is_refused_the_dashboard_actions_and_gradebook(client, learner, classroom):
    MembershipFactory(classroom=classroom, learner=learner)
    client.force_login(learner)
    page = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert "Learners and assignments" not in page and "Join code" not in page
    assert client.get(f"/classes/{classroom.pk}/gradebook.csv").status_code == 403
    assert client.get(f"/classes/{classroom.pk}/assignments/new/").status_code == 403
    assert client.post(f"/classes/{classroom.pk}/access", {"action": "close-code"}).status_code == 403
    classroom.refresh_from_db()
    assert classroom.join_code


def test_the_owner_adds_a_co_teacher_who_then_manages_the_class(client, instructor, classroom):
    colleague = InstructorFactory(username="katherine")
    client.force_login(instructor)
    client.post(f"/classes/{classroom.pk}/co-teachers/", {"username": "katherine"})
    assert list(classroom.co_teachers.all()) == [colleague]
    client.force_login(colleague)
    assert "Learners and assignments" in client.get(f"/classes/{classroom.pk}/").content.decode()
    assert "CLF-C02 spring" in client.get("/classes/").content.decode()
    assert client.post(f"/classes/{classroom.pk}/access", {"action": "rotate-code"}).status_code == 302
    # Only the owner adds or removes co-teachers.
    assert client.post(f"/classes/{classroom.pk}/co-teachers/", {"username": "barbara"}).status_code == 403
    assert client.post(f"/classes/{classroom.pk}/co-teachers/{colleague.pk}/remove").status_code == 403
    client.force_login(instructor)
    client.post(f"/classes/{classroom.pk}/co-teachers/{colleague.pk}/remove")
    assert not classroom.co_teachers.exists()
    client.force_login(colleague)
    assert client.get(f"/classes/{classroom.pk}/").status_code == 404


def test_only_instructors_can_be_co_teachers(client, instructor, learner, classroom):
    client.force_login(instructor)
    response = client.post(f"/classes/{classroom.pk}/co-teachers/", {"username": learner.username}, follow=True)
    assert "No instructor has this username." in response.content.decode()
    assert not classroom.co_teachers.exists()


def test_an_unknown_access_action_is_a_bad_request(client, instructor, classroom):
    client.force_login(instructor)
    assert client.post(f"/classes/{classroom.pk}/access", {"action": "explode"}).status_code == 400


def test_deleting_the_account_removes_the_memberships(learner, classroom):
    MembershipFactory(classroom=classroom, learner=learner)
    learner.delete()
    assert not Membership.objects.exists()


def test_a_learners_data_export_lists_their_classes(client, learner, classroom):
    import json

    MembershipFactory(classroom=classroom, learner=learner)
    client.force_login(learner)
    data = json.loads(client.get("/settings/export.json").content)
    assert [(c["class"], c["owner"]) for c in data["classes"]] == [("CLF-C02 spring", "barbara")]


def test_the_owner_deletes_a_class_after_confirming_and_learners_keep_their_work(
    client, instructor, learner, classroom
):
    from tests.factories import AssignmentFactory, QuestionMemoryFactory

    MembershipFactory(classroom=classroom, learner=learner)
    AssignmentFactory(classroom=classroom)
    memory = QuestionMemoryFactory(learner=learner)
    client.force_login(instructor)
    client.post(f"/classes/{classroom.pk}/delete")
    assert Classroom.objects.exists()  # not confirmed
    colleague = InstructorFactory()
    classroom.co_teachers.add(colleague)
    client.force_login(colleague)
    assert client.post(f"/classes/{classroom.pk}/delete", {"confirm": "yes"}).status_code == 403
    client.force_login(instructor)
    assert client.post(f"/classes/{classroom.pk}/delete", {"confirm": "yes"}).status_code == 302
    assert not Classroom.objects.exists() and not Membership.objects.exists()
    memory.refresh_from_db()


def test_an_instructor_who_owns_a_class_is_told_before_deleting_the_account(client, instructor, classroom):
    from tests.factories import PASSWORD

    client.force_login(instructor)
    response = client.post("/settings/delete/", {"password": PASSWORD, "confirm": "on"}, follow=True)
    assert "you own 1 class" in response.content.decode()
    assert Classroom.objects.exists()


def test_a_class_past_its_end_date_takes_no_new_learners(client, learner, classroom):
    from datetime import date, timedelta

    classroom.ends_on = date.today() - timedelta(days=2)
    classroom.save()
    client.force_login(learner)
    response = client.post("/classes/join/", {"code": classroom.join_code}, follow=True)
    assert "it takes no new learners" in response.content.decode()
    assert not Membership.objects.exists()
