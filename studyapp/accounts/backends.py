"""Fast paths for the two lookups every authenticated request makes: its session and its user.

The ORM compiles a query on each call, which costs several times the query itself on these tiny
lookups; both run on every page, so they use hand-written SQL (measured in `make bench`).
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from studyapp.accounts.roles import INSTRUCTORS_GROUP
from studyapp.rows import convert


class StudyBackend(ModelBackend):
    """ModelBackend that loads the user's role in the same query as the user."""

    def get_user(self, user_id):
        from studyapp.accounts.models import User

        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        columns = [field.column for field in User._meta.concrete_fields]
        memberships = User.groups.through._meta.db_table
        sql = (
            f"SELECT {', '.join('u.' + c for c in columns)}, EXISTS (SELECT 1 FROM {memberships} m "
            f"JOIN auth_group g ON g.id = m.group_id WHERE m.user_id = u.id AND g.name = %s) "
            f"FROM {User._meta.db_table} u WHERE u.id = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [INSTRUCTORS_GROUP, user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        fields = User._meta.concrete_fields
        conn = connections[DEFAULT_DB_ALIAS]
        values = [convert(field, value, conn) for field, value in zip(fields, row[:-1], strict=True)]
        user = User.from_db(connection.alias, [f.attname for f in fields], values)
        user._is_instructor = bool(row[-1])
        return user if self.user_can_authenticate(user) else None


class SessionStore(DatabaseSessionStore):
    """Database sessions (state stays in the database, app servers stay stateless) with a direct read."""

    def load(self):
        if not self.session_key:
            self._session_key = None
            return {}
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s",
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])
