from django.apps import AppConfig


class AuthoringConfig(AppConfig):
    name = "quizzes.authoring"
    label = "authoring"
    verbose_name = "Instructor authoring"
