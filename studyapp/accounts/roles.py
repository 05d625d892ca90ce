"""The two roles: every user is a learner; instructors are members of the Instructors group."""

from django.contrib.auth.decorators import user_passes_test

INSTRUCTORS_GROUP = "Instructors"


def is_instructor(user) -> bool:
    if not user.is_authenticated or getattr(user, "is_guest", False):
        return False
    # Users loaded through User.objects come with it (StudyUserManager); others ask once and keep the answer.
    if not hasattr(user, "in_instructors_group"):
        user.in_instructors_group = user.groups.filter(name=INSTRUCTORS_GROUP).exists()
    return user.in_instructors_group


def _instructor_or_403(user) -> bool:
    from django.core.exceptions import PermissionDenied

    if not user.is_authenticated:
        return False  # redirect to login
    if not is_instructor(user):
        raise PermissionDenied("Only instructors can use the authoring pages.")
    return True


instructor_required = user_passes_test(_instructor_or_403)
