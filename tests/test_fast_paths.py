"""The shortcuts hot requests take (CSRF tokens, session decoding, SQLite placeholders) give Django's results;
SQLite writers queue on the lock file."""

import fcntl
import os
import re
import threading
from contextlib import contextmanager

import pytest
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangoCursor
from django.db.utils import ConnectionHandler
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studyapp.accounts.backends import SessionStore
from studyapp.sqlite.base import CHECKPOINT_EVERY, CHECKPOINT_ROWS, DatabaseWrapper, SQLiteCursorWrapper
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_page_tokens_are_freshly_masked_and_accepted_by_djangos_csrf_check(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    first = CSRF_INPUT.search(client.get("/settings/").content.decode()).group(1)
    second = CSRF_INPUT.search(client.get("/settings/").content.decode()).group(1)
    secret = client.cookies["csrftoken"].value
    assert first != second and len(first) == 2 * CSRF_SECRET_LENGTH
    assert _unmask_cipher_token(first) == _unmask_cipher_token(second) == secret
    response = client.post("/settings/", {"csrfmiddlewaretoken": first, "theme": "dark"})
    assert response.status_code != 403


def test_a_post_with_a_made_up_token_is_still_refused(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    client.get("/settings/")
    response = client.post("/settings/", {"csrfmiddlewaretoken": "x" * 64, "theme": "dark"})
    assert response.status_code == 403


def test_stored_pages_get_a_fresh_csrf_token_each_time(client, learner, loaded_content):
    client.force_login(learner)
    first, second = (CSRF_INPUT.search(client.get("/notes/lambda/").content.decode()).group(1) for _ in range(2))
    assert first != second
    assert _unmask_cipher_token(first) == _unmask_cipher_token(second) == client.cookies["csrftoken"].value


def test_a_loaded_session_is_a_private_copy_and_a_changed_row_is_decoded_again():
    store = SessionStore()
    store["basket"] = ["lambda"]
    store.create()
    first = SessionStore(store.session_key)
    first["basket"].append("ecs")  # changes this request's copy only
    assert SessionStore(store.session_key)["basket"] == ["lambda"]
    first.save()
    assert SessionStore(store.session_key)["basket"] == ["lambda", "ecs"]


def test_a_tampered_session_row_loads_as_an_empty_session():
    from django.contrib.sessions.models import Session

    store = SessionStore()
    store["who"] = "someone"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(session_data="tampered:data")
    assert dict(SessionStore(store.session_key).items()) == {}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("SELECT * FROM t WHERE a = %s AND b LIKE '%%x' AND c IN (%s, %s)", None),
        ("SELECT %(first)s, %(second)s, '100%%'", ("first", "second")),
    ],
)
def test_the_cached_placeholder_rewrite_is_djangos(query, names):
    ours = SQLiteCursorWrapper.convert_query(None, query, param_names=names)
    again = SQLiteCursorWrapper.convert_query(None, query, param_names=names)
    assert ours == again == DjangoCursor.convert_query(None, query, param_names=names)


def test_a_first_visit_gets_a_new_secret_as_cookie_and_a_token_that_unmasks_to_it(db):
    client = Client(enforce_csrf_checks=True)
    token = CSRF_INPUT.search(client.get(reverse("login")).content.decode()).group(1)
    secret = client.cookies["csrftoken"].value
    assert len(secret) == CSRF_SECRET_LENGTH and set(secret) <= set(CSRF_ALLOWED_CHARS)
    assert _unmask_cipher_token(token) == secret
    other = Client().get(reverse("login"))
    assert other.cookies["csrftoken"].value != secret  # each visitor draws their own


