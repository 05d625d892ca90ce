"""The flags inbox of a bank: learners' reports listed, and resolving one records what was changed."""

import pytest
from django.urls import reverse

from quizzes.authoring.models import FlagResolution
from quizzes.models import Flag
from tests.factories import FlagFactory, QuestionFactory, StewardshipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(client, instructor):
    client.force_login(instructor)
    return StewardshipFactory(owner=instructor).bank


def test_the_inbox_lists_open_flags_of_this_bank_only(client, bank):
    FlagFactory(question=QuestionFactory(bank=bank, external_id="cold-starts"), comment="The answer is wrong because…")
    FlagFactory(question=QuestionFactory(external_id="elsewhere"), comment="Not this bank")
    body = client.get(f"/author/{bank.slug}/flags/").content.decode()
    assert "Open flags (1)" in body and "The answer is wrong because…" in body and "cold-starts" in body
    assert "Not this bank" not in body


def test_a_learners_comment_is_escaped(client, bank):
    FlagFactory(question=QuestionFactory(bank=bank), comment="<script>alert(1)</script>")
    body = client.get(f"/author/{bank.slug}/flags/").content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_resolving_after_an_edit_records_the_note_and_the_new_revision(client, bank, instructor):
    question = QuestionFactory(bank=bank)
    flag = FlagFactory(question=question)
    question.revision = 2  # the author edited it since the learner flagged revision 1
    question.save()
    response = client.post(reverse("author:flag_resolve", args=[bank.slug, flag.pk]), {"note": "Fixed choice B."})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    resolution = FlagResolution.objects.get(flag=flag)
    assert (resolution.note, resolution.resolved_by, resolution.revision_after) == ("Fixed choice B.", instructor, 2)
    assert resolution.changed_question
    body = client.get(f"/author/{bank.slug}/flags/").content.decode()
    assert "Open flags (0)" in body and "Yes: revision 1 → 2" in body and "Fixed choice B." in body


def test_resolving_without_a_change_says_so(client, bank):
    flag = FlagFactory(question=QuestionFactory(bank=bank))
    client.post(
        reverse("author:flag_resolve", args=[bank.slug, flag.pk]), {"note": "The answer is right: see the note."}
    )
    assert not FlagResolution.objects.get().changed_question
    assert "No (revision 1)" in client.get(f"/author/{bank.slug}/flags/").content.decode()


def test_a_resolution_needs_a_note(client, bank):
    flag = FlagFactory(question=QuestionFactory(bank=bank))
    response = client.post(reverse("author:flag_resolve", args=[bank.slug, flag.pk]), {"note": "  "}, follow=True)
    assert "This field is required." in response.content.decode()
    flag.refresh_from_db()
    assert flag.resolved_at is None and not FlagResolution.objects.exists()


def test_resolving_twice_records_one_resolution(client, bank):
    flag = FlagFactory(question=QuestionFactory(bank=bank))
    url = reverse("author:flag_resolve", args=[bank.slug, flag.pk])
    client.post(url, {"note": "Done."})
    response = client.post(url, {"note": "Done again."}, follow=True)
    assert "Someone resolved this flag already." in response.content.decode()
    assert FlagResolution.objects.count() == 1


def test_a_flag_of_another_bank_cannot_be_resolved_through_this_one(client, bank):
    flag = FlagFactory(question=QuestionFactory(external_id="elsewhere"))
    assert client.post(reverse("author:flag_resolve", args=[bank.slug, flag.pk]), {"note": "x"}).status_code == 404
    assert Flag.objects.get().resolved_at is None


def test_the_learner_can_flag_the_question_again_after_a_resolution(client, bank):
    learner = UserFactory()
    question = QuestionFactory(bank=bank)
    flag = FlagFactory(question=question, learner=learner)
    client.post(reverse("author:flag_resolve", args=[bank.slug, flag.pk]), {"note": "Done."})
    FlagFactory(question=question, learner=learner)  # the one-open-flag constraint allows a new one
    assert Flag.objects.filter(resolved_at__isnull=True).count() == 1


def test_the_inbox_answers_in_a_fixed_number_of_queries(client, bank, django_assert_max_num_queries):
    for _ in range(30):
        FlagFactory(question=QuestionFactory(bank=bank))
    with django_assert_max_num_queries(8):
        body = client.get(f"/author/{bank.slug}/flags/").content.decode()
    assert "Open flags (30)" in body


def test_two_flags_on_one_question_sit_together_with_one_anchor(client, bank):
    first, second = QuestionFactory(bank=bank, external_id="first"), QuestionFactory(bank=bank, external_id="second")
    FlagFactory(question=second, comment="Second question, one")
    FlagFactory(question=first, comment="First question")
    FlagFactory(question=second, comment="Second question, two")
    body = client.get(f"/author/{bank.slug}/flags/").content.decode()
    assert body.index("First question") < body.index("Second question, one") < body.index("Second question, two")
    assert body.count('id="flags-second"') == 1
