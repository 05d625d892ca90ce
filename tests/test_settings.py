import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from studyapp.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7Jk2pQ9vR4mZ8wL1nB6cT3yH5gF0dS-aE_uI9oPqWeRtYuIoPlKjHgFdSa",
    "DJANGO_ALLOWED_HOSTS": "study.example.com",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_env_bool_rejects_a_value_that_is_not_a_boolean(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG='maybe' is not a boolean"):
        env_bool("X_FLAG", False)
    monkeypatch.setenv("X_FLAG", "Off")
    assert env_bool("X_FLAG", True) is False


def test_env_int_rejects_words_and_out_of_range_numbers(monkeypatch):
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("X_NUM", 1)
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="out of range"):
        env_int("X_NUM", 1, minimum=1)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_list("X_LIST", []) == ["a.example", "b.example"]


def test_deploy_checks_are_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key():
    result = manage("check", env={**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_a_malformed_boolean_setting_stops_start_up_with_its_name():
    result = manage("check", env={"DJANGO_DEBUG": "perhaps"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG='perhaps' is not a boolean" in result.stderr


def test_postgresql_connections_prepare_their_statements_unless_turned_off():
    show = "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS']; "
    show += "print(o['server_side_binding'], o['prepare_threshold'])"
    url = {"DATABASE_URL": "postgres://study:study@127.0.0.1:5432/study"}
    prepared = manage("shell", "--no-imports", "-c", show, env=url)
    assert prepared.stdout.split() == ["True", "1"], prepared.stderr
    behind_pgbouncer = manage("shell", "--no-imports", "-c", show, env={**url, "DATABASE_PREPARED_STATEMENTS": "0"})
    assert behind_pgbouncer.stdout.split() == ["False", "None"], behind_pgbouncer.stderr


def test_sessions_are_in_the_database_and_go_through_redis_only_when_it_is_shared():
    show = "from django.conf import settings; print(settings.SESSION_ENGINE, settings.CACHES['default']['BACKEND'])"
    alone = manage("shell", "--no-imports", "-c", show, env={})
    assert alone.stdout.split() == [
        "django.contrib.sessions.backends.db",
        "django.core.cache.backends.locmem.LocMemCache",
    ], alone.stderr
    shared = manage("shell", "--no-imports", "-c", show, env={"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert shared.stdout.split() == [
        "django.contrib.sessions.backends.cached_db",
        "django.core.cache.backends.redis.RedisCache",
    ], shared.stderr


def test_sessions_go_through_a_directory_shared_by_one_hosts_workers_when_it_is_named():
    show = (
        "from django.conf import settings; print(settings.SESSION_ENGINE, settings.SESSION_CACHE_ALIAS, "
        "settings.CACHES['sessions']['BACKEND'], settings.CACHES['sessions']['LOCATION'])"
    )
    one_host = manage("shell", "--no-imports", "-c", show, env={"DJANGO_SESSION_CACHE_DIR": "/run/study-sessions"})
    assert one_host.stdout.split() == [
        "django.contrib.sessions.backends.cached_db",
        "sessions",
        "django.core.cache.backends.filebased.FileBasedCache",
        "/run/study-sessions",
    ], one_host.stderr
    show = "from django.conf import settings; print(settings.SESSION_ENGINE, sorted(settings.CACHES))"
    with_redis = {"DJANGO_SESSION_CACHE_DIR": "/run/study-sessions", "REDIS_URL": "redis://127.0.0.1:6379/0"}
    shared = manage("shell", "--no-imports", "-c", show, env=with_redis)
    assert shared.stdout.split() == ["django.contrib.sessions.backends.cached_db", "['default']"], shared.stderr


def test_the_app_runs_on_djangos_own_backends():
    show = (
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], "
        "settings.AUTHENTICATION_BACKENDS[-1], settings.DATABASES['default']['OPTIONS']['transaction_mode'])"
    )
    result = manage("shell", "--no-imports", "-c", show, env={"DATABASE_URL": "sqlite:////tmp/unused.sqlite3"})
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.contrib.auth.backends.ModelBackend",
        "IMMEDIATE",
    ], result.stderr
