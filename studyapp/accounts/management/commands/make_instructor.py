from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from studyapp.accounts.models import User
from studyapp.accounts.roles import INSTRUCTORS_GROUP


class Command(BaseCommand):
    help = "Grant the instructor role (membership of the Instructors group) to a user."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true", help="Remove the role instead.")

    def handle(self, username: str, revoke: bool, **options) -> None:
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}. They must sign up first.") from None
        if user.is_guest:
            raise CommandError(f"{username!r} is a guest; only registered users can be instructors.")
        group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
        if revoke:
            user.groups.remove(group)
            self.stdout.write(f"{username} is no longer an instructor.")
        else:
            user.groups.add(group)
            self.stdout.write(self.style.SUCCESS(f"{username} is now an instructor."))
