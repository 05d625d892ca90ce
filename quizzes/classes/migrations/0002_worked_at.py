"""Set `User.worked_at` of the learners already in a class (accounts 0006 added it; writes keep it from now on)."""

from django.db import migrations
from django.db.models import Max


def fill(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Membership = apps.get_model("classes", "Membership")
    ReviewLog = apps.get_model("quizzes", "ReviewLog")
    RoundItem = apps.get_model("trainer", "RoundItem")
    ExamAttempt = apps.get_model("exams", "ExamAttempt")
    for learner_id in Membership.objects.values_list("learner_id", flat=True).distinct():
        times = [
            ReviewLog.objects.filter(learner_id=learner_id).aggregate(t=Max("reviewed_at"))["t"],
            RoundItem.objects.filter(learner_id=learner_id).aggregate(t=Max("answered_at"))["t"],
            *ExamAttempt.objects.filter(learner_id=learner_id)
            .aggregate(Max("started_at"), Max("finished_at"))
            .values(),
        ]
        latest = max((t for t in times if t is not None), default=None)
        User.objects.filter(pk=learner_id).update(worked_at=latest)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_work_version"),
        ("classes", "0001_initial"),
        ("exams", "0001_initial"),
        ("quizzes", "0009_fsrs_fit_claim"),
        ("trainer", "0005_round_category"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
