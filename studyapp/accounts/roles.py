"""The two roles: every user is a learner; instructors are members of the Instructors group."""

from django.contrib.auth.decorators import user_passes_test

INSTRUCTORS_GROUP = "Instructors"


def is_instructor(user) -> bool:
    if not user.is_authenticated or getattr(user, "is_guest", False):
        return False
    # Cache on the user object: the navigation asks on every page.
    if not hasattr(user, "_is_instructor"):
        user._is_instructor = user.groups.filter(name=INSTRUCTORS_GROUP).exists()
    return user._is_instructor


def _instructor_or_403(user) -> bool:
    from django.core.exceptions import PermissionDenied

    if not user.is_authenticated:
        return False  # redirect to login
    if not is_instructor(user):
        raise PermissionDenied("Only instructors can use the authoring pages.")
    return True


instructor_required = user_passes_test(_instructor_or_403)
