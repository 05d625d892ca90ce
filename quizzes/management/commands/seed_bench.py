import json

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand

from studyapp.accounts.models import User


class Command(BaseCommand):
    help = "Seed benchmark data (idempotent) and print, as JSON, the values bench/run.py needs."

    def handle(self, **options) -> None:
        learner, _ = User.objects.get_or_create(username="bench-learner")
        session = SessionStore()
        session[SESSION_KEY] = str(learner.pk)
        session[BACKEND_SESSION_KEY] = "studyapp.accounts.backends.StudyBackend"
        session[HASH_SESSION_KEY] = learner.get_session_auth_hash()
        session.create()
        self.stdout.write(json.dumps({"learner_session": session.session_key, "learner_id": learner.pk}))
