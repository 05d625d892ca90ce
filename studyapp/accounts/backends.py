"""Fast paths for the two lookups every authenticated request makes: its session and its user.

The ORM compiles a query on each call, which costs several times the query itself on these tiny
lookups; both run on every page, so they use hand-written SQL (measured in `make bench`).
"""

import json
import threading
from collections import OrderedDict
from functools import cache

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection
from django.utils import timezone

from studyapp.accounts.roles import INSTRUCTORS_GROUP
from studyapp.rows import build, select_list, width


class StudyBackend(ModelBackend):
    """ModelBackend that loads the user's role, study settings and change counts in the same query as the user."""

    def get_user(self, user_id):
        from studyapp.accounts.models import User

        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        prefetched, _prefetched.value = getattr(_prefetched, "value", None), None
        if prefetched is not None and prefetched[0] == user_id:
            row = prefetched[1]  # read with this request's session (SessionStore.load)
        else:
            with connection.cursor() as cursor:
                cursor.execute(_user_sql(), [INSTRUCTORS_GROUP, user_id])
                row = cursor.fetchone()
        if row is None:
            return None
        from quizzes.models import LearnerSettings

        split = width(User)
        user = build(User, row[:split])
        user._is_instructor = bool(row[split])
        # The study settings (every study, exam and progress page reads them), or None for Anki's defaults:
        # kept on the user the way the ORM caches a one-to-one, so `user.study_settings` needs no query.
        settings_row = row[split + 1 : -2]
        settings = build(LearnerSettings, settings_row) if settings_row[0] is not None else None
        LearnerSettings.remember_for(user, settings)
        # The change counts of the learner's history and of the catalogue (quizzes.models.ChangeCount), read
        # before anything the request derives from them: see quizzes.models.ChangeCount.of.
        user._change_counts = (row[-2] or 0, row[-1] or 0)
        return user if self.user_can_authenticate(user) else None


@cache
def _user_sql() -> str:
    from quizzes.models import ChangeCount, LearnerSettings
    from studyapp.accounts.models import User

    memberships = User.groups.through._meta.db_table
    counts = ChangeCount._meta.db_table
    return (
        f"SELECT {select_list(User, 'u')}, EXISTS (SELECT 1 FROM {memberships} m JOIN auth_group g "
        f"ON g.id = m.group_id WHERE m.user_id = u.id AND g.name = %s), {select_list(LearnerSettings, 's')}, "
        f"(SELECT changes FROM {counts} WHERE owner = u.id), "
        f"(SELECT changes FROM {counts} WHERE owner = {ChangeCount.CATALOGUE}) "
        f"FROM {User._meta.db_table} u LEFT JOIN {LearnerSettings._meta.db_table} s ON s.learner_id = u.id "
        "WHERE u.id = %s"
    )


# The user row read together with this request's session, for StudyBackend.get_user: (user id, row). Set (or
# cleared) by every session load, taken by the next get_user of that id, so it never outlives its request.
_prefetched = threading.local()
# Which user each session named when this process last loaded it (bounded): the next load of that session
# reads the user's row in the same query. A guess, used only when the decoded session names that user.
_SESSION_USERS_MAX = 4096
_session_users: OrderedDict[str, int] = OrderedDict()


class SessionStore(DatabaseSessionStore):
    """Database sessions (state stays in the database, app servers stay stateless) with a direct read: when
    this process has seen the session before, the same statement reads its user (one query, not two)."""

    def load(self):
        _prefetched.value = None
        if not self.session_key:
            self._session_key = None
            return {}
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with _decoded_lock:
            guess = _session_users.get(self.session_key)
        with connection.cursor() as cursor:
            if guess is None:
                cursor.execute(
                    "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s",
                    [self.session_key, now],
                )
            else:
                cursor.execute(
                    f"SELECT d.session_data, x.* FROM django_session d LEFT JOIN ({_user_sql()}) x ON 1 = 1 "
                    "WHERE d.session_key = %s AND d.expire_date > %s",
                    [INSTRUCTORS_GROUP, guess, self.session_key, now],
                )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        data = _decoded(self, row[0])
        user_id = _int_or_none(data.get(SESSION_KEY))
        if user_id is not None:
            with _decoded_lock:
                _session_users[self.session_key] = user_id
                _session_users.move_to_end(self.session_key)
                while len(_session_users) > _SESSION_USERS_MAX:
                    _session_users.popitem(last=False)
            if user_id == guess and row[1] is not None:
                _prefetched.value = (user_id, row[1:])
        return data


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# Verifying and decoding the signed session data costs more than reading it; the same data (the row
# did not change) always decodes to the same value, so each process keeps the last few as JSON text.
_DECODED_MAX = 2048
_decoded_json: OrderedDict[str, str] = OrderedDict()
_decoded_lock = threading.Lock()


def _decoded(store: SessionStore, session_data: str) -> dict:
    with _decoded_lock:
        text = _decoded_json.get(session_data)
    if text is not None:
        return json.loads(text)
    data = store.decode(session_data)  # an empty dict when the signature does not verify
    if data:
        with _decoded_lock:
            _decoded_json[session_data] = json.dumps(data)
            while len(_decoded_json) > _DECODED_MAX:
                _decoded_json.popitem(last=False)
    return data