def _file_database(path, init_command: str = "") -> DatabaseWrapper:
    """A connection of our SQLite backend to a database file, with the app's transaction settings (whatever
    database the tests run on)."""
    options = {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": init_command}
    handler = ConnectionHandler({"default": {"ENGINE": "studyapp.sqlite", "NAME": str(path), "OPTIONS": options}})
    return handler["default"]


def _lock_is_held(path) -> bool:
    with open(path, "rb") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


@contextmanager
def _atomic(database: DatabaseWrapper):
    """What transaction.atomic does on SQLite for an outermost block, on a connection outside `connections`."""
    database._start_transaction_under_autocommit()
    try:
        yield
    except BaseException:
        database._rollback()
        raise
    database._commit()


def test_sqlite_writers_queue_on_the_lock_file_and_each_gets_it_when_the_previous_commits(tmp_path):
    first = _file_database(tmp_path / "db.sqlite3")
    first.cursor().execute("CREATE TABLE t (n INTEGER)")
    order, begun = [], threading.Event()

    def write_second():
        second = _file_database(tmp_path / "db.sqlite3")
        second.ensure_connection()
        begun.set()
        with _atomic(second):
            order.append("second writes")
            second.cursor().execute("INSERT INTO t VALUES (2)")
        second.close()

    with _atomic(first):
        first.cursor().execute("INSERT INTO t VALUES (1)")
        thread = threading.Thread(target=write_second)
        thread.start()
        begun.wait()
        thread.join(timeout=0.3)
        assert thread.is_alive() and _lock_is_held(tmp_path / "db.sqlite3-writer.lock")
        order.append("first commits")
    thread.join(timeout=5)
    assert order == ["first commits", "second writes"]
    assert first.cursor().execute("SELECT n FROM t ORDER BY n").fetchall() == [(1,), (2,)]
    assert not first._writing and not _lock_is_held(tmp_path / "db.sqlite3-writer.lock")
    first.close()


def test_a_failed_sqlite_transaction_gives_the_lock_back(tmp_path):
    first, second = _file_database(tmp_path / "db.sqlite3"), _file_database(tmp_path / "db.sqlite3")
    first.ensure_connection()
    second.ensure_connection()
    with pytest.raises(ZeroDivisionError), _atomic(first):
        first.cursor().execute("CREATE TABLE t (n INTEGER)")
        raise ZeroDivisionError("the request failed half-way")
    with _atomic(second):  # would wait forever if the rollback kept the lock
        second.cursor().execute("CREATE TABLE u (n INTEGER)")
    assert not first._writing and not second._writing
    first.close()
    second.close()


def test_sqlite_connections_copy_the_log_into_the_database_now_and_then_outside_the_writer_lock(tmp_path):
    path, lock = tmp_path / "db.sqlite3", tmp_path / "db.sqlite3-writer.lock"
    database = _file_database(path, init_command="PRAGMA journal_mode=WAL;")
    database.ensure_connection()
    checkpoints = []  # for each checkpoint: was the writer lock held while it ran?
    database.connection.set_trace_callback(
        lambda sql: checkpoints.append(_lock_is_held(lock)) if sql.startswith("PRAGMA wal_checkpoint") else None
    )
    with _atomic(database):
        database.cursor().execute("CREATE TABLE t (n INTEGER)")
    in_file = os.path.getsize(path)
    for n in range(CHECKPOINT_EVERY - 2):
        with _atomic(database):
            database.cursor().execute("INSERT INTO t VALUES (%s)", [n])
    assert checkpoints == [] and os.path.getsize(path) == in_file  # every commit so far is in the log only
    with _atomic(database):
        database.cursor().execute("INSERT INTO t VALUES (-1)")
    assert checkpoints == [False]  # one checkpoint, once the lock was given back
    assert os.path.getsize(path) > in_file  # the table's pages are now in the database file
    assert database.cursor().execute("SELECT COUNT(*) FROM t").fetchone() == (CHECKPOINT_EVERY - 1,)
    database.close()


def test_a_bulk_write_is_copied_into_the_sqlite_database_file_right_after_its_commit(tmp_path):
    path = tmp_path / "db.sqlite3"
    database = _file_database(path, init_command="PRAGMA journal_mode=WAL;")
    database.cursor().execute("CREATE TABLE t (n INTEGER)")
    in_file = os.path.getsize(path)
    with _atomic(database):  # one commit, such as a bank import
        database.cursor().executemany("INSERT INTO t VALUES (%s)", [[n] for n in range(CHECKPOINT_ROWS)])
    assert os.path.getsize(path) > in_file
    database.close()


def test_a_session_seen_before_reads_its_user_in_the_same_query_and_gets_the_right_user(client, learner):
    client.force_login(learner)
    client.get("/settings/")  # this process now knows which user the session names
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/settings/")
    assert response.wsgi_request.user == learner
    assert sum("FROM accounts_user u" in query["sql"] for query in queries.captured_queries) == 1
    assert "FROM django_session" in queries.captured_queries[0]["sql"]


def test_a_session_that_now_names_another_user_loads_that_user(client, learner):
    from studyapp.accounts import backends

    other = UserFactory()
    client.force_login(learner)
    client.get("/settings/")
    key = client.cookies["sessionid"].value
    store = SessionStore(key)
    store[SESSION_KEY], store[HASH_SESSION_KEY] = str(other.pk), other.get_session_auth_hash()
    store.save()  # the row now names another user than the one this process remembers for the key
    assert backends._session_users[key] == learner.pk
    assert client.get("/settings/").wsgi_request.user == other
