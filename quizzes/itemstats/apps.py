from django.apps import AppConfig


class ItemStatsConfig(AppConfig):
    name = "quizzes.itemstats"
    label = "itemstats"
    verbose_name = "Item statistics"
