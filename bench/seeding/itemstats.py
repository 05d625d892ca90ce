"""Benchmark data for the item statistics page.

The study seed (bench.seeding.study) fills the "bench" bank: with BENCH_FULL=1 it holds 10,000 questions
and 1,000,000 answers, the issue's scale. This seed gives it to an instructor and returns their session;
the exam seed adds exam answers on top. Idempotent.
"""

from django.contrib.auth.models import Group

from bench.seeding import login_session
from quizzes.authoring.models import BankStewardship
from quizzes.models import Bank
from studyapp.accounts.models import User
from studyapp.accounts.roles import INSTRUCTORS_GROUP


def seed(learner) -> dict:
    instructor, _ = User.objects.get_or_create(username="bench-instructor")
    instructor.groups.add(Group.objects.get_or_create(name=INSTRUCTORS_GROUP)[0])
    bank = Bank.objects.get(slug="bench")
    BankStewardship.objects.get_or_create(
        bank=bank, defaults={"owner": instructor, "status": BankStewardship.Status.PUBLISHED}
    )
    return {"instructor_session": login_session(instructor), "stats_bank": bank.slug}
