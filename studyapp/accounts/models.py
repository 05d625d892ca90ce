from django.contrib.auth.models import AbstractUser, Group, UserManager
from django.db import models
from django.db.models import Exists, OuterRef

from studyapp.accounts.roles import INSTRUCTORS_GROUP


class StudyUserManager(UserManager):
    """The default manager: users with their study settings and role. The settings are an outer join, so on
    PostgreSQL lock users with `select_for_update(of=("self",))`. Migrations use Django's plain UserManager."""

    use_in_migrations = False

    def get_queryset(self):
        """Users come with their study settings (a LEFT JOIN) and their role (`in_instructors_group`): every
        signed-in request loads its user through this manager (ModelBackend.get_user), every page's menu asks
        for the role and every study, exam and progress page reads the settings, so one query serves all three.
        `in_a_class` tells the progress page whether to look for class assignments (quizzes.classes)."""
        from django.apps import apps

        instructors = Group.objects.filter(user=OuterRef("pk"), name=INSTRUCTORS_GROUP)
        memberships = apps.get_model("classes", "Membership").objects.filter(learner=OuterRef("pk"))
        users = super().get_queryset().select_related("study_settings")
        return users.annotate(in_instructors_group=Exists(instructors), in_a_class=Exists(memberships))


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

    objects = StudyUserManager()

    class Meta:
        db_table = "accounts_user"
        indexes = [models.Index(fields=["is_guest", "last_login"], name="guest_activity")]
