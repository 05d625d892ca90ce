import json

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from bench.seeders import SEEDERS
from studyapp.accounts.backends import SessionStore
from studyapp.accounts.models import User


def login_session(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "studyapp.accounts.backends.StudyBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


class Command(BaseCommand):
    help = "Seed benchmark data (idempotent) and print, as JSON, the values bench/run.py needs."

    def handle(self, **options) -> None:
        learner, _ = User.objects.get_or_create(username="bench-learner")
        values = {"learner_session": login_session(learner), "learner_id": learner.pk}
        for path in SEEDERS:
            values.update(import_string(path)(learner))
        self.stdout.write(json.dumps(values))
