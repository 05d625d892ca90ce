from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from studyapp.accounts.models import User
from studyapp.accounts.roles import INSTRUCTORS_GROUP

DEMO_ACCOUNTS = [
    ("learner", "learn-the-cloud-2026", False),
    ("instructor", "teach-the-cloud-2026", True),
]


class Command(BaseCommand):
    help = "Create the demo learner and instructor accounts (development mode only) and print them."

    def handle(self, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts are only created in development mode (DJANGO_DEBUG=1).")
        group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
        self.stdout.write("Demo accounts (development only):")
        for username, password, instructor in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.save()
            if instructor:
                user.groups.add(group)
            role = "instructor" if instructor else "learner"
            self.stdout.write(f"  {role:<10}  username: {username:<11} password: {password}")
