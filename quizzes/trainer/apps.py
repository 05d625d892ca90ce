from django.apps import AppConfig


class TrainerConfig(AppConfig):
    name = "quizzes.trainer"
    label = "trainer"
    verbose_name = "Scenario trainer"
