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
