from django.apps import AppConfig


class ClassesConfig(AppConfig):
    name = "quizzes.classes"
    label = "classes"
    verbose_name = "Classes and assignments"
