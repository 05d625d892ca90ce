from datetime import datetime

from django.contrib.auth.models import AbstractUser, Group, UserManager
from django.db import models
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from studyapp.accounts.roles import INSTRUCTORS_GROUP


class StudyUserManager(UserManager):
    """The default manager: users with their study settings and role. The settings are an outer join, so on
    PostgreSQL lock users with `select_for_update(of=("self",))`. Migrations use Django's plain UserManager."""

    use_in_migrations = False

    def get_queryset(self):
        """Users come with their study settings (a LEFT JOIN) and their role (`in_instructors_group`): every
        signed-in request loads its user through this manager (ModelBackend.get_user), every page's menu asks
        for the role and every study, exam and progress page reads the settings, so one query serves all three.
        `in_a_class` tells the progress page whether to look for class assignments (quizzes.classes).

        The two EXISTS are written as SQL (RawSQL, over the tables' names from the models): built as Exists()
        over querysets, Django compiled two subqueries on every request, 1.0 ms of CPU against 0.44 ms for the
        same statement (in process, SQLite; a signed-in request of the journey costs 7-8 ms in all)."""
        from django.apps import apps

        membership = apps.get_model("classes", "Membership")._meta
        user_groups = self.model.groups.through._meta
        users = super().get_queryset().select_related("study_settings")
        return users.annotate(
            in_instructors_group=RawSQL(
                f'EXISTS(SELECT 1 FROM "{user_groups.db_table}" ug INNER JOIN "{Group._meta.db_table}" g'
                f' ON g."id" = ug."group_id" WHERE ug."user_id" = "{self.model._meta.db_table}"."id"'
                ' AND g."name" = %s)',
                (INSTRUCTORS_GROUP,),
                output_field=models.BooleanField(),
            ),
            in_a_class=RawSQL(
                f'EXISTS(SELECT 1 FROM "{membership.db_table}" m'
                f' WHERE m."learner_id" = "{self.model._meta.db_table}"."id")',
                (),
                output_field=models.BooleanField(),
            ),
        )


class User(AbstractUser):
    """A learner. Instructors are learners in the Instructors group (see roles.py)."""

    class Theme(models.TextChoices):
        SYSTEM = "system", "Same as my device"
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    # Guest learners (tried the app without signing up) are real learners flagged here, so every
    # feature works the same for them; signing up converts the same record.
    is_guest = models.BooleanField(default=False)
    # Address a guest was created from, for the per-address creation limit (cleared on sign-up).
    created_from = models.GenericIPAddressField(null=True, blank=True)
    # Colour theme (settings page); on the user so base.html reads it without another query.
    theme = models.CharField(max_length=6, choices=Theme.choices, default=Theme.SYSTEM)
    # Moves with every write that changes what a class dashboard shows of the learner: their work (a study rating
    # and its undo, a trainer answer, an exam started or finished, a guest's work merged in) and their study
    # settings (their recall follows them), in the transaction that writes it; `worked_at` is when the learner
    # last did one of those things. The class dashboard keys each learner's part on them and its whole board on
    # the class's sum of them (quizzes/classes/dashboard.py) instead of counting rows. Kept while the learner is
    # in a class; joining one sets both from the learner's work (quizzes.classes.models.Classroom.join).
    work_version = models.PositiveBigIntegerField(default=0, editable=False)
    worked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # How many scenario-trainer answers the learner has (answers are only ever added): one more in the answer's own
    # transaction (record_trainer_answer), the guest's added by a guest merge. Their cached confusions and the
    # dashboard's trainer section are keyed on it (quizzes.trainer.confusions.History), read with the user instead
    # of counting the answers on each visit and each answer (0.5 ms for 5,000 of them on PostgreSQL, and growing).
    trainer_answer_count = models.PositiveIntegerField(default=0, editable=False)

    objects = StudyUserManager()

    def record_work(self, now: datetime | None) -> None:
        """What a class dashboard shows of the learner changed (see `work_version`): one UPDATE, inside the
        writing transaction; `now` is when the learner did it (None when they did nothing new: an undo, a
        settings change, the sweeper submitting an overdue exam). Nothing to do for a learner in no class
        (`in_a_class`, read with the request's user)."""
        if getattr(self, "in_a_class", True):
            User.record_work_of(self.pk, now)

    def record_trainer_answer(self, now: datetime) -> None:
        """A trainer answer was written: one more in `trainer_answer_count` and, for a learner in a class, the work a
        class dashboard shows (record_work), in one UPDATE inside the answer's transaction. The UPDATE holds the
        user's row until the transaction ends, so two answers of the same learner count one after the other."""
        marks = {"trainer_answer_count": F("trainer_answer_count") + 1}
        if getattr(self, "in_a_class", True):
            marks |= {"work_version": F("work_version") + 1, "worked_at": now}
        User._base_manager.filter(pk=self.pk).update(**marks)

    @staticmethod
    def recount_trainer_answers(learner_ids) -> None:
        """Set `trainer_answer_count` from the answers themselves, for answers written in bulk outside the
        answer's path (the bench's seeders, tests' factories): one UPDATE."""
        from quizzes.trainer.models import RoundItem

        answered = RoundItem.objects.filter(learner=OuterRef("pk"), answered_at__isnull=False).order_by()
        answers = answered.values("learner").annotate(n=Count("pk")).values("n")
        User._base_manager.filter(pk__in=learner_ids).update(trainer_answer_count=Coalesce(Subquery(answers), 0))

    @staticmethod
    def record_work_of(learner_id: int, now: datetime | None) -> None:
        marks = {"work_version": F("work_version") + 1} | ({"worked_at": now} if now else {})
        User._base_manager.filter(pk=learner_id).update(**marks)

    class Meta:
        db_table = "accounts_user"
        indexes = [models.Index(fields=["is_guest", "last_login"], name="guest_activity")]
