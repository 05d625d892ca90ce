from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmark seeding (the seed_bench command) and the reference endpoints. Only bench.settings installs it:
    production never has them."""

    name = "bench"
    verbose_name = "Benchmark"
