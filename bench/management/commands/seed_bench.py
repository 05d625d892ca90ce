import json

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from bench.seeding import SEEDERS, login_session
from studyapp.accounts.models import User


class Command(BaseCommand):
    help = "Seed benchmark data (idempotent) and print, as JSON, the values bench/run.py needs."

    def handle(self, **options) -> None:
        learner, _ = User.objects.get_or_create(username="bench-learner")
        values = {"learner_session": login_session(learner), "learner_id": learner.pk}
        for path in SEEDERS:
            values.update(import_string(path)(learner))
        self.stdout.write(json.dumps(values))
