"""The environment of the in-process benchmarks (bench/cold_pages.py, bench/classes.py): the bench settings in
production mode over plain HTTP, with a throw-away SQLite file or, when DATABASE_URL names PostgreSQL, its
"<name>_bench" database (bench.run.bench_database_url). Sessions are read through a directory, as a one-host
deployment reads them (DJANGO_SESSION_CACHE_DIR; several app servers read them from Redis) and as the journey's
gunicorn does; DJANGO_SESSION_CACHE_DIR= (empty) reads them from the database instead."""

import os
import tempfile
from pathlib import Path

from bench.run import bench_database_url


def configure(prefix: str) -> Path:
    """Set the environment before django.setup(); returns the work directory (the caller removes it)."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-" + "k" * 60),
            "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_HSTS_SECONDS": "0",
            "AXES_ENABLED": "0",
            "DATABASE_URL": bench_database_url(workdir),
        }
    )
    os.environ.setdefault("DJANGO_SESSION_CACHE_DIR", str(workdir / "sessions"))
    return workdir


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class Statements:
    """Counts the SQL statements run inside it on one connection (those that only open or close a transaction left
    out), through an execute wrapper: Django's debug cursor (CaptureQueriesContext) would also format each statement
    with its parameters (on PostgreSQL a psycopg mogrify per statement), work a production request never does, which
    the timings would include."""

    def __init__(self, connection):
        self.connection = connection
        self.count = 0

    def _count(self, execute, sql, params, many, context):
        if not sql.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> "Statements":
        self._wrapper = self.connection.execute_wrapper(self._count)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._wrapper.__exit__(*exc)
