from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "quizzes.exams"
    label = "exams"
    verbose_name = "Practice exams"
