"""The settings `make bench` runs with (DJANGO_SETTINGS_MODULE=bench.settings): the app's own, from the same
environment variables, plus the bench app (its seed_bench command) and a URLconf with the reference endpoints."""

from studyapp.settings import *  # noqa: F403
from studyapp.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
